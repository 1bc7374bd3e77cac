"""Migration 0017 on SQLite and PostgreSQL: the database keeps the organizer role (and still
refuses roles it does not know), groups made before it keep taking anonymous posts, and going
back makes organizers members again."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts
from node.runtime import Node
from node.store import migrate
from node.store.states import AccountRole

pytestmark = pytest.mark.storage


async def _roles(node: Node) -> dict[str, str]:
    async with node.store.engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT local_actor.username, account.role FROM account"
                " JOIN local_actor ON local_actor.id = account.actor_id"
            )
        )
        return {str(name): str(role) for name, role in rows.all()}


async def test_organizers_are_kept_and_go_back_to_members(node: Node) -> None:
    await accounts.create_account(node, "olive", role=AccountRole.ORGANIZER)
    await accounts.create_account(node, "ada", role=AccountRole.ADMIN)
    assert await _roles(node) == {"olive": "organizer", "ada": "admin"}
    with pytest.raises(IntegrityError):  # the CHECK still holds against SQL past the model
        async with node.store.engine.begin() as connection:
            await connection.execute(text("UPDATE account SET role = 'overlord'"))

    await migrate.downgrade(node.store, "0016")
    assert await _roles(node) == {"olive": "member", "ada": "admin"}
    with pytest.raises(IntegrityError):  # before 0017, no organizers
        async with node.store.engine.begin() as connection:
            await connection.execute(text("UPDATE account SET role = 'organizer'"))
    await migrate.upgrade(node.store)
    async with node.store.engine.begin() as connection:
        await connection.execute(
            text("UPDATE account SET role = 'organizer' WHERE role = 'member'")
        )
    assert await _roles(node) == {"olive": "organizer", "ada": "admin"}


async def test_groups_made_before_the_setting_take_anonymous_posts(node: Node) -> None:
    await groups.create_group(node, NewGroup(name="elder", title="Elder", anonymous_posts=False))
    async with node.store.session() as session:
        assert (await groups.get_group(session, "elder")).anonymous_posts is False
    await migrate.downgrade(node.store, "0016")  # the choice did not exist: every group took them
    await migrate.upgrade(node.store)
    async with node.store.session() as session:
        assert (await groups.get_group(session, "elder")).anonymous_posts is True
