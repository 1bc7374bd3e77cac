"""What a person wrote, as their profile lists it: the same rule as `Visible.sees`, asked of
one author's posts at once. Never a post they wrote anonymously (listing it under their name
would tell who wrote it), nothing held or taken down, a members-only group's posts only to its
members, nothing at all to someone who blocks or mutes them."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col, select

from node.groups.groups import accepted_groups_elsewhere, accepted_groups_here
from node.groups.posts import LISTED_TO_MEMBERS, PostInfo, Visible, info_of
from node.store.states import PostState, Visibility
from node.store.tables import CommunityGroup, LocalActor, Post


@dataclass(frozen=True, slots=True)
class Written:
    posts: list[PostInfo]
    group_names: dict[int, str]  # the groups here they are in, by id


async def posts_by(visible: Visible, author_uri: str, limit: int = 20, skip: int = 0) -> Written:
    """The newest posts and replies `author_uri` wrote under their own name that this viewer
    may see (`skip` the newest so many)."""
    if author_uri in await visible.hidden():
        return Written([], {})
    open_groups = select(CommunityGroup.id).where(col(CommunityGroup.members_only).is_(False))
    # Public posts in groups open to anyone (here, or elsewhere: their server decides)...
    shown = sa.and_(
        col(Post.visibility) == Visibility.PUBLIC,
        col(Post.group_id).is_(None) | col(Post.group_id).in_(open_groups),
    )
    account_id = visible.viewer.account_id
    if account_id is not None:
        # ...and, to a member here, what the groups they belong to show their members.
        theirs = col(Post.group_id).in_(accepted_groups_here(account_id)) | col(Post.group_uri).in_(
            accepted_groups_elsewhere(account_id)
        )
        shown = sa.or_(shown, sa.and_(col(Post.visibility).in_(LISTED_TO_MEMBERS), theirs))
    async with visible.node.store.session() as session:
        found = await session.exec(
            select(Post)
            .where(
                Post.author_uri == author_uri,
                col(Post.anonymous).is_(False),
                Post.state == PostState.LIVE,
                col(Post.group_uri).is_not(None),
                shown,
            )
            .order_by(col(Post.published).desc(), col(Post.id).desc())
            .offset(skip)
            .limit(limit)
        )
        posts = [info_of(p) for p in found.all()]
        ids = {p.group_id for p in posts if p.group_id is not None}
        names = await session.exec(
            select(CommunityGroup.id, LocalActor.username)
            .join(LocalActor, col(CommunityGroup.actor_id) == col(LocalActor.id))
            .where(col(CommunityGroup.id).in_(ids))
        )
        return Written(posts, {i: n for i, n in names.all() if i is not None and n})
