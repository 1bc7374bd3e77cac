"""Professionals' notes across two real Cove nodes on loopback: a verified professional on one
node answers a post in a group on another; the group's node keeps the note as a professional's
(first under the post) because the author's own node vouches for them, sees the badge on its
copy of their actor, and keeps a marked note from someone without a credential as an
ordinary reply."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from federation.credentials import read_credentials
from node.crisis import notes, professionals
from node.crisis.professionals import NewCredential
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts, participation
from node.moderators.roles import Acting
from node.store.states import MembershipState
from node.store.tables import Post, RemoteActor, RemoteMembership
from tests.conftest import PeerFactory, ServedNode, client_for, eventually


async def joined(node: ServedNode, username: str) -> bool:
    async with node.node.store.session() as session:
        account = await accounts.get_account(session, username)
        row = (
            await session.exec(
                select(RemoteMembership).where(RemoteMembership.account_id == account.id)
            )
        ).first()
    return row is not None and row.state == MembershipState.ACCEPTED


async def stored(node: ServedNode, uri: str) -> Post | None:
    async with node.node.store.session() as session:
        return (await session.exec(select(Post).where(Post.uri == uri))).first()


async def test_a_professional_elsewhere_answers_first_and_a_forged_note_stays_ordinary(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    b = served  # the group's node
    await groups.create_group(b.node, NewGroup(name="care", title="Care"))
    group = b.urls.group("care")
    bea = await accounts.create_account(b.node, "bea")
    a = await peer_node()
    pat = await accounts.create_account(a.node, "pat")  # verified below
    sam = await accounts.create_account(a.node, "sam")  # never verified
    async with client_for(b.node) as client:
        await participation.join(b.node, client, bea, group)
    async with client_for(a.node) as client:
        for member in (pat, sam):
            await participation.join(a.node, client, member, group)

    async def both_joined() -> bool:
        return await joined(a, "pat") and await joined(a, "sam")

    await eventually(both_joined)
    async with client_for(b.node) as client:
        thread = await participation.publish(
            b.node, client, bea, group, "Nothing helps tonight.", title="Tonight"
        )

    async def thread_on_a() -> Post | None:
        return await stored(a, thread)

    await eventually(thread_on_a)  # the group announced it to its members on A

    now = a.node.clock()
    await professionals.add_credential(
        a.node,
        Acting.operator(a.node),
        "pat",
        NewCredential(
            "Registered mental health nurse",
            "A's admins, NMC register",
            now,
            now + timedelta(days=90),
        ),
    )
    async with client_for(b.node) as client:
        ordinary = await participation.publish(
            b.node, client, bea, group, "Me too, I'm here.", in_reply_to=thread
        )
    async with client_for(a.node) as client:
        # What a hostile server could send: the mark, from an author with no credential.
        forged = await participation.publish(
            a.node,
            client,
            sam,
            group,
            "Trust me, I'm a doctor.",
            in_reply_to=thread,
            professional_note=True,
        )
        note = await notes.add_note(
            a.node, client, pat, thread, "You are not alone. Can you call someone tonight?"
        )

    async def all_replies_on_b() -> list[Post] | None:
        async with b.node.store.session() as session:
            found = await professionals.replies_of(session, thread)
        return found if len(found) == 3 else None

    replies = await eventually(all_replies_on_b)
    assert isinstance(replies, list)
    flags = [(p.uri, p.professional_note) for p in replies]
    assert flags[0] == (note, True)  # first, though written last
    # The forged one was marked, but sam's own node vouches for nothing. (The other two are
    # in the order written, which within one second the wire's published times cannot tell.)
    assert sorted(flags[1:]) == sorted([(ordinary, False), (forged, False)])
    pat_on_a = await stored(a, note)
    assert pat_on_a is not None and pat_on_a.professional_note

    async with b.node.store.session() as session:
        copies = {
            r.uri: r.document
            for r in (await session.exec(select(RemoteActor))).all()
            if r.uri in (a.urls.person("pat"), a.urls.person("sam"))
        }
    (badge,) = read_credentials(copies[a.urls.person("pat")])
    assert badge.title == "Registered mental health nurse"
    assert badge.checked_by == "A's admins, NMC register"
    field = copies[a.urls.person("pat")]["attachment"][0]
    assert field["type"] == "PropertyValue" and field["name"] == "Verified professional"
    assert read_credentials(copies[a.urls.person("sam")]) == ()
