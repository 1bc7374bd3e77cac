"""What a signed-in reader's every page asks about them (their session, the people they hide,
where they stand with the group) is read once while nothing changes, and never outlives a
change: this process's own at the next page, another process's within a poll."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from moderation.rules import Rule
from node.groups import rules
from node.members import accounts, participation, person_blocks, web_sessions
from node.members.approvals import suspend_account
from node.moderators.roles import Acting
from node.runtime import Node, open_node
from tests.conftest import ServedNode, client_for
from tests.node.http.pages.test_page_cache import open_group, page, settled

READER_TABLES = ("web_session", "person_block", "membership", "rule_set")


@contextmanager
def reader_queries(node: Node) -> Iterator[list[str]]:
    """The statements that read a reader's session, hidden people or standing meanwhile."""
    seen: list[str] = []

    def heard(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and any(
            f"FROM {t}" in statement for t in READER_TABLES
        ):
            seen.append(statement)

    engine = node.store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", heard)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", heard)


async def test_a_readers_facts_are_read_once_and_their_own_changes_show_on_the_next_page(
    served: ServedNode,
) -> None:
    node = served.node
    group, kim = await open_group(served)
    ash = await accounts.create_account(node, "ash")
    async with client_for(node) as client:
        await participation.join(node, client, kim, group)
        await participation.publish(node, client, ash, group, "Loud words", title="Loud")
    secret, _ = await web_sessions.start_session(node, kim.id, "127.0.0.1", "test")
    await settled()
    assert "Loud words" in (await page(served, group, session=secret)).text
    with reader_queries(node) as seen:
        for _ in range(3):
            again = await page(served, group, session=secret)
            assert "Sign out" in again.text and "Loud words" in again.text
    assert seen == []  # kept: the three pages asked the database nothing about kim

    async with client_for(node) as client:
        await person_blocks.mute(node, client, kim, served.urls.person("ash"))
    muted = await page(served, group, session=secret)
    assert "Sign out" in muted.text and "Loud words" not in muted.text

    rule = Rule(1, "Be kind", "")
    await rules.set_rules(node, Acting.operator(node), "grief", (rule,), needs_acceptance=True)
    owed = await page(served, group, session=secret)
    assert "The rules changed (version 1)" in owed.text

    await suspend_account(node, Acting.operator(node), "kim")
    suspended = await page(served, group, session=secret)
    assert "Sign out" not in suspended.text and suspended.cookies.get("cove_session") == ""


async def test_another_process_ending_a_session_signs_the_reader_out_within_a_poll(
    served: ServedNode,
) -> None:
    node = served.node
    group, kim = await open_group(served)
    secret, session = await web_sessions.start_session(node, kim.id, "127.0.0.1", "test")
    await settled()
    assert "Sign out" in (await page(served, group, session=secret)).text
    other = open_node(node.config)  # as `cove account sessions kim --end ID` would
    try:
        await web_sessions.end_session(other, kim.id, session.id)
    finally:
        await other.store.close()
    await settled()
    ended = await page(served, group, session=secret)
    assert ended.status == 200 and "Sign out" not in ended.text
