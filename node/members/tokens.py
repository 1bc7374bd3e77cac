"""Bearer tokens for the HTTP API: issued to a local account with Mastodon's scope names, kept
only as a SHA-256 digest, checked (and the scope they grant) on every API request."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Conflict, Invalid, NotFound, Refused, Unauthorized
from federation.vocabulary import iso8601
from node.members.accounts import AccountInfo, get_account
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.states import AccountRole, AccountState
from node.store.tables import MAX_ID, Account, ApiToken, LocalActor

log = logging.getLogger(__name__)

# Accounts staff stopped or turned down: their tokens answer for nothing until staff think again.
STOPPED = frozenset({AccountState.SUSPENDED, AccountState.REJECTED})

MAX_NAME = 100
MAX_SECRET = 200
# A token in use is marked at most this often: one write per request would make every API
# read a write, which SQLite serialises.
LAST_USED_GRANULARITY = timedelta(minutes=1)

# The scopes Mastodon documents (docs.joinmastodon.org/api/oauth-scopes), so a token issued
# here reads the same to Mastodon clients and can later come from an OAuth flow unchanged.
_READ = (
    "accounts blocks bookmarks favourites filters follows lists mutes notifications search statuses"
)
_WRITE = (
    "accounts blocks bookmarks conversations favourites filters follows lists media mutes"
    " notifications reports statuses"
)
_ADMIN = (
    "accounts reports domain_allows domain_blocks ip_blocks email_domain_blocks"
    " canonical_email_blocks"
)
SCOPES = frozenset(
    {"profile", "read", "write", "follow", "push", "admin:read", "admin:write"}
    | {f"read:{s}" for s in _READ.split()}
    | {f"write:{s}" for s in _WRITE.split()}
    | {f"admin:read:{s}" for s in _ADMIN.split()}
    | {f"admin:write:{s}" for s in _ADMIN.split()}
)
# Mastodon's deprecated `follow` still grants these.
FOLLOW_GRANTS = frozenset(
    {"read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes"}
)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    username: str
    scopes: tuple[str, ...]
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        def when(moment: datetime | None) -> str | None:
            return iso8601(moment) if moment else None

        return {
            "id": str(self.id),
            "account": self.username,
            "scopes": " ".join(self.scopes),
            "name": self.name,
            "created_at": iso8601(self.created_at),
            "expires_at": when(self.expires_at),
            "revoked_at": when(self.revoked_at),
            "last_used_at": when(self.last_used_at),
        }


def parse_scopes(text: str) -> tuple[str, ...]:
    """Scopes as OAuth writes them (space-separated; commas are accepted too), each one that
    Mastodon documents."""
    scopes = tuple(dict.fromkeys(s for s in re.split(r"[\s,]+", text) if s))
    if not scopes:
        raise Invalid("give at least one scope, for example: read write:reports admin:read")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise Invalid(
            "unknown scope {scope!r}: use Mastodon's scope names, such as read, write,"
            " write:reports, admin:read, admin:write:reports",
            scope=unknown[0],
        )
    return scopes


def grants(scopes: frozenset[str], needed: str) -> bool:
    """Whether a token's scopes cover `needed`, as Mastodon reads them: `read` covers every
    `read:*`, `admin:read` every `admin:read:*`, and so on."""
    if needed in scopes:
        return True
    if needed in FOLLOW_GRANTS and "follow" in scopes:
        return True
    parts = needed.split(":")
    return any(":".join(parts[:n]) in scopes for n in range(1, len(parts)))


def require_scope(scopes: frozenset[str], needed: str) -> None:
    if not grants(scopes, needed):
        raise Refused("this token does not carry the scope {needed}", needed=needed)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _info(row: ApiToken, username: str) -> TokenInfo:
    assert row.id is not None
    return TokenInfo(
        id=row.id,
        username=username,
        scopes=tuple(row.scopes.split()),
        name=row.name,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


async def create_token(
    node: Node, username: str, scopes: str, name: str = "", issuer: Acting | None = None
) -> tuple[str, TokenInfo]:
    """A new token for a local account, issued by that account itself or a node admin (the
    node's operator when `issuer` is None). The secret is returned this once; only its digest
    is kept."""
    own = issuer is None or (issuer.account is not None and issuer.account.username == username)
    if issuer is not None and issuer.role != AccountRole.ADMIN and not own:
        raise Refused(
            "{issuer} may not issue a token for {username}: only a node admin may",
            issuer=issuer.name,
            username=username,
        )
    granted = parse_scopes(scopes)
    name = name.strip()
    if len(name) > MAX_NAME:
        raise Invalid("the token's name is longer than {limit} characters", limit=MAX_NAME)
    # Three draws of the node's id source: 288 random bits, URL-safe, and test-controllable.
    secret = "".join(node.token() for _ in range(3))
    now = node.clock()
    async with node.store.transaction() as session:
        account = await get_account(session, username)
        row = ApiToken(
            account_id=account.id,
            token_digest=digest(secret),
            scopes=" ".join(granted),
            name=name,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        info = _info(row, account.username)
    log.info("event=token_created id=%s account=%s scopes=%s", info.id, username, row.scopes)
    return secret, info


async def _owner(session: AsyncSession, account_id: int) -> AccountInfo:
    found = await session.exec(
        select(LocalActor.username)
        .join(Account, col(Account.actor_id) == col(LocalActor.id))
        .where(Account.id == account_id)
    )
    return await get_account(session, found.one() or "")


async def authenticate(node: Node, secret: str) -> tuple[AccountInfo, frozenset[str]]:
    """The account a bearer token speaks for, and the scopes it carries."""
    if not secret or len(secret) > MAX_SECRET:
        raise Unauthorized("the bearer token is not valid")
    now = node.clock()
    async with node.store.session() as session:
        found = await session.exec(select(ApiToken).where(ApiToken.token_digest == digest(secret)))
        row = found.first()
        if row is None:
            raise Unauthorized("the bearer token is not valid")
        if row.revoked_at is not None:
            raise Unauthorized("the bearer token was revoked")
        if row.expires_at is not None and row.expires_at <= now:
            raise Unauthorized("the bearer token has expired")
        account = await _owner(session, row.account_id)
        if account.state in STOPPED:
            raise Unauthorized(
                "this account is {state}: its tokens do not work", state=account.state.value
            )
        token_id, last_used, scopes = row.id, row.last_used_at, frozenset(row.scopes.split())
    if last_used is None or now - last_used >= LAST_USED_GRANULARITY:
        async with node.store.transaction() as session:
            await session.exec(
                update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=now)
            )
    return account, scopes


async def revoke_token(node: Node, token_id: int) -> TokenInfo:
    now = node.clock()
    if not 0 < token_id <= MAX_ID:
        raise NotFound("no token {token_id}", token_id=token_id)
    async with node.store.transaction() as session:
        row = await session.get(ApiToken, token_id)
        if row is None:
            raise NotFound("no token {token_id}", token_id=token_id)
        if row.revoked_at is not None:
            raise Conflict("token {token_id} is revoked already", token_id=token_id)
        row.revoked_at = now
        owner = await _owner(session, row.account_id)
        info = _info(row, owner.username)
    log.info("event=token_revoked id=%s account=%s", token_id, owner.username)
    return info


async def list_tokens(node: Node, username: str | None = None) -> list[TokenInfo]:
    """Every token, or one account's, newest first (revoked ones included, marked)."""
    async with node.store.session() as session:
        query = select(ApiToken, LocalActor.username).join(
            Account, col(Account.id) == col(ApiToken.account_id)
        )
        query = query.join(LocalActor, col(LocalActor.id) == col(Account.actor_id))
        if username is not None:
            account = await get_account(session, username)
            query = query.where(ApiToken.account_id == account.id)
        found = await session.exec(query.order_by(col(ApiToken.id).desc()))
        return [_info(row, name or "") for row, name in found.all()]
