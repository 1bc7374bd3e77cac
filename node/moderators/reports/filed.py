"""Reports filed by members here: for this node's moderators when the thing is hosted here, or
sent as Flag to the author's and the group's servers, in the shape each one's software reads."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import select

from federation import builders
from federation.client import FederationClient
from federation.errors import Invalid
from federation.vocabulary import cove_context
from moderation import reports as policy
from moderation.reports import ReportCategory, ReportState
from moderation.rules import Rule, check_cited
from node.actors.instance import get_instance
from node.actors.remote import classify, remote_actor, software_name
from node.crisis import worried
from node.crisis.referrals import worried_comment
from node.groups import groups
from node.members.accounts import AccountInfo
from node.moderators.reports.info import (
    ReportInfo,
    Target,
    as_reporter_sees,
    record_event,
    report_info,
)
from node.moderators.reports.received import cited_rules, open_report, targets_here
from node.queue.delivery import inbox_of, queue
from node.runtime import Node
from node.store.states import ReportDirection, Software, Visibility
from node.store.tables import Post, Report

# Flags we send: the copy for the author's server, and one for the group's server.
GROUP_COPY = "-group"


async def file_report(
    node: Node,
    client: FederationClient,
    account: AccountInfo,
    target_uri: str,
    *,
    category: str | None,
    rules: tuple[int, ...] = (),
    comment: str = "",
    identify: bool = False,
) -> ReportInfo:
    """A member reports a post or an account. Things here go to our moderators; things
    elsewhere go out as Flag to the author's server and to the remote group's server, in the
    shape each one's software reads, naming the account always (Mastodon drops a Flag
    without it, mastodon #28159). The reporter stays behind the instance actor unless they
    choose to be named."""
    comment = policy.checked_comment(comment)
    # The detector may read the comment: off the event loop (the API files reports too).
    kind = await asyncio.get_running_loop().run_in_executor(
        None, policy.category_for, category, rules, comment
    )
    if kind == ReportCategory.SELF_HARM:
        await worried.refuse_over_limit(node, account.id)
    reporter = node.urls.person(account.username)
    async with node.store.session() as session:
        post = (await session.exec(select(Post).where(Post.uri == target_uri))).first()
    in_remote_group = (
        post is not None
        and post.group_uri is not None
        and await groups.group_at(node, post.group_uri) is None
    )
    targets = [] if in_remote_group else await targets_here(node, (target_uri,), ())
    if targets:
        info = await _report_here(node, account, reporter, targets[0], kind, rules, comment)
    else:
        info = await _report_elsewhere(
            node, client, account, reporter, target_uri, kind, rules, comment, identify
        )
    if kind == ReportCategory.SELF_HARM:
        # Worry never sanctions: the person is offered care (once a day at most).
        await worried.care_after_report(node, client, info.id)
    return info


async def _report_here(
    node: Node,
    account: AccountInfo,
    reporter: str,
    target: Target,
    category: ReportCategory,
    rules: tuple[int, ...],
    comment: str,
) -> ReportInfo:
    cited = await cited_rules(node, target.group_id, rules)
    async with node.store.transaction() as session:
        row = await open_report(
            session,
            target,
            flag_uri=node.urls.activity(f"report-{node.token()}"),
            reporter_uri=reporter,
            reporter_host=node.urls.domain,
            category=category,
            cited=cited,
            comment=comment,
            now=node.clock(),
            reporter_account_id=account.id,
        )
        if category == ReportCategory.SELF_HARM:
            await worried.attach_past_limit(session, node, row)
        return await as_reporter_sees(session, row)


async def _report_elsewhere(
    node: Node,
    client: FederationClient,
    account: AccountInfo,
    reporter: str,
    target_uri: str,
    category: ReportCategory,
    rules: tuple[int, ...],
    comment: str,
    identify: bool,
) -> ReportInfo:
    async with node.store.session() as session:
        post = (await session.exec(select(Post).where(Post.uri == target_uri))).first()
    if post is not None:
        author_uri, group_uri = post.author_uri, post.group_uri
    else:
        actor = await remote_actor(node, client, target_uri)
        if actor.type in ("Group", "Application", "Service"):
            raise Invalid("report a post or a person, not a group or a server")
        author_uri, group_uri = actor.uri, None
    if group_uri is not None and await groups.group_at(node, group_uri) is not None:
        group_uri = None  # our own group: its moderators have the report already
    cited = await _remote_rules(node, client, group_uri, rules)
    author = await remote_actor(node, client, author_uri)
    sender = reporter if identify else node.urls.instance_actor()
    token = node.token()
    first_flag = node.urls.activity(f"flag-{token}")
    sends: list[tuple[str, dict[str, Any]]] = []
    author_host = urlsplit(author.uri).netloc.lower()
    group_host = urlsplit(group_uri).netloc.lower() if group_uri else None
    objects = [target_uri] if post is None else [target_uri, author.uri]
    said = comment
    if category == ReportCategory.SELF_HARM:
        said = worried_comment(f"A member of {node.config.node.name}", comment)

    async def flag_to(host: str, flag_id: str) -> dict[str, Any]:
        return await _flag_for(
            node,
            client,
            host,
            flag_id,
            sender,
            objects,
            author.uri,
            group_uri,
            said,
            category,
            cited,
        )

    if group_host != author_host and author_host != node.urls.domain:
        sends.append((inbox_of(author), await flag_to(author_host, first_flag)))
    if group_uri is not None and group_host is not None:
        group = await remote_actor(node, client, group_uri)
        flag_id = first_flag if group_host == author_host else first_flag + GROUP_COPY
        sends.append((inbox_of(group), await flag_to(group_host, flag_id)))
    instance = await get_instance(node)
    now = node.clock()
    async with node.store.transaction() as session:
        row = Report(
            direction=ReportDirection.SENT,
            flag_uri=first_flag,
            reporter_uri=reporter,
            reporter_account_id=account.id,
            reporter_host=node.urls.domain,
            flag_actor_uri=sender,
            target_uri=target_uri,
            target_is_post=post is not None,
            target_account_uri=author.uri,
            group_uri=group_uri,
            category=category,
            rule_numbers=list(cited),
            comment=comment,
            state=ReportState.OPEN,
            urgent=category in policy.URGENT,
            anonymous=not identify,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        await session.flush()
        assert row.id is not None
        record_event(
            session,
            row.id,
            "sent",
            reporter,
            ", ".join(sorted({urlsplit(i).netloc for i, _ in sends})),
            now,
        )
        actor_id = instance.actor_id if not identify else account.actor_id
        for inbox, flag in sends:
            await queue(session, actor_id, flag, Visibility.DIRECT, [inbox], now)
        return report_info(row)


async def _flag_for(
    node: Node,
    client: FederationClient,
    host: str,
    flag_id: str,
    sender: str,
    objects: list[str],
    author: str,
    group_uri: str | None,
    comment: str,
    category: ReportCategory,
    rules: tuple[int, ...],
) -> dict[str, Any]:
    """The Flag in the shape the receiving software reads (federation-wire.md section 4):
    group-aware software gets the group in `to` (it files the report under that group, even
    on the author's server); Mastodon and software that does not say get Mastodon's shape."""
    name = await software_name(node, client, host)
    if group_uri is None or classify(name) is not Software.GROUP_AWARE:
        # Mastodon: [account, statuses...], addressed to the account; it makes a report only
        # for an account it finds in `object` (mastodon #28159). A Cove server is told the
        # category too (a worry about someone is urgent there whatever the words).
        return builders.flag(
            flag_id,
            sender,
            [objects[-1], *objects[:-1]] if len(objects) > 1 else objects,
            [author],
            comment,
            category=category.value if name == "cove" else None,
            context=cove_context(node.urls.vocabulary()) if name == "cove" else None,
        )
    if name == "cove":
        return builders.flag(
            flag_id,
            sender,
            objects,
            [group_uri],
            comment,
            category=category.value,
            rules=rules,
            context=cove_context(node.urls.vocabulary()),
        )
    # Lemmy, PieFed, Mbin: the post first (Lemmy reports the first item that is a post),
    # the group in `to`.
    return builders.flag(flag_id, sender, objects, [group_uri], comment)


async def _remote_rules(
    node: Node, client: FederationClient, group_uri: str | None, numbers: tuple[int, ...]
) -> tuple[int, ...]:
    """Rule numbers cited against a remote group: checked against the rules its actor
    publishes (Cove's `rules`); a group that publishes none can be cited by no number."""
    if not numbers:
        return ()
    if group_uri is None:
        raise Invalid("rule numbers belong to a group's rules: this account is in no group")
    group = await remote_actor(node, client, group_uri)
    published = group.document.get("rules")
    rules: list[Rule] = []
    if isinstance(published, list):
        for n, item in enumerate(published, start=1):
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                rules.append(Rule(n, item["name"]))
    return check_cited(numbers, rules)
