"""Domain policy: what this node does with each other server (suspend, silence, or nothing
beyond flags), read from entries that cover their subdomains, with allows and allowlist mode.
Domains are normalised once, so that no spelling (case, trailing dot, Unicode) slips past."""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

import idna

from federation.errors import Invalid

MAX_DOMAIN = 253


class Severity(StrEnum):
    """Mastodon's three severities, mildest first."""

    NOOP = "noop"  # only the entry's flags (reject_media, reject_reports) apply
    SILENCE = "silence"  # follows need approval; posts reach only the author's followers
    SUSPEND = "suspend"  # nothing in or out; what the node held of the domain is removed

    @property
    def rank(self) -> int:
        return SEVERITY_ORDER.index(self)


SEVERITY_ORDER = (Severity.NOOP, Severity.SILENCE, Severity.SUSPEND)


class FederationMode(StrEnum):
    BLOCKLIST = "blocklist"  # every domain federates but those blocked
    ALLOWLIST = "allowlist"  # only allowed domains federate


def parse_severity(text: str) -> Severity:
    value = text.strip().lower()
    if value == "limit":  # what Mastodon's interface calls silence
        value = "silence"
    try:
        return Severity(value)
    except ValueError:
        raise Invalid(
            "unknown severity {text!r}: use suspend, silence or noop", text=text
        ) from None


def normalise_domain(text: str) -> str:
    """The one spelling of a domain: lowercase, no trailing dot, Unicode as punycode (IDNA
    2008 with UTS 46 mapping), a leading `*.` dropped (an entry covers subdomains anyway).
    IP addresses are kept as addresses. Invalid with the reason for anything else."""
    value = text.strip()
    if value.startswith("*."):
        value = value[2:]
    value = value.rstrip(".")
    if not value:
        raise Invalid("an empty domain")
    if any(c in value for c in "/:@ ?#") and not _is_ip(value.strip("[]")):
        raise Invalid("{text!r} is not a domain (no scheme, path, port or user)", text=text)
    if _is_ip(value.strip("[]")):
        return str(ipaddress.ip_address(value.strip("[]")))
    try:
        ascii_form = idna.encode(value, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError) as error:
        raise Invalid("{text!r} is not a valid domain: {error}", text=text, error=error) from None
    ascii_form = ascii_form.lower()
    if len(ascii_form) > MAX_DOMAIN or "." not in ascii_form:
        raise Invalid("{text!r} is not a full domain name (it needs a dot)", text=text)
    return ascii_form


@lru_cache(maxsize=8192)  # every request asks it twice (signer, actor); hosts repeat all day
def host_of(netloc: str) -> str | None:
    """The domain a URL's host[:port] belongs to (its port dropped), or None if unusable."""
    host = netloc.rsplit("@", 1)[-1]
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    try:
        return normalise_domain(host)
    except Invalid:
        return None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def digest(domain: str) -> str:
    """What Mastodon publishes for an obfuscated entry: the SHA-256 of the domain, hex."""
    return hashlib.sha256(domain.encode("utf-8")).hexdigest()


def obfuscated(domain: str) -> str:
    """How Mastodon shows an obfuscated domain: its first and last quarter kept, the letters
    between starred, the dots left (so peers that compare such lists agree)."""
    visible = len(domain) // 4
    return "".join(
        "*" if visible < i < len(domain) - visible and c != "." else c for i, c in enumerate(domain)
    )


@lru_cache(maxsize=8192)  # asked for every policy decision, by the same hosts all day
def covering(domain: str) -> tuple[str, ...]:
    """The domain and each parent that could hold an entry covering it, nearest first."""
    if _is_ip(domain):
        return (domain,)
    labels = domain.split(".")
    return tuple(".".join(labels[i:]) for i in range(len(labels) - 1))


