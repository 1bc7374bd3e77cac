"""Blocklist files and how lists combine: Mastodon's CSV exactly (plus a labels column Cove
reads and writes and Mastodon ignores), GoToSocial's JSON, plain text; the diff an import
would make; and the merge of several subscribed sources (per-source trust caps, a threshold
by count or share of sources, max or min), as FediBlockHole merges."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from federation.errors import Invalid
from moderation.domains import (
    Severity,
    capped,
    labels_of,
    mildest,
    normalise_domain,
    parse_severity,
    strictest,
)

MAX_ROWS = 20_000  # Mastodon's limit for one import
MAX_FILE_BYTES = 8_000_000  # 20,000 rows with comments fit in a fraction of it
MAX_COMMENT = 1000
MASTODON_HEADERS = (
    "#domain",
    "#severity",
    "#reject_media",
    "#reject_reports",
    "#public_comment",
    "#obfuscate",
)
LABELS_HEADER = "#labels"  # Cove's extra column: reason labels, separated by spaces


class FileFormat(StrEnum):
    MASTODON = "mastodon"  # Mastodon's domain_blocks.csv
    GOTOSOCIAL = "gotosocial"  # GoToSocial's JSON export
    PLAIN = "plain"  # one domain a line, all suspended


@dataclass(frozen=True, slots=True)
class BlockEntry:
    """One entry as a file or a source gives it (domain normalised, values checked)."""

    domain: str
    severity: Severity = Severity.SUSPEND
    reject_media: bool = False
    reject_reports: bool = False
    obfuscate: bool = False
    public_comment: str = ""
    private_comment: str = ""
    labels: tuple[str, ...] = ()
    by_digest: bool = False

    def same_policy(self, other: BlockEntry) -> bool:
        """Whether two entries say the same thing (private notes aside)."""
        return (
            self.severity,
            self.reject_media,
            self.reject_reports,
            self.obfuscate,
            self.public_comment,
            self.labels,
        ) == (
            other.severity,
            other.reject_media,
            other.reject_reports,
            other.obfuscate,
            other.public_comment,
            other.labels,
        )


@dataclass(frozen=True, slots=True)
class Skipped:
    line: int  # 1-based line (or item) number in the file
    problem: Invalid  # why, as an error: the pages say it in the reader's language

    @property
    def reason(self) -> str:
        return self.problem.reason


@dataclass
class Parsed:
    entries: list[BlockEntry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # each entry's line (or item) number

    def take(self, line: int, entry: BlockEntry) -> None:
        self.entries.append(entry)
        self.lines.append(line)


# Reading --------------------------------------------------------------------------------------


def detect_format(text: str) -> FileFormat:
    """Which of the three a file is, from its first meaningful characters."""
    start = text.lstrip("\ufeff \t\r\n")
    if start.startswith(("[", "{")):
        return FileFormat.GOTOSOCIAL
    first_line = start.split("\n", 1)[0].strip().lower()
    if first_line.startswith(("#domain", "domain,")) or (
        first_line.startswith("#") and "," in first_line
    ):
        return FileFormat.MASTODON  # a header line of CSV columns
    if start.startswith("<"):
        raise Invalid("this is HTML, not a blocklist (a login page or an error page?)")
    return FileFormat.PLAIN


def parse(text: str, file_format: FileFormat | None = None) -> Parsed:
    """Read a blocklist; lines that cannot be used are skipped, each with its line and why.
    Invalid when the file as a whole is not in the format."""
    if "\x00" in text:
        raise Invalid("this is not a text file (it holds NUL bytes)")
    chosen = file_format or detect_format(text)
    readers = {
        FileFormat.MASTODON: _mastodon,
        FileFormat.GOTOSOCIAL: _gotosocial,
        FileFormat.PLAIN: _plain,
    }
    parsed = readers[chosen](text.lstrip("\ufeff"))
    if len(parsed.entries) + len(parsed.skipped) > MAX_ROWS:
        raise Invalid(
            "the list has more than {limit:,} rows (Mastodon's limit too)", limit=MAX_ROWS
        )
    return _first_of_each(parsed)


def _first_of_each(parsed: Parsed) -> Parsed:
    kept = Parsed(skipped=list(parsed.skipped))
    seen: dict[str, int] = {}
    for line, entry in zip(parsed.lines, parsed.entries, strict=True):
        if entry.domain in seen:
            twice = Invalid(
                "{domain} is listed already (line {line})",
                domain=entry.domain,
                line=seen[entry.domain],
            )
            kept.skipped.append(Skipped(line, twice))
            continue
        seen[entry.domain] = line
        kept.take(line, entry)
    kept.skipped.sort(key=lambda s: s.line)
    return kept


def _flag(value: str | None, name: str) -> bool:
    text = (value or "").strip().lower()
    if text in ("", "false", "0", "no"):
        return False
    if text in ("true", "1", "yes"):
        return True
    raise Invalid("{name} must be true or false, not {value!r}", name=name, value=value)


def _comment(value: object, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid("{name} must be text", name=name)
    if len(value) > MAX_COMMENT:
        raise Invalid("{name} is longer than {limit} characters", name=name, limit=MAX_COMMENT)
    return value.strip()


def _mastodon(text: str) -> Parsed:
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as error:
        raise Invalid("not a CSV file: {error}", error=error) from None
    if not rows:
        return Parsed()
    header = [h.strip().lower().lstrip("#") for h in rows[0]]
    if "domain" not in header:
        raise Invalid("a Mastodon CSV starts with the header line #domain,#severity,...")
    parsed = Parsed()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = dict(zip(header, row, strict=False))
        try:
            parsed.take(number, _mastodon_row(values))
        except Invalid as error:
            parsed.skipped.append(Skipped(number, error))
    return parsed


def _mastodon_row(values: Mapping[str, str]) -> BlockEntry:
    # Mastodon's defaults for missing columns: suspend, and every flag false.
    severity = (values.get("severity") or "").strip()
    return BlockEntry(
        domain=normalise_domain(values.get("domain") or ""),
        severity=parse_severity(severity) if severity else Severity.SUSPEND,
        reject_media=_flag(values.get("reject_media"), "reject_media"),
        reject_reports=_flag(values.get("reject_reports"), "reject_reports"),
        obfuscate=_flag(values.get("obfuscate"), "obfuscate"),
        public_comment=_comment(values.get("public_comment"), "public_comment"),
        labels=labels_of((values.get("labels") or "").split()),
    )


def _gotosocial(text: str) -> Parsed:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise Invalid("not a JSON file") from None
    if not isinstance(document, list):
        raise Invalid("a GoToSocial list is a JSON array of {domain, ...} objects")
    parsed = Parsed()
    for number, item in enumerate(document, start=1):
        try:
            parsed.take(number, _gotosocial_item(item))
        except Invalid as error:
            parsed.skipped.append(Skipped(number, error))
    return parsed


def _gotosocial_item(item: object) -> BlockEntry:
    if not isinstance(item, dict) or not isinstance(item.get("domain"), str):
        raise Invalid("each item must be an object with a domain")
    # GoToSocial blocks are suspensions; Cove's own keys ride along and GoToSocial skips them.
    severity = item.get("severity", "suspend")
    labels = item.get("labels", [])
    if not isinstance(severity, str):
        raise Invalid("severity must be text")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise Invalid("labels must be a list of words or URIs")
    return BlockEntry(
        domain=normalise_domain(item["domain"]),
        severity=parse_severity(severity),
        reject_media=_json_flag(item, "reject_media"),
        reject_reports=_json_flag(item, "reject_reports"),
        obfuscate=_json_flag(item, "obfuscate"),
        public_comment=_comment(item.get("public_comment"), "public_comment"),
        private_comment=_comment(item.get("private_comment"), "private_comment"),
        labels=labels_of(labels),
    )


def _json_flag(item: Mapping[str, Any], name: str) -> bool:
    value = item.get(name, False)
    if not isinstance(value, bool):
        raise Invalid("{name} must be true or false", name=name)
    return value


def _plain(text: str) -> Parsed:
    parsed = Parsed()
    for number, line in enumerate(text.splitlines(), start=1):
        domain = line.split("#", 1)[0].strip()
        if not domain:
            continue  # blank lines and comments
        try:
            parsed.take(number, BlockEntry(domain=normalise_domain(domain)))
        except Invalid as error:
            parsed.skipped.append(Skipped(number, error))
    return parsed


# Writing --------------------------------------------------------------------------------------


def write(entries: Iterable[BlockEntry], file_format: FileFormat) -> str:
    """The entries in a format, sorted by domain; private comments never leave the node
    (Mastodon's export leaves them out too). Entries known only by digest are left out."""
    shown = sorted((e for e in entries if not e.by_digest), key=lambda e: e.domain)
    if file_format == FileFormat.MASTODON:
        return _write_mastodon(shown)
    if file_format == FileFormat.GOTOSOCIAL:
        return _write_gotosocial(shown)
    return "".join(f"{e.domain}\n" for e in shown if e.severity == Severity.SUSPEND)


def _word(flag: bool) -> str:
    return "true" if flag else "false"


def _write_mastodon(entries: Sequence[BlockEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*MASTODON_HEADERS, LABELS_HEADER])
    for e in entries:
        writer.writerow(
            [
                e.domain,
                e.severity.value,
                _word(e.reject_media),
                _word(e.reject_reports),
                e.public_comment,
                _word(e.obfuscate),
                " ".join(e.labels),
            ]
        )
    return out.getvalue()


def _write_gotosocial(entries: Sequence[BlockEntry]) -> str:
    items = [
        {
            "domain": e.domain,
            "obfuscate": e.obfuscate,
            "public_comment": e.public_comment,
            "severity": e.severity.value,
            "reject_media": e.reject_media,
            "reject_reports": e.reject_reports,
            "labels": list(e.labels),
        }
        for e in entries
    ]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


# Comparing -------------------------------------------------------------------------------------


@dataclass
class Diff:
    """What applying a list would do to the entries in force."""

    add: list[BlockEntry] = field(default_factory=list)
    change: list[tuple[BlockEntry, BlockEntry]] = field(default_factory=list)  # (now, then)
    unchanged: list[BlockEntry] = field(default_factory=list)
    remove: list[BlockEntry] = field(default_factory=list)  # only when told to replace

    @property
    def changes_anything(self) -> bool:
        return bool(self.add or self.change or self.remove)


def diff(
    current: Mapping[str, BlockEntry], incoming: Iterable[BlockEntry], *, replace_all: bool = False
) -> Diff:
    result = Diff()
    seen: set[str] = set()
    for entry in incoming:
        seen.add(entry.domain)
        before = current.get(entry.domain)
        if before is None:
            result.add.append(entry)
        elif before.same_policy(entry):
            result.unchanged.append(entry)
        else:
            result.change.append((before, entry))
    if replace_all:
        result.remove = [e for d, e in sorted(current.items()) if d not in seen]
    return result


# Merging sources -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceList:
    """One subscribed source's last good list, and the trust given to it."""

    source_id: int
    max_severity: Severity
    entries: Mapping[str, BlockEntry]


@dataclass(frozen=True, slots=True)
class Merged:
    entry: BlockEntry
    source_ids: tuple[int, ...]  # the sources that list the domain


def merge(
    sources: Sequence[SourceList],
    *,
    plan: str = "max",
    threshold: int = 1,
    threshold_type: str = "count",
    excluded: Mapping[str, set[int | None]] | None = None,
) -> dict[str, Merged]:
    """The entries the sources agree on: a domain counts once at least `threshold` sources
    list it (or that percentage of them); its severity is the strictest (max) or mildest
    (min) of theirs, each capped at its source's trust; flags likewise (max: any, min: all).
    Excluded domains (for one source, or None: for all) are not taken from those sources."""
    excluded = excluded or {}
    listing: dict[str, list[tuple[SourceList, BlockEntry]]] = {}
    for source in sources:
        for domain, entry in source.entries.items():
            barred = excluded.get(domain, set())
            if None in barred or source.source_id in barred:
                continue
            listing.setdefault(domain, []).append((source, entry))
    needed = _needed(len(sources), threshold, threshold_type)
    merged: dict[str, Merged] = {}
    for domain, held in listing.items():
        if len(held) < needed:
            continue
        entries = [
            replace(e, severity=capped(e.severity, s.max_severity), private_comment="")
            for s, e in held
        ]
        merged[domain] = Merged(
            _combine(entries, plan), tuple(sorted(s.source_id for s, _ in held))
        )
    return merged


def _needed(source_count: int, threshold: int, threshold_type: str) -> int:
    if threshold_type == "pct":
        return max(1, -(-source_count * threshold // 100))  # ceiling
    return max(1, threshold)


def _combine(entries: Sequence[BlockEntry], plan: str) -> BlockEntry:
    pick = strictest if plan == "max" else mildest
    either = any if plan == "max" else all
    severity = entries[0].severity
    for e in entries[1:]:
        severity = pick(severity, e.severity)
    comments = dict.fromkeys(e.public_comment for e in entries if e.public_comment)
    labels = dict.fromkeys(label for e in entries for label in e.labels)
    return BlockEntry(
        domain=entries[0].domain,
        severity=severity,
        reject_media=either(e.reject_media for e in entries),
        reject_reports=either(e.reject_reports for e in entries),
        obfuscate=any(e.obfuscate for e in entries),  # hiding a name is always the safe side
        public_comment="; ".join(comments)[:MAX_COMMENT],
        labels=tuple(labels),
        by_digest=entries[0].by_digest,
    )
