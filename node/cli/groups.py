"""The `cove group` commands for the groups themselves: create (node admins and organizers),
change (its owner or an admin; kind and topics its moderators too), list, show, and the
requests to join a group that approves its members."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from node.cli.console import (
    Invocation,
    Parser,
    acting_option,
    emit,
    local_handle,
    table,
    with_client,
    with_node,
)
from node.cli.group_argument import GROUP_HERE_HELP, acting_on, local_group
from node.store.states import GroupKind, PostingPolicy

if TYPE_CHECKING:
    from federation.client import FederationClient
    from node.groups.groups import GroupInfo
    from node.runtime import Node


def add_commands(group: Any, common: Parser) -> None:
    """The commands on groups, added to `cove group`."""
    create = group.add_parser("create", parents=[common], help="create a group")
    create.add_argument("name", help="the group's handle: lowercase letters, digits, _")
    create.add_argument("--title", required=True, help="the group's display name")
    create.add_argument("--summary", default="", help="what the group is for (plain text)")
    create.add_argument(
        "--posting",
        default=PostingPolicy.MEMBERS.value,
        choices=[p.value for p in PostingPolicy],
        help="who may post (default: members)",
    )
    create.add_argument(
        "--approve-members", action="store_true", help="moderators approve each join request"
    )
    create.add_argument(
        "--members-only",
        action="store_true",
        help="posts visible to members only (implies --approve-members)",
    )
    create.add_argument(
        "--discoverable", action="store_true", help="let directories and search list the group"
    )
    create.add_argument(
        "--no-anonymous-posts",
        action="store_true",
        help="members may not post as the group (they may by default)",
    )
    create.add_argument(
        "--owner", help="username of the local account that owns the group (default: --as)"
    )
    _description_options(create)
    acting_option(create)
    create.set_defaults(run=cmd_group_create)
    change = group.add_parser(
        "set", parents=[common], help="change a group: what it is, and how it works"
    )
    change.add_argument("name", help=GROUP_HERE_HELP)
    change.add_argument("--title", help="the group's display name")
    change.add_argument("--summary", help="what the group is for (plain text)")
    change.add_argument("--posting", choices=[p.value for p in PostingPolicy], help="who may post")
    for option, helptext in SWITCHES.items():
        change.add_argument(option, choices=["on", "off"], help=helptext)
    _description_options(change)
    change.add_argument(
        "--no-topics", action="store_true", help="clear the group's topics (with no --topic)"
    )
    acting_option(change)
    change.set_defaults(run=cmd_group_set)
    group.add_parser("list", parents=[common], help="list groups").set_defaults(run=cmd_group_list)
    show = group.add_parser("show", parents=[common], help="show one group")
    show.add_argument("name", help=GROUP_HERE_HELP)
    show.set_defaults(run=cmd_group_show)

    for verb, helptext in (
        ("approve", "accept a pending request to join"),
        ("reject", "refuse a pending request to join"),
    ):
        decide = group.add_parser(verb, parents=[common], help=helptext)
        decide.add_argument("name", help=GROUP_HERE_HELP)
        decide.add_argument("actor", help="the actor URL that asked to join")
        acting_option(decide)
        decide.set_defaults(run=cmd_group_decide, approve=verb == "approve")
    pending = group.add_parser("pending", parents=[common], help="list pending requests to join")
    pending.add_argument("name", help=GROUP_HERE_HELP)
    acting_option(pending)
    pending.set_defaults(run=cmd_group_pending)


# The switches of `cove group set`, each on or off.
SWITCHES = {
    "--approve-members": "moderators approve each join request",
    "--members-only": "posts visible to members only (on implies --approve-members on)",
    "--discoverable": "let directories and search list the group",
    "--anonymous-posts": "members may post as the group, their name known to moderators only",
}


def _description_options(parser: Any) -> None:
    parser.add_argument(
        "--kind",
        choices=[k.value for k in GroupKind],
        help="what the group gathers around (default for a new group: general)",
    )
    parser.add_argument(
        "--topic",
        action="append",
        default=[],
        help="a topic, like a hashtag: grief, bipolar, running (repeat, at most 10)",
    )


async def cmd_group_create(inv: Invocation) -> None:
    from node.groups import groups, kinds, organizing
    from node.moderators.roles import acting_as

    a = inv.args
    new = groups.NewGroup(
        name=a.name,
        title=a.title,
        summary=a.summary,
        members_only=a.members_only,
        approves_members=a.approve_members,
        posting_policy=groups.parse_posting_policy(a.posting),
        discoverable=a.discoverable,
        owner=a.owner,
        kind=kinds.parse_kind(a.kind or GroupKind.GENERAL.value),
        topics=tuple(kinds.normalise_topics(a.topic)),
        anonymous_posts=not a.no_anonymous_posts,
    )

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        group = await organizing.found_group(node, acting, new)
        emit(inv, _group_data(node, group), f"created group {local_handle(node, group.name)}")

    await with_node(inv, work)


async def cmd_group_set(inv: Invocation) -> None:
    from federation.errors import Invalid
    from node.groups import kinds, organizing

    a = inv.args

    def switch(option: str) -> bool | None:
        given = getattr(a, option.removeprefix("--").replace("-", "_"))
        return None if given is None else given == "on"

    async def work(node: Node) -> None:
        # Checked once the node is open: a command run as another origin says that first.
        if a.no_topics and a.topic:
            raise Invalid("give --topic or --no-topics, not both")
        changes = organizing.GroupChanges(
            title=a.title,
            summary=a.summary,
            kind=kinds.parse_kind(a.kind) if a.kind is not None else None,
            topics=tuple(a.topic) if a.topic or a.no_topics else None,
            posting_policy=PostingPolicy(a.posting) if a.posting is not None else None,
            approves_members=switch("--approve-members"),
            members_only=switch("--members-only"),
            discoverable=switch("--discoverable"),
            anonymous_posts=switch("--anonymous-posts"),
        )
        acting, name = await acting_on(node, a.as_account, a.name)
        group = await organizing.change_group(node, acting, name, changes)
        topics_text = ", ".join(f"#{t}" for t in group.topics) or "no topics"
        emit(
            inv,
            _group_data(node, group),
            f"{local_handle(node, group.name)}: {group.kind.value}, {topics_text}",
        )

    await with_node(inv, work)


def _group_data(node: Node, group: GroupInfo, **extra: Any) -> dict[str, Any]:
    data = asdict(group)
    data.pop("id")
    data.pop("actor_id")
    data["handle"] = local_handle(node, group.name)
    data["url"] = node.urls.group(group.name)
    data.update(extra)
    return data


async def cmd_group_list(inv: Invocation) -> None:
    from node.groups import groups

    async def work(node: Node) -> None:
        async with node.store.session() as session:
            found = await groups.list_groups(session)
            counts = [await groups.follower_count(session, g.id) for g in found]
        data = [_group_data(node, g, members=n) for g, n in zip(found, counts, strict=True)]
        rows = [
            [g.name, g.title, str(n), g.posting_policy.value, _flags(g)]
            for g, n in zip(found, counts, strict=True)
        ]
        emit(inv, data, table(["NAME", "TITLE", "MEMBERS", "POSTING", "FLAGS"], rows))

    await with_node(inv, work)


def _flags(group: GroupInfo) -> str:
    flags = [
        name
        for name, on in (
            ("members-only", group.members_only),
            ("approval", group.approves_members),
            ("discoverable", group.discoverable),
            ("no-anonymous", not group.anonymous_posts),
        )
        if on
    ]
    return ",".join(flags) or "-"


async def cmd_group_show(inv: Invocation) -> None:
    from node.groups import groups

    async def work(node: Node) -> None:
        async with node.store.session() as session:
            group = await groups.get_group(session, local_group(node, inv.args.name))
            members = await groups.follower_count(session, group.id)
            moderators = await groups.moderator_uris(session, group.id)
        data = _group_data(node, group, members=members, moderators=moderators)
        human = "\n".join(
            [
                f"{group.title} ({data['handle']})",
                f"  url:          {data['url']}",
                f"  members:      {members}",
                f"  posting:      {group.posting_policy.value}",
                f"  members only: {'yes' if group.members_only else 'no'}",
                f"  approval:     {'yes' if group.approves_members else 'no'}",
                f"  discoverable: {'yes' if group.discoverable else 'no'}",
                f"  anonymous:    {'yes' if group.anonymous_posts else 'no'}",
                f"  kind:         {group.kind.value}",
                f"  topics:       {' '.join('#' + t for t in group.topics) or '(none)'}",
                f"  moderators:   {', '.join(moderators) or '(none)'}",
                f"  created:      {group.created_at.isoformat()}",
            ]
            + ([f"  summary:      {group.summary}"] if group.summary else [])
        )
        emit(inv, data, human)

    await with_node(inv, work)


async def cmd_group_decide(inv: Invocation) -> None:
    from node.moderators import join_requests

    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting, name = await acting_on(node, a.as_account, a.name)
        await join_requests.decide(node, client, acting, name, a.actor, approve=a.approve)
        verdict = "approved" if a.approve else "rejected"
        emit(
            inv,
            {"group": name, "actor": a.actor, "decision": verdict},
            f"{verdict} {a.actor} for {name}",
        )

    await with_client(inv, work)


async def cmd_group_pending(inv: Invocation) -> None:
    from node.moderators import join_requests

    a = inv.args

    async def work(node: Node) -> None:
        acting, name = await acting_on(node, a.as_account, a.name)
        actors = await join_requests.pending_in(node, acting, name)
        emit(inv, actors, "\n".join(actors) or "(none)")

    await with_node(inv, work)
