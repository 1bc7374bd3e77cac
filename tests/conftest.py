"""Fixtures that build real nodes: a migrated database (SQLite, and PostgreSQL when
COVE_TEST_POSTGRES_URL is set), a Node on it, and that node served over loopback HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import logging
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from federation.client import FederationClient
from node.config import Config, load_config
from node.http.app import create_app
from node.runtime import Clock, Node
from node.store import migrate
from node.store.db import open_store
from node.urls import Urls
from tests.support.wire_samples import SHARED_ABSENT, SHARED_MARK

POSTGRES_ENV = "COVE_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]


def postgres_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        return None
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


def pytest_report_header(config: pytest.Config) -> list[str]:
    url = postgres_url()
    if url:
        shown = make_url(url).render_as_string(hide_password=True)
        return [f"cove: PostgreSQL runs ENABLED against {shown}"]
    return [f"cove: PostgreSQL runs SKIPPED ({POSTGRES_ENV} is not set)"]


# The modules whose tests take longest (real processes, whole-route walks, bounded fuzzing):
# run first, so that the test processes share out the many short tests after them instead of
# one process finishing a long one while the others wait at the end.
LONGEST_FIRST = (
    "tests/node/queue/test_durability.py",
    "tests/properties/test_members_only.py",
    "tests/node/http/api/test_api.py",
    "tests/node/test_outage.py",
    "tests/properties/test_anonymity_property.py",
    "tests/node/queue/test_scale_out.py",
    "tests/node/crisis/test_escalation.py",
    "tests/properties/test_hostile_property.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: each module's tests keep their order


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{SHARED_MARK}: a check over the shared set of other servers' real documents; "
        "skipped, and counted at the end of the run, when that set is absent",
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if postgres_url() is None:
        terminalreporter.write_line(
            f"cove: the PostgreSQL runs were SKIPPED: set {POSTGRES_ENV} to run them", yellow=True
        )
    skipped = terminalreporter.stats.get("skipped", [])
    missed = sum(
        1
        for report in skipped
        if SHARED_MARK in report.keywords and SHARED_ABSENT in str(report.longrepr)
    )
    if missed:
        terminalreporter.write_line(
            f"!!! {SHARED_ABSENT}: {missed} checks against other servers' real documents "
            "did not run",
            red=True,
            bold=True,
        )


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


def make_config(
    tmp_path: Path,
    database_url: str,
    port: int,
    address: str = "127.0.0.1",
    **sections: dict[str, object],
) -> Config:
    env = {
        "COVE_NODE__BASE_URL": f"http://{address}:{port}",
        "COVE_NODE__DATA_DIR": str(tmp_path / "data"),
        "COVE_HTTP__HOST": address,
        "COVE_HTTP__PORT": str(port),
        "COVE_DATABASE__URL": database_url,
        # Every peer in a test lives on loopback.
        "COVE_FEDERATION__ALLOW_PRIVATE_ADDRESSES": "true",
    }
    for section, values in sections.items():
        for key, value in values.items():
            env[f"COVE_{section.upper()}__{key.upper()}"] = (
                str(value).lower() if isinstance(value, bool) else str(value)
            )
    return load_config(None, env)


# Databases -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "cove.db"

    async def build() -> None:
        store = open_store(make_config(path.parent, f"sqlite+aiosqlite:///{path}", 1).database)
        try:
            await migrate.upgrade(store)
        finally:
            await store.close()

    asyncio.run(build())
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    """A database of its own on the PostgreSQL server, migrated once, dropped at the end."""
    url = postgres_url()
    if url is None:
        yield None
        return
    name = f"cove_test_{uuid.uuid4().hex[:10]}"
    server = make_url(url)

    async def admin(statement: str) -> None:
        engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(statement))
        finally:
            await engine.dispose()

    test_url = server.set(database=name).render_as_string(hide_password=False)

    async def build() -> None:
        await admin(f'CREATE DATABASE "{name}"')
        store = open_store(make_config(Path("."), test_url, 1).database)
        try:
            await migrate.upgrade(store)
        finally:
            await store.close()

    asyncio.run(build())
    try:
        yield test_url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and postgres_url() is None:
        pytest.skip(f"PostgreSQL run skipped: {POSTGRES_ENV} is not set")
    return str(request.param)


@pytest.fixture
async def database_url(
    backend: str, tmp_path: Path, sqlite_template: Path, postgres_database: str | None
) -> AsyncIterator[str]:
    """A migrated, empty database for one test."""
    if backend == "sqlite":
        path = tmp_path / "cove.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    assert postgres_database is not None
    await truncate_all(postgres_database)
    yield postgres_database


async def truncate_all(url: str) -> None:
    """Empty every table and restart every id, as a new database would be. DELETE rather
    than TRUNCATE: a test leaves a few rows, and TRUNCATE's work is per table whatever it
    holds (a fifth of a second for the lot, paid by every PostgreSQL test, against a
    twentieth); children before their parents."""
    import node.store.tables  # noqa: F401  (registers the tables)

    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for name in tables:
                await conn.execute(text(f'DELETE FROM "{name}"'))
            await conn.execute(
                text("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'")
            )
    finally:
        await engine.dispose()


# Nodes ---------------------------------------------------------------------------------------


@dataclass
class ServedNode:
    node: Node
    client: ClientSession  # a plain HTTP client, as a remote server would use

    @property
    def urls(self) -> Urls:
        return self.node.urls

    @property
    def base(self) -> str:
        return self.node.urls.base


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def config(tmp_path: Path, database_url: str, port: int) -> Config:
    return make_config(tmp_path, database_url, port)


@pytest.fixture
async def node(config: Config) -> AsyncIterator[Node]:
    from node.runtime import open_node

    n = open_node(config)
    try:
        yield n
    finally:
        await n.store.close()


@asynccontextmanager
async def serving(node: Node, *, workers: bool = True) -> AsyncIterator[ServedNode]:
    """Set a node up as `cove init` does (instance actor) and serve it on its base URL, with
    its background workers unless told otherwise."""
    from node.actors.instance import ensure_instance

    await ensure_instance(node)
    runner = web.AppRunner(create_app(node, workers=workers), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, node.config.http.host, node.config.http.port)
    await site.start()
    try:
        async with ClientSession() as client:
            yield ServedNode(node=node, client=client)
    finally:
        await runner.cleanup()


@pytest.fixture
async def served(node: Node) -> AsyncIterator[ServedNode]:
    """The node under test, listening on its base URL."""
    async with serving(node) as served_node:
        yield served_node


PeerFactory = Callable[..., Awaitable[ServedNode]]


@pytest.fixture
async def peer_node(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[PeerFactory]:
    """Another Cove node on its own port and SQLite database: `await peer_node(**sections)`."""
    from node.runtime import open_node

    stack = AsyncExitStack()
    count = 0

    async def make(
        clock: Clock | None = None, address: str = "127.0.0.1", **sections: dict[str, object]
    ) -> ServedNode:
        """`address`: another loopback address is another domain to the domain policy."""
        nonlocal count
        count += 1
        folder = tmp_path / f"peer{count}"
        folder.mkdir()
        shutil.copy(sqlite_template, folder / "cove.db")
        database = f"sqlite+aiosqlite:///{folder / 'cove.db'}"
        config = make_config(folder, database, free_port(address), address, **sections)
        n = open_node(config)
        if clock is not None:
            n = dataclasses.replace(n, clock=clock)
        stack.push_async_callback(n.store.close)
        return await stack.enter_async_context(serving(n))

    async with stack:
        yield make


def client_for(node: Node) -> FederationClient:
    """A client configured like the node's own (loopback allowed)."""
    from node.runtime import federation_client

    return federation_client(node)


