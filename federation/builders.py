"""Outgoing activities, built from typed values: the shapes peers expect (federation-wire.md
sections 2 and 3). Ids are minted by the caller, always on this node's domain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from federation.vocabulary import AS_CONTEXT, AS_PUBLIC

Document = dict[str, Any]


def _activity(
    activity_id: str,
    kind: str,
    actor: str,
    obj: object,
    to: Sequence[str],
    cc: Sequence[str] = (),
    **extra: Any,
) -> Document:
    doc: Document = {"@context": AS_CONTEXT, "id": activity_id, "type": kind, "actor": actor}
    doc["to"] = list(to)
    doc["cc"] = list(cc)
    doc["object"] = obj
    doc.update({k: v for k, v in extra.items() if v is not None})
    return doc


def _without_context(document: Mapping[str, Any]) -> Document:
    return {k: v for k, v in document.items() if k != "@context"}


def accept(activity_id: str, group: str, follow: Mapping[str, Any], follower: str) -> Document:
    """Accept{Follow}: the Follow embedded unchanged, the id ours (Misskey refuses reused ids)."""
    return _activity(activity_id, "Accept", group, _without_context(follow), [follower])


def reject(activity_id: str, group: str, follow: Mapping[str, Any], follower: str) -> Document:
    return _activity(activity_id, "Reject", group, _without_context(follow), [follower])


def follow(activity_id: str, actor: str, group: str) -> Document:
    # Lemmy sends {actor, to: [group], object: group} and expects the same shape back.
    return _activity(activity_id, "Follow", actor, group, [group])


def undo(
    activity_id: str,
    actor: str,
    inner: Mapping[str, Any],
    to: Sequence[str],
    cc: Sequence[str] = (),
) -> Document:
    return _activity(activity_id, "Undo", actor, _without_context(inner), to, cc)


def announce_activity(
    activity_id: str, group: str, inner: Mapping[str, Any], followers: str, public: bool
) -> Document:
    """FEP-1b12: the received activity wrapped unchanged, for group-aware followers."""
    to = [AS_PUBLIC] if public else [followers]
    cc = [followers, group] if public else [group]
    return _activity(activity_id, "Announce", group, dict(inner), to, cc)


def announce_object(activity_id: str, group: str, object_id: str, followers: str) -> Document:
    """A boost by object id, for Mastodon and other microblogs (top-level public posts)."""
    return _activity(activity_id, "Announce", group, object_id, [AS_PUBLIC], [followers])


def note(
    object_id: str,
    author: str,
    group: str,
    content_html: str,
    published: str,
    *,
    name: str | None = None,
    in_reply_to: str | None = None,
    updated: str | None = None,
    public: bool = True,
    followers: str | None = None,
    mentioned: str | None = None,
    content_warning: str | None = None,
) -> Document:
    """A post (Page when it has a title, as Lemmy reads threads) or comment (Note) in a group;
    a reply names the author it answers (cc and a Mention, as Mastodon and Lemmy do). A
    content warning is Mastodon's: `summary`, with the post marked `sensitive`."""
    to = [group, AS_PUBLIC] if public else [group]
    doc: Document = {
        "id": object_id,
        "type": "Page" if name and not in_reply_to else "Note",
        "attributedTo": author,
        "to": to,
        "cc": [u for u in (followers, mentioned) if u],
        "audience": group,
        "content": content_html,
        "mediaType": "text/html",
        "published": published,
    }
    if name:
        doc["name"] = name
    if in_reply_to:
        doc["inReplyTo"] = in_reply_to
    if updated:
        doc["updated"] = updated
    if mentioned:
        doc["tag"] = [{"type": "Mention", "href": mentioned}]
    if content_warning:
        doc["summary"], doc["sensitive"] = content_warning, True
    return doc


def create(activity_id: str, actor: str, obj: Mapping[str, Any]) -> Document:
    return _activity(
        activity_id,
        "Create",
        actor,
        dict(obj),
        obj.get("to", []),
        obj.get("cc", []),
        audience=obj.get("audience"),
    )


