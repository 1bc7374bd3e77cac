"""What every part of a running node shares: config, store, URLs, and the injected clock, key
generator, id source and mailer (so tests control time, CPU-heavy work, randomness and mail)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from federation.keys import KeyPair, generate_rsa_keypair
from node.config import Config
from node.domain_policy.cache import PolicyCache
from node.members.mail import Mailer, mailer_from_settings
from node.store.db import Store, open_store
from node.urls import Urls

if TYPE_CHECKING:
    from federation.client import FederationClient

Clock = Callable[[], datetime]
KeyGenerator = Callable[[], Awaitable[KeyPair]]
TokenSource = Callable[[], str]


def utc_now() -> datetime:
    return datetime.now(UTC)


async def generate_key_in_executor() -> KeyPair:
    # RSA-2048 generation takes tens of milliseconds of CPU: keep it off the event loop.
    return await asyncio.get_running_loop().run_in_executor(None, generate_rsa_keypair)


def random_token() -> str:
    """The unguessable part of the ids this node mints for activities and posts."""
    return secrets.token_urlsafe(12)


@dataclass(frozen=True, slots=True)
class Node:
    config: Config
    store: Store
    urls: Urls
    policy: PolicyCache  # the domain policy in force, this process's copy
    clock: Clock = utc_now
    keygen: KeyGenerator = generate_key_in_executor
    token: TokenSource = random_token
    mailer: Mailer | None = None  # None: no mail server is configured


def open_node(config: Config, clock: Clock = utc_now) -> Node:
    store = open_store(config.database)
    urls = Urls(config.node.base_url)
    policy = PolicyCache(store, config.federation.mode, urls.domain)
    mailer = mailer_from_settings(config.mail)
    return Node(config=config, store=store, urls=urls, policy=policy, clock=clock, mailer=mailer)


def federation_client(node: Node) -> FederationClient:
    """The node's outbound HTTP client, named after the node in its User-Agent; use it with
    `async with`. One per process (the server's, or a CLI command's)."""
    from federation.client import ClientSettings, FederationClient
    from node import __version__

    settings = node.config.federation
    return FederationClient(
        ClientSettings(
            user_agent=f"Cove/{__version__} (+{node.urls.base}/)",
            allow_private_addresses=settings.allow_private_addresses,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            total_timeout=settings.request_timeout,
        ),
        clock=node.clock,
        refuse=lambda url: node.policy.refusal(url, node.clock()),
    )
