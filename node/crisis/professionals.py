"""Verified professionals: the credentials node admins record and revoke, who counts as a
professional here (and, read from their own server, elsewhere), who a group may page, and a
post's replies with professionals' notes first."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.client import FederationClient
from federation.credentials import MAX_TEXT, WireCredential, read_credentials
from federation.errors import CoveError, Invalid, NotFound, Refused
from moderation import roles
from node.actors.remote import remote_actor
from node.groups.groups import get_group
from node.members.accounts import get_account
from node.moderators.roles import Acting, group_role, require_node_admin
from node.runtime import Node
from node.store.states import MembershipState, PostState, Visibility
from node.store.tables import Account, CommunityGroup, Credential, LocalActor, Membership, Post
from node.store.tables.columns import MAX_ID

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewCredential:
    """A credential as an admin gives it, read and checked once."""

    title: str
    checked_by: str
    checked_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class CredentialInfo:
    id: int
    account: str  # the member's username
    title: str
    checked_by: str
    checked_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "counts"


def _words(text: str, option: str) -> str:
    words = text.strip()
    if not words:
        raise Invalid("{option} needs some text", option=option)
    if len(words) > MAX_TEXT:
        raise Invalid("{option} is longer than {limit} characters", option=option, limit=MAX_TEXT)
    if not words.isprintable():
        raise Invalid("{option} must be one line of text", option=option)
    return words


def parse_moment(text: str, option: str) -> datetime:
    """A day (YYYY-MM-DD, taken as midnight UTC at its start) or a time with its zone."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(
            "{option} {text!r} is not a date (YYYY-MM-DD) or a time", option=option, text=text
        ) from None
    if moment.tzinfo is not None:
        return moment
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return moment.replace(tzinfo=UTC)
    raise Invalid(
        "{option} {text!r} is a time without a zone: add one (e.g. +00:00)",
        option=option,
        text=text,
    )


def parse_credential(
    title: str, checked_by: str, checked_at: str | None, expires: str | None, now: datetime
) -> NewCredential:
    checked = parse_moment(checked_at, "--checked-at") if checked_at else now
    if checked > now:
        raise Invalid("--checked-at is in the future: give when it was checked")
    ends = parse_moment(expires, "--expires") if expires else None
    if ends is not None and ends <= now:
        raise Invalid("--expires is already past: such a credential would not count")
    return NewCredential(
        _words(title, "--title"), _words(checked_by, "--checked-by"), checked, ends
    )


