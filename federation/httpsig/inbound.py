"""The rules a signed request must meet here, whichever spec signed it (Mastodon's rules:
app/controllers/concerns/signature_verification.rb), and the outbound choice of spec."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from federation.errors import Unauthorized
from federation.httpsig import cavage, rfc9421
from federation.httpsig.message import (
    HttpMessage,
    Spec,
    content_digest_matches,
    digest_matches,
)
from federation.keys import PublicKey

# Mastodon accepts about an hour either way (created + 5 min + 1 h skew in the past).
WINDOW = timedelta(hours=1)
RFC9421_REQUIRED = ("@method", "@target-uri")


@dataclass(frozen=True, slots=True)
class Claim:
    """Who a request says signed it, read before any key is fetched."""

    spec: Spec
    key_id: str
    cavage: cavage.CavageSignature | None = None
    rfc9421: rfc9421.SignatureInput | None = None


def claim_of(message: HttpMessage) -> Claim:
    """Find the signature of a request (RFC 9421 preferred when both are present)."""
    if "signature-input" in message.headers:
        parsed = rfc9421.parse(message)
        return Claim(Spec.RFC9421, parsed.key_id, rfc9421=parsed)
    value = cavage.header_value(message)
    if value is None:
        raise Unauthorized("the request is not signed")
    signature = cavage.parse(value)
    return Claim(Spec.CAVAGE, signature.key_id, cavage=signature)


def check_policy(message: HttpMessage, claim: Claim, now: datetime, *, authority: str) -> None:
    """Freshness, coverage, digest and the signed host: checked before any key is fetched, so
    a request that could never pass costs no network. `authority` is this server's own
    host[:port]: a signature made for a request to another server is refused here, however
    valid (a hostile server could otherwise replay a GET a member's server signed for it)."""
    if claim.cavage is not None:
        _check_cavage(message, claim.cavage, now)
        _check_host(message, authority)
    else:
        assert claim.rfc9421 is not None
        _check_rfc9421(message, claim.rfc9421, now)
        # @target-uri and @authority come from this server's own URL (the caller builds the
        # message so); a covered Host header must say the same.
        if "host" in claim.rfc9421.components:
            _check_host(message, authority)


def check_signature(message: HttpMessage, claim: Claim, key: PublicKey) -> None:
    """The cryptographic check with the signer's public key."""
    if claim.cavage is not None:
        cavage.verify(message, claim.cavage, key)
    else:
        assert claim.rfc9421 is not None
        rfc9421.verify(message, key, claim.rfc9421.algorithm)


def verify(
    message: HttpMessage, claim: Claim, key: PublicKey, now: datetime, *, authority: str
) -> None:
    """Both checks; Unauthorized with the reason if either fails."""
    check_policy(message, claim, now, authority=authority)
    check_signature(message, claim, key)


def authority_of(url: str) -> str:
    """host[:port] of a URL as a Host header names it: lowercased, default ports left out."""
    parts = urlsplit(url)
    return _without_default_port(parts.netloc.lower(), parts.scheme)


def _without_default_port(netloc: str, scheme: str) -> str:
    default = {"http": ":80", "https": ":443"}.get(scheme)
    return netloc[: -len(default)] if default and netloc.endswith(default) else netloc


def _check_host(message: HttpMessage, authority: str) -> None:
    # Mastodon signs `host` and so must every signer here (checked above); its value must
    # name this server, whatever scheme the request came in on (behind a TLS proxy).
    signed = (message.headers.get("host") or "").strip().lower()
    scheme = urlsplit(message.url).scheme
    if _without_default_port(signed, scheme) != _without_default_port(authority.lower(), scheme):
        raise Unauthorized(f"the signature was made for another host ({signed[:100] or 'none'})")


def _has_body(message: HttpMessage) -> bool:
    return message.method.upper() not in ("GET", "HEAD")


def _check_time(moment: datetime, now: datetime, what: str) -> None:
    if moment > now + WINDOW:
        raise Unauthorized(f"the {what} is more than an hour in the future")
    if moment < now - WINDOW:
        raise Unauthorized(f"the {what} is more than an hour old")


def _check_cavage(message: HttpMessage, sig: cavage.CavageSignature, now: datetime) -> None:
    signed = set(sig.headers)
    if "host" not in signed:
        raise Unauthorized("the signature must cover the host header")
    if "(request-target)" not in signed and "digest" not in signed:
        raise Unauthorized("the signature must cover (request-target) or digest")
    if "date" in signed:
        _check_time(_http_date(message.headers.get("date")), now, "Date header")
    elif "(created)" in signed and sig.created is not None:
        _check_time(datetime.fromtimestamp(sig.created, now.tzinfo), now, "signature")
    else:
        raise Unauthorized("the signature must cover date or (created)")
    if sig.expires is not None and datetime.fromtimestamp(sig.expires, now.tzinfo) < now:
        raise Unauthorized("the signature has expired")
    if _has_body(message):
        if "digest" in signed:
            _check_digest(message.headers.get("digest"), message.body, digest_matches, "Digest")
        elif "content-digest" in signed:
            _check_digest(
                message.headers.get("content-digest"),
                message.body,
                content_digest_matches,
                "Content-Digest",
            )
        else:
            raise Unauthorized("the signature must cover the body's digest")


def _check_rfc9421(message: HttpMessage, sig: rfc9421.SignatureInput, now: datetime) -> None:
    missing = [c for c in RFC9421_REQUIRED if c not in sig.components]
    if missing:
        raise Unauthorized(f"the signature must cover {', '.join(missing)}")
    if sig.created is None:
        raise Unauthorized("the signature has no created time")
    _check_time(datetime.fromtimestamp(sig.created, now.tzinfo), now, "signature")
    if sig.expires is not None and datetime.fromtimestamp(sig.expires, now.tzinfo) < now:
        raise Unauthorized("the signature has expired")
    if _has_body(message):
        if "content-digest" not in sig.components:
            raise Unauthorized("the signature must cover content-digest")
        _check_digest(
            message.headers.get("content-digest"),
            message.body,
            content_digest_matches,
            "Content-Digest",
        )


def _check_digest(
    header: str | None, body: bytes, check: Callable[[str, bytes], bool | None], name: str
) -> None:
    if header is None:
        raise Unauthorized(f"the {name} header is missing")
    result = check(header, body)
    if result is None:
        raise Unauthorized(f"the {name} header offers no SHA-256 digest")
    if result is False:
        raise Unauthorized(f"the {name} does not match the body")


def _http_date(value: str | None) -> datetime:
    if not value:
        raise Unauthorized("the signed Date header is missing")
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise Unauthorized("the Date header is not an HTTP date") from None
    if moment.tzinfo is None:
        raise Unauthorized("the Date header has no time zone")
    return moment
