"""OrderedCollection and OrderedCollectionPage documents (outbox, followers, moderators...), and
reading the moderators collection of a group on another server."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from federation.client import FederationClient, Signer
from federation.properties import first_id, is_http_url
from federation.vocabulary import AS_CONTEXT


def ordered_collection(
    collection_id: str,
    total_items: int,
    *,
    first: str | None = None,
    last: str | None = None,
    items: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """The collection itself: its size, a link to its first page, and inline items if small.

    Lemmy and Mastodon read a group's moderators and featured posts from orderedItems on the
    collection itself (FEP-1b12), so those carry their items inline as well as in pages.
    """
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total_items,
    }
    if first is not None:
        doc["first"] = first
    if last is not None:
        doc["last"] = last
    if items is not None:
        doc["orderedItems"] = list(items)
    return doc


def ordered_collection_page(
    page_id: str,
    part_of: str,
    items: Sequence[Any],
    *,
    next_page: str | None = None,
    prev_page: str | None = None,
    total_items: int | None = None,
) -> dict[str, Any]:
    """One page of an ordered collection, linked to its neighbours."""
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": part_of,
    }
    if total_items is not None:
        doc["totalItems"] = total_items
    if next_page is not None:
        doc["next"] = next_page
    if prev_page is not None:
        doc["prev"] = prev_page
    doc["orderedItems"] = list(items)
    return doc


async def read_moderators(client: FederationClient, url: str, signer: Signer) -> set[str]:
    """The actor ids a group's moderators collection lists, inline or, when it is paged, on its
    first page (which is enough for a moderators list). FetchError when it cannot be read."""
    document = (await client.get_json(url, signer)).document
    listed = listed_ids(document)
    first = document.get("first")
    if listed is None and isinstance(first, str):  # paged: the first page is enough
        listed = listed_ids((await client.get_json(first, signer)).document)
    return listed or set()


def listed_ids(document: Mapping[str, Any]) -> set[str] | None:
    """The http(s) ids a collection (or page) lists inline, each item an id or an object with
    one; None when it lists none inline. Anything else in the list (a number, a nested list, an
    object without an id) names no one: a group's server decides only what it lists properly."""
    items = document.get("orderedItems", document.get("items"))
    if items is None:
        return None
    entries = items if isinstance(items, list) else [items]
    return {found for found in map(first_id, entries) if is_http_url(found)}