def _counting(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """A credential counts while it is neither revoked nor past its expiry."""
    return (
        col(Credential.revoked_at).is_(None),
        col(Credential.expires_at).is_(None) | (col(Credential.expires_at) > now),
    )


async def _listed(
    session: AsyncSession, *where: ColumnElement[bool] | bool
) -> list[tuple[Credential, str | None]]:
    """Credentials with their members' usernames, in the order recorded."""
    found = await session.exec(
        select(Credential, LocalActor.username)
        .join(Account, col(Account.id) == col(Credential.account_id))
        .join(LocalActor, col(LocalActor.id) == col(Account.actor_id))
        .where(*where)
        .order_by(col(Credential.id))
    )
    return list(found.all())


def _info(row: Credential, username: str | None) -> CredentialInfo:
    assert row.id is not None
    return CredentialInfo(
        row.id,
        username or "",
        row.title,
        row.checked_by,
        row.checked_at,
        row.expires_at,
        row.revoked_at,
    )


async def add_credential(
    node: Node, acting: Acting, username: str, new: NewCredential
) -> CredentialInfo:
    """Record a member's credential (node admins only); their actor shows it at once."""
    require_node_admin(acting, "credentials")
    async with node.store.transaction() as session:
        account = await get_account(session, username)
        row = Credential(
            account_id=account.id,
            title=new.title,
            checked_by=new.checked_by,
            checked_at=new.checked_at,
            expires_at=new.expires_at,
            created_at=node.clock(),
        )
        session.add(row)
        await session.flush()
        added = _info(row, account.username)
    log.info("event=credential_added id=%s account=%s by=%s", added.id, username, acting.uri)
    return added


async def revoke_credential(node: Node, acting: Acting, credential_id: int) -> CredentialInfo:
    """Revoke a credential (node admins only): it stops counting and leaves the actor."""
    require_node_admin(acting, "credentials")
    if not 1 <= credential_id <= MAX_ID:
        raise NotFound("no credential {credential_id}", credential_id=credential_id)
    async with node.store.transaction() as session:
        found = await _listed(session, Credential.id == credential_id)
        if not found:
            raise NotFound("no credential {credential_id}", credential_id=credential_id)
        ((row, username),) = found
        if row.revoked_at is not None:
            raise Refused(
                "credential {credential_id} was revoked already", credential_id=credential_id
            )
        row.revoked_at = node.clock()
        revoked = _info(row, username)
    log.info("event=credential_revoked id=%s by=%s", credential_id, acting.uri)
    return revoked


async def credentials(node: Node, username: str | None = None) -> list[CredentialInfo]:
    """Every credential recorded here (or one member's), revoked and expired ones too."""
    async with node.store.session() as session:
        where = []
        if username is not None:
            account = await get_account(session, username)
            where.append(Credential.account_id == account.id)
        return [_info(row, name) for row, name in await _listed(session, *where)]


async def counting_credentials(
    session: AsyncSession, account_id: int, now: datetime
) -> list[WireCredential]:
    """A member's credentials that count, most recently checked first (their actor's badge)."""
    found = await session.exec(
        select(Credential)
        .where(Credential.account_id == account_id, *_counting(now))
        .order_by(col(Credential.checked_at).desc(), col(Credential.id).desc())
    )
    return [WireCredential(c.title, c.checked_by, c.checked_at, c.expires_at) for c in found.all()]


async def badge_of(node: Node, account_id: int) -> list[WireCredential]:
    async with node.store.session() as session:
        return await counting_credentials(session, account_id, node.clock())


async def professionals_in(session: AsyncSession, group_id: int, now: datetime) -> list[int]:
    """The account ids of the group's accepted members here with a credential that counts at
    `now`: whom crisis escalation pages on acute items when the group opts in
    (`CommunityGroup.page_professionals`, which this does not read)."""
    found = await session.exec(
        select(Membership.account_id)
        .join(Credential, col(Credential.account_id) == col(Membership.account_id))
        .where(
            Membership.group_id == group_id,
            Membership.state == MembershipState.ACCEPTED,
            *_counting(now),
        )
        .distinct()
        .order_by(col(Membership.account_id))
    )
    return [account_id for account_id in found.all() if account_id is not None]


async def is_professional(node: Node, username: str) -> bool:
    async with node.store.session() as session:
        account = await get_account(session, username)
        return bool(await counting_credentials(session, account.id, node.clock()))


async def vouched_for(node: Node, client: FederationClient, author_uri: str) -> bool:
    """Whether the author of a note marked as a professional's is one: a member here with a
    credential that counts, or an actor elsewhere whose document, as read from its own server,
    carries one. A server vouches for its own members only: what another server says of them
    is never asked, so a hostile server cannot make professionals of other servers' people."""
    person_prefix = node.urls.person("")
    if author_uri.startswith(person_prefix):
        try:
            return await is_professional(node, author_uri.removeprefix(person_prefix))
        except NotFound:
            return False
    try:
        # Read afresh: no actor Update tells us of a credential given or revoked since (they
        # are rare, and notes rarer still; the inbox limits bound what a sender can ask).
        author = await remote_actor(node, client, author_uri, refresh=True)
    except CoveError as e:
        log.info("event=professional_unverified actor=%s reason=%s", author_uri, e.reason)
        return False
    now = node.clock()
    return any(c.counts(now) for c in read_credentials(author.document))


async def replies_of(session: AsyncSession, post_uri: str) -> list[Post]:
    """A post's live replies that are shown in their group (not private messages to its
    moderators): professionals' notes first, then the rest, each in the order written."""
    found = await session.exec(
        select(Post)
        .where(
            Post.in_reply_to_uri == post_uri,
            Post.state == PostState.LIVE,
            col(Post.visibility) != Visibility.DIRECT,
        )
        .order_by(col(Post.professional_note).desc(), col(Post.published), col(Post.id))
    )
    return list(found.all())


async def replies(node: Node, post_uri: str) -> list[Post]:
    async with node.store.session() as session:
        if (await session.exec(select(Post.id).where(Post.uri == post_uri))).first() is None:
            raise NotFound("no post {post_uri} here", post_uri=post_uri)
        return await replies_of(session, post_uri)


async def set_paging(node: Node, acting: Acting, group_name: str, *, on: bool) -> None:
    """Whether the group pages its verified professionals about acute items (the group's
    owner and moderators, or a node admin, decide)."""
    async with node.store.transaction() as session:
        group = await get_group(session, group_name)
        role = await group_role(session, group.id, acting.uri)
        if not roles.may_set_paging(acting.role, role):
            raise Refused(
                "only the moderators of {group} or a node admin may do that", group=group.name
            )
        row = await session.get(CommunityGroup, group.id)
        assert row is not None
        row.page_professionals = on
    log.info("event=paging_professionals group=%s on=%s by=%s", group.name, on, acting.uri)
