"""The store on SQLite and PostgreSQL: migrations match the tables, every table round-trips,
constraints hold, and states move only along their allowed transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col, select

from federation.errors import Conflict, Invalid, NotFound
from node.actors.instance import ensure_instance, get_instance
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts
from node.queue import outbox
from node.runtime import Node
from node.store import migrate
from node.store.states import (
    AccountRole,
    ActivityState,
    Direction,
    GroupRole,
    IllegalTransition,
    MembershipState,
    PostingPolicy,
    PostKind,
    PostState,
    Visibility,
    advance,
    check_transition,
)
from node.store.tables import (
    Account,
    Activity,
    CommunityGroup,
    Instance,
    LocalActor,
    Membership,
    Post,
    RemoteActor,
    SigningKey,
)

pytestmark = pytest.mark.storage

ALL_TABLES = {
    "local_actor",
    "signing_key",
    "instance",
    "account",
    "community_group",
    "membership",
    "remote_actor",
    "post",
    "activity",
    "delivery",
    "peer_server",
    "remote_membership",
    "rule_set",
    "report",
    "report_event",
    "ban",
    "mod_log",
    "api_token",
    "notification",
    "email_token",
    "web_session",
    "login_failure",
    "recovery_code",
    "invite",
    "node_rule",
    "change_counter",
    "job_run",
    "crisis_assessment",
    "moderator_duty",
    "crisis_webhook",
    "webhook_delivery",
    "crisis_resource",
    "care_message",
    "credential",
    "domain_block",
    "domain_allow",
    "blocklist_source",
    "source_entry",
    "domain_draft",
    "domain_exclude",
    "group_domain_block",
    "policy_follower",
    "policy_published",
    "person_block",
    "remote_block",
}


async def test_migrations_create_exactly_the_tables_the_code_declares(node: Node) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    def tables(connection: Connection) -> set[str]:
        return set(inspect(connection).get_table_names()) - {"alembic_version"}

    async with node.store.engine.connect() as connection:
        assert await connection.run_sync(tables) == ALL_TABLES
        assert await connection.run_sync(diff) == []
    assert await migrate.current_revision(node.store) == migrate.head_revision()


async def test_migrations_downgrade_to_nothing_and_back(node: Node) -> None:
    await migrate.downgrade(node.store, "base")
    assert await migrate.current_revision(node.store) is None
    async with node.store.engine.connect() as connection:
        names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert not names & ALL_TABLES
    await migrate.upgrade(node.store)
    assert await migrate.current_revision(node.store) == migrate.head_revision()


async def test_actors_made_before_proofs_get_a_proof_key_on_upgrade(node: Node) -> None:
    await accounts.create_account(node, "elder")
    async with node.store.transaction() as session:
        await session.exec(delete(SigningKey).where(col(SigningKey.algorithm) == "ed25519"))
    await migrate.downgrade(node.store, "0007")
    await migrate.upgrade(node.store)
    async with node.store.session() as session:
        keys = (await session.exec(select(SigningKey))).all()
    assert sorted(k.algorithm for k in keys) == ["ed25519", "rsa-2048"]
    assert all(k.created_at.tzinfo is not None for k in keys)


async def test_instance_is_created_once_with_its_own_key(node: Node) -> None:
    first, created = await ensure_instance(node)
    again, created_again = await ensure_instance(node)
    assert created and not created_again
    assert first == again
    assert first.base_url == node.urls.base
    assert "BEGIN PUBLIC KEY" in first.public_key_pem
    async with node.store.session() as session:
        assert len((await session.exec(select(Instance))).all()) == 1
        actor = (await session.exec(select(LocalActor))).one()
        assert actor.kind == "application" and actor.username is None


async def test_get_instance_before_init_says_what_to_do(node: Node) -> None:
    with pytest.raises(NotFound, match="cove init"):
        await get_instance(node)


async def test_accounts_and_groups_round_trip_with_keys_and_roles(node: Node) -> None:
    alice = await accounts.create_account(node, "Alice", AccountRole.ADMIN, "Alice A.")
    assert (alice.username, alice.role, alice.display_name) == (
        "alice",
        AccountRole.ADMIN,
        "Alice A.",
    )
    group = await groups.create_group(
        node,
        NewGroup(
            name="grief",
            title="Grief support",
            summary="For loss.",
            members_only=True,
            posting_policy=PostingPolicy.MODERATORS,
            discoverable=True,
            owner="alice",
        ),
    )
    # Members-only implies approval and is never listed in directories.
    assert group.members_only and group.approves_members and not group.discoverable
    assert group.created_at.tzinfo is not None
    async with node.store.session() as session:
        assert await groups.get_group(session, "GRIEF") == group
        assert [g.name for g in await groups.list_groups(session)] == ["grief"]
        assert [a.username for a in await accounts.list_accounts(session)] == ["alice"]
        assert await groups.moderator_uris(session, group.id) == [node.urls.person("alice")]
        assert await groups.follower_count(session, group.id) == 1
        assert await accounts.groups_joined(session, alice.id) == 1
        keys = (await session.exec(select(SigningKey))).all()
    # Each actor has an RSA key (HTTP signatures) and an Ed25519 key (proofs, FEP-8b32).
    assert sorted(k.algorithm for k in keys) == ["ed25519", "ed25519", "rsa-2048", "rsa-2048"]
    assert len({k.public_key_pem for k in keys}) == 4
    assert all(k.state == "active" for k in keys)


async def test_names_are_one_namespace_for_groups_and_people(node: Node) -> None:
    await accounts.create_account(node, "river")
    with pytest.raises(Conflict):
        await groups.create_group(node, NewGroup(name="river", title="River"))
    with pytest.raises(Conflict):
        await accounts.create_account(node, "river")
    async with node.store.session() as session:
        # The failed creations left no half-made actor behind.
        assert len((await session.exec(select(LocalActor))).all()) == 1


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "invalid name"),
        ("has space", "invalid name"),
        ("x" * 31, "invalid name"),
        ("admin", "reserved"),
        ("café", "invalid name"),
    ],
)
async def test_bad_names_are_refused(node: Node, name: str, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        await groups.create_group(node, NewGroup(name=name, title="T"))


async def test_group_with_unknown_owner_is_refused(node: Node) -> None:
    with pytest.raises(NotFound, match="no account named 'nobody'"):
        await groups.create_group(node, NewGroup(name="g", title="G", owner="nobody"))


async def test_memberships_remote_actors_posts_and_activities_round_trip(node: Node) -> None:
    group = await groups.create_group(node, NewGroup(name="anxiety", title="Anxiety"))
    now = datetime(2026, 11, 25, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    async with node.store.transaction() as session:
        remote = RemoteActor(
            uri="https://social.example/users/ann",
            type="Person",
            username="ann",
            domain="social.example",
            inbox="https://social.example/users/ann/inbox",
            shared_inbox="https://social.example/inbox",
            document={"id": "https://social.example/users/ann", "type": "Person", "n": [1, "ü"]},
            software="mastodon",
            fetched_at=now,
            created_at=now,
        )
        session.add(remote)
        await session.flush()
        session.add(
            Membership(
                group_id=group.id,
                actor_uri=remote.uri,
                remote_actor_id=remote.id,
                role=GroupRole.MEMBER,
                state=MembershipState.PENDING,
                follow_uri="https://social.example/follows/1",
                created_at=now,
                updated_at=now,
            )
        )
        session.add(
            Post(
                uri="https://social.example/statuses/1",
                group_id=group.id,
                author_uri=remote.uri,
                remote_actor_id=remote.id,
                kind=PostKind.NOTE,
                content_html="<p>hello</p>",
                visibility=Visibility.MEMBERS_ONLY,
                local=False,
                published=now,
                created_at=now,
            )
        )
        await outbox.record_outbound(
            session,
            group.actor_id,
            {
                "id": node.urls.activity("a1"),
                "type": "Announce",
                "actor": node.urls.group("anxiety"),
                "object": {"id": "https://social.example/statuses/1", "type": "Note"},
            },
            Visibility.PUBLIC,
            now,
        )
    async with node.store.session() as session:
        stored_remote = (await session.exec(select(RemoteActor))).one()
        membership = (await session.exec(select(Membership))).one()
        post = (await session.exec(select(Post))).one()
        activity = (await session.exec(select(Activity))).one()
    assert stored_remote.document["n"] == [1, "ü"]
    # Datetimes come back as the same instant, in UTC, on both backends.
    assert stored_remote.fetched_at == now and stored_remote.fetched_at.tzinfo == UTC
    assert membership.state == MembershipState.PENDING
    assert post.visibility == Visibility.MEMBERS_ONLY and not post.anonymous
    assert activity.direction == Direction.OUTBOUND and activity.state == ActivityState.QUEUED
    assert activity.object_uri == "https://social.example/statuses/1"
    assert activity.local_actor_id == group.actor_id


async def test_database_refuses_duplicates_and_unknown_states(node: Node) -> None:
    group = await groups.create_group(node, NewGroup(name="bipolar", title="Bipolar"))
    now = datetime.now(UTC)

    def membership(state: str) -> Membership:
        return Membership(
            group_id=group.id,
            actor_uri="https://x.example/u/1",
            role=GroupRole.MEMBER,
            state=state,
            created_at=now,
            updated_at=now,  # type: ignore[arg-type]
        )

    async with node.store.transaction() as session:
        session.add(membership(MembershipState.ACCEPTED))
    with pytest.raises(IntegrityError):
        async with node.store.transaction() as session:
            session.add(membership(MembershipState.PENDING))
    # The CHECK constraint holds even for SQL that bypasses the model.
    with pytest.raises(IntegrityError):
        async with node.store.engine.begin() as connection:
            await connection.execute(text("UPDATE membership SET state = 'banished'"))
    async with node.store.session() as session:
        assert (await session.exec(select(Membership))).one().state == MembershipState.ACCEPTED


async def test_foreign_keys_are_enforced(node: Node) -> None:
    now = datetime.now(UTC)
    with pytest.raises(IntegrityError):
        async with node.store.transaction() as session:
            session.add(
                Account(actor_id=999, display_name="ghost", role=AccountRole.MEMBER, created_at=now)
            )
    async with node.store.session() as session:
        assert (await session.exec(select(Account))).all() == []
        assert (await session.exec(select(CommunityGroup))).all() == []


def test_states_move_only_along_allowed_transitions() -> None:
    check_transition(MembershipState.PENDING, MembershipState.ACCEPTED)
    check_transition(ActivityState.RECEIVED, ActivityState.PROCESSED)
    with pytest.raises(IllegalTransition):
        check_transition(MembershipState.REJECTED, MembershipState.ACCEPTED)
    with pytest.raises(IllegalTransition):
        check_transition(ActivityState.PROCESSED, ActivityState.RECEIVED)


def test_advance_moves_a_row_only_along_allowed_transitions() -> None:
    post = Post(
        uri="https://cove.example/posts/1",
        author_uri="https://cove.example/u/ada",
        kind=PostKind.NOTE,
        content_html="",
        visibility=Visibility.PUBLIC,
        local=True,
        published=datetime.now(UTC),
        created_at=datetime.now(UTC),
    )
    assert post.state == PostState.LIVE
    assert advance(post, PostState.REMOVED) and post.state == PostState.REMOVED
    assert not advance(post, PostState.REMOVED)  # where it is already: no move
    assert advance(post, PostState.DELETED)
    with pytest.raises(IllegalTransition):
        advance(post, PostState.LIVE)  # deleted is for good
    assert post.state == PostState.DELETED


async def test_posts_get_their_state_from_their_moments_on_upgrade(node: Node) -> None:
    await migrate.downgrade(node.store, "0008")
    now = datetime.now(UTC)
    async with node.store.engine.begin() as connection:
        for n, (deleted, removed) in enumerate(
            [(None, None), (None, now), (now, now), (now, None)]
        ):
            await connection.execute(
                text(
                    "INSERT INTO post (uri, author_uri, kind, content_html, visibility, sensitive,"
                    " anonymous, local, attachments, published, deleted_at, removed_at,"
                    " created_at) VALUES (:uri, 'https://a.example/u/x', 'note', '', 'public',"
                    " false, false, false, '[]', :now, :deleted, :removed, :now)"
                ),
                {
                    "uri": f"https://a.example/p/{n}",
                    "now": now,
                    "deleted": deleted,
                    "removed": removed,
                },
            )
    await migrate.upgrade(node.store)
    async with node.store.session() as session:
        found = await session.exec(select(Post).order_by(col(Post.uri)))
        states = [p.state for p in found.all()]
    assert states == [PostState.LIVE, PostState.REMOVED, PostState.DELETED, PostState.DELETED]


async def test_the_cheap_schema_check_agrees_with_alembic(node: Node) -> None:
    """Every cove command reads the revisions without Alembic; Alembic must say the same."""
    from alembic.runtime.migration import MigrationContext as Context
    from alembic.script import ScriptDirectory

    assert (
        migrate.head_revision()
        == ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    )
    async with node.store.engine.connect() as connection:
        theirs = await connection.run_sync(lambda c: Context.configure(c).get_current_revision())
    assert await migrate.current_revision(node.store) == theirs == migrate.head_revision()
    await migrate.downgrade(node.store, "base")
    assert await migrate.current_revision(node.store) is None
    await migrate.upgrade(node.store)
