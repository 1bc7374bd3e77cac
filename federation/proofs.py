"""Object Integrity Proofs (FEP-8b32) in the eddsa-jcs-2022 cryptosuite (W3C vc-di-eddsa), and
the Ed25519 Multikeys (FEP-521a) that actors publish to have them verified."""

from __future__ import annotations

import copy
import hashlib
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import base58
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation.errors import Invalid, Unauthorized
from federation.keys import KeyPair

log = logging.getLogger(__name__)

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"  # FEP-8b32: the only purpose an activity's proof may have
MULTIKEY_TYPE = "Multikey"
# Multicodec "ed25519-pub" (0xed) as an unsigned varint, before the 32 raw key bytes (FEP-521a).
ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_SIGNATURE_BYTES = 64
# Multibase: "z" then base58btc (Bitcoin's alphabet, no 0 O I l). Checked by hand because the
# base58 package forgives trailing whitespace, and its decoding is quadratic in the length.
_BASE58BTC = re.compile(r"z[1-9A-HJ-NP-Za-km-z]{1,200}")
# XML Schema 1.1 dateTime, which vc-di-eddsa requires of `created`; ranges checked by datetime.
_XSD_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?", re.ASCII
)
# vc-di-eddsa: what canonicalising untrusted JSON may raise (NaN, infinities, integers beyond
# 2**53, lone surrogates, nesting deeper than Python's stack).
_UNCANONICAL = (rfc8785.CanonicalizationError, RecursionError)


# Keys ------------------------------------------------------------------------------------------


def generate_ed25519_keypair() -> KeyPair:
    """A fresh Ed25519 key pair as PEM text, stored as the RSA pairs are. Cheap (microseconds),
    so unlike RSA generation it needs no executor."""
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(private_pem=private_pem.decode("ascii"), public_pem=public_pem.decode("ascii"))


def load_ed25519_private_key(pem: str) -> Ed25519PrivateKey:
    """A stored PKCS#8 PEM private key; ValueError when it is not an Ed25519 key."""
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"not an Ed25519 private key but {type(key).__name__}")
    return key


def load_ed25519_public_key(pem: str) -> Ed25519PublicKey:
    """A stored SubjectPublicKeyInfo PEM public key; ValueError when it is not Ed25519."""
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"not an Ed25519 public key but {type(key).__name__}")
    return key


def multikey(public_key: Ed25519PublicKey) -> str:
    """The key's `publicKeyMultibase` (FEP-521a): base58btc of 0xed 0x01 and the raw 32 bytes,
    so it always starts with "z6Mk"."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _base58btc(ED25519_PUB_PREFIX + raw)


def read_multikey(text: str) -> Ed25519PublicKey:
    """The Ed25519 public key a `publicKeyMultibase` value holds; Invalid for anything else
    (another multibase, another key type, a wrong length)."""
    decoded = _from_base58btc(text)
    if decoded is None:
        raise Invalid("publicKeyMultibase is not a base58btc multibase value")
    if len(decoded) != len(ED25519_PUB_PREFIX) + 32 or not decoded.startswith(ED25519_PUB_PREFIX):
        raise Invalid("publicKeyMultibase is not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(decoded[len(ED25519_PUB_PREFIX) :])


def assertion_keys(actor_document: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 Multikeys the actor lists under `assertionMethod` (one object or a list), by
    id. Only keys it controls itself count (FEP-521a); references and junk are passed over."""
    actor_id = actor_document.get("id")
    methods = actor_document.get("assertionMethod")
    if not isinstance(actor_id, str):
        return {}
    keys: dict[str, Ed25519PublicKey] = {}
    for method in methods if isinstance(methods, list) else [methods]:
        if not isinstance(method, Mapping) or method.get("type") != MULTIKEY_TYPE:
            continue
        key_id, encoded = method.get("id"), method.get("publicKeyMultibase")
        if method.get("controller") != actor_id or not isinstance(key_id, str):
            continue
        try:
            keys[key_id] = read_multikey(encoded if isinstance(encoded, str) else "")
        except Invalid as error:
            log.info("event=assertion_method_ignored key=%s reason=%r", key_id, error.reason)
    return keys


# Proofs ----------------------------------------------------------------------------------------


def sign(
    document: Mapping[str, Any],
    verification_method: str,
    private_key: Ed25519PrivateKey,
    created: datetime,
) -> dict[str, Any]:
    """A copy of `document` with an eddsa-jcs-2022 proof in place of any it had (vc-di-eddsa
    3.3.1). Invalid when the document cannot be canonicalised (a NaN, a huge integer)."""
    if created.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    unsecured = {k: copy.deepcopy(v) for k, v in document.items() if k != "proof"}
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
        "created": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    # vc-di-eddsa 3.3.1 step 2: the proof carries the document's context, so it still verifies
    # should it later sit in a proof set or chain under a longer context.
    if "@context" in unsecured:
        proof["@context"] = copy.deepcopy(unsecured["@context"])
    try:
        data = _hash_data(proof, unsecured)
    except _UNCANONICAL as error:
        raise Invalid(f"the document cannot be canonicalised (JCS): {error}") from None
    proof["proofValue"] = _base58btc(private_key.sign(data))
    return {**unsecured, "proof": proof}


