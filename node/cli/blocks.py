"""The `cove blocks` commands: the node's domain policy (blocks and allows, import and
export, why a domain is treated as it is, the federation mode), and `cove group
block-domain`, a group's own. Domain policy is for node admins (--as checks the account)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from federation.client import FederationClient
from federation.errors import Invalid
from moderation import bans as ban_policy
from moderation.blocklists import MAX_FILE_BYTES, BlockEntry, FileFormat
from moderation.domains import labels_of, normalise_domain, parse_severity
from node.cli.console import CliError, Invocation, Parser, emit, table, with_client, with_node
from node.domain_policy import drafts, sharing, sources, syncing
from node.domain_policy.blocks import (
    BlockInfo,
    allow,
    disallow,
    list_allows,
    list_blocks,
    remove_block,
    set_block,
)
from node.domain_policy.files import ImportReport, export_list, import_list
from node.domain_policy.mode import switch_mode
from node.domain_policy.why import explain
from node.moderators import group_domain_blocks
from node.moderators.roles import acting_as
from node.runtime import Node
from node.store.states import SourceKind


def _acting(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as", dest="as_account", metavar="ACCOUNT", help="act as this local account"
    )


def add_blocks_commands(commands: Any, group: Any, common: Parser) -> None:
    blocks = commands.add_parser("blocks", help="the domain policy").add_subparsers(
        dest="blocks_command", metavar="COMMAND", parser_class=Parser
    )
    blocks.required = True
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
    length = add.add_mutually_exclusive_group()
    length.add_argument("--for", dest="duration", help="how long: 30m, 12h, 7d, 2w")
    length.add_argument("--until", help="when it ends (ISO 8601 with a zone)")
    add.add_argument(
        "--dry-run", action="store_true", help="say what a suspension would cut, change nothing"
    )
    _acting(add)
    add.set_defaults(run=cmd_add)

    remove = blocks.add_parser("remove", parents=[common], help="lift a domain block")
    remove.add_argument("domain")
    _acting(remove)
    remove.set_defaults(run=cmd_remove)

    allow = blocks.add_parser(
        "allow", parents=[common], help="allow a domain (federates in allowlist mode)"
    )
    allow.add_argument("domain")
    allow.add_argument("--comment", default="")
    _acting(allow)
    allow.set_defaults(run=cmd_allow)
    disallow = blocks.add_parser("disallow", parents=[common], help="take an allow back")
    disallow.add_argument("domain")
    _acting(disallow)
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
    _acting(imp)
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
    _acting(mode)
    mode.set_defaults(run=cmd_switch_mode)

    sub = blocks.add_parser(
        "subscribe",
        parents=[common],
        help="subscribe to a blocklist URL (fetched on a schedule) or, with --actor, a node",
    )
    where = sub.add_mutually_exclusive_group(required=True)
    where.add_argument("url", nargs="?", help="a Mastodon CSV, GoToSocial JSON or text file")
    where.add_argument("--actor", help="another Cove node's instance actor (signed updates)")
    sub.add_argument("--format", default="auto", help="auto (default), mastodon, gotosocial, plain")
    sub.add_argument(
        "--max-severity",
        default="suspend",
        help="the strictest this source may set: suspend (default), silence or noop",
    )
    sub.add_argument(
        "--mode",
        choices=["draft", "apply"],
        default="draft",
        help="draft (default): its changes wait for an admin; apply: at once",
    )
    _acting(sub)
    sub.set_defaults(run=cmd_subscribe)
    unsub = blocks.add_parser("unsubscribe", parents=[common], help="drop a subscription")
    unsub.add_argument("source", help="its id or URL")
    _acting(unsub)
    unsub.set_defaults(run=cmd_unsubscribe)
    blocks.add_parser(
        "subscriptions", parents=[common], help="the subscriptions and how they fare"
    ).set_defaults(run=cmd_subscriptions)
    sync = blocks.add_parser("sync", parents=[common], help="fetch subscribed lists now")
    sync.add_argument("source", nargs="?", help="one source (default: every URL source)")
    sync.set_defaults(run=cmd_sync)
    blocks.add_parser("drafts", parents=[common], help="changes waiting for an admin").set_defaults(
        run=cmd_drafts
    )
    accept = blocks.add_parser("accept", parents=[common], help="apply a draft")
    accept.add_argument("draft", type=int)
    _acting(accept)
    accept.set_defaults(run=cmd_accept)
    reject = blocks.add_parser("reject", parents=[common], help="reject a draft")
    reject.add_argument("draft", type=int)
    reject.add_argument(
        "--exclude", action="store_true", help="its sources may never set this domain again"
    )
    _acting(reject)
    reject.set_defaults(run=cmd_reject)
    exclude = blocks.add_parser(
        "exclude", parents=[common], help="keep a domain out of the subscriptions' reach"
    )
    exclude.add_argument("domain")
    exclude.add_argument("--source", help="from this source only (its id or URL)")
    exclude.add_argument("--reason", default="")
    _acting(exclude)
    exclude.set_defaults(run=cmd_exclude)
    unexclude = blocks.add_parser("unexclude", parents=[common], help="take an exclude back")
    unexclude.add_argument("domain")
    unexclude.add_argument("--source")
    _acting(unexclude)
    unexclude.set_defaults(run=cmd_unexclude)
    blocks.add_parser("excludes", parents=[common], help="the excluded domains").set_defaults(
        run=cmd_excludes
    )

    keep_out = group.add_parser(
        "block-domain", parents=[common], help="keep a server out of one group"
    )
    keep_out.add_argument("group")
    keep_out.add_argument("domain")
    keep_out.add_argument("--reason", default="")
    _acting(keep_out)
    keep_out.set_defaults(run=cmd_group_block)
    let_in = group.add_parser("unblock-domain", parents=[common], help="let a server back in")
    let_in.add_argument("group")
    let_in.add_argument("domain")
    _acting(let_in)
    let_in.set_defaults(run=cmd_group_unblock)
    kept_out = group.add_parser(
        "blocked-domains", parents=[common], help="the servers a group keeps out"
    )
    kept_out.add_argument("group")
    _acting(kept_out)
    kept_out.set_defaults(run=cmd_group_blocked)


# The node's policy ------------------------------------------------------------------------------


def _row(b: BlockInfo) -> list[str]:
    flags = [f for f in ("reject_media", "reject_reports", "obfuscate") if getattr(b, f)]
    until = b.expires_at.strftime("%Y-%m-%d %H:%M") if b.expires_at else ""
    return [b.domain, b.severity.value, " ".join(flags), until, b.origin.value, b.public_comment]


async def cmd_list(inv: Invocation) -> None:
    async def work(node: Node) -> None:
        found = await list_blocks(node)
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


def _until(node: Node, a: argparse.Namespace) -> Any:
    if a.duration:
        return node.clock() + ban_policy.parse_duration(a.duration)
    if a.until:
        from datetime import datetime

        try:
            return datetime.fromisoformat(a.until)
        except ValueError:
            raise Invalid(f"--until {a.until!r} is not an ISO 8601 time") from None
    return None


async def cmd_add(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        until = _until(node, a)
        if until is not None and until.tzinfo is None:
            raise Invalid("give --until with a time zone (for example 2027-01-01T00:00:00Z)")
        done = await set_block(node, acting, _entry(a), until, dry_run=a.dry_run)
        cut = done.impact.describe() if done.impact.anything else "nothing held of it"
        verb = "would block" if a.dry_run else ("blocked" if done.created else "changed")
        data = {**done.block.as_json(), "dry_run": a.dry_run, "cut": done.impact.as_json()}
        emit(inv, data, f"{verb} {done.block.domain} ({done.block.severity.value}); cut: {cut}")

    await with_node(inv, work)


async def cmd_remove(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        info = await remove_block(node, await acting_as(node, a.as_account), a.domain)
        emit(inv, {"domain": info.domain, "blocked": False}, f"lifted the block of {info.domain}")

    await with_node(inv, work)


async def cmd_allow(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        info = await allow(node, acting, a.domain, a.comment)
        emit(inv, info.as_json(), f"allowed {info.domain}")

    await with_node(inv, work)


async def cmd_disallow(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        await disallow(node, await acting_as(node, a.as_account), a.domain)
        emit(inv, {"domain": a.domain, "allowed": False}, f"{a.domain} is no longer allowed")

    await with_node(inv, work)


async def cmd_allows(inv: Invocation) -> None:
    async def work(node: Node) -> None:
        found = await list_allows(node)
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
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        text = _read(a.file)
        chosen = None if a.format == "auto" else FileFormat(a.format)
        report = await import_list(node, acting, text, chosen, dry_run=a.dry_run, progress=_Bar())
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
    a = inv.args

    async def work(node: Node) -> None:
        text = await export_list(node, FileFormat(a.format))
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
    a = inv.args

    async def work(node: Node) -> None:
        why = await explain(node, a.domain)
        emit(inv, why.as_json(), why.text())

    await with_node(inv, work)


async def cmd_switch_mode(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        done = await switch_mode(node, acting, dry_run=a.dry_run)
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


# A group's own -----------------------------------------------------------------------------------


async def cmd_group_block(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        info, ended = await group_domain_blocks.block_domain(
            node, acting, a.group, a.domain, a.reason
        )
        emit(
            inv,
            {**info.as_json(), "follows_ended": ended},
            f"{info.domain} is kept out of {info.group} ({ended} follows ended)",
        )

    await with_node(inv, work)


async def cmd_group_unblock(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        await group_domain_blocks.unblock_domain(node, acting, a.group, a.domain)
        emit(inv, {"group": a.group, "domain": a.domain}, f"{a.domain} may take part in {a.group}")

    await with_node(inv, work)


async def cmd_group_blocked(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        found = await group_domain_blocks.blocked_domains(node, acting, a.group)
        emit(
            inv,
            [x.as_json() for x in found],
            table(["DOMAIN", "REASON"], [[x.domain, x.reason] for x in found]),
        )

    await with_node(inv, work)


# Subscriptions ----------------------------------------------------------------------------------


def _synced_text(done: syncing.Synced) -> str:
    s = done.source
    if done.status == "failed":
        return f"source {s.id} {s.location}: failed: {done.reason}"
    return (
        f"source {s.id} {s.location}: {done.status}, {s.entries:,} entries; "
        f"{done.reconciled.describe()}"
    )


def _synced_json(done: syncing.Synced) -> dict[str, Any]:
    return {
        "source": done.source.as_json(),
        "status": done.status,
        "reason": done.reason,
        "applied": [list(a) for a in done.reconciled.applied],
        "drafted": [list(d) for d in done.reconciled.drafted],
    }


async def cmd_subscribe(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting = await acting_as(node, a.as_account)
        kind = SourceKind.ACTOR if a.actor else SourceKind.URL
        source = await sources.add_source(
            node,
            acting,
            a.actor or a.url,
            kind=kind,
            file_format=sources.parse_format(a.format) if not a.actor else "cove",
            max_severity=parse_severity(a.max_severity),
            drafts=a.mode == "draft",
        )
        if kind == SourceKind.ACTOR:
            done = await sharing.follow_source(node, client, source.id)
        else:
            done = await syncing.sync(node, client, str(source.id))
        emit(inv, _synced_json(done), f"subscribed; {_synced_text(done)}")

    await with_client(inv, work)


async def cmd_unsubscribe(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting = await acting_as(node, a.as_account)
        info, done = await sources.remove_source(node, acting, a.source)
        if info.kind == SourceKind.ACTOR:
            await sharing.unfollow_source(node, info)
        emit(
            inv,
            {"source": info.as_json(), "applied": [list(x) for x in done.applied]},
            f"unsubscribed from {info.location}; {done.describe()}",
        )

    await with_client(inv, work)


async def cmd_subscriptions(inv: Invocation) -> None:
    async def work(node: Node) -> None:
        found = await sources.list_sources(node)
        rows = [
            [
                str(s.id),
                s.location,
                s.format,
                s.max_severity.value,
                "draft" if s.drafts else "apply",
                s.state.value,
                f"{s.entries:,}",
                (s.last_error or "")[:60],
            ]
            for s in found
        ]
        emit(
            inv,
            [s.as_json() for s in found],
            table(
                ["ID", "SOURCE", "FORMAT", "MAX", "MODE", "STATE", "ENTRIES", "LAST ERROR"], rows
            ),
        )

    await with_node(inv, work)


async def cmd_sync(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        keys = (
            [a.source]
            if a.source
            else [str(s.id) for s in await sources.list_sources(node) if s.kind == SourceKind.URL]
        )
        results = [await syncing.sync(node, client, key) for key in keys]
        emit(
            inv,
            [_synced_json(r) for r in results],
            "\n".join(_synced_text(r) for r in results) or "no URL sources",
        )
        if any(r.status == "failed" for r in results):
            raise CliError("a source failed (its last good list stays in force)")

    await with_client(inv, work)


async def cmd_drafts(inv: Invocation) -> None:
    async def work(node: Node) -> None:
        found = await drafts.list_drafts(node)
        emit(inv, [d.as_json() for d in found], "\n".join(d.text() for d in found) or "(none)")

    await with_node(inv, work)


async def cmd_accept(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        draft, cut = await drafts.accept_draft(node, acting, a.draft)
        said = f"; cut: {cut.describe()}" if cut.anything else ""
        emit(inv, {**draft.as_json(), "cut": cut.as_json()}, f"accepted {draft.text()}{said}")

    await with_node(inv, work)


async def cmd_reject(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        draft = await drafts.reject_draft(node, acting, a.draft, exclude=a.exclude)
        more = " and excluded the domain from its sources" if a.exclude else ""
        emit(inv, draft.as_json(), f"rejected {draft.text()}{more}")

    await with_node(inv, work)


async def cmd_exclude(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        info, done = await drafts.exclude(node, acting, a.domain, a.source, a.reason)
        emit(inv, info.as_json(), f"excluded {info.domain}; {done.describe()}")

    await with_node(inv, work)


async def cmd_unexclude(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        done = await drafts.unexclude(node, acting, a.domain, a.source)
        emit(inv, {"domain": a.domain}, f"{a.domain} is no longer excluded; {done.describe()}")

    await with_node(inv, work)


async def cmd_excludes(inv: Invocation) -> None:
    async def work(node: Node) -> None:
        found = await drafts.list_excludes(node)
        rows = [[x.domain, str(x.source_id or "all"), x.reason] for x in found]
        emit(inv, [x.as_json() for x in found], table(["DOMAIN", "SOURCE", "REASON"], rows))

    await with_node(inv, work)
