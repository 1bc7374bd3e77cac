"""The one HTTP client for every outbound request: signed GETs and POSTs with double-knocking,
behind the address guard, with size, time and redirect limits, and the id checks that make a
fetched document trustworthy."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from cryptography.hazmat.primitives.asymmetric import rsa

from federation import jsontext
from federation.addresses import GuardedResolver, check_url, same_host
from federation.errors import AddressRefused, FetchError, PolicyRefused, Unanswered
from federation.httpsig import cavage, rfc9421
from federation.httpsig.message import Headers, HttpMessage, Spec
from federation.keys import PrivateKey
from federation.media import ACTIVITY_JSON, LD_JSON_AS2

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # Mastodon's cap on fetched documents
MAX_REDIRECTS = 3
ACCEPT = f"{ACTIVITY_JSON}, {LD_JSON_AS2}"


@dataclass(frozen=True, slots=True)
class TextFetched:
    """A text document (a blocklist file): 304 when unchanged since the validators given."""

    status: int
    text: str
    etag: str | None
    last_modified: str | None
    content_type: str | None


@dataclass(frozen=True, slots=True)
class ClientSettings:
    user_agent: str
    allow_private_addresses: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 10.0  # between two reads: a server dripping bytes never trips it
    total_timeout: float = 30.0  # one request, both knocks and the whole body
    # Deliveries and fetches get separate pools, so that inboxes stuck answering our POSTs
    # cannot keep us from fetching the keys that verify incoming activities.
    delivery_connections: int = 256  # a fan-out's POSTs in flight (the sender holds as many)
    delivery_connections_per_host: int = 8
    fetch_connections: int = 64
    fetch_connections_per_host: int = 8
    max_body_bytes: int = MAX_BODY_BYTES
    max_redirects: int = MAX_REDIRECTS


@dataclass(frozen=True, slots=True)
class Signer:
    """The actor a request is signed as: its key id and private key."""

    key_id: str
    private_key: PrivateKey = field(repr=False)


@dataclass(frozen=True, slots=True)
class Posted:
    status: int
    retry_after: timedelta | None  # what the server asked for with Retry-After, if anything


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Read Retry-After (RFC 9110 10.2.3): seconds, or an HTTP date; capped at a day."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(timedelta(seconds=int(value)), timedelta(days=1))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return min(max(when - now, timedelta(0)), timedelta(days=1))


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # the URL finally answered, after redirects
    document: dict[str, Any]


class FederationClient:
    """Signed, guarded HTTP for federation. One per process, around two aiohttp sessions:
    one for fetches (every GET), one for deliveries (POSTs), each with its own pool."""

    def __init__(
        self,
        settings: ClientSettings,
        clock: Callable[[], datetime],
        refuse: Callable[[str], Awaitable[str | None]] | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        # The node's domain policy: asked before every request; a reason means no request.
        self._refuse = refuse
        self._fetches: aiohttp.ClientSession | None = None
        self._deliveries: aiohttp.ClientSession | None = None
        # Which signature spec each host accepted last: try that one first next time.
        self._spec_for_host: dict[str, Spec] = {}

    async def __aenter__(self) -> FederationClient:
        s = self.settings
        self._fetches = self._open(s.fetch_connections, s.fetch_connections_per_host)
        self._deliveries = self._open(s.delivery_connections, s.delivery_connections_per_host)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for session in (self._fetches, self._deliveries):
            if session is not None:
                await session.close()
        self._fetches = self._deliveries = None

    def _open(self, limit: int, limit_per_host: int) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(self.settings.allow_private_addresses),
            limit=limit,
            limit_per_host=limit_per_host,
            ttl_dns_cache=300,
        )
        # No total here: _signed_request puts one deadline over both knocks and the body.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=self.settings.connect_timeout,
            sock_connect=self.settings.connect_timeout,
            sock_read=self.settings.read_timeout,
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            headers={"User-Agent": self.settings.user_agent},
            auto_decompress=True,
        )

    def spec_for(self, url: str) -> Spec:
        """The spec tried first for this URL's host: the last one it accepted, else cavage
        (which every peer verifies; RFC 9421 is newer and not yet verified by Lemmy)."""
        return self._spec_for_host.get(_host_key(url), Spec.CAVAGE)

    def prefer(self, url: str, spec: Spec) -> None:
        """Try `spec` first for this URL's host."""
        self._spec_for_host[_host_key(url)] = spec

    # Requests ------------------------------------------------------------------------------

    async def get_json(self, url: str, signer: Signer | None, *, check_id: bool = True) -> Fetched:
        """GET an ActivityStreams document, following at most 3 redirects, and check that
        its id is the URL asked for (or the one finally answered, on the same host).
        `check_id=False` is for JSON that is not ActivityStreams (NodeInfo). Each hop has
        its own deadline, so the whole is bounded by (max_redirects + 1) deadlines."""
        requested, current = url, url
        for _ in range(self.settings.max_redirects + 1):
            status, headers, body = await self._signed_request("GET", current, b"", signer, {})
            if status in (301, 302, 303, 307, 308):
                location = headers.get("location")
                if not location:
                    raise FetchError(f"{current} redirected without a Location", status)
                current = urljoin(current, location)
                continue
            if status != 200:
                raise FetchError(f"{current} answered {status}", status)
            document = _json_object(body, current)
            if check_id:
                _check_id(document, requested, current)
            return Fetched(url=current, document=document)
        raise FetchError(f"{requested} redirected more than {self.settings.max_redirects} times")

    async def get_text(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int,
    ) -> TextFetched:
        """GET a text file (a blocklist), conditionally (If-None-Match, If-Modified-Since),
        following at most 3 redirects; UTF-8 or a FetchError, and never more than
        `max_bytes`."""
        extra = {"Accept": "text/csv, application/json, text/plain;q=0.9, */*;q=0.1"}
        if etag:
            extra["If-None-Match"] = etag
        if last_modified:
            extra["If-Modified-Since"] = last_modified
        current = url
        for _ in range(self.settings.max_redirects + 1):
            status, headers, body = await self._signed_request(
                "GET", current, b"", None, extra, limit=max_bytes
            )
            if status in (301, 302, 303, 307, 308) and headers.get("location"):
                current = urljoin(current, headers["location"])
                continue
            if status not in (200, 304):
                raise FetchError(f"{current} answered {status}", status)
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise FetchError(f"{current} did not answer UTF-8 text") from None
            kind = (headers.get("content-type") or "").split(";", 1)[0].strip().lower()
            return TextFetched(
                status, text, headers.get("etag"), headers.get("last-modified"), kind or None
            )
        raise FetchError(f"{url} redirected more than {self.settings.max_redirects} times")

    async def post(self, url: str, body: bytes, signer: Signer) -> int:
        """POST an activity, signed; redirects are not followed (Lemmy counts them as failures).
        Returns the final HTTP status."""
        return (await self.deliver(url, body, signer)).status

    async def deliver(self, url: str, body: bytes, signer: Signer) -> Posted:
        """POST an activity, signed, and say how the inbox answered (status, Retry-After)."""
        headers = {"Content-Type": ACTIVITY_JSON}
        status, answer, _ = await self._signed_request("POST", url, body, signer, headers)
        return Posted(status, retry_after(answer.get("retry-after"), self._clock()))

    async def post_unsigned(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """POST a body to a URL that is not an inbox (an organizer's webhook), with the same
        guards as every other request (private addresses, suspended domains, the deadline)."""
        status, _, _ = await self._signed_request("POST", url, body, None, headers)
        return status

    async def _signed_request(
        self,
        method: str,
        url: str,
        body: bytes,
        signer: Signer | None,
        extra: Mapping[str, str],
        limit: int | None = None,
    ) -> tuple[int, Headers, bytes]:
        check_url(url, self.settings.allow_private_addresses)
        if self._refuse is not None and (reason := await self._refuse(url)) is not None:
            raise PolicyRefused(reason)
        # sock_read alone lets a server that sends a byte every few seconds hold a request
        # forever, so the whole exchange (both knocks, every body) has one deadline.
        seconds = self.settings.total_timeout
        try:
            async with asyncio.timeout(seconds):
                return await self._knock(method, url, body, signer, extra, limit)
        except TimeoutError:
            # _send turns aiohttp's own timeouts into FetchError: this one is the deadline.
            raise Unanswered(
                f"{_host_key(url)} did not finish answering within {seconds:g} s"
            ) from None

    async def _knock(
        self,
        method: str,
        url: str,
        body: bytes,
        signer: Signer | None,
        extra: Mapping[str, str],
        limit: int | None,
    ) -> tuple[int, Headers, bytes]:
        """Send unsigned, or signed with double-knocking."""
        if signer is None:
            return await self._send(method, url, body, self._base_headers(url, extra), limit)
        first = self.spec_for(url)
        status, headers, payload = await self._send_signed(method, url, body, signer, extra, first)
        if status != 401:
            self.prefer(url, first)
            return status, headers, payload
        # Double-knocking: the other spec, once; remember whichever worked (SWICG profile).
        second = Spec.RFC9421 if first == Spec.CAVAGE else Spec.CAVAGE
        status, headers, payload = await self._send_signed(method, url, body, signer, extra, second)
        if status != 401:
            self.prefer(url, second)
        return status, headers, payload

    def _base_headers(self, url: str, extra: Mapping[str, str]) -> Headers:
        headers = Headers([("Host", urlsplit(url).netloc), ("Accept", ACCEPT)])
        for name, value in extra.items():
            headers[name] = value
        return headers

    async def _send_signed(
        self,
        method: str,
        url: str,
        body: bytes,
        signer: Signer,
        extra: Mapping[str, str],
        spec: Spec,
    ) -> tuple[int, Headers, bytes]:
        message = HttpMessage(method, url, self._base_headers(url, extra), body)
        now = self._clock()
        if spec == Spec.CAVAGE:
            if not isinstance(signer.private_key, rsa.RSAPrivateKey):
                raise FetchError("draft-cavage signing needs an RSA key")
            cavage.sign(message, signer.key_id, signer.private_key, now)
        else:
            rfc9421.sign(message, signer.key_id, signer.private_key, now)
        return await self._send(method, url, body, message.headers)

    async def _send(
        self, method: str, url: str, body: bytes, headers: Headers, limit: int | None = None
    ) -> tuple[int, Headers, bytes]:
        session = self._fetches if method == "GET" else self._deliveries
        if session is None:
            raise RuntimeError("FederationClient used outside `async with`")
        try:
            async with session.request(
                method,
                url,
                data=body if method != "GET" else None,
                headers=headers.as_dict(),
                allow_redirects=False,
            ) as response:
                payload = await _read_capped(response, limit or self.settings.max_body_bytes)
                return response.status, Headers(response.headers.items()), payload
        except AddressRefused:
            raise
        except aiohttp.ClientConnectorError as e:
            if isinstance(e.os_error, AddressRefused):
                raise e.os_error from None
            raise Unanswered(f"cannot connect to {urlsplit(url).netloc}: {e.os_error}") from None
        except TimeoutError:
            raise Unanswered(f"{urlsplit(url).netloc} did not answer in time") from None
        except aiohttp.ClientError as e:
            raise Unanswered(f"{urlsplit(url).netloc}: {type(e).__name__}: {e}"[:300]) from None


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    declared = response.content_length
    if declared is not None and declared > limit:
        raise FetchError(f"the response is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise FetchError(f"the response is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _host_key(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _json_object(body: bytes, url: str) -> dict[str, Any]:
    try:
        document = jsontext.loads(body)
    except jsontext.UnstorableText as error:
        raise FetchError(f"{url} returned unusable text: {error}") from None
    except (ValueError, RecursionError):
        raise FetchError(f"{url} did not return JSON") from None
    if not isinstance(document, dict):
        raise FetchError(f"{url} did not return a JSON object")
    return document


def _check_id(document: Mapping[str, Any], requested: str, answered: str) -> None:
    # Mastodon accepts no document whose id differs from the URL asked for; after a redirect
    # the id may name the final URL, as long as that URL is on the host asked: otherwise a
    # server could answer for one of its URLs (a key id) with a document from another host.
    found = document.get("id")
    if found == requested:
        return
    if found == answered and same_host(requested, answered):
        return
    if found == answered:
        raise FetchError(
            f"{requested} redirected to {answered[:200]}, on another host, which cannot"
            " answer for it"
        )
    raise FetchError(f"the document at {requested} says its id is {str(found)[:200]}")
