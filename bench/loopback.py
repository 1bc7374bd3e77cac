"""The bench talks to loopback addresses only: the check on every target, free ports, and the
loopback addresses handed out to simulated hosts (each address counts as one host)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

NODE_ADDRESS = "127.0.0.1"
# 127.0.1.0/24 holds the simulated remote actors' hosts, 127.2.0.0/16 the follower (sink) hosts.
ACTOR_NETWORK = (127, 0, 1)
SINK_NETWORK = (127, 2)
MAX_SINK_HOSTS = 250 * 250


class NotLoopback(Exception):
    """A target outside 127.0.0.0/8: the bench refuses it."""


def require_loopback(url: str) -> tuple[str, int]:
    """The (host, port) of an http URL whose host resolves to loopback addresses only."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise NotLoopback(f"{url}: the bench sends plain http to loopback hosts only")
    port = parts.port or 80
    infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    addresses = {info[4][0] for info in infos}
    if not addresses or not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise NotLoopback(f"{url}: {parts.hostname} is not a loopback address")
    return parts.hostname, port


def free_port(address: str = NODE_ADDRESS) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


def port_free_on(addresses: list[str], port: int) -> bool:
    """Whether `port` can be bound on every one of `addresses`."""
    held: list[socket.socket] = []
    try:
        for address in addresses:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(s)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((address, port))
        return True
    except OSError:
        return False
    finally:
        for s in held:
            s.close()


def shared_free_port(addresses: list[str], attempts: int = 20) -> int:
    """A port free on all the addresses, so one server can listen on each of them."""
    for _ in range(attempts):
        port = free_port(addresses[0])
        if port_free_on(addresses, port):
            return port
    raise OSError(f"no port free on all {len(addresses)} addresses after {attempts} tries")


def actor_hosts(count: int) -> list[str]:
    a, b, c = ACTOR_NETWORK
    return [f"{a}.{b}.{c}.{i + 1}" for i in range(count)]


def sink_hosts(count: int) -> list[str]:
    if not 1 <= count <= MAX_SINK_HOSTS:
        raise ValueError(f"from 1 to {MAX_SINK_HOSTS} sink hosts")
    a, b = SINK_NETWORK
    return [f"{a}.{b}.{i // 250}.{i % 250 + 1}" for i in range(count)]
