"""The parts of an HTTP request a signature covers, independent of any HTTP library; digests."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Spec(StrEnum):
    """The two HTTP signature specifications the fediverse uses."""

    CAVAGE = "draft-cavage-http-signatures-12"
    RFC9421 = "rfc9421"


class Headers:
    """Case-insensitive header lines that keep their order and repeats (what signatures need)."""

    def __init__(self, lines: Iterable[tuple[str, str]] = ()) -> None:
        # Each line with its name lowercased once: every signature check asks several times.
        self._lines: list[tuple[str, str, str]] = [(k.lower(), k, v) for k, v in lines]

    @classmethod
    def of(cls, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> Headers:
        if isinstance(headers, Mapping):
            return cls(headers.items())
        return cls(headers)

    def get(self, name: str) -> str | None:
        """All values of a header joined with ", " (RFC 9110 section 5.3), or None."""
        wanted = name.lower()
        values = [v.strip() for low, _, v in self._lines if low == wanted]
        return ", ".join(values) if values else None

    def items(self) -> Iterable[tuple[str, str]]:
        return [(k, v) for _, k, v in self._lines]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(k for _, k, _ in self._lines))

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        wanted = name.lower()
        return any(low == wanted for low, _, _ in self._lines)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value: str) -> None:
        self.__delitem__(name)
        self._lines.append((name.lower(), name, value))

    def __delitem__(self, name: str) -> None:
        wanted = name.lower()
        self._lines = [line for line in self._lines if line[0] != wanted]

    def as_dict(self) -> dict[str, str]:
        return {k: self[k] for k in self}


@dataclass(slots=True)
class HttpMessage:
    """A request as signed: method, absolute URL (as the server was asked), headers, body."""

    method: str
    url: str
    headers: Headers
    body: bytes = b""


@dataclass(slots=True)
class HttpResponse:
    """A response as signed (RFC 9421 can sign responses; the fediverse does not yet)."""

    status_code: int
    headers: Headers
    body: bytes = b""
    request: HttpMessage | None = None


def sha256_digest_header(body: bytes) -> str:
    """The Digest header value Mastodon sends and requires (RFC 3230): SHA-256=<base64>."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes) -> str:
    """The Content-Digest header value (RFC 9530) with SHA-256: sha-256=:<base64>:."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


_DIGESTS: Mapping[str, Any] = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


def digest_matches(header: str, body: bytes) -> bool | None:
    """Check a Digest header (RFC 3230) against the body: True, False, or None when it offers
    no algorithm we know. Mastodon requires SHA-256; SHA-512 is accepted as well."""
    known = False
    for part in header.split(","):
        name, eq, value = part.strip().partition("=")
        algorithm = _DIGESTS.get(name.strip().lower())
        if not eq or algorithm is None:
            continue
        known = True
        expected = base64.b64encode(algorithm(body).digest()).decode("ascii")
        if value.strip() != expected:
            return False
    return True if known else None


def content_digest_matches(header: str, body: bytes) -> bool | None:
    """Check a Content-Digest header (RFC 9530, a structured dictionary of byte sequences)."""
    known = False
    for part in header.split(","):
        name, eq, value = part.strip().partition("=")
        algorithm = _DIGESTS.get(name.strip().lower())
        if not eq or algorithm is None:
            continue
        value = value.strip()
        if len(value) < 2 or value[0] != ":" or value[-1] != ":":
            return False
        known = True
        expected = base64.b64encode(algorithm(body).digest()).decode("ascii")
        if value[1:-1] != expected:
            return False
    return True if known else None
