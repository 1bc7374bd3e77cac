"""Reports received: a Flag from any server, checked before the inbox accepts it, the things it
names that this node hosts found, and a report opened for each, for their moderators."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.client import FederationClient
from federation.errors import NotFound
from federation.wire import Activity
from moderation import reports as policy
from moderation.reports import ReportCategory, ReportState
from moderation.rules import Rule, check_cited
from node.actors.remote import remote_actor
from node.crisis import worried
from node.groups import groups
from node.groups.rules import current_rules
from node.members.accounts import account_at
from node.moderators.reports.info import Target, record_event
from node.runtime import Node
from node.store.states import ReportDirection
from node.store.tables import Membership, Post, Report

log = logging.getLogger(__name__)


async def _in_group(session: AsyncSession, group_id: int, actor_uri: str) -> bool:
    found = await session.exec(
        select(Membership.id).where(
            Membership.group_id == group_id, Membership.actor_uri == actor_uri
        )
    )
    return found.first() is not None


async def targets_here(
    node: Node, objects: tuple[str, ...], addressed: tuple[str, ...]
) -> list[Target]:
    """What a Flag names that this node hosts: posts in our groups or by our members, else our
    members' accounts, else an account reported to one of our groups (Lemmy names the group)."""
    posts: list[Target] = []
    accounts: list[Target] = []
    async with node.store.session() as session:
        for uri in dict.fromkeys(objects):
            post = (await session.exec(select(Post).where(Post.uri == uri))).first()
            if post is not None and (post.group_id is not None or post.local):
                group_uri = post.group_uri if post.group_id is not None else None
                posts.append(Target(uri, True, post.author_uri, post.group_id, group_uri))
                continue
            if await account_at(session, node, uri) is not None:
                accounts.append(Target(uri, False, uri, None, None))
                continue
            for group_uri in addressed:
                group = await groups.group_at(node, group_uri)
                if group is not None and await _in_group(session, group.id, uri):
                    accounts.append(Target(uri, False, uri, group.id, group_uri))
                    break
    # A post names its author already: the account is reported on its own only when no post is.
    authors = {t.account_uri for t in posts}
    return posts + [a for a in accounts if a.uri not in authors]


async def cited_rules(
    node: Node, group_id: int | None, numbers: tuple[int, ...]
) -> tuple[int, ...]:
    if not numbers:
        return ()
    rules: tuple[Rule, ...] = ()
    if group_id is not None:
        async with node.store.session() as session:
            current = await current_rules(session, group_id)
        rules = current.rules if current else ()
    return check_cited(numbers, rules)


@dataclass(frozen=True, slots=True)
class CheckedFlag:
    """A Flag that passed the inbox's checks: what it says, and each thing here it names with
    the rule numbers it cites against that thing's group."""

    claim: policy.FlagClaim
    category: ReportCategory | None  # None: its comment says (read in the worker)
    targets: tuple[tuple[Target, tuple[int, ...]], ...]


async def check_flag(node: Node, activity: Activity) -> CheckedFlag:
    """The checks an inbox makes on a Flag before accepting it (a 4xx with the reason, and
    nothing stored, when it names nothing here or carries a bad category or rule). Its
    comment is not read here: the crisis detector never runs in the inbox request."""
    claim = policy.read_flag(activity)
    targets = await targets_here(node, claim.objects, claim.addressed)
    if not targets:
        raise NotFound("the Flag names nothing this node hosts")
    category = policy.stated_category(claim.category, claim.rules)
    cited = [(t, await cited_rules(node, t.group_id, claim.rules)) for t in targets]
    return CheckedFlag(claim, category, tuple(cited))


async def receive_flag(node: Node, client: FederationClient, activity: Activity) -> None:
    """A report from another server: one report per thing it names, for that thing's
    moderators. A Flag from a server's own actor (Mastodon's way) keeps the reporter unknown."""
    checked = await check_flag(node, activity)
    claim = checked.claim
    category = checked.category or policy.category_for(None, (), claim.comment)
    sender = await remote_actor(node, client, claim.actor)
    reporter = claim.actor if sender.type == "Person" else None
    now = node.clock()
    cared_for: list[int] = []
    async with node.store.transaction() as session:
        for target, cited in checked.targets:
            exists = await session.exec(
                select(Report.id).where(
                    Report.flag_uri == claim.flag_id, Report.target_uri == target.uri
                )
            )
            if exists.first() is not None:
                continue  # a redelivered Flag
            row = await open_report(
                session,
                target,
                flag_uri=claim.flag_id,
                reporter_uri=reporter,
                reporter_host=urlsplit(claim.actor).netloc.lower(),
                category=category,
                cited=cited,
                comment=claim.comment,
                now=now,
                flag_actor_uri=claim.actor,
            )
            if category == ReportCategory.SELF_HARM:
                await worried.attach_past_limit(session, node, row)
                if not await worried.remote_over_limit(session, node, row):
                    cared_for.append(row.id or 0)
            log.info(
                "event=report_received id=%s target=%s category=%s urgent=%s",
                row.id,
                target.uri,
                row.category.value,
                row.urgent,
            )
    for report_id in cared_for:
        # Worry never sanctions: the person is offered care (once a day at most).
        await worried.care_after_report(node, client, report_id)


async def open_report(
    session: AsyncSession,
    target: Target,
    *,
    flag_uri: str,
    reporter_uri: str | None,
    reporter_host: str,
    category: ReportCategory,
    cited: tuple[int, ...],
    comment: str,
    now: datetime,
    flag_actor_uri: str | None = None,
    reporter_account_id: int | None = None,
) -> Report:
    """A new open report of something here, with the first line of its history."""
    row = Report(
        direction=ReportDirection.RECEIVED,
        flag_uri=flag_uri,
        reporter_uri=reporter_uri,
        reporter_account_id=reporter_account_id,
        reporter_host=reporter_host,
        flag_actor_uri=flag_actor_uri,
        target_uri=target.uri,
        target_is_post=target.is_post,
        target_account_uri=target.account_uri,
        group_id=target.group_id,
        group_uri=target.group_uri,
        category=category,
        rule_numbers=list(cited),
        comment=comment,
        state=ReportState.OPEN,
        urgent=category in policy.URGENT,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    record_event(session, row.id, "opened", reporter_uri, None, now)
    return row