def update(activity_id: str, actor: str, obj: Mapping[str, Any]) -> Document:
    return _activity(
        activity_id,
        "Update",
        actor,
        dict(obj),
        obj.get("to", []),
        obj.get("cc", []),
        audience=obj.get("audience"),
    )


def actor_update(
    activity_id: str, actor: Mapping[str, Any], followers: str, public: bool
) -> Document:
    """An actor's Update of itself (its whole document), to its followers: how Mastodon sends
    a changed profile, and reads one (only from the actor it describes)."""
    to = [AS_PUBLIC] if public else [followers]
    cc = [followers] if public else []
    return _activity(activity_id, "Update", str(actor["id"]), _without_context(actor), to, cc)


def group_update_by(
    activity_id: str, editor: str, group: Mapping[str, Any], followers: str, public: bool
) -> Document:
    """A group's whole document updated by a person of its own server, as Lemmy and PieFed
    write a community's change (to be announced by the group: Lemmy 0.19 and Mbin take a
    group's change only so, from a person)."""
    group_id = str(group["id"])
    to = [group_id, AS_PUBLIC] if public else [group_id, followers]
    return _activity(
        activity_id, "Update", editor, _without_context(group), to, [group_id], audience=group_id
    )


def delete(activity_id: str, actor: str, object_id: str, group: str) -> Document:
    return _activity(activity_id, "Delete", actor, object_id, [group, AS_PUBLIC], audience=group)


def delete_actor(actor: str) -> Document:
    """An account deleted at its home server: the actor deletes itself, addressed to Public,
    as Mastodon sends it (and Lemmy's account deletion reads the same)."""
    return _activity(f"{actor}#delete", "Delete", actor, actor, [AS_PUBLIC])


def tombstone(object_id: str, former_type: str, deleted: str) -> Document:
    """What is left at a deleted object's id (410 Gone), as Mastodon answers for an account."""
    return {
        "@context": AS_CONTEXT,
        "id": object_id,
        "type": "Tombstone",
        "formerType": former_type,
        "deleted": deleted,
    }


def like(
    activity_id: str, actor: str, object_id: str, group: str, author: str | None = None
) -> Document:
    """A vote for a post in a group, addressed to its author too when they are named."""
    to = [group, author] if author else [group]
    return _activity(activity_id, "Like", actor, object_id, to, audience=group)


def collection_change(
    activity_id: str, kind: str, actor: str, object_id: str, target: str, followers: str
) -> Document:
    """Add or Remove of an object on one of the actor's collections (featured, moderators)."""
    return _activity(activity_id, kind, actor, object_id, [AS_PUBLIC], [followers], target=target)


# Moderation (federation-wire.md section 4) ------------------------------------------------------


def removal(
    activity_id: str, actor: str, object_id: str, group: str, reason: str, public: bool
) -> Document:
    """A moderator's removal: a Delete with a `summary` (Lemmy's Remove), restored by Undo."""
    return _activity(
        activity_id,
        "Delete",
        actor,
        object_id,
        [AS_PUBLIC] if public else [group],
        [group],
        audience=group,
        summary=reason or "removed by a moderator",
    )


def lock(
    activity_id: str, actor: str, object_id: str, group: str, reason: str, public: bool
) -> Document:
    return _activity(
        activity_id,
        "Lock",
        actor,
        object_id,
        [AS_PUBLIC] if public else [group],
        [group],
        audience=group,
        summary=reason or None,
    )


def ban(
    activity_id: str,
    actor: str,
    banned: str,
    group: str,
    reason: str,
    expires: str | None,
    remove_data: bool,
) -> Document:
    """A ban from a group: Block with the group as `target` (Lemmy requires to, cc, target);
    the expiry under both names peers read (`endTime` from Lemmy, `expires` from Cove)."""
    return _activity(
        activity_id,
        "Block",
        actor,
        banned,
        [AS_PUBLIC],
        [group],
        target=group,
        audience=group,
        summary=reason or None,
        removeData=remove_data,
        endTime=expires,
        expires=expires,
    )


