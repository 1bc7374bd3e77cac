"""Nodes for the account tests: a real SMTP server on loopback that reads what they mail, a
clock the test moves, and cheap Argon2 parameters (the [passwords] keys exist for this)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from node.members.accounts import AccountInfo, create_account
from node.members.passwords import hash_password
from node.runtime import Node, open_node
from node.store.states import AccountRole
from tests.conftest import MovableClock, make_config
from tests.support.mail_catcher import MailCatcher, mail_catcher

CHEAP_HASHES = {"time_cost": 1, "memory_kib": 8, "parallelism": 1}
PASSWORD = "correct horse battery"

NodeFactory = Callable[..., Awaitable[Node]]


@pytest.fixture
async def mail() -> AsyncIterator[MailCatcher]:
    async with mail_catcher() as catcher:
        yield catcher


@pytest.fixture
async def make_node(
    tmp_path: Path, database_url: str, port: int, mail: MailCatcher
) -> AsyncIterator[NodeFactory]:
    """`await make_node(mode=..., mail_on=..., **registrations)`: a node on the test's database
    whose clock the test moves (`node.clock.advance`)."""
    opened: list[Node] = []

    async def make(
        mode: str = "open",
        mail_on: bool = True,
        passwords: dict[str, Any] | None = None,
        **registrations: Any,
    ) -> Node:
        config = make_config(
            tmp_path,
            database_url,
            port,
            registrations={"mode": mode, **registrations},
            mail=mail.settings() if mail_on else {},
            passwords=passwords or CHEAP_HASHES,
        )
        node = dataclasses.replace(open_node(config), clock=MovableClock())
        opened.append(node)
        return node

    yield make
    for node in opened:
        await node.store.close()


async def member(
    node: Node,
    name: str,
    role: AccountRole = AccountRole.MEMBER,
    email: str | None = None,
    password: str | None = PASSWORD,
) -> AccountInfo:
    """An account made at the console, with a password (for web sign-in) unless told not."""
    hashed = await hash_password(node, password) if password is not None else None
    return await create_account(node, name, role=role, email=email, password_hash=hashed)


def clock_of(node: Node) -> MovableClock:
    assert isinstance(node.clock, MovableClock)
    return node.clock
