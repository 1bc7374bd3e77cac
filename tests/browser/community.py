"""A small sample community that the browser tests and the screenshots look at: a node with
groups, members, rules, posts, a pin, a removal and a ban, a report and a crisis post held for
review, made through the node's own functions, and the addresses of the pages that show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from moderation.blocklists import BlockEntry
from moderation.domains import Severity
from moderation.rules import parse_rules
from node.crisis import holds
from node.domain_policy import blocks as domain_blocks
from node.groups import groups, rules, threads
from node.groups.groups import NewGroup
from node.members import accounts, participation, web_sessions
from node.moderators import appointments, bans, removals
from node.moderators.reports.filed import file_report
from node.moderators.roles import Acting
from node.runtime import Node, federation_client
from node.store.states import AccountRole, GroupKind

# The [node] settings of the sample node.
NODE_SETTINGS: dict[str, object] = {
    "name": "Harbour",
    "description": "Peer support groups for people in the harbour town and beyond.\n\n"
    "Nobody here is a clinician; in an emergency, call your local emergency number.",
}


@dataclass(frozen=True)
class SamplePages:
    """Where the sample community's pages are, by what they show."""

    front: str
    group: str
    members_only_group: str
    modlog: str
    person: str
    missing: str
    thread: str
    help: str
    sign_in: str
    sign_up: str
    # The moderators' pages: for olive, who owns the grief group (not in `all`: they answer
    # someone signed in, and no one else).
    queue: str
    moderator: str

    def all(self) -> dict[str, str]:
        return {
            "thread": self.thread,
            "help": self.help,
            "sign_in": self.sign_in,
            "sign_up": self.sign_up,
            "front": self.front,
            "group": self.group,
            "members_only_group": self.members_only_group,
            "modlog": self.modlog,
            "person": self.person,
            "missing": self.missing,
        }


async def fill(node: Node) -> SamplePages:
    """Give a served, empty node the sample community; the addresses of its pages."""
    olive = await accounts.create_account(
        node,
        "olive",
        display_name="Olive Marsh",
        summary="Organizer of the grief group. I lost my brother in 2021; walking helps.",
    )
    sam = await accounts.create_account(node, "sam", display_name="Sam Okafor")
    rae = await accounts.create_account(node, "rae", display_name="Rae")
    wren = await accounts.create_account(node, "wren", display_name="Wren")
    jo = await accounts.create_account(node, "jo", display_name="Jo")
    await groups.create_group(
        node,
        NewGroup(
            name="grief",
            title="Grief support",
            summary="For anyone living with a loss, recent or long ago. Listen first.",
            owner="olive",
            discoverable=True,
            kind=GroupKind.CONDITION_SPECIFIC,
            topics=("grief", "loss", "bereavement"),
        ),
    )
    await groups.create_group(
        node,
        NewGroup(
            name="anxiety",
            title="Anxiety circle",
            summary="Talking through the everyday and the panicky.",
            members_only=True,
            owner="sam",
        ),
    )
    await groups.create_group(
        node,
        NewGroup(
            name="runners",
            title="Runners who talk",
            approves_members=True,
            owner="sam",
            discoverable=True,
            kind=GroupKind.LIFESTYLE,
            topics=("running", "moods"),
        ),
    )
    owner = Acting.member(node, olive)
    group_uri = node.urls.group("grief")
    async with federation_client(node) as client:
        await appointments.set_moderator(node, client, owner, "grief", "sam", moderator=True)
        for person in (rae, wren, jo):
            await participation.join(node, client, person, "grief", accept_rules=True)
        # An acute post waits, held, for a moderator: the queue's urgent item.
        await holds.set_hold(node, owner, "grief", True)
        await participation.publish(
            node,
            client,
            wren,
            group_uri,
            "I can't keep going. I have the pills saved up and tonight is the night. Goodbye.",
        )
        welcome = await participation.publish(
            node,
            client,
            olive,
            group_uri,
            "Welcome. Say as much or as little as you like; reading along is fine too.",
            title="Start here",
        )
        anniversary = await participation.publish(
            node,
            client,
            rae,
            group_uri,
            "Two years today. I made her soup recipe and the kitchen smelled right again.",
            title="An anniversary",
        )
        await participation.publish(
            node,
            client,
            olive,
            group_uri,
            "Thank you for telling us. Smells carry so much. What else did she cook?",
            in_reply_to=anniversary,
        )
        await participation.publish(
            node,
            client,
            rae,
            group_uri,
            "Mine is two years in March. The last weeks in hospital still come back at night.",
            in_reply_to=anniversary,
            anonymous=True,
            content_warning="hospital, dying",
        )
        advert = await participation.publish(
            node, client, rae, group_uri, "Buy my healing crystals, link in bio."
        )
        await rules.set_rules(
            node,
            owner,
            "grief",
            parse_rules(
                [
                    {"title": "Be kind", "text": "No insults, no judging how anyone grieves."},
                    {"title": "No selling", "text": "No products, courses or healers for hire."},
                    {"title": "Content notes", "text": "Put a note before details of a death."},
                ]
            ),
            needs_acceptance=True,
        )
        await file_report(
            node, client, jo, advert, category="violation", rules=(2,), comment="Selling again."
        )
        await removals.set_pinned(node, client, owner, "grief", welcome, pinned=True)
        await removals.set_removed(
            node, client, owner, "grief", advert, "rule 2: no selling", removed=True
        )
        await bans.ban(
            node,
            client,
            Acting.member(node, sam),
            "grief",
            "https://elsewhere.example/u/crystalseller",
            "selling after a warning",
            node.clock() + timedelta(days=30),
        )
    return SamplePages(
        front=f"{node.urls.base}/",
        group=group_uri,
        members_only_group=node.urls.group("anxiety"),
        modlog=node.urls.modlog(group_uri),
        person=node.urls.person("olive"),
        missing=node.urls.group("nobody-here"),
        thread=node.urls.thread("grief", await threads.row_of(node, anniversary)),
        help=f"{node.urls.base}/help?country=GB",
        sign_in=f"{node.urls.base}/auth/sign-in",
        sign_up=f"{node.urls.base}/auth/sign-up",
        queue=f"{node.urls.base}/moderation/reports",
        moderator="olive",
    )


async def admin_session(node: Node) -> str:
    """An admin of the sample node, signed in (the session cookie's secret), and the domain
    policy an admin of such a node might keep: what the federation page shows."""
    ada = await accounts.create_account(node, "ada", AccountRole.ADMIN, display_name="Ada")
    admin = Acting.member(node, ada)
    for entry, expires in (
        (BlockEntry("spam-farm.example", public_comment="Bots posting adverts"), None),
        (
            BlockEntry(
                "loud.example",
                Severity.SILENCE,
                reject_media=True,
                public_comment="Graphic images without warnings",
                private_comment="Asked their admins twice",
            ),
            node.clock() + timedelta(days=90),
        ),
        (BlockEntry("hate.example", reject_reports=True, obfuscate=True), None),
    ):
        await domain_blocks.set_block(node, admin, entry, expires)
    await domain_blocks.allow(node, admin, "sister-node.example", "Our sister community")
    secret, _ = await web_sessions.start_session(node, ada.id, "127.0.0.1", "screenshots")
    return secret
