"""The `cove blocks` commands for the node's domain policy: blocks and allows, import and
export of blocklist files, why a domain is treated as it is, and the federation mode. Domain
policy is for node admins (--as checks the account)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from federation.errors import Invalid
from moderation.blocklists import MAX_FILE_BYTES, BlockEntry, FileFormat
from moderation.domains import FederationMode, labels_of, normalise_domain, parse_severity
from node.cli.console import (
    Invocation,
    Parser,
    acting_option,
    emit,
    ends_at,
    length_options,
    table,
    with_node,
)

if TYPE_CHECKING:
    from node.domain_policy.blocks import BlockInfo
    from node.domain_policy.files import ImportReport
    from node.runtime import Node


def add_commands(blocks: Any, common: Parser) -> None:
    """The node's domain policy commands, added to `cove blocks`."""
    blocks.add_parser("list", parents=[common], help="the domain blocks in force").set_defaults(
        run=cmd_list
    )

    add = blocks.add_parser("add", parents=[common], help="block a domain (or change a block)")
    add.add_argument("domain")
    add.add_argument(
        "--severity", default="suspend", help="suspend (default), silence (limit) or noop"
    )
    add.add_argument("--reject-media", action="store_true", help="keep none of its media")
    add.add_argument("--reject-reports", action="store_true", help="drop its reports")
    add.add_argument("--obfuscate", action="store_true", help="show the domain starred")
    add.add_argument("--public-comment", default="", help="the reason others may read")
    add.add_argument("--private-comment", default="", help="a note for the admins only")
    add.add_argument("--labels", default="", help="reason labels: words or URIs, comma-separated")
    length_options(add)
    add.add_argument(
        "--dry-run", action="store_true", help="say what a suspension would cut, change nothing"
    )
    acting_option(add)
    add.set_defaults(run=cmd_add)

    remove = blocks.add_parser("remove", parents=[common], help="lift a domain block")
    remove.add_argument("domain")
    acting_option(remove)
    remove.set_defaults(run=cmd_remove)

    allow = blocks.add_parser(
        "allow", parents=[common], help="allow a domain (federates in allowlist mode)"
    )
    allow.add_argument("domain")
    allow.add_argument("--comment", default="")
    acting_option(allow)
    allow.set_defaults(run=cmd_allow)
    disallow = blocks.add_parser("disallow", parents=[common], help="take an allow back")
    disallow.add_argument("domain")
    acting_option(disallow)
    disallow.set_defaults(run=cmd_disallow)
    blocks.add_parser("allows", parents=[common], help="the allowed domains").set_defaults(
        run=cmd_allows
    )

    imp = blocks.add_parser(
        "import", parents=[common], help="import a blocklist: Mastodon CSV, GoToSocial JSON, text"
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--format", choices=["auto", *(f.value for f in FileFormat)], default="auto")
    imp.add_argument("--dry-run", action="store_true", help="print the diff, change nothing")
    acting_option(imp)
    imp.set_defaults(run=cmd_import)

    exp = blocks.add_parser("export", parents=[common], help="write the domain blocks out")
    exp.add_argument("--format", choices=[f.value for f in FileFormat], default="mastodon")
    exp.add_argument("--output", type=Path, help="a file (default: standard output)")
    exp.set_defaults(run=cmd_export)

    why = blocks.add_parser("why", parents=[common], help="how a domain is treated, and why")
    why.add_argument("domain")
    why.set_defaults(run=cmd_why)

    mode = blocks.add_parser(
        "switch-mode",
        parents=[common],
        help="apply a changed federation.mode: says what it cuts, then cuts it",
    )
    mode.add_argument("--dry-run", action="store_true", help="only say what would be cut")
    mode.add_argument(
        "--to",
        choices=[m.value for m in FederationMode],
        help="with --dry-run: what switching to this mode would cut (whatever the config says)",
    )
    acting_option(mode)
    mode.set_defaults(run=cmd_switch_mode)

    blocks.add_parser(
        "shared", parents=[common], help="the policy this node shares, and who follows it"
    ).set_defaults(run=cmd_shared)


# The node's policy ------------------------------------------------------------------------------


def _row(b: BlockInfo) -> list[str]:
    flags = [f for f in ("reject_media", "reject_reports", "obfuscate") if getattr(b, f)]
    until = b.expires_at.strftime("%Y-%m-%d %H:%M") if b.expires_at else ""
    return [b.domain, b.severity.value, " ".join(flags), until, b.origin.value, b.public_comment]


async def cmd_list(inv: Invocation) -> None:
    from node.domain_policy import blocks

    async def work(node: Node) -> None:
        found = await blocks.list_blocks(node)
        emit(
            inv,
            [b.as_json() for b in found],
            table(
                ["DOMAIN", "SEVERITY", "FLAGS", "UNTIL", "MADE BY", "PUBLIC COMMENT"],
                [_row(b) for b in found],
            ),
        )

    await with_node(inv, work)


def _entry(a: argparse.Namespace) -> BlockEntry:
    return BlockEntry(
        domain=normalise_domain(a.domain),
        severity=parse_severity(a.severity),
        reject_media=a.reject_media,
        reject_reports=a.reject_reports,
        obfuscate=a.obfuscate,
        public_comment=a.public_comment.strip(),
        private_comment=a.private_comment.strip(),
        labels=labels_of(a.labels.split(",")),
    )


async def cmd_add(inv: Invocation) -> None:
    from node.domain_policy import blocks
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        until = ends_at(node, a.duration, a.until)
        if until is not None and until.tzinfo is None:
            raise Invalid("give --until with a time zone (for example 2027-01-01T00:00:00Z)")
        done = await blocks.set_block(node, acting, _entry(a), until, dry_run=a.dry_run)
        cut = done.impact.describe() if done.impact.anything else "nothing held of it"
        verb = "would block" if a.dry_run else ("blocked" if done.created else "changed")
        data = {**done.block.as_json(), "dry_run": a.dry_run, "cut": done.impact.as_json()}
        emit(inv, data, f"{verb} {done.block.domain} ({done.block.severity.value}); cut: {cut}")

    await with_node(inv, work)


async def cmd_remove(inv: Invocation) -> None:
    from node.domain_policy import blocks
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node) -> None:
        info = await blocks.remove_block(node, await acting_as(node, a.as_account), a.domain)
        emit(inv, {"domain": info.domain, "blocked": False}, f"lifted the block of {info.domain}")

    await with_node(inv, work)


