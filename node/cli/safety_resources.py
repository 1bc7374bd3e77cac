"""The `cove safety resources` commands: node admins list, add, edit, remove and verify the
crisis lines care messages give, and re-add the ones Cove ships."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from node.cli.console import Invocation, Parser, acting_option, emit, table, with_node

if TYPE_CHECKING:
    from node.crisis.resources import Resource
    from node.runtime import Node

# Each option and the field of a resource it sets.
FIELDS = (
    ("--country", "country", "ISO 3166 code (US, GB, DE...) or * for anywhere"),
    ("--lang", "language", "language code (en, es, de...) or * for any"),
    ("--name", "name", "the service's name"),
    ("--contact", "contact", "a number to call or text, or how to reach it"),
    ("--url", "url", "its web page (http or https)"),
    ("--description", "description", "a sentence: hours, cost, chat"),
)
REQUIRED = ("country", "language", "name", "contact")


def add_commands(safety: Any, common: Parser) -> None:
    """`cove safety resources ...`, added to the `cove safety` family."""
    family = safety.add_parser("resources", help="crisis lines for care messages")
    resources = family.add_subparsers(
        dest="resources_command", metavar="COMMAND", parser_class=Parser
    )
    resources.required = True
    listing = resources.add_parser("list", parents=[common], help="the crisis resources")
    listing.add_argument("--country", help="only this country (or *)")
    listing.add_argument("--lang", help="only this language (or *)")
    listing.set_defaults(run=cmd_list)
    add = resources.add_parser("add", parents=[common], help="add a crisis line or service")
    for option, field, helptext in FIELDS:
        add.add_argument(option, dest=field, required=field in REQUIRED, help=helptext)
    acting_option(add)
    add.set_defaults(run=cmd_add)
    edit = resources.add_parser("edit", parents=[common], help="change a resource")
    edit.add_argument("id", type=int)
    for option, field, helptext in FIELDS:
        edit.add_argument(option, dest=field, help=helptext)
    acting_option(edit)
    edit.set_defaults(run=cmd_edit)
    for verb, helptext in (
        ("remove", "remove a resource"),
        ("verified", "say a resource is checked for this region (clears its verify mark)"),
    ):
        one = resources.add_parser(verb, parents=[common], help=helptext)
        one.add_argument("id", type=int)
        acting_option(one)
        one.set_defaults(run=cmd_one, verb=verb)
    seed = resources.add_parser("seed", parents=[common], help="re-add missing shipped entries")
    acting_option(seed)
    seed.set_defaults(run=cmd_seed)


def _rows(found: list[Resource]) -> str:
    return table(
        ["ID", "COUNTRY", "LANG", "NAME", "CONTACT", "URL", ""],
        [
            [
                str(r.id),
                r.country,
                r.language,
                r.name,
                r.contact,
                r.url or "",
                "verify for your region" if r.verify else "",
            ]
            for r in found
        ],
    )


async def cmd_list(inv: Invocation) -> None:
    from node.crisis import resources

    a = inv.args

    async def work(node: Node) -> None:
        found = await resources.list_resources(node, a.country, a.lang)
        emit(inv, [r.as_json() for r in found], _rows(found))

    await with_node(inv, work)


async def cmd_add(inv: Invocation) -> None:
    from node.crisis import resources
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node) -> None:
        new = resources.Resource(
            country=a.country,
            language=a.language,
            name=a.name,
            contact=a.contact,
            url=a.url,
            description=a.description or "",
        )
        added = await resources.add_resource(node, await acting_as(node, a.as_account), new)
        emit(inv, added.as_json(), f"crisis resource {added.id} added: {added.line()}")

    await with_node(inv, work)


async def cmd_edit(inv: Invocation) -> None:
    from node.crisis import resources
    from node.moderators.roles import acting_as

    a = inv.args
    changes = {f: getattr(a, f) for _, f, _ in FIELDS if getattr(a, f) is not None}

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        edited = await resources.edit_resource(node, acting, a.id, changes)
        emit(inv, edited.as_json(), f"crisis resource {edited.id}: {edited.line()}")

    await with_node(inv, work)


async def cmd_one(inv: Invocation) -> None:
    from node.crisis import resources
    from node.moderators.roles import acting_as

    a = inv.args
    act = resources.remove_resource if a.verb == "remove" else resources.mark_verified
    said = "removed" if a.verb == "remove" else "verified"

    async def work(node: Node) -> None:
        done = await act(node, await acting_as(node, a.as_account), a.id)
        emit(inv, done.as_json(), f"crisis resource {a.id} {said}: {done.line()}")

    await with_node(inv, work)


async def cmd_seed(inv: Invocation) -> None:
    from node.crisis import resources
    from node.moderators.roles import acting_as

    async def work(node: Node) -> None:
        added = await resources.seed_missing(node, await acting_as(node, inv.args.as_account))
        human = f"{len(added)} shipped crisis resources re-added" + (
            ":\n" + _rows(added) if added else " (none was missing)"
        )
        emit(inv, [r.as_json() for r in added], human)

    await with_node(inv, work)
