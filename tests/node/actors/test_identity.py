"""The node's identity is pinned: the base URL stored at setup is the only one any process may
run as. A `cove` command, `cove serve` or `cove worker` configured with another (another config
file, a forgotten COVE_NODE__BASE_URL) refuses in one line naming both, and writes nothing."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from node.actors.instance import IdentityMismatch, check_identity, ensure_instance
from node.config import Config
from node.runtime import Node, open_node
from tests.conftest import cove_in_process, free_port, make_config, serving
from tests.node.cli.test_cli import cove_process, ok, wait_for

STORED = "http://127.0.0.1:8080"  # what `cove init` pins with the config it writes
OTHER_PORT = 18080
OTHER = f"http://127.0.0.1:{OTHER_PORT}"


def database_rows(folder: Path) -> list[str]:
    """Every row of the node's SQLite database, as SQL: equal lists mean nothing was written."""
    with closing(sqlite3.connect(folder / "data" / "cove.db")) as db:
        return list(db.iterdump())


def assert_refused(result: subprocess.CompletedProcess[str], stored: str, configured: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert stored in lines[0] and configured in lines[0], lines[0]
    assert "node.base_url" in lines[0] and "COVE_NODE__BASE_URL" in lines[0]
    assert "Traceback" not in result.stderr


# Every command, in this process ---------------------------------------------------------------

# Commands that run whatever the configured base URL: they only touch the schema (and must
# work to repair a node), or set the node up. serve and worker are run as real processes below.
# init and db set the node up; serve and worker are tested on their own; the detector's check
# and eval read no node at all (they answer with no config and no database).
UNCHECKED = {
    ("init",),
    ("db", "upgrade"),
    ("db", "status"),
    ("serve",),
    ("worker",),
    ("safety", "check"),
    ("safety", "eval"),
}


def leaf_commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        yield path, parser
        return
    for name, sub in subparsers[0].choices.items():
        yield from leaf_commands(sub, (*path, name))


def some_arguments(parser: argparse.ArgumentParser) -> list[str]:
    """A command line the parser accepts: a value for every required argument (the command
    never gets to read them, the identity check comes first)."""
    required = {
        group._group_actions[0]
        for group in parser._mutually_exclusive_groups
        if group.required and group._group_actions
    }
    args: list[str] = []
    for action in parser._actions:
        value = str(next(iter(action.choices))) if action.choices else "1"
        needed = action.required or action in required
        if not action.option_strings and (needed or action.nargs not in ("?", "*")):
            args.append(value)
        elif action.option_strings and needed:
            args += [action.option_strings[0], value]
    return args


def every_command() -> list[list[str]]:
    from node.cli.main import build_parser

    found = [
        [*path, *some_arguments(parser)]
        for path, parser in leaf_commands(build_parser())
        if path not in UNCHECKED
    ]
    assert len(found) > 40  # the walk found the commands (and stays honest as they change)
    return found


@pytest.fixture(scope="module")
def node_at_8080(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A node set up by `cove init` with the config it writes (so at 127.0.0.1:8080), with a
    second config file beside it naming another port: same database, another origin."""
    folder = tmp_path_factory.mktemp("pinned")
    ok(cove_in_process(folder, "init"))
    ok(cove_in_process(folder, "account", "create", "ann"))
    config = (folder / "cove.toml").read_text()
    assert "port = 8080\n" in config
    (folder / "other.toml").write_text(config.replace("port = 8080\n", f"port = {OTHER_PORT}\n"))
    return folder


@pytest.mark.parametrize("args", every_command(), ids=" ".join)
def test_every_command_run_as_another_origin_refuses_and_writes_nothing(
    node_at_8080: Path, args: list[str]
) -> None:
    before = database_rows(node_at_8080)
    result = cove_in_process(node_at_8080, "--config", "other.toml", *args)
    assert_refused(result, STORED, OTHER)
    assert database_rows(node_at_8080) == before


def test_the_same_commands_with_the_node_own_config_work(node_at_8080: Path) -> None:
    ok(cove_in_process(node_at_8080, "group", "create", "calm", "--title", "Calm"))
    ok(cove_in_process(node_at_8080, "member", "join", "ann", "calm"))
    group = f"{STORED}/g/calm"
    posted = cove_in_process(node_at_8080, "member", "post", "ann", group, "--text", "hello")
    assert f"posted {STORED}/" in ok(posted)


def test_a_database_before_setup_is_set_up_by_init_and_migrations_run_whatever_the_url(
    tmp_path: Path,
) -> None:
    (tmp_path / "other.toml").write_text(f"[http]\nport = {OTHER_PORT}\n")
    ok(cove_in_process(tmp_path, "--config", "other.toml", "db", "upgrade"))
    ok(cove_in_process(tmp_path, "--config", "other.toml", "init", "--no-demo"))  # pins OTHER
    assert_refused(cove_in_process(tmp_path, "init"), OTHER, STORED)
    assert_refused(cove_in_process(tmp_path, "group", "list"), OTHER, STORED)
    assert "up to date" in ok(cove_in_process(tmp_path, "db", "status"))
    ok(cove_in_process(tmp_path, "db", "upgrade"))


# Configured from the environment: a command here, serve and worker as real processes ----------


@pytest.fixture(scope="module")
def pinned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A node set up on a free port, a post in a group on it, and the environment it was set
    up with (each test compares the database before and after, so they can share it). Set up
    in this process: the processes are the tests'."""
    tmp_path = tmp_path_factory.mktemp("pinned-processes")
    port = free_port()
    env = {"COVE_HTTP__PORT": str(port)}
    group = f"http://127.0.0.1:{port}/g/calm"
    ok(cove_in_process(tmp_path, "init", "--no-demo", env=env))
    ok(cove_in_process(tmp_path, "account", "create", "ann", env=env))
    ok(cove_in_process(tmp_path, "group", "create", "calm", "--title", "Calm", env=env))
    ok(cove_in_process(tmp_path, "member", "join", "ann", "calm", env=env))
    ok(cove_in_process(tmp_path, "member", "post", "ann", group, "--text", "queued work", env=env))
    return tmp_path, env


def test_a_command_with_another_base_url_in_the_environment_refuses(
    pinned: tuple[Path, dict[str, str]],
) -> None:
    folder, env = pinned
    stored = f"http://127.0.0.1:{env['COVE_HTTP__PORT']}"
    before = database_rows(folder)
    wrong = env | {"COVE_NODE__BASE_URL": OTHER}
    assert_refused(
        cove_in_process(folder, "group", "create", "grief", "--title", "Grief", env=wrong),
        stored,
        OTHER,
    )
    assert database_rows(folder) == before
    right = env | {"COVE_NODE__BASE_URL": stored}
    ok(cove_in_process(folder, "group", "create", "grief", "--title", "Grief", env=right))


@pytest.mark.parametrize(
    "command", [["serve"], ["serve", "--no-workers"], ["worker"]], ids=" ".join
)
def test_serve_and_worker_with_another_base_url_refuse_to_start(
    pinned: tuple[Path, dict[str, str]], command: list[str]
) -> None:
    folder, env = pinned
    stored = f"http://127.0.0.1:{env['COVE_HTTP__PORT']}"
    before = database_rows(folder)
    # Before the pin, these started and ran as the other origin: the timeout is that failure.
    result = cove_process(folder, *command, env=env | {"COVE_NODE__BASE_URL": OTHER}, timeout=30)
    assert_refused(result, stored, OTHER)
    assert "serving" not in result.stdout and "worker for" not in result.stdout
    assert database_rows(folder) == before


def test_serve_with_the_stored_base_url_serves(pinned: tuple[Path, dict[str, str]]) -> None:
    folder, env = pinned
    stored = f"http://127.0.0.1:{env['COVE_HTTP__PORT']}"
    process = start(folder, ["serve"], env | {"COVE_NODE__BASE_URL": stored})
    try:
        group = json.loads(wait_for(f"{stored}/g/calm", time.monotonic() + 20))
        assert group["id"] == f"{stored}/g/calm" and group["type"] == "Group"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    assert process.returncode == 0


def test_worker_with_the_stored_base_url_runs(pinned: tuple[Path, dict[str, str]]) -> None:
    folder, env = pinned
    stored = f"http://127.0.0.1:{env['COVE_HTTP__PORT']}"
    process = start(folder, ["worker"], env | {"COVE_NODE__BASE_URL": stored})
    log = folder / "worker.log"
    try:
        deadline = time.monotonic() + 20
        while f"worker for {stored}" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    assert process.returncode == 0, log.read_text()


def start(folder: Path, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("COVE_")} | env
    # Output to a file: a pipe nobody reads would fill up and stall the process.
    with (folder / f"{command[0]}.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "node.cli.main", *command],
            cwd=folder,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


# The domain function, and the test harness built on it -----------------------------------------


@pytest.mark.storage
async def test_ensure_instance_pins_the_base_url_and_refuses_another(
    node: Node, config: Config, tmp_path: Path
) -> None:
    await check_identity(node)  # nothing stored yet: nothing to disagree with
    info, created = await ensure_instance(node)
    assert created and info.base_url == node.urls.base
    other = open_node(make_config(tmp_path, config.database.url, free_port()))
    try:
        with pytest.raises(IdentityMismatch) as refused:
            await ensure_instance(other)
        assert refused.value.stored == node.urls.base
        assert refused.value.configured == other.urls.base
        assert node.urls.base in refused.value.reason and other.urls.base in refused.value.reason
        with pytest.raises(IdentityMismatch):
            await check_identity(other)
        with pytest.raises(IdentityMismatch):
            async with serving(other):
                pass  # the test harness sets nodes up as `cove init` does: it refuses too
    finally:
        await other.store.close()
    again, created_again = await ensure_instance(node)
    assert not created_again and again == info
    await check_identity(node)
