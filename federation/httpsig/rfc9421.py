"""RFC 9421 HTTP Message Signatures (Signature-Input / Signature), through the
http-message-signatures library; here only the fediverse profile and key handling."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any

import http_sf
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureAlgorithm,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from federation.errors import Unauthorized
from federation.httpsig.message import HttpMessage, HttpResponse
from federation.keys import PrivateKey, PublicKey

# The profile Mastodon verifies (since 4.4) and sends (since 4.7): method and target URI,
# plus the body's Content-Digest on POST; rsa-v1_5-sha256.
GET_COMPONENTS = ("@method", "@target-uri", "@authority", "date")
POST_COMPONENTS = ("@method", "@target-uri", "@authority", "date", "content-type")
LABEL = "sig1"

ALGORITHMS: Mapping[str, type[HTTPSignatureAlgorithm]] = {
    "rsa-v1_5-sha256": algorithms.RSA_V1_5_SHA256,
    "rsa-pss-sha512": algorithms.RSA_PSS_SHA512,
    "ecdsa-p256-sha256": algorithms.ECDSA_P256_SHA256,
    "ed25519": algorithms.ED25519,
}


@dataclass(frozen=True, slots=True)
class SignatureInput:
    """One signature's metadata, read before its key is known."""

    label: str
    key_id: str
    components: tuple[str, ...]
    algorithm: str | None
    created: int | None
    expires: int | None


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, public: Any = None, private: Any = None) -> None:
        self.public, self.private = public, private

    def resolve_public_key(self, key_id: str) -> Any:
        return self.public

    def resolve_private_key(self, key_id: str) -> Any:
        return self.private


def parse(message: HttpMessage) -> SignatureInput:
    """Read Signature-Input. Like Mastodon, accept exactly one signature per request."""
    raw = message.headers.get("signature-input")
    if raw is None:
        raise Unauthorized("the request has no Signature-Input header")
    try:
        parsed = http_sf.parse(raw.encode("latin-1"), tltype="dictionary")
    except Exception:  # http_sf raises plain ValueError and friends on bad input
        raise Unauthorized("the Signature-Input header is malformed") from None
    if not isinstance(parsed, dict) or len(parsed) != 1:
        raise Unauthorized("exactly one signature is accepted per request")
    ((label, member),) = parsed.items()
    if not isinstance(member, tuple) or len(member) != 2:
        raise Unauthorized("the Signature-Input member is not an inner list")
    members, params = member
    if not isinstance(members, list) or not isinstance(params, dict):
        raise Unauthorized("the Signature-Input member is not an inner list")
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise Unauthorized("the signature has no keyid")
    algorithm = params.get("alg")
    return SignatureInput(
        label=str(label),
        key_id=key_id,
        components=tuple(str(m[0]) for m in members if isinstance(m, tuple)),
        algorithm=algorithm if isinstance(algorithm, str) else None,
        created=_int(params.get("created")),
        expires=_int(params.get("expires")),
    )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def algorithm_for(key: object, declared: str | None) -> type[HTTPSignatureAlgorithm]:
    """The algorithm a signature uses: as declared by `alg`, else implied by the key."""
    if declared is not None:
        found = ALGORITHMS.get(declared)
        if found is None:
            raise Unauthorized(f"unsupported signature algorithm {declared}")
        return found
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return algorithms.RSA_V1_5_SHA256
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return algorithms.ED25519
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return algorithms.ECDSA_P256_SHA256
    raise Unauthorized("no signature algorithm fits this key")


class _Verifier(HTTPMessageVerifier):
    # Freshness is checked by our policy against the injected clock, not the library's.
    require_created = False

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        return None


def verify(message: HttpMessage | HttpResponse, key: PublicKey, declared: str | None) -> None:
    """Check one signature cryptographically over the components it covers.

    Freshness and required coverage are the caller's policy; `max_age=None` leaves them out
    here so that the clock stays injectable."""
    verifier = _Verifier(
        signature_algorithm=algorithm_for(key, declared), key_resolver=_OneKey(public=key)
    )
    try:
        verifier.verify(message, max_age=None)
    except (InvalidSignature, HTTPMessageSignaturesException) as e:
        raise Unauthorized(f"the signature does not verify: {_short(e)}") from None


def _short(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


def sign(message: HttpMessage, key_id: str, key: PrivateKey, now: datetime) -> None:
    """Add Content-Digest (for a body), Signature-Input and Signature headers."""
    message.headers["Date"] = format_datetime(now, usegmt=True)
    has_body = message.method.upper() != "GET"
    components = POST_COMPONENTS if has_body else GET_COMPONENTS
    # content-digest is added and covered by the library itself when it is given the body.
    covered = [c for c in components if c.startswith("@") or c in message.headers]
    signer = HTTPMessageSigner(
        signature_algorithm=algorithm_for(key, None), key_resolver=_OneKey(private=key)
    )
    signer.sign(
        message,
        key_id=key_id,
        created=now,
        label=LABEL,
        covered_component_ids=covered,
        body=message.body if has_body else None,
    )
