"""draft-cavage-http-signatures-12: the `Signature` header as Mastodon signs and checks it."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from federation.errors import Unauthorized
from federation.httpsig.message import HttpMessage, sha256_digest_header

# What Mastodon signs (app/lib/request.rb): every header it sets but User-Agent.
POST_HEADERS = ("(request-target)", "host", "date", "digest", "content-type")
GET_HEADERS = ("(request-target)", "host", "date", "accept")
# hs2019 means "derive the algorithm from the key"; with an RSA key that is RSA-SHA256 (SWICG).
ACCEPTED_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([0-9.]+))\s*(?:,|$)')


@dataclass(frozen=True, slots=True)
class CavageSignature:
    """The parameters of a `Signature` header."""

    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes
    created: int | None = None
    expires: int | None = None


def header_value(message: HttpMessage) -> str | None:
    """The signature parameters, from `Signature` or `Authorization: Signature ...`."""
    value = message.headers.get("signature")
    if value:
        return value
    authorization = message.headers.get("authorization") or ""
    scheme, _, rest = authorization.partition(" ")
    return rest if scheme.lower() == "signature" else None


def parse(value: str) -> CavageSignature:
    """Read a Signature header; anything malformed is Unauthorized with a reason."""
    params: dict[str, str] = {}
    position = 0
    while position < len(value):
        match = _PARAM.match(value, position)
        if match is None or match.end() == position:
            raise Unauthorized("the Signature header is malformed")
        name = match.group(1)
        if name in params:
            # Two Signature headers read as one, or a parameter given twice: which one counts
            # would differ from reader to reader, so neither does.
            raise Unauthorized(f"the Signature header gives {name} more than once")
        params[name] = match.group(2) if match.group(2) is not None else match.group(3)
        position = match.end()
    key_id = params.get("keyId")
    encoded = params.get("signature")
    if not key_id or not encoded:
        raise Unauthorized("the Signature header needs keyId and signature")
    try:
        signature = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise Unauthorized("the signature is not valid base64") from None
    names = tuple(params.get("headers", "date").lower().split())
    return CavageSignature(
        key_id=key_id,
        algorithm=params.get("algorithm", "hs2019").lower(),
        headers=names,
        signature=signature,
        created=_integer(params.get("created"), "created"),
        expires=_integer(params.get("expires"), "expires"),
    )


def _integer(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or len(value) > 12:
        raise Unauthorized(f"the signature's {name} must be a Unix time")
    return int(value)


def request_target(message: HttpMessage) -> str:
    parts = urlsplit(message.url)
    path = parts.path or "/"
    return f"{message.method.lower()} {path}" + (f"?{parts.query}" if parts.query else "")


def signing_string(message: HttpMessage, signature: CavageSignature) -> str:
    lines = []
    for name in signature.headers:
        if name == "(request-target)":
            value = request_target(message)
        elif name in ("(created)", "(expires)"):
            number = signature.created if name == "(created)" else signature.expires
            if number is None:
                raise Unauthorized(f"{name} is signed but has no value")
            value = str(number)
        else:
            header = message.headers.get(name)
            if header is None:
                raise Unauthorized(f"the signed header {name} is missing")
            value = header
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def verify(message: HttpMessage, signature: CavageSignature, key: object) -> None:
    """Check the signature cryptographically (policy is checked elsewhere)."""
    if signature.algorithm not in ACCEPTED_ALGORITHMS:
        raise Unauthorized(f"unsupported signature algorithm {signature.algorithm}")
    if not isinstance(key, rsa.RSAPublicKey):
        raise Unauthorized("draft-cavage signatures are accepted with RSA keys only")
    data = signing_string(message, signature).encode("utf-8")
    try:
        key.verify(signature.signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise Unauthorized("the signature does not match") from None


def sign(message: HttpMessage, key_id: str, key: rsa.RSAPrivateKey, now: datetime) -> None:
    """Add Date (and Digest for a body) and a Signature header, as Mastodon signs."""
    message.headers["Date"] = format_datetime(now, usegmt=True)
    wanted: tuple[str, ...] = GET_HEADERS
    if message.method.upper() != "GET":
        message.headers["Digest"] = sha256_digest_header(message.body)
        wanted = POST_HEADERS
    names = tuple(n for n in wanted if n.startswith("(") or n in message.headers)
    unsigned = CavageSignature(key_id, "rsa-sha256", names, b"")
    data = signing_string(message, unsigned).encode("utf-8")
    value = base64.b64encode(key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")
    message.headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",signature="{value}"'
    )
