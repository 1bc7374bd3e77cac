"""Domain values turned into the wire's typed actors and objects (node URLs filled in)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from federation.actors import Actor
from federation.credentials import WireCredential, badge_terms
from federation.objects import PostObject
from federation.vocabulary import iso8601
from moderation.modlog import ACTIVITY_TYPE, ModAction
from node.actors.instance import InstanceInfo
from node.actors.local import PublishedKeys
from node.config import Config
from node.groups.groups import GroupInfo
from node.groups.posts import PostInfo
from node.members.accounts import AccountInfo
from node.store.states import PostKind, Visibility
from node.store.tables import ModLogEntry
from node.text import plain_to_html
from node.urls import Urls


def instance_actor(urls: Urls, config: Config, info: InstanceInfo, keys: PublishedKeys) -> Actor:
    actor_id = urls.instance_actor()
    return Actor(
        **keys.addresses(urls, actor_id),
        type="Application",
        preferred_username=urls.domain,
        name=config.node.name,
        summary_html=plain_to_html(config.node.description),
        url=urls.root(),
        published=info.created_at,
        webfinger=f"{urls.domain}@{urls.domain}",
        # Mastodon marks its instance actor locked: nobody follows a server (but other Cove
        # nodes do, for its domain policy; they are accepted).
        manually_approves_followers=True,
        extensions={"domainPolicy": urls.domain_policy()}
        if config.federation.expose_blocklist
        else {},
    )


def person_actor(
    urls: Urls,
    account: AccountInfo,
    keys: PublishedKeys,
    credentials: Sequence[WireCredential] = (),
) -> Actor:
    actor_id = urls.person(account.username)
    return Actor(
        **keys.addresses(urls, actor_id),
        type="Person",
        preferred_username=account.username,
        name=account.display_name,
        summary_html=plain_to_html(account.summary),
        url=actor_id,
        published=account.created_at,
        webfinger=f"{account.username}@{urls.domain}",
        followers=urls.followers(actor_id),
        following=urls.following(actor_id),
        discoverable=account.discoverable,
        indexable=False,
        extensions=badge_terms(credentials),
    )


def post_object(urls: Urls, group: GroupInfo, post: PostInfo) -> PostObject:
    group_id = urls.group(group.name)
    return PostObject(
        id=post.uri,
        type="Page" if post.kind == PostKind.PAGE else "Note",
        # The world sees the group as the author of an anonymous post.
        attributed_to=group_id if post.anonymous else post.author_uri,
        group=group_id,
        group_followers=urls.followers(group_id),
        content_html=post.content_html,
        published=post.published,
        public=post.visibility in (Visibility.PUBLIC, Visibility.UNLISTED),
        name=post.title,
        in_reply_to=post.in_reply_to_uri,
        sensitive=post.sensitive,
        updated=post.updated_at,
    )


def modlog_item(entry: ModLogEntry, group_uri: str, *, hide_names: bool) -> dict[str, Any]:
    """One line of a group's moderation log as an ActivityStreams activity: its type says
    what kind of action it was, `name` the exact action, `summary` the reason."""
    item: dict[str, Any] = {
        "type": ACTIVITY_TYPE.get(ModAction(entry.action), "Activity"),
        "name": entry.action,
        "actor": group_uri if hide_names or entry.moderator_uri is None else entry.moderator_uri,
        "object": entry.target_uri,
        "target": group_uri,
        "published": iso8601(entry.created_at),
    }
    if entry.reason:
        item["summary"] = entry.reason
    if entry.expires_at is not None:
        item["endTime"] = iso8601(entry.expires_at)
    return item