@dataclass(frozen=True, slots=True)
class DomainRule:
    """One entry of the domain policy, as in force."""

    domain: str  # normalised; for an entry known only by digest, its digest
    severity: Severity
    reject_media: bool = False
    reject_reports: bool = False
    obfuscate: bool = False
    public_comment: str = ""
    labels: tuple[str, ...] = ()
    expires_at: datetime | None = None
    by_digest: bool = False  # the domain is not known here, only its SHA-256

    def in_force(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policy says about one host."""

    federates: bool  # False: suspended (or not allowed in allowlist mode): nothing in or out
    silenced: bool = False
    reject_media: bool = False
    reject_reports: bool = False
    rule: DomainRule | None = None  # the entry that decided, if any
    why: str = ""

    @property
    def suspended(self) -> bool:
        return not self.federates


OPEN = Decision(federates=True, why="no entry covers it")


@dataclass
class PolicyTable:
    """The policy in force in one process: a lookup per label of a host, never a scan.
    Built from the stored entries; rebuilt when they change (any process)."""

    mode: FederationMode = FederationMode.BLOCKLIST
    rules: dict[str, DomainRule] = field(default_factory=dict)  # domain -> rule
    by_digest: dict[str, DomainRule] = field(default_factory=dict)  # sha256(domain) -> rule
    allows: set[str] = field(default_factory=set)
    own: frozenset[str] = frozenset()  # this node's own domain: never blocked

    @classmethod
    def build(
        cls,
        rules: Iterable[DomainRule],
        allows: Iterable[str] = (),
        mode: FederationMode = FederationMode.BLOCKLIST,
        own: Iterable[str] = (),
    ) -> PolicyTable:
        table = cls(mode=mode, allows=set(allows), own=frozenset(own))
        for rule in rules:
            if rule.by_digest:
                table.by_digest[rule.domain] = rule
            else:
                table.rules[rule.domain] = rule
        return table

    def decide(self, host: str | None, now: datetime) -> Decision:
        """The decision for a host (already normalised; None: an unusable host, refused)."""
        if host is None:
            return Decision(federates=False, why="not a usable domain")
        if host in self.own:
            return OPEN
        candidates = covering(host)
        allowed = next((d for d in candidates if d in self.allows), None)
        if self.mode == FederationMode.ALLOWLIST:
            if allowed is None:
                return Decision(federates=False, why="allowlist mode: not allowed")
            return self._flags_only(candidates, now, f"allowed ({allowed})")
        rule = self._rule(candidates, now)
        if rule is None:
            return OPEN
        if allowed is not None:
            # An explicit allow overrides a block (GoToSocial's rule in blocklist mode).
            return self._flags_only(candidates, now, f"allowed ({allowed}) over a block")
        return _decision(rule)

    def _rule(self, candidates: tuple[str, ...], now: datetime) -> DomainRule | None:
        for domain in candidates:
            rule = self.rules.get(domain)
            if rule is None and self.by_digest:
                rule = self.by_digest.get(digest(domain))
            if rule is not None and rule.in_force(now):
                return rule
        return None

    def _flags_only(self, candidates: tuple[str, ...], now: datetime, why: str) -> Decision:
        rule = self._rule(candidates, now)
        if rule is None:
            return Decision(federates=True, why=why)
        return Decision(
            federates=True,
            reject_media=rule.reject_media,
            reject_reports=rule.reject_reports,
            rule=rule,
            why=why,
        )

    def __len__(self) -> int:
        return len(self.rules) + len(self.by_digest)


def _decision(rule: DomainRule) -> Decision:
    why = f"{rule.severity.value} ({rule.domain if not rule.by_digest else 'by digest'})"
    return Decision(
        federates=rule.severity != Severity.SUSPEND,
        silenced=rule.severity == Severity.SILENCE,
        reject_media=rule.reject_media or rule.severity == Severity.SUSPEND,
        reject_reports=rule.reject_reports or rule.severity == Severity.SUSPEND,
        rule=rule,
        why=why,
    )


def strictest(a: Severity, b: Severity) -> Severity:
    return a if a.rank >= b.rank else b


def mildest(a: Severity, b: Severity) -> Severity:
    return a if a.rank <= b.rank else b


def capped(severity: Severity, cap: Severity) -> Severity:
    """A source's severity, no stricter than the trust given to that source."""
    return mildest(severity, cap)


def labels_of(values: Iterable[str]) -> tuple[str, ...]:
    """Reason labels (URIs or short words, as IFTAS and FIRES use), cleaned and de-duplicated."""
    seen: dict[str, None] = {}
    for value in values:
        label = value.strip()
        if not label:
            continue
        if len(label) > 200 or any(c.isspace() for c in label) or "," in label:
            raise Invalid(
                "the label {label!r} must be one word or URI, without commas", label=label[:40]
            )
        seen[label] = None
    return tuple(seen)


def flags_line(rule: DomainRule | Mapping[str, object]) -> str:
    """A short human description of an entry's flags, for listings and diffs."""
    get = (lambda k: getattr(rule, k)) if isinstance(rule, DomainRule) else rule.get
    parts = [str(getattr(get("severity"), "value", get("severity")))]
    parts += [k for k in ("reject_media", "reject_reports", "obfuscate") if get(k)]
    return ", ".join(parts)
