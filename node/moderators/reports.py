"""Reports: received as Flag from any server (or filed by members here) for this node's
moderators, sent as Flag for members reporting things elsewhere, decided (resolved,
dismissed, reopened) with a history, and their outcome told to whoever reported."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import builders
from federation.client import FederationClient
from federation.errors import Conflict, Invalid, NotFound, Refused
from federation.vocabulary import cove_context, iso8601
from federation.wire import Activity
from moderation import reports as policy
from moderation.reports import ReportCategory, ReportState
from moderation.roles import MODERATING, may_moderate_node
from moderation.rules import Rule, check_cited
from node.actors.instance import get_instance
from node.actors.remote import classify, remote_actor, software_name
from node.groups import groups
from node.groups.groups import get_group_by_id
from node.groups.rules import current_rules
from node.members.accounts import AccountInfo
from node.members.notifications import NotificationKind, notify
from node.moderators.roles import (
    Acting,
    group_role,
    require_group_moderator,
    require_node_moderator,
)
from node.queue.delivery import queue
from node.runtime import Node
from node.store.states import (
    MembershipState,
    ReportDirection,
    Software,
    Visibility,
    check_transition,
)
from node.store.tables import (
    Account,
    LocalActor,
    Membership,
    Post,
    RemoteActor,
    Report,
)
from node.store.tables import ReportEvent as ReportEventRow

log = logging.getLogger(__name__)

# Flags we send: the copy for the author's server, and one for the group's server.
GROUP_COPY = "-group"


@dataclass(frozen=True, slots=True)
class ReportEvent:
    action: str
    actor_uri: str | None
    note: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ReportedPost:
    """What a reported post here says, for the moderators deciding: kept after a removal,
    empty once deleted by its author or purged."""

    title: str | None
    content_html: str
    removed: bool
    deleted: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "content": self.content_html,
            "removed": self.removed,
            "deleted": self.deleted,
        }


@dataclass(frozen=True, slots=True)
class ReportInfo:
    id: int
    direction: ReportDirection
    flag_uri: str
    reporter_uri: str | None  # None: a remote server that did not say who
    reporter_host: str
    target_uri: str
    target_is_post: bool
    target_account_uri: str | None
    group_uri: str | None
    category: ReportCategory
    rule_numbers: tuple[int, ...]
    comment: str
    state: ReportState
    urgent: bool
    outcome: str | None
    created_at: datetime
    updated_at: datetime
    history: tuple[ReportEvent, ...] = field(default=())
    post: ReportedPost | None = None  # filled in when one report is shown

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "direction": self.direction.value,
            "state": self.state.value,
            "urgent": self.urgent,
            "category": self.category.value,
            "rule_ids": [str(n) for n in self.rule_numbers],
            "comment": self.comment,
            "reporter": self.reporter_uri,
            "reporter_server": self.reporter_host,
            "target": self.target_uri,
            "target_is_post": self.target_is_post,
            "target_account": self.target_account_uri,
            "group": self.group_uri,
            "outcome": self.outcome,
            "flag": self.flag_uri,
            "created_at": iso8601(self.created_at),
            "updated_at": iso8601(self.updated_at),
            "history": [
                {"action": e.action, "by": e.actor_uri, "note": e.note, "at": iso8601(e.at)}
                for e in self.history
            ],
            "post": self.post.as_json() if self.post else None,
        }


def _info(
    row: Report, history: tuple[ReportEvent, ...] = (), post: ReportedPost | None = None
) -> ReportInfo:
    assert row.id is not None
    return ReportInfo(
        id=row.id,
        direction=row.direction,
        flag_uri=row.flag_uri,
        reporter_uri=row.reporter_uri,
        reporter_host=row.reporter_host,
        target_uri=row.target_uri,
        target_is_post=row.target_is_post,
        target_account_uri=row.target_account_uri,
        group_uri=row.group_uri,
        category=row.category,
        rule_numbers=tuple(row.rule_numbers),
        comment=row.comment,
        state=row.state,
        urgent=row.urgent,
        outcome=row.outcome,
        created_at=row.created_at,
        updated_at=row.updated_at,
        history=history,
        post=post,
    )


@dataclass(frozen=True, slots=True)
class Target:
    """One reported thing here: a post (with its author) or an account."""

    uri: str
    is_post: bool
    account_uri: str | None
    group_id: int | None
    group_uri: str | None


def _event(
    session: AsyncSession,
    report_id: int,
    action: str,
    actor: str | None,
    note: str | None,
    now: datetime,
) -> None:
    session.add(
        ReportEventRow(
            report_id=report_id, action=action, actor_uri=actor, note=note, created_at=now
        )
    )


# Received ---------------------------------------------------------------------------------------


async def _local_account_uri(session: AsyncSession, node: Node, uri: str) -> str | None:
    prefix = node.urls.person("")
    if not uri.startswith(prefix):
        return None
    found = await session.exec(
        select(Account.id)
        .join(LocalActor, col(Account.actor_id) == col(LocalActor.id))
        .where(LocalActor.username == uri[len(prefix) :])
    )
    return uri if found.first() is not None else None


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
            if await _local_account_uri(session, node, uri):
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


async def _cited_rules(
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
    category: ReportCategory
    targets: tuple[tuple[Target, tuple[int, ...]], ...]


async def check_flag(node: Node, activity: Activity) -> CheckedFlag:
    """The checks an inbox makes on a Flag before accepting it (a 4xx with the reason, and
    nothing stored, when it names nothing here or carries a bad category or rule)."""
    claim = policy.read_flag(activity)
    targets = await targets_here(node, claim.objects, claim.addressed)
    if not targets:
        raise NotFound("the Flag names nothing this node hosts")
    category = policy.category_for(claim.category, claim.rules, claim.comment)
    cited = [(t, await _cited_rules(node, t.group_id, claim.rules)) for t in targets]
    return CheckedFlag(claim, category, tuple(cited))


async def receive_flag(node: Node, client: FederationClient, activity: Activity) -> None:
    """A report from another server: one report per thing it names, for that thing's
    moderators. A Flag from a server's own actor (Mastodon's way) keeps the reporter unknown."""
    checked = await check_flag(node, activity)
    claim = checked.claim
    sender = await remote_actor(node, client, claim.actor)
    reporter = claim.actor if sender.type == "Person" else None
    now = node.clock()
    async with node.store.transaction() as session:
        for target, cited in checked.targets:
            exists = await session.exec(
                select(Report.id).where(
                    Report.flag_uri == claim.flag_id, Report.target_uri == target.uri
                )
            )
            if exists.first() is not None:
                continue  # a redelivered Flag
            row = await _open_report(
                session,
                target,
                flag_uri=claim.flag_id,
                reporter_uri=reporter,
                reporter_host=urlsplit(claim.actor).netloc.lower(),
                category=checked.category,
                cited=cited,
                comment=claim.comment,
                now=now,
                flag_actor_uri=claim.actor,
            )
            log.info(
                "event=report_received id=%s target=%s category=%s urgent=%s",
                row.id,
                target.uri,
                row.category.value,
                row.urgent,
            )


async def _open_report(
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
    _event(session, row.id, "opened", reporter_uri, None, now)
    return row


# Filed by members here --------------------------------------------------------------------------


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
    kind = policy.category_for(category, rules, comment)
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
        return await _report_here(node, account, reporter, targets[0], kind, rules, comment)
    return await _report_elsewhere(
        node, client, account, reporter, target_uri, kind, rules, comment, identify
    )


async def _report_here(
    node: Node,
    account: AccountInfo,
    reporter: str,
    target: Target,
    category: ReportCategory,
    rules: tuple[int, ...],
    comment: str,
) -> ReportInfo:
    cited = await _cited_rules(node, target.group_id, rules)
    async with node.store.transaction() as session:
        row = await _open_report(
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
        return await _as_reporter_sees(session, row)


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
    if group_host != author_host and author_host != node.urls.domain:
        sends.append(
            (
                author.shared_inbox or author.inbox,
                await _flag_for(
                    node,
                    client,
                    author_host,
                    first_flag,
                    sender,
                    objects,
                    author.uri,
                    group_uri,
                    comment,
                    category,
                    cited,
                ),
            )
        )
    if group_uri is not None and group_host is not None:
        group = await remote_actor(node, client, group_uri)
        flag_id = first_flag if group_host == author_host else first_flag + GROUP_COPY
        sends.append(
            (
                group.shared_inbox or group.inbox,
                await _flag_for(
                    node,
                    client,
                    group_host,
                    flag_id,
                    sender,
                    objects,
                    author.uri,
                    group_uri,
                    comment,
                    category,
                    cited,
                ),
            )
        )
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
        _event(
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
        return _info(row)


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
        # for an account it finds in `object` (mastodon #28159).
        return builders.flag(
            flag_id,
            sender,
            [objects[-1], *objects[:-1]] if len(objects) > 1 else objects,
            [author],
            comment,
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


# Deciding ---------------------------------------------------------------------------------------


async def _may_handle(session: AsyncSession, acting: Acting, row: Report) -> None:
    if row.group_id is None:
        require_node_moderator(acting)
        return
    group = await get_group_by_id(session, row.group_id)
    await require_group_moderator(session, acting, group)


async def _visible_to(session: AsyncSession, acting: Acting, row: Report) -> bool:
    if may_moderate_node(acting.role):
        return True
    if row.group_id is None:
        return False
    return await group_role(session, row.group_id, acting.uri) in MODERATING


async def list_reports(
    node: Node,
    acting: Acting,
    states: Collection[ReportState] = (ReportState.OPEN,),
    limit: int = 100,
) -> list[ReportInfo]:
    """The reports an actor may handle, urgent ones first, then newest first. Refused to
    someone who moderates neither the node nor any group, as Mastodon answers 403."""
    async with node.store.session() as session:
        query = select(Report).where(Report.direction == ReportDirection.RECEIVED)
        query = query.where(col(Report.state).in_(tuple(states)))
        if not may_moderate_node(acting.role):
            moderated = await session.exec(
                select(Membership.group_id).where(
                    Membership.actor_uri == acting.uri,
                    Membership.state == MembershipState.ACCEPTED,
                    col(Membership.role).in_(tuple(MODERATING)),
                )
            )
            mine = tuple(moderated.all())
            if not mine:
                raise Refused(f"{acting.name} moderates no group here and may not see reports")
            query = query.where(col(Report.group_id).in_(mine))
        found = await session.exec(
            query.order_by(col(Report.urgent).desc(), col(Report.id).desc()).limit(limit)
        )
        return [_info(r) for r in found.all()]


async def get_report(node: Node, acting: Acting, report_id: int) -> ReportInfo:
    async with node.store.session() as session:
        row = await session.get(Report, report_id)
        if row is None or row.direction != ReportDirection.RECEIVED:
            raise NotFound(f"no report {report_id}")
        if not await _visible_to(session, acting, row):
            raise Refused(f"{acting.name} may not see report {report_id}")
        events = await session.exec(
            select(ReportEventRow)
            .where(ReportEventRow.report_id == report_id)
            .order_by(col(ReportEventRow.id))
        )
        history = tuple(
            ReportEvent(e.action, e.actor_uri, e.note, e.created_at) for e in events.all()
        )
        post = None
        if row.target_is_post:
            found = (await session.exec(select(Post).where(Post.uri == row.target_uri))).first()
            if found is not None:
                post = ReportedPost(
                    found.title,
                    found.content_html,
                    removed=found.removed_at is not None,
                    deleted=found.deleted_at is not None,
                )
        return _info(row, history, post)


async def decide(
    node: Node,
    acting: Acting,
    report_id: int,
    state: ReportState,
    note: str = "",
) -> ReportInfo:
    """Resolve (action taken), dismiss, or reopen a report; the reporter hears the outcome
    (a notification here, an Accept or Reject of their Flag elsewhere)."""
    note = policy.checked_comment(note)
    now = node.clock()
    instance = await get_instance(node)
    async with node.store.transaction() as session:
        row = await session.get(Report, report_id)
        if row is None or row.direction != ReportDirection.RECEIVED:
            raise NotFound(f"no report {report_id}")
        await _may_handle(session, acting, row)
        if row.state == state:
            raise Conflict(f"report {report_id} is {state.value} already")
        if row.state != ReportState.OPEN and state != ReportState.OPEN:
            raise Conflict(f"report {report_id} is {row.state.value}: reopen it first")
        check_transition(row.state, state)
        row.state, row.updated_at = state, now
        if state != ReportState.OPEN:
            row.outcome = note or None
        action = {ReportState.OPEN: "reopened", ReportState.RESOLVED: "resolved"}.get(
            state, "dismissed"
        )
        _event(session, report_id, action, acting.uri, note or None, now)
        if state != ReportState.OPEN:
            text = policy.outcome_text(state, note)
            if row.reporter_account_id is not None:
                notify(
                    session,
                    [row.reporter_account_id],
                    NotificationKind.REPORT_OUTCOME,
                    text,
                    now,
                    report_id,
                )
            elif row.flag_actor_uri is not None:
                await _answer_when_all_decided(node, session, instance.actor_id, row, now)
        await session.flush()
        info = _info(row)
    log.info("event=report_%s id=%s by=%s", action, report_id, acting.uri)
    return info


async def _answer_when_all_decided(
    node: Node, session: AsyncSession, instance_actor_id: int, row: Report, now: datetime
) -> None:
    """A Flag that named several things made a report for each: its sender hears one
    outcome, once the last of them is decided."""
    siblings = await session.exec(
        select(Report.state, Report.outcome).where(
            Report.flag_uri == row.flag_uri, Report.direction == ReportDirection.RECEIVED
        )
    )
    outcome = policy.flag_outcome([(ReportState(s), note) for s, note in siblings.all()])
    if outcome is None:
        assert row.id is not None
        _event(session, row.id, "outcome_waits", None, "other reports of the Flag are open", now)
        return
    await _answer_flag(node, session, instance_actor_id, row, *outcome, now)


async def _answer_flag(
    node: Node,
    session: AsyncSession,
    instance_actor_id: int,
    row: Report,
    state: ReportState,
    text: str,
    now: datetime,
) -> None:
    """Tell the server that sent a Flag what became of it: Accept (action taken) or Reject
    (dismissed) whose object is the Flag's id (docs/report-outcomes.md)."""
    assert row.flag_actor_uri is not None and row.id is not None
    sender = (
        await session.exec(select(RemoteActor).where(RemoteActor.uri == row.flag_actor_uri))
    ).first()
    if sender is None:
        return
    events = await session.exec(select(ReportEventRow.id).where(ReportEventRow.report_id == row.id))
    answer = builders.report_outcome(
        node.urls.derived_activity("outcome", row.flag_uri, str(row.id), str(len(events.all()))),
        node.urls.instance_actor(),
        row.flag_uri,
        row.flag_actor_uri,
        state == ReportState.RESOLVED,
        text,
    )
    await queue(
        session,
        instance_actor_id,
        answer,
        Visibility.DIRECT,
        [sender.shared_inbox or sender.inbox],
        now,
    )