def block(activity_id: str, actor: str, person: str) -> Document:
    """A person's block of another person: Block with no `target` (a target would make it a
    ban from a group), addressed to the blocked person and sent to their inbox, as Mastodon's
    BlockSerializer writes it; Mastodon, Misskey and Lemmy read `actor` and `object` only."""
    return _activity(activity_id, "Block", actor, person, [person])


def flag(
    activity_id: str,
    actor: str,
    objects: Sequence[str],
    to: Sequence[str],
    comment: str,
    *,
    category: str | None = None,
    rules: Sequence[int] = (),
    context: Mapping[str, Any] | None = None,
) -> Document:
    """A report. The reason goes in both `content` (Mastodon reads it) and `summary` (Lemmy,
    PieFed and Mbin read it); Cove's `category` and `rules` ride along for Cove peers."""
    doc = _activity(
        activity_id,
        "Flag",
        actor,
        list(objects),
        to,
        content=comment or None,
        summary=comment or None,
        category=category,
        rules=list(rules) or None,
    )
    if context is not None:
        doc["@context"] = [AS_CONTEXT, dict(context)]
    if len(to) == 1:
        doc["audience"] = to[0]
    return doc


def report_outcome(
    activity_id: str, actor: str, flag_id: str, reporter: str, accepted: bool, content: str
) -> Document:
    """What became of a received report, for the server that sent it: Accept (action taken)
    or Reject (dismissed) of the original Flag, with a plain-language `content`."""
    kind = "Accept" if accepted else "Reject"
    return _activity(activity_id, kind, actor, flag_id, [reporter], content=content)


def welcome(
    object_id: str, group: str, follower: str, content_html: str, published: str
) -> Document:
    """A direct note from a group to a new follower, carrying the group's rules."""
    return direct_note(object_id, group, follower, content_html, published)


def direct_note(
    object_id: str,
    sender: str,
    person: str,
    content_html: str,
    published: str,
    *,
    language: str | None = None,
) -> Document:
    """A private note to one person: addressed to them alone (no cc, never Public) and
    mentioning them, which is what Mastodon reads as a direct message."""
    doc: Document = {
        "id": object_id,
        "type": "Note",
        "attributedTo": sender,
        "to": [person],
        "cc": [],
        "content": content_html,
        "mediaType": "text/html",
        "published": published,
        "tag": [{"type": "Mention", "href": person}],
    }
    if language:
        doc["contentMap"] = {language: content_html}
    return doc


def policy_entry(
    entry_id: str,
    domain: str | None,
    digest: str,
    severity: str,
    *,
    reject_media: bool,
    reject_reports: bool,
    summary: str,
    labels: Sequence[str],
    end_time: str | None,
) -> Document:
    """A shared domain policy entry (Cove's vocabulary); `domain` None: by digest only."""
    doc: Document = {"id": entry_id, "type": "DomainPolicy", "domainDigest": digest}
    if domain is not None:
        doc["domain"] = domain
    doc.update(severity=severity, rejectMedia=reject_media, rejectReports=reject_reports)
    if summary:
        doc["summary"] = summary
    if labels:
        doc["labels"] = list(labels)
    if end_time:
        doc["endTime"] = end_time
    return doc


def policy_change(
    activity_id: str,
    kind: str,
    actor: str,
    entries: Sequence[Mapping[str, Any]],
    collection: str,
    context: Mapping[str, Any],
) -> Document:
    """Add or Remove of shared domain policy entries on the actor's policy collection, with
    Cove's context for the entries' terms (other software ignores it)."""
    doc = _activity(
        activity_id, kind, actor, [dict(e) for e in entries], [AS_PUBLIC], target=collection
    )
    doc["@context"] = [AS_CONTEXT, dict(context)]
    return doc
