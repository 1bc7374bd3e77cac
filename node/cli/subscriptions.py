"""The `cove blocks` commands for blocklist subscriptions and sharing: subscribe to a list by URL
or to another Cove node's policy, sync, review the drafts a subscription proposes, and keep
domains out of the subscriptions' reach. For node admins (--as checks the account)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moderation.domains import parse_severity
from node.cli.console import (
    CliError,
    Invocation,
    Parser,
    acting_option,
    emit,
    table,
    with_client,
    with_node,
)
from node.store.states import SourceKind

if TYPE_CHECKING:
    from federation.client import FederationClient
    from node.domain_policy.syncing import Synced
    from node.runtime import Node


def add_commands(blocks: Any, common: Parser) -> None:
    """The subscription commands, added to `cove blocks`."""
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
    acting_option(sub)
    sub.set_defaults(run=cmd_subscribe)
    unsub = blocks.add_parser("unsubscribe", parents=[common], help="drop a subscription")
    unsub.add_argument("source", help="its id or URL")
    acting_option(unsub)
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
    acting_option(accept)
    accept.set_defaults(run=cmd_accept)
    reject = blocks.add_parser("reject", parents=[common], help="reject a draft")
    reject.add_argument("draft", type=int)
    reject.add_argument(
        "--exclude", action="store_true", help="its sources may never set this domain again"
    )
    acting_option(reject)
    reject.set_defaults(run=cmd_reject)
    exclude = blocks.add_parser(
        "exclude", parents=[common], help="keep a domain out of the subscriptions' reach"
    )
    exclude.add_argument("domain")
    exclude.add_argument("--source", help="from this source only (its id or URL)")
    exclude.add_argument("--reason", default="")
    acting_option(exclude)
    exclude.set_defaults(run=cmd_exclude)
    unexclude = blocks.add_parser("unexclude", parents=[common], help="take an exclude back")
    unexclude.add_argument("domain")
    unexclude.add_argument("--source")
    acting_option(unexclude)
    unexclude.set_defaults(run=cmd_unexclude)
    blocks.add_parser("excludes", parents=[common], help="the excluded domains").set_defaults(
        run=cmd_excludes
    )


def _synced_text(done: Synced) -> str:
    s = done.source
    if done.status == "failed":
        return f"source {s.id} {s.location}: failed: {done.reason}"
    return (
        f"source {s.id} {s.location}: {done.status}, {s.entries:,} entries; "
        f"{done.reconciled.describe()}"
    )


def _synced_json(done: Synced) -> dict[str, Any]:
    return {
        "source": done.source.as_json(),
        "status": done.status,
        "reason": done.reason,
        "applied": [list(a) for a in done.reconciled.applied],
        "drafted": [list(d) for d in done.reconciled.drafted],
    }


async def cmd_subscribe(inv: Invocation) -> None:
    from node.domain_policy import sharing, sources, syncing
    from node.moderators.roles import acting_as

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
    from node.domain_policy import sharing, sources
    from node.moderators.roles import acting_as

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
    from node.domain_policy import sources

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
    from node.domain_policy import sources, syncing

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
    from node.domain_policy import drafts

    async def work(node: Node) -> None:
        found = await drafts.list_drafts(node)
        emit(inv, [d.as_json() for d in found], "\n".join(d.text() for d in found) or "(none)")

    await with_node(inv, work)


async def cmd_accept(inv: Invocation) -> None:
    from node.domain_policy import drafts
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        draft, cut = await drafts.accept_draft(node, acting, a.draft)
        said = f"; cut: {cut.describe()}" if cut.anything else ""
        emit(inv, {**draft.as_json(), "cut": cut.as_json()}, f"accepted {draft.text()}{said}")

    await with_node(inv, work)


async def cmd_reject(inv: Invocation) -> None:
    from node.domain_policy import drafts
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        draft = await drafts.reject_draft(node, acting, a.draft, exclude=a.exclude)
        more = " and excluded the domain from its sources" if a.exclude else ""
        emit(inv, draft.as_json(), f"rejected {draft.text()}{more}")

    await with_node(inv, work)


async def cmd_exclude(inv: Invocation) -> None:
    from node.domain_policy import drafts
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        info, done = await drafts.exclude(node, acting, a.domain, a.source, a.reason)
        emit(inv, info.as_json(), f"excluded {info.domain}; {done.describe()}")

    await with_node(inv, work)


async def cmd_unexclude(inv: Invocation) -> None:
    from node.domain_policy import drafts
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        done = await drafts.unexclude(node, acting, a.domain, a.source)
        emit(inv, {"domain": a.domain}, f"{a.domain} is no longer excluded; {done.describe()}")

    await with_node(inv, work)


async def cmd_excludes(inv: Invocation) -> None:
    from node.domain_policy import drafts

    async def work(node: Node) -> None:
        found = await drafts.list_excludes(node)
        rows = [[x.domain, str(x.source_id or "all"), x.reason] for x in found]
        emit(inv, [x.as_json() for x in found], table(["DOMAIN", "SOURCE", "REASON"], rows))

    await with_node(inv, work)
