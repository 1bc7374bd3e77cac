"""Which servers this node may contact: the guard against private networks (on a literal
address before connecting, on every address after DNS), and the checks on URLs and hosts."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from federation.errors import AddressRefused, FetchError


def address_allowed(address: str, allow_private: bool) -> bool:
    """Whether an IP address may be contacted: only public unicast, unless allowed."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if allow_private:
        return not ip.is_unspecified and not ip.is_multicast
    return ip.is_global and not ip.is_multicast


class GuardedResolver(AbstractResolver):
    """Resolves like the default resolver, then drops every address we may not contact."""

    def __init__(self, allow_private: bool) -> None:
        self._inner = aiohttp.ThreadedResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if address_allowed(r["host"], self._allow_private)]
        if not allowed:
            raise AddressRefused(f"{host} resolves only to addresses this node does not contact")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def check_url(url: str, allow_private: bool) -> None:
    """Refuse non-http(s) URLs and literal addresses we may not contact, before connecting."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"not an http(s) URL: {url[:200]}")
    host = parts.hostname
    try:
        ipaddress.ip_address(host)
    except ValueError:
        loopback_name = host == "localhost" or host.endswith(".localhost")
        if loopback_name and not allow_private:
            raise AddressRefused(f"{host} is a loopback name") from None
        return
    if not address_allowed(host, allow_private):
        raise AddressRefused(f"{host} is not an address this node contacts")


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{(parts.netloc or '').lower()}"


def same_host(a: str, b: str) -> bool:
    return (urlsplit(a).hostname or "a").lower() == (urlsplit(b).hostname or "b").lower()


def check_object_host(object_id: str, actor_id: str) -> None:
    """An object must live on the same host as the actor it is attributed to."""
    if not same_host(object_id, actor_id):
        raise FetchError(f"{object_id} is not on the host of its actor {actor_id}")
