"""A node configured to publish follower lists pages them like any other collection."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.config import Config
from node.groups import groups
from node.groups.groups import NewGroup
from node.store.states import MembershipState
from tests.conftest import ServedNode, make_config
from tests.node.http.activitypub.test_collections import add_followers, walk


@pytest.fixture
def config(config: Config, tmp_path: Path, database_url: str, port: int) -> Config:
    return make_config(tmp_path, database_url, port, privacy={"expose_followers": True})


async def test_followers_are_paged_when_the_node_publishes_them(served: ServedNode) -> None:
    group = await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    accepted = await add_followers(served.node, group, 23, MembershipState.ACCEPTED)
    await add_followers(served.node, group, 4, MembershipState.PENDING)
    root, pages = await walk(served, served.urls.group("grief") + "/followers")
    assert root["totalItems"] == 23
    listed = [uri for p in pages for uri in p["orderedItems"]]
    assert sorted(listed) == sorted(accepted)
    assert [len(p["orderedItems"]) for p in pages] == [20, 3]
