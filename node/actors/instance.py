"""The node itself: its one-time setup (instance actor), its pinned identity (the base URL it
was set up with), and the figures it publishes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Invalid, NotFound
from node.actors.local import active_key, add_local_actor
from node.runtime import Node
from node.store.states import AccountRole, ActorKind, PostState
from node.store.tables import Account, CommunityGroup, Instance, LocalActor, Post

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InstanceInfo:
    actor_id: int
    base_url: str
    created_at: datetime
    public_key_pem: str


@dataclass(frozen=True, slots=True)
class NodeFigures:
    accounts: int
    groups: int
    local_posts: int
    local_comments: int
    admin_usernames: list[str]


class IdentityMismatch(Invalid):
    """This process is configured with another base URL than the one the node was set up with."""

    def __init__(self, stored: str, configured: str) -> None:
        super().__init__(
            "this node is {stored} (the base URL stored when it was set up) but the"
            " configuration says {configured}: set node.base_url (or COVE_NODE__BASE_URL) to"
            " {stored}; a node cannot change its base URL",
            stored=stored,
            configured=configured,
        )
        self.stored = stored
        self.configured = configured


async def check_identity(node: Node) -> None:
    """Refuse to run as another origin than the stored one: every id, key id and delivery the
    process would write names its configured URL, and peers would reject them for good (a
    signature by `http://127.0.0.1:8080/actor` on a node serving :18080 is "not an actor of
    this node"), while rows keyed by the right URL (bans) would be missed.

    A database with no instance row has no identity yet, so nothing can disagree with it: the
    first `cove init`, `cove serve` or `cove worker` pins it (`ensure_instance`)."""
    async with node.store.session() as session:
        row = await _instance_row(session)
    if row is not None:
        _require_same_origin(row.base_url, node.urls.base)


def _require_same_origin(stored: str, configured: str) -> None:
    # Compared as strings: ids are compared as strings by every peer, so even a change of case
    # or an added default port makes other ids.
    if stored != configured:
        raise IdentityMismatch(stored, configured)


async def ensure_instance(node: Node) -> tuple[InstanceInfo, bool]:
    """Create the instance row and its Application actor unless they exist; (info, created).
    The row pins the node's base URL: IdentityMismatch if it names another than the config."""
    async with node.store.session() as session:
        existing = await _instance_row(session)
    if existing is not None:
        _require_same_origin(existing.base_url, node.urls.base)
        return await get_instance(node), False
    keys = await node.keygen()
    async with node.store.transaction() as session:
        now = node.clock()
        actor = await add_local_actor(session, ActorKind.APPLICATION, None, keys, now)
        assert actor.id is not None
        # A new node holds nothing another mode would cut: the configured mode is in force.
        session.add(
            Instance(
                actor_id=actor.id,
                base_url=node.urls.base,
                federation_mode=node.config.federation.mode,
                created_at=now,
            )
        )
    log.info("event=instance_created base_url=%s", node.urls.base)
    return await get_instance(node), True


async def _instance_row(session: AsyncSession) -> Instance | None:
    return (await session.exec(select(Instance))).first()


async def get_instance(node: Node) -> InstanceInfo:
    async with node.store.session() as session:
        row = await _instance_row(session)
        if row is None:
            raise NotFound("this node is not set up yet: run `cove init`")
        key = await active_key(session, row.actor_id)
        return InstanceInfo(
            actor_id=row.actor_id,
            base_url=row.base_url,
            created_at=row.created_at,
            public_key_pem=key.public_key_pem,
        )


async def node_figures(session: AsyncSession) -> NodeFigures:
    """What NodeInfo and the front page report: counts of accounts, groups and local posts."""

    async def count(stmt: object) -> int:
        return int((await session.exec(stmt)).one())  # type: ignore[call-overload]

    live_local = (col(Post.local).is_(True), Post.state == PostState.LIVE)
    admins = await session.exec(
        select(LocalActor.username)
        .join(Account, col(Account.actor_id) == col(LocalActor.id))
        .where(Account.role == AccountRole.ADMIN, col(Account.deleted_at).is_(None))
        .order_by(col(LocalActor.username))
    )
    return NodeFigures(
        accounts=await count(
            select(func.count()).select_from(Account).where(col(Account.deleted_at).is_(None))
        ),
        groups=await count(select(func.count()).select_from(CommunityGroup)),
        local_posts=await count(
            select(func.count()).where(*live_local, col(Post.in_reply_to_uri).is_(None))
        ),
        local_comments=await count(
            select(func.count()).where(*live_local, col(Post.in_reply_to_uri).is_not(None))
        ),
        admin_usernames=[name for name in admins.all() if name],
    )


async def current_figures(node: Node) -> NodeFigures:
    """`node_figures` now, read in a session of its own."""
    async with node.store.session() as session:
        return await node_figures(session)
