"""Readers of single properties of inbound documents: ids and URLs, addressing, text and
language maps, links, moments, tags, attachments and keys; junk is dropped or refused."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from federation.errors import Invalid
from federation.vocabulary import AS_PUBLIC
from federation.wire import Attachment, Tag, WireKey

# Spellings of the public collection that Mastodon also accepts in addressing (it compares
# against "as:Public" and "Public" too), and that pyld compaction produces ("as:Public").
_PUBLIC_SPELLINGS = frozenset({AS_PUBLIC, "as:Public", "Public"})


def first_id(value: object) -> str | None:
    """The first id a property gives: a string, an object's id, or the first of a list that has
    one. Lists inside lists are not looked into."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            return item
        item_id = item.get("id") if isinstance(item, Mapping) else None
        if isinstance(item_id, str):
            return item_id
    return None


def is_http_url(value: object) -> TypeGuard[str]:
    """An absolute http(s) URL with a host, and nothing that would break a log line."""
    return isinstance(value, str) and _http_url(value)


@lru_cache(maxsize=8192)  # the same actor, group and Public URLs come in all day
def _http_url(value: str) -> bool:
    # Every whitespace character but the ASCII space is unprintable (Unicode Z* and Cc).
    if " " in value or not value.isprintable():
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unbalanced [ in the host
        return False


def read_id(doc: Mapping[str, Any], kind: str) -> str:
    """The document's own id, an http(s) URL; a `kind` without one is Invalid."""
    value = doc.get("id")
    if value is None:
        raise Invalid(f"{kind} has no id")
    if not is_http_url(value):
        raise Invalid(f"{kind} id must be an http(s) URL")
    return value


def required_url(doc: Mapping[str, Any], name: str, kind: str) -> str:
    """The URL property `name` (or the first id it gives) must hold, or Invalid."""
    value = doc.get(name)
    if value is None:
        raise Invalid(f"{kind} has no {name}")
    found = first_id(value)
    if not is_http_url(found):
        raise Invalid(f"{name} must be a URL")
    return found


def optional_url(value: object) -> str | None:
    """The URL a property gives (or its first id), or None for anything else."""
    found = first_id(value)
    return found if is_http_url(found) else None


def read_attribution(doc: Mapping[str, Any]) -> str | None:
    # PeerTube attributes a video to [account, channel] as embedded actors: the first is the author.
    value = doc.get("attributedTo")
    if value is None:
        return None
    found = first_id(value)
    if not is_http_url(found):
        raise Invalid("attributedTo must be a URL")
    return found


def read_addresses(value: object) -> tuple[str, ...]:
    """to/cc/audience: one address or a list, each a URL or an embedded actor; junk dropped."""
    found: list[str] = []
    for entry in value if isinstance(value, list) else [value]:
        address = first_id(entry)
        if address in _PUBLIC_SPELLINGS:
            found.append(AS_PUBLIC)
        elif is_http_url(address):
            found.append(address)
    return tuple(dict.fromkeys(found))


def read_text(value: object) -> str | None:
    """A string, or the first string of a list or of JSON-LD value objects ({"@value": ...})."""
    for entry in value if isinstance(value, list) else [value]:
        inner = entry.get("@value") if isinstance(entry, Mapping) else entry
        if isinstance(inner, str):
            return inner
    return None


def read_language_map(value: object) -> str | None:
    """The first text of a language map, as in Mastodon's contentMap ({"en": "<p>…</p>"})."""
    if not isinstance(value, Mapping):
        return None
    return next((text for text in value.values() if isinstance(text, str)), None)


def read_link(value: object) -> str | None:
    """A url property: a URL, or Link objects with href (PeerTube lists several; HTML first)."""
    for entry in value if isinstance(value, list) else [value]:
        candidate = entry.get("href", entry.get("id")) if isinstance(entry, Mapping) else entry
        if is_http_url(candidate):
            return candidate
    return None


def read_bool(value: object) -> bool | None:
    """true or false as said; None when the property is absent or not a boolean."""
    return value if isinstance(value, bool) else None


def read_moment(value: object) -> datetime | None:
    """An xsd:dateTime as an aware datetime; a date without a zone is taken as UTC."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def read_entries(value: object) -> list[Mapping[str, Any] | str]:
    """The entries of a property given as one value or a list: objects and strings."""
    entries = value if isinstance(value, list) else [value]
    return [e for e in entries if isinstance(e, Mapping | str)]


def read_tag(entry: Mapping[str, Any] | str) -> Tag:
    """One entry of `tag`; a bare string is read as a Link."""
    if isinstance(entry, str):
        return Tag(type="Link", href=entry if is_http_url(entry) else None, name=None)
    return Tag(
        type=read_text(entry.get("type")) or "Link",
        href=read_link(entry.get("href")),
        name=read_text(entry.get("name")),
    )


def read_attachment(entry: Mapping[str, Any] | str) -> Attachment:
    """One entry of `attachment`; a bare string is read as a Link."""
    if isinstance(entry, str):
        return Attachment(type="Link", url=read_link(entry), media_type=None, name=None)
    return Attachment(
        type=read_text(entry.get("type")) or "Link",
        # Lemmy sends links as {"type": "Link", "href": ...}, images with url.
        url=read_link(entry.get("url")) or read_link(entry.get("href")),
        media_type=read_text(entry.get("mediaType")),
        name=read_text(entry.get("name")),
    )


def read_public_key(value: object) -> WireKey | None:
    """The key an actor publishes in `publicKey`, if a complete one is given."""
    # Some servers publish several keys as a list; the first complete one is used.
    for entry in value if isinstance(value, list) else [value]:
        if not isinstance(entry, Mapping):
            continue
        key_id, owner, pem = entry.get("id"), entry.get("owner"), entry.get("publicKeyPem")
        if is_http_url(key_id) and is_http_url(owner) and isinstance(pem, str):
            return WireKey(id=key_id, owner=owner, pem=pem)
    return None
