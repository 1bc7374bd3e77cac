"""The `cove` command: its parser, and the one place where failures become exit codes.

Human output by default, `--json` for scripts; every failure is one line on stderr and a
non-zero exit code (chosen in `exit_code`). Building the parser imports none of what the
commands need (the store, aiohttp, the domain rooms): each command imports that when it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from federation.errors import Conflict, CoveError, Invalid, NotFound
from node import __version__
from node.cli import (
    accounts,
    bans,
    blocks,
    care,
    crisis,
    groups,
    health,
    members,
    moderators,
    person_blocks,
    posts,
    professionals,
    profiles,
    reports,
    safety,
    safety_resources,
    serve,
    sign_in,
    subscriptions,
)
from node.cli.console import CliError, Invocation, Parser

DEFAULT_CONFIG = "cove.toml"
LOG_FORMAT = "%(levelname)s %(name)s %(message)s"  # warnings and errors, on stderr


def build_parser() -> Parser:
    common = Parser(add_help=False)
    common.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        help=f"config file (default: $COVE_CONFIG or {DEFAULT_CONFIG})",
    )
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    parser = Parser(prog="cove", description="Run and manage a Cove node.", parents=[common])
    parser.add_argument("--version", action="version", version=f"cove {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True

    serve.add_commands(commands, common)
    health.add_commands(commands, common)
    group = _family(commands, "group", "community groups")
    groups.add_commands(group, common)
    member = _family(commands, "member", "act as a local member in groups here or elsewhere")
    members.add_commands(member, common)
    person_blocks.add_commands(member, common)
    professionals.add_commands(member, group, common)
    account = accounts.add_commands(commands, common)
    sign_in.add_commands(commands, account, common)
    profiles.add_commands(account, common)
    posts.add_commands(commands, group, common)
    reports.add_commands(commands, common)
    moderators.add_commands(commands, group, common)
    bans.add_commands(commands, group, common)
    policy = _family(commands, "blocks", "the domain policy")
    blocks.add_commands(policy, common)
    subscriptions.add_commands(policy, common)
    care.add_commands(group, member, common)
    family = _family(commands, "safety", "crisis care: detection, resources, webhooks, held posts")
    safety.add_commands(family, common)
    safety_resources.add_commands(family, common)
    crisis.add_commands(commands, family, group, common)
    return parser


def _family(commands: Any, name: str, helptext: str) -> Any:
    """A command with subcommands (`cove group ...`), for the modules that add them."""
    subcommands = commands.add_parser(name, help=helptext).add_subparsers(
        dest=f"{name}_command", metavar="COMMAND", parser_class=Parser
    )
    subcommands.required = True
    return subcommands


def exit_code(error: BaseException) -> int:
    """The one mapping from failures to exit codes."""
    if isinstance(error, Invalid):
        return 2
    if isinstance(error, NotFound):
        return 3
    if isinstance(error, Conflict):
        return 4
    return 1


def describe(error: BaseException) -> str:
    from sqlalchemy.exc import DBAPIError

    if isinstance(error, CoveError):
        return error.reason
    if isinstance(error, DBAPIError):
        original = getattr(error, "orig", None) or error
        return f"database error: {str(original).splitlines()[0]}"
    if isinstance(error, OSError):
        return f"{error.strerror or error}" + (f": {error.filename}" if error.filename else "")
    return str(error)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    inv = Invocation(
        config_path=Path(
            getattr(args, "config", None) or os.environ.get("COVE_CONFIG") or DEFAULT_CONFIG
        ),
        json=getattr(args, "json", False),
        args=args,
    )
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT)
    # Every command that runs opens the store: its errors are known once the parser is done.
    from sqlalchemy.exc import DBAPIError

    try:
        ran = args.run(inv)
        if asyncio.iscoroutine(ran):  # all but `cove serve`, which runs its own loop
            asyncio.run(ran)
    except KeyboardInterrupt:
        return 130
    except (CoveError, CliError, DBAPIError, OSError) as e:
        print(f"cove: {describe(e)}", file=sys.stderr)
        return exit_code(e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