async def receive_outcome(node: Node, activity: Activity, accepted: bool) -> bool:
    """Accept or Reject of a Flag we sent: the member who reported hears what was done.
    Returns False when the activity answers no Flag of ours (a follow's answer, say)."""
    flag_id = activity.object_id
    if flag_id.endswith(GROUP_COPY):
        flag_id = flag_id[: -len(GROUP_COPY)]
    now = node.clock()
    async with node.store.transaction() as session:
        row = (
            await session.exec(
                select(Report).where(
                    Report.flag_uri == flag_id, Report.direction == ReportDirection.SENT
                )
            )
        ).first()
        if row is None:
            return False
        # Only a server the Flag went to can answer it.
        hosts = {urlsplit(u).netloc.lower() for u in (row.target_account_uri, row.group_uri) if u}
        if urlsplit(activity.actor).netloc.lower() not in hosts:
            raise Refused("an answer to a report from a server it was not sent to")
        state = ReportState.RESOLVED if accepted else ReportState.DISMISSED
        text = (activity.content or "").strip()
        if row.state != state:
            if row.state != ReportState.OPEN:
                check_transition(row.state, ReportState.OPEN)
            check_transition(ReportState.OPEN, state)
            row.state = state
        row.outcome, row.updated_at = text or policy.outcome_text(state, None), now
        assert row.id is not None
        _event(session, row.id, "outcome_received", activity.actor, text or None, now)
        if row.reporter_account_id is not None:
            notify(
                session,
                [row.reporter_account_id],
                NotificationKind.REPORT_OUTCOME,
                row.outcome,
                now,
                row.id,
            )
    log.info("event=report_outcome flag=%s accepted=%s from=%s", flag_id, accepted, activity.actor)
    return True


# What members see -------------------------------------------------------------------------------


async def my_reports(node: Node, account: AccountInfo) -> list[ReportInfo]:
    async with node.store.session() as session:
        found = await session.exec(
            select(Report)
            .where(Report.reporter_account_id == account.id)
            .order_by(col(Report.id).desc())
        )
        return [await _as_reporter_sees(session, r) for r in found.all()]


async def _as_reporter_sees(session: AsyncSession, row: Report) -> ReportInfo:
    """A report as the member who filed it sees it: an anonymous post's author is the group
    to them, as to everyone but the group's moderators (who see the row as it is)."""
    info = _info(row)
    if not row.target_is_post:
        return info
    post = (await session.exec(select(Post).where(Post.uri == row.target_uri))).first()
    if post is None or not post.anonymous:
        return info
    return replace(info, target_account_uri=post.group_uri)
