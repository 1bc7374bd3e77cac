"""Who a post is by, as the pages print it: a member here by their display name and handle,
a person elsewhere by what their server last said, and an anonymous post by no one (the
pages never learn its author)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from node.groups.posts import PostInfo
from node.runtime import Node
from node.store.tables import Account, LocalActor, RemoteActor


@dataclass(frozen=True, slots=True)
class Byline:
    name: str
    handle: str | None  # user@domain, when known
    url: str | None  # where to read more about them; None for an anonymous post


ANONYMOUS = Byline("", None, None)  # the pages say "an anonymous member" in the reader's words


async def bylines(node: Node, posts: Iterable[PostInfo]) -> dict[str, Byline]:
    """Each post's byline, by post uri."""
    posts = list(posts)
    async with node.store.session() as session:
        found = await people(session, node, {p.author_uri for p in posts if not p.anonymous})
    return {p.uri: ANONYMOUS if p.anonymous else found[p.author_uri] for p in posts}


async def people(session: AsyncSession, node: Node, uris: Collection[str]) -> dict[str, Byline]:
    """Who each actor is, as the pages name them, read at once: a member here, a person
    elsewhere as their server last said, else their address alone."""
    local_prefix = node.urls.person("")
    local = {u[len(local_prefix) :]: u for u in uris if u.startswith(local_prefix)}
    found: dict[str, Byline] = {}
    if local:
        rows = await session.exec(
            select(LocalActor.username, Account.display_name)
            .join(Account, col(Account.actor_id) == col(LocalActor.id))
            .where(col(LocalActor.username).in_(list(local)))
        )
        for username, display in rows.all():
            if username is not None:
                here = f"{username}@{node.urls.domain}"
                found[local[username]] = Byline(display or here, here, local[username])
    remote = [u for u in uris if u not in found]
    if remote:
        rows2 = await session.exec(select(RemoteActor).where(col(RemoteActor.uri).in_(remote)))
        for actor in rows2.all():
            handle = f"{actor.username}@{actor.domain}" if actor.username else None
            found[actor.uri] = Byline(actor.name or handle or actor.uri, handle, actor.uri)
    return {u: found.get(u) or _unknown(u) for u in uris}


def _unknown(uri: str) -> Byline:
    return Byline(urlsplit(uri).netloc or uri, None, uri)
