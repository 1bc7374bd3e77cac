"""Reading who a collection lists (a group's moderators, on another server): ids and objects
with ids count; anything else a hostile server puts there names no one, and is no error."""

from __future__ import annotations

from typing import Any

import pytest

from federation.collections import listed_ids, ordered_collection

MOD = "https://lemmy.example/u/mod"


def test_a_collection_lists_ids_and_objects_with_ids() -> None:
    document = ordered_collection(
        "https://lemmy.example/c/garden/moderators", 2, items=[MOD, {"id": MOD + "2"}]
    )
    assert listed_ids(document) == {MOD, MOD + "2"}
    assert listed_ids({"items": MOD}) == {MOD}  # one value, as JSON-LD allows


def test_a_paged_collection_lists_nothing_inline() -> None:
    assert listed_ids({"type": "OrderedCollection", "first": "https://lemmy.example/p/1"}) is None


@pytest.mark.parametrize(
    "items",
    [
        [1, 2.5, None, True],
        [["https://lemmy.example/u/nested"], {"name": "no id"}, {"id": 7}],
        ["not a url", "javascript:alert(1)", ""],
        {"id": "ftp://lemmy.example/u/mod"},
        "abc",
    ],
)
def test_whatever_else_a_server_lists_names_no_one(items: Any) -> None:
    found = listed_ids({"orderedItems": items})
    assert found is not None
    assert found <= {"https://lemmy.example/u/nested"}  # a nested list's first id at most
