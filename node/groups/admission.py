"""What a group of this node lets in and relays: one admission for every way content reaches
it (a post, a reply, a private message, an edit, a vote), deciding on bans, the domain
policy, the group's posting policy, its rules, members-only, and what becomes of it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Refused
from federation.wire import Activity, WireObject
from moderation.crisis.levels import Assessment, Level
from moderation.crisis.reading import read_object
from moderation.roles import MODERATING
from node.groups.groups import GroupInfo
from node.groups.rules import must_accept
from node.moderators.bans import check_not_banned, thread_locked
from node.runtime import Node
from node.store.states import MembershipState, PostingPolicy, Visibility
from node.store.tables import CommunityGroup, Membership, Post

RELAYED = (Visibility.PUBLIC, Visibility.MEMBERS_ONLY)
CALM = Assessment(Level.NONE)


@dataclass(frozen=True, slots=True)
class Admission:
    """How the group keeps what it let in, whether it tells its followers, and how urgent it
    reads (a held post waits, unannounced, for a moderator)."""

    visibility: Visibility
    relay: bool
    keep_media: bool
    assessment: Assessment = CALM
    held: bool = False


async def membership_of(session: AsyncSession, group_id: int, actor_uri: str) -> Membership | None:
    found = await session.exec(
        select(Membership).where(Membership.group_id == group_id, Membership.actor_uri == actor_uri)
    )
    return found.first()


async def admit_post(
    node: Node, group: GroupInfo, activity: Activity, obj: WireObject
) -> Admission:
    """A post or reply that reaches the group (Create). Refused, with the reason, when its
    author may not post there; a private mention of the group is kept for the moderators
    and never relayed; a silenced server's post is kept and relayed to no one."""
    author = activity.actor
    keep_media = await _servers_federate(node, author, obj.id)
    group_uri = node.urls.group(group.name)
    public = activity.is_public or obj.is_public
    # In a members-only group a post carries the group as its audience (Lemmy, Cove); a
    # mention without it (Mastodon's direct message) is for the moderators.
    for_members = group.members_only and group_uri in {*activity.audience, *obj.audience}
    raw = activity.raw.get("object")
    declared = raw if isinstance(raw, dict) else None
    assessment = read_object(obj, declared, second_stage=node.config.crisis.second_stage)
    if not public and not for_members:
        await check_not_banned(node, group, author)
        return Admission(Visibility.DIRECT, False, keep_media, assessment)
    await may_post(node, group, author, bool(obj.in_reply_to), obj.in_reply_to)
    if (await node.policy.decide_url(author, node.clock())).silenced:
        # A silenced server's posts reach only those who follow the author: the group keeps
        # the post unlisted (its moderators see it) and boosts it to no one.
        return Admission(Visibility.UNLISTED, False, keep_media, assessment)
    shared = Visibility.MEMBERS_ONLY if group.members_only else Visibility.PUBLIC
    held = assessment.level == Level.ACUTE and await holds_acute(node, group)
    return Admission(shared, not held, keep_media, assessment, held)


async def holds_acute(node: Node, group: GroupInfo) -> bool:
    """Whether the group holds acute posts for a moderator before announcing them."""
    async with node.store.session() as session:
        row = await session.get(CommunityGroup, group.id)
    return row is not None and row.hold_acute


async def admit_change(node: Node, group: GroupInfo, activity: Activity, post: Post) -> Admission:
    """An edit, deletion, vote or undo about a post the group holds. It is relayed only as
    far as the post itself was: an edit never turns a private message or a held post into a
    shared one. An author may always delete their own post; a vote may be taken back by anyone
    not banned; anything else passes the same checks as a new post (a ban since, a server cut
    off since, membership, rules)."""
    relayed = post.visibility in RELAYED and post.removed_at is None
    if activity.type == "Undo":
        # A vote taken back: a banned voter's vote was never relayed, nor is its Undo.
        await check_not_banned(node, group, activity.actor)
    if activity.type in ("Delete", "Undo"):
        return Admission(post.visibility, relay=relayed, keep_media=True)
    keep_media = await _servers_federate(node, activity.actor, activity.object_id)
    if activity.type == "Update" or group.members_only:
        await may_post(node, group, activity.actor, is_reply=post.in_reply_to_uri is not None)
    elif group.posting_policy != PostingPolicy.ANYONE:
        # Votes count only from those who may take part (a reply's rule).
        await may_post(node, group, activity.actor, is_reply=True)
    else:
        await check_not_banned(node, group, activity.actor)
    silenced = (await node.policy.decide_url(activity.actor, node.clock())).silenced
    return Admission(post.visibility, relay=relayed and not silenced, keep_media=keep_media)


async def _servers_federate(node: Node, actor: str, object_id: str) -> bool:
    """Refused when the actor's or the object's server is cut off; whether their media may be
    kept (reject_media). Bans and the group's own domain blocks are `may_post`'s."""
    keep_media = True
    for url in dict.fromkeys((actor, object_id)):
        decision = await node.policy.decide_url(url, node.clock())
        if decision.suspended:
            raise Refused(
                "the server of {url} is not federated with ({why})", url=url, why=decision.why
            )
        keep_media = keep_media and not decision.reject_media
    return keep_media


async def may_post(
    node: Node, group: GroupInfo, author: str, is_reply: bool, in_reply_to: str | None = None
) -> None:
    """The group's posting policy, its bans, locked threads and rules to accept; Refused with
    the reason when the author may not post."""
    await check_not_banned(node, group, author)
    async with node.store.session() as session:
        membership = await membership_of(session, group.id, author)
        if in_reply_to is not None and await thread_locked(session, in_reply_to):
            raise Refused("the thread is locked: no new replies")
        if membership is not None and membership.account_id is not None:
            version = await must_accept(session, group.id, membership.rules_accepted)
            if version is not None:
                raise Refused(
                    "the rules of {group} changed: read and accept version {version}"
                    " before posting again",
                    group=group.name,
                    version=version,
                )
    member = membership is not None and membership.state == MembershipState.ACCEPTED
    moderator = member and membership is not None and membership.role in MODERATING
    policy = group.posting_policy
    if policy == PostingPolicy.ANYONE and not group.members_only:
        return
    if is_reply or policy == PostingPolicy.MEMBERS or group.members_only:
        if not member:
            raise Refused("only members of {group} may post there", group=group.name)
        if policy != PostingPolicy.MODERATORS or is_reply:
            return
    if not moderator:
        raise Refused("only the moderators of {group} start threads there", group=group.name)