async def cmd_allow(inv: Invocation) -> None:
    from node.domain_policy import blocks
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        info = await blocks.allow(node, acting, a.domain, a.comment)
        emit(inv, info.as_json(), f"allowed {info.domain}")

    await with_node(inv, work)


async def cmd_disallow(inv: Invocation) -> None:
    from node.domain_policy import blocks
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node) -> None:
        await blocks.disallow(node, await acting_as(node, a.as_account), a.domain)
        emit(inv, {"domain": a.domain, "allowed": False}, f"{a.domain} is no longer allowed")

    await with_node(inv, work)


async def cmd_allows(inv: Invocation) -> None:
    from node.domain_policy import blocks

    async def work(node: Node) -> None:
        found = await blocks.list_allows(node)
        emit(
            inv,
            [x.as_json() for x in found],
            table(["DOMAIN", "COMMENT"], [[x.domain, x.comment] for x in found]),
        )

    await with_node(inv, work)


# Files --------------------------------------------------------------------------------------


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise Invalid(f"cannot read {path}: {e.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise Invalid(f"{path} is larger than {MAX_FILE_BYTES // 1_000_000} MB: not a blocklist")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid(f"{path} is not UTF-8 text") from None


class _Bar:
    """A progress bar on the terminal (only when stderr is one)."""

    def __init__(self) -> None:
        self.shown = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.shown or total == 0:
            return
        width = 30
        filled = width * done // total
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\rimporting [{bar}] {done:,}/{total:,}{end}")
        sys.stderr.flush()


async def cmd_import(inv: Invocation) -> None:
    from node.domain_policy import files
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        text = _read(a.file)
        chosen = None if a.format == "auto" else FileFormat(a.format)
        report = await files.import_list(
            node, acting, text, chosen, dry_run=a.dry_run, progress=_Bar()
        )
        emit(inv, _import_json(report), _import_text(report, a.file))

    await with_node(inv, work)


def _import_json(report: ImportReport) -> dict[str, Any]:
    d = report.diff
    return {
        "applied": report.applied,
        "add": [{"domain": e.domain, "severity": e.severity.value} for e in d.add],
        "change": [
            {"domain": after.domain, "from": before.severity.value, "to": after.severity.value}
            for before, after in d.change
        ],
        "unchanged": len(d.unchanged),
        "skipped": [{"line": s.line, "reason": s.reason} for s in report.parsed.skipped],
        "followed_here": report.watched,
        "cut": report.impact.as_json(),
    }


def _import_text(report: ImportReport, path: Path) -> str:
    d = report.diff
    lines = [
        f"{'imported' if report.applied else 'would import'} {path}: {len(d.add):,} to add, "
        f"{len(d.change):,} to change, {len(d.unchanged):,} unchanged, "
        f"{len(report.parsed.skipped):,} skipped"
    ]
    lines += [f"  + {e.domain} ({e.severity.value})" for e in d.add[:50]]
    if len(d.add) > 50:
        lines.append(f"  + ... {len(d.add) - 50:,} more")
    lines += [
        f"  ~ {after.domain} ({before.severity.value} -> {after.severity.value})"
        for before, after in d.change[:50]
    ]
    lines += [f"  ! line {s.line}: {s.reason}" for s in report.parsed.skipped[:50]]
    if len(report.parsed.skipped) > 50:
        lines.append(f"  ! ... {len(report.parsed.skipped) - 50:,} more skipped")
    for domain, count in sorted(report.watched.items()):
        lines.append(f"  * {domain}: {count} followers, posts or deliveries here would be cut")
    if report.impact.anything:
        lines.append(f"cut: {report.impact.describe()}")
    return "\n".join(lines)


async def cmd_export(inv: Invocation) -> None:
    from node.domain_policy import files

    a = inv.args

    async def work(node: Node) -> None:
        text = await files.export_list(node, FileFormat(a.format))
        if a.output is None:
            sys.stdout.write(text)
            return
        try:
            a.output.write_text(text, encoding="utf-8")
        except OSError as e:
            raise Invalid(f"cannot write {a.output}: {e.strerror}") from None
        emit(inv, {"file": str(a.output), "format": a.format}, f"wrote {a.output}")

    await with_node(inv, work)


async def cmd_why(inv: Invocation) -> None:
    from node.domain_policy import why

    a = inv.args

    async def work(node: Node) -> None:
        told = await why.explain(node, a.domain)
        emit(inv, told.as_json(), told.text())

    await with_node(inv, work)


async def cmd_switch_mode(inv: Invocation) -> None:
    from node.domain_policy import mode
    from node.moderators.roles import acting_as, require_federation_admin

    a = inv.args

    if a.to and not a.dry_run:
        raise Invalid("--to only goes with --dry-run: a switch goes to the configured mode")

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        if a.to:
            require_federation_admin(acting)
            done = await mode.preview(node, FederationMode(a.to))
        else:
            done = await mode.switch_mode(node, acting, dry_run=a.dry_run)
        cut = done.impact.describe() if done.impact.anything else "nothing"
        names = ", ".join(done.domains[:20]) + (" ..." if len(done.domains) > 20 else "")
        verb = "would switch" if a.dry_run else "switched"
        emit(
            inv,
            {
                "mode": done.mode.value,
                "previous": done.previous.value,
                "applied": done.applied,
                "domains_cut": done.domains,
                "cut": done.impact.as_json(),
            },
            f"{verb} from {done.previous.value} to {done.mode.value} mode; "
            f"cuts {len(done.domains)} domains ({names or 'none'}): {cut}",
        )

    await with_node(inv, work)


async def cmd_shared(inv: Invocation) -> None:
    from node.domain_policy import publishing

    async def work(node: Node) -> None:
        found = await publishing.shared_policy(node)
        state = "shared" if found.shared else "kept to this node (federation.expose_blocklist)"
        lines = [f"{found.collection}: {found.entries:,} entries, {state}"]
        lines += [f"  followed by {f.actor_uri} since {f.since:%Y-%m-%d}" for f in found.followers]
        if not found.followers:
            lines.append("  no node follows it")
        emit(inv, found.as_json(), "\n".join(lines))

    await with_node(inv, work)
