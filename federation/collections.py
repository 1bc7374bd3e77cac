"""OrderedCollection and OrderedCollectionPage documents (outbox, followers, moderators...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
