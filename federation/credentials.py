"""A professional's credential on the wire (Cove's vocabulary): the badge on an actor, written
for our members and read from other servers' actors, and the mark on a professional's note."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from federation.properties import read_entries, read_moment, read_text
from federation.vocabulary import AS_CONTEXT, iso8601

# What Mastodon, and most software that shows profile fields, labels the field with.
BADGE_LABEL = "Verified professional"
MAX_TEXT = 200  # as the credential's columns: longer text from a peer is cut


@dataclass(frozen=True, slots=True)
class WireCredential:
    """What a credential says: what was checked, who checked it and how, when, and until when
    (None: no end)."""

    title: str
    checked_by: str
    checked_at: datetime
    expires_at: datetime | None = None

    def counts(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


def badge_terms(credentials: Sequence[WireCredential]) -> dict[str, Any]:
    """The actor document's terms for its credentials: a schema:PropertyValue each, which
    Mastodon shows as a profile field (plain words for people and any software), and Cove's
    `credential` objects with the same facts as typed values, for software that acts on them.
    Nothing at all for an actor without one."""
    if not credentials:
        return {}
    return {
        "attachment": [
            {"type": "PropertyValue", "name": BADGE_LABEL, "value": _field_value(c)}
            for c in credentials
        ],
        "credential": [_credential_object(c) for c in credentials],
    }


def _field_value(credential: WireCredential) -> str:
    # Mastodon reads a field's value as HTML: the admin's words are escaped, never markup.
    day = f"{credential.checked_at.astimezone(UTC):%Y-%m-%d}"
    said = f"{credential.title} — checked by {credential.checked_by}, {day}"
    return html.escape(said, quote=False)


def _credential_object(credential: WireCredential) -> dict[str, Any]:
    found: dict[str, Any] = {
        "type": "Credential",
        "name": credential.title,
        "checkedBy": credential.checked_by,
        "checkedAt": iso8601(credential.checked_at),
    }
    if credential.expires_at is not None:
        found["endTime"] = iso8601(credential.expires_at)
    return found


def read_credentials(actor_document: Mapping[str, Any]) -> tuple[WireCredential, ...]:
    """The credentials an actor document carries under Cove's `credential` term (one object or
    a list); entries without a type, a title, a checker or a checking date are skipped, as is
    anything that is not an object. Whether to believe them is the caller's to decide: only
    the actor's own server may say it (see node.crisis.professionals)."""
    found = []
    for entry in read_entries(actor_document.get("credential")):
        if not isinstance(entry, Mapping) or entry.get("type") != "Credential":
            continue
        title = read_text(entry.get("name"))
        checked_by = read_text(entry.get("checkedBy"))
        checked_at = read_moment(entry.get("checkedAt"))
        if not title or not checked_by or checked_at is None:
            continue
        expires = entry.get("endTime")
        expires_at = read_moment(expires)
        if expires is not None and expires_at is None:
            continue  # an end we cannot read is not "no end"
        found.append(
            WireCredential(title[:MAX_TEXT], checked_by[:MAX_TEXT], checked_at, expires_at)
        )
    return tuple(found)


def marked_professional_note(
    activity: Mapping[str, Any], cove_context: Mapping[str, Any]
) -> dict[str, Any]:
    """A Create of a reply, its Note marked as a professional's note (`professionalNote`), with
    Cove's context beside ActivityStreams' so JSON-LD readers know the term too. Software that
    knows no such term shows an ordinary reply."""
    inner = activity.get("object")
    assert isinstance(inner, Mapping)  # a Create this node built, its Note embedded
    return {**activity, "@context": note_context(cove_context), "object": marked_note(inner)}


def marked_note(note: Mapping[str, Any]) -> dict[str, Any]:
    return {**note, "professionalNote": True}


def note_context(cove_context: Mapping[str, Any]) -> list[Any]:
    """The @context of a document that carries a professional's note."""
    return [AS_CONTEXT, dict(cove_context)]