async def signed_get(signer_node: Node, url: str) -> dict[str, object]:
    """GET `url` signed by `signer_node`'s instance actor, as another server would."""
    from node.actors.signers import instance_signer

    async with client_for(signer_node) as client:
        fetched = await client.get_json(url, await instance_signer(signer_node))
    return fetched.document


class MovableClock:
    """A clock tests move forward (a ban's expiry, seven days later)."""

    def __init__(self) -> None:
        from node.runtime import utc_now

        self._now = utc_now
        self.skew = 0.0

    def __call__(self) -> datetime:
        return self._now() + timedelta(seconds=self.skew)

    def advance(self, delta: timedelta) -> None:
        self.skew += delta.total_seconds()


async def eventually(check: Callable[[], Awaitable[object]], within: float = 20.0) -> object:
    """Poll `check` until it returns something truthy, for at most `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true after {within} s: {check.__name__}")
        await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
def fedify_available() -> None:
    """Skip, saying why, when the Fedify test peer cannot be installed here (no node/npm)."""
    from tests.peers.fedify_peer import install_peer

    installed = install_peer()
    if installed.node is None:
        pytest.skip(f"the Fedify peer is unavailable here: {installed.reason}")


async def add_follower(
    session: Any, group_id: int, uri: str, inbox: str, shared_inbox: str | None, now: datetime
) -> None:
    """A remote actor with an accepted follow of a group here, written straight to the store
    (tests of delivery want many followers without the handshake)."""
    from node.store.states import GroupRole, MembershipState
    from node.store.tables import Membership, RemoteActor

    actor = RemoteActor(
        uri=uri,
        type="Person",
        domain=uri.split("//", 1)[1].split("/", 1)[0],
        inbox=inbox,
        shared_inbox=shared_inbox,
        document={},
        fetched_at=now,
        created_at=now,
    )
    session.add(actor)
    await session.flush()
    session.add(
        Membership(
            group_id=group_id,
            actor_uri=uri,
            remote_actor_id=actor.id,
            role=GroupRole.MEMBER,
            state=MembershipState.ACCEPTED,
            created_at=now,
            updated_at=now,
        )
    )


@asynccontextmanager
async def serving_app(
    app: web.Application, port: int, address: str = "127.0.0.1"
) -> AsyncIterator[None]:
    """A stand-in server (a sink, a peer) listening on `address`:`port` while in use."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, address, port).start()
    try:
        yield
    finally:
        await runner.cleanup()


@contextlib.contextmanager
def _console(folder: Path, env: dict[str, str]) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """The command's working directory, its own output (with its warnings, logged as `cove`
    logs them), and of the COVE_ settings only `env` (as tests/node/cli/test_cli.py gives its
    processes)."""
    from node.cli.main import LOG_FORMAT

    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("COVE_")}
    os.environ.update(env)
    out, err = io.StringIO(), io.StringIO()
    logged = logging.StreamHandler(err)
    logged.setLevel(logging.WARNING)
    logged.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.getLogger().addHandler(logged)
    try:
        with (
            contextlib.chdir(folder),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            yield out, err
    finally:
        logging.getLogger().removeHandler(logged)
        for key in env:
            os.environ.pop(key, None)
        os.environ.update(saved)


def cove_in_process(
    folder: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`cove ARGS` run in `folder` through the command's own entry point, in this process (a
    new one costs a second of imports), answered as the finished process would be."""
    with _console(folder, env or {}) as (out, err):
        try:
            from node.cli.main import main

            code = main(list(args))
        except SystemExit as stop:  # argparse: usage errors (2), --help and --version (0)
            code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
    return subprocess.CompletedProcess(["cove", *args], code, out.getvalue(), err.getvalue())