def proof_method(document: Mapping[str, Any]) -> str | None:
    """The `verificationMethod` of the document's eddsa-jcs-2022 proof, to look its key up."""
    proof = _first_eddsa_jcs_proof(document)
    method = proof.get("verificationMethod") if proof is not None else None
    return method if isinstance(method, str) else None


def verify(document: Mapping[str, Any], public_key: Ed25519PublicKey) -> None:
    """Check the document's eddsa-jcs-2022 proof (vc-di-eddsa 3.3.2) against `public_key`;
    Unauthorized, with the reason, when there is none or it does not hold."""
    proof = _first_eddsa_jcs_proof(document)
    if proof is None:
        raise Unauthorized(_why_no_proof(document))
    _check_options(proof)
    signature = _from_base58btc(proof.get("proofValue"))
    if signature is None or len(signature) != ED25519_SIGNATURE_BYTES:
        raise Unauthorized("the proofValue is not a base58btc Ed25519 signature")
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    # FEP-8b32: a Linked Data Signature is made after the proof, so it is left out of its check.
    unsecured = {k: v for k, v in document.items() if k not in ("proof", "signature")}
    for config, content in _configurations(options, unsecured):
        try:
            data = _hash_data(config, content)
        except _UNCANONICAL:
            raise Unauthorized("the document cannot be canonicalised (JCS, RFC 8785)") from None
        try:
            public_key.verify(signature, data)
        except InvalidSignature:
            continue
        return
    raise Unauthorized("the proof's signature does not verify")


def _proofs(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The proof, or those of a proof set (VC Data Integrity, "Proof Sets"); objects only."""
    return [p for p in _as_list(document.get("proof")) if isinstance(p, Mapping)]


def _first_eddsa_jcs_proof(document: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return next((p for p in _proofs(document) if p.get("cryptosuite") == CRYPTOSUITE), None)


def _why_no_proof(document: Mapping[str, Any]) -> str:
    suites = sorted({str(p.get("cryptosuite"))[:40] for p in _proofs(document)})
    if not suites:
        return "the document carries no proof"
    return f"no {CRYPTOSUITE} proof, only {', '.join(suites[:5])}"


def _check_options(proof: Mapping[str, Any]) -> None:
    if proof.get("type") != PROOF_TYPE:
        raise Unauthorized(f"the proof's type is not {PROOF_TYPE}")
    if proof.get("proofPurpose") != PROOF_PURPOSE:
        raise Unauthorized(f"the proof's purpose is not {PROOF_PURPOSE} (FEP-8b32)")
    if not isinstance(proof.get("verificationMethod"), str):
        raise Unauthorized("the proof names no verificationMethod")
    created = proof.get("created")
    if created is not None and not _is_xsd_datetime(created):
        raise Unauthorized("the proof's created is not an XML Schema dateTime")


def _is_xsd_datetime(value: object) -> bool:
    match = _XSD_DATETIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return False
    try:
        datetime.fromisoformat(match.group(1))
    except ValueError:
        return False
    return True


def _configurations(
    options: dict[str, Any], unsecured: dict[str, Any]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The (proof configuration, document) pairs the signature may have been made over."""
    if "@context" in options:
        # vc-di-eddsa 3.3.2 step 4: the document's context must start with the proof's, which
        # then stands in for it (a proof set or chain may have lengthened it since).
        context = options["@context"]
        if _as_list(unsecured.get("@context", []))[: len(_as_list(context))] != _as_list(context):
            raise Unauthorized("the document's @context does not start with the proof's")
        return [(options, {**unsecured, "@context": context})]
    if "@context" not in unsecured:
        return [(options, unsecured)]
    # No @context in the proof: the spec hashes the options as they are (signers that skip 3.3.1
    # step 2, which it says some do, or that predate it); Fedify's verifier always hashes the
    # document's context into them, so a signer may have aimed at that. Both bind the document.
    return [({**options, "@context": unsecured["@context"]}, unsecured), (options, unsecured)]


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _hash_data(proof_config: Mapping[str, Any], unsecured: Mapping[str, Any]) -> bytes:
    """vc-di-eddsa 3.3.4: SHA-256 of the JCS proof configuration, then of the JCS document."""
    config_hash = hashlib.sha256(rfc8785.dumps(dict(proof_config))).digest()
    document_hash = hashlib.sha256(rfc8785.dumps(dict(unsecured))).digest()
    return config_hash + document_hash


def _base58btc(data: bytes) -> str:
    return "z" + base58.b58encode(data).decode("ascii")


def _from_base58btc(text: object) -> bytes | None:
    if not isinstance(text, str) or _BASE58BTC.fullmatch(text) is None:
        return None
    return base58.b58decode(text[1:])
