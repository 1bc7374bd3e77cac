"""Public keys as actors publish them: `publicKey` on the actor (one or a list), or a standalone
key document whose `owner` must list the key back (Mastodon's and GoToSocial's shapes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from federation.errors import Unauthorized

KEY_TYPES = frozenset({"CryptographicKey", "Key", "Multikey"})


@dataclass(frozen=True, slots=True)
class PublishedKey:
    key_id: str
    owner: str
    public_key_pem: str


def without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def _keys_of(actor: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    value = actor.get("publicKey")
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [k for k in value if isinstance(k, Mapping)]
    return []


def key_on_actor(actor: Mapping[str, Any], key_id: str) -> PublishedKey | None:
    """The key with this id that the actor document publishes, if it does."""
    actor_id = actor.get("id")
    if not isinstance(actor_id, str):
        return None
    for key in _keys_of(actor):
        pem = key.get("publicKeyPem")
        if key.get("id") == key_id and isinstance(pem, str):
            owner = key.get("owner", actor_id)
            if owner != actor_id:
                return None  # a key that names another owner proves nothing about this actor
            return PublishedKey(key_id=key_id, owner=actor_id, public_key_pem=pem)
    return None


def is_key_document(document: Mapping[str, Any]) -> bool:
    kind = document.get("type")
    return (isinstance(kind, str) and kind in KEY_TYPES) or (
        "publicKeyPem" in document and "owner" in document
    )


def key_owner(document: Mapping[str, Any]) -> str:
    owner = document.get("owner") or document.get("controller")
    if not isinstance(owner, str):
        raise Unauthorized("the key document names no owner")
    return owner
