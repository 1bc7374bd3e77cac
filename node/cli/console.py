"""What every `cove` command shares: the parsed invocation, the options several families take,
output (human or JSON), and running a piece of work with an open node (and the outbound client).
The store, the node and the client are imported when a command runs, never to build the parser."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from federation.errors import Invalid
from moderation.bans import parse_duration

if TYPE_CHECKING:
    from federation.client import FederationClient
    from node.config import Config
    from node.runtime import Node


class CliError(Exception):
    """A failure outside the domain (the database cannot be reached, the port is taken)."""


class Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line, not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


@dataclass(frozen=True, slots=True)
class Invocation:
    config_path: Path
    json: bool
    args: argparse.Namespace


# Options shared by several families -------------------------------------------------------------


def acting_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as", dest="as_account", metavar="ACCOUNT", help="act as this local account"
    )


def reason_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", default="", help="why (shown in the moderation log)")


def length_options(parser: argparse.ArgumentParser) -> None:
    """How long a ban or a block lasts: --for or --until, at most one."""
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--for", dest="duration", help="how long: 30m, 12h, 7d, 2w")
    length.add_argument("--until", help="when it ends (ISO 8601 with a zone)")


def ends_at(node: Node, duration: str | None, until: str | None) -> datetime | None:
    """When a ban or a block given --for or --until ends; None for one without end."""
    if duration:
        return node.clock() + parse_duration(duration)
    if until:
        try:
            return datetime.fromisoformat(until)
        except ValueError:
            raise Invalid(f"--until {until!r} is not an ISO 8601 time") from None
    return None


# Output --------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def emit(inv: Invocation, data: Any, human: str) -> None:
    if inv.json:
        print(json.dumps(plain(data), indent=2, ensure_ascii=False))
    else:
        print(human)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    if not rows:
        return "(none)"
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def local_handle(node: Node, name: str) -> str:
    """`@name@host` of a group or an account of this node."""
    return f"@{name}@{node.urls.domain}"


# Running with a node -------------------------------------------------------------------------


def node_config(inv: Invocation) -> Config:
    from node.config import load_config

    return load_config(inv.config_path, os.environ)


def redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def with_node(inv: Invocation, work: Callable[[Node], Awaitable[Any]]) -> Any:
    """Run `work` on the node's store, once the schema is current (the identity check reads the
    instance table) and the configured base URL is the node's own: a command run as another
    origin would write ids and deliveries no peer accepts."""
    from node.actors.instance import check_identity
    from node.runtime import open_node

    node = open_node(node_config(inv))
    try:
        await require_current_schema(node)
        await check_identity(node)
        return await work(node)
    finally:
        await node.store.close()


async def require_current_schema(node: Node) -> None:
    from node.store import migrate

    current = await migrate.current_revision(node.store)
    head = migrate.head_revision()
    if current != head:
        state = "empty" if current is None else f"at revision {current}, newest is {head}"
        raise CliError(f"the database is {state}: run `cove db upgrade` (or `cove init`)")


async def with_client(
    inv: Invocation, work: Callable[[Node, FederationClient], Awaitable[Any]]
) -> Any:
    from node.runtime import federation_client

    async def with_client_open(node: Node) -> Any:
        async with federation_client(node) as client:
            return await work(node, client)

    return await with_node(inv, with_client_open)
