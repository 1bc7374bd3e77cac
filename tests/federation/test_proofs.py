"""Object Integrity Proofs (eddsa-jcs-2022) and Ed25519 Multikeys: the published test vectors,
tampering, hostile numbers, and the proof a real Fedify server puts on what it delivers."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import base58
import pytest
import rfc8785
from aiohttp import ClientSession, web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.errors import Invalid, Unauthorized
from federation.proofs import (
    assertion_keys,
    generate_ed25519_keypair,
    load_ed25519_private_key,
    load_ed25519_public_key,
    multikey,
    proof_method,
    read_multikey,
    sign,
    verify,
)
from tests.conftest import free_port, serving_app
from tests.peers.fedify_peer import start_fedify_peer

# W3C "Data Integrity EdDSA Cryptosuites v1.0", appendix "Representation: eddsa-jcs-2022":
# github.com/w3c/vc-di-eddsa, TestVectors/keyPair.json, TestVectors/unsigned.json and
# TestVectors/eddsa-jcs-2022/signedJCS.json (commit abb673eb9df673e24a8eaf939337de74759b5f8d).
VECTOR_PUBLIC_MULTIBASE = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VECTOR_SECRET_MULTIBASE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
VECTOR_CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)
W3C_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/ns/credentials/examples/v2",
]
W3C_UNSIGNED: dict[str, Any] = {
    "@context": W3C_CONTEXT,
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
W3C_METHOD = f"did:key:{VECTOR_PUBLIC_MULTIBASE}#{VECTOR_PUBLIC_MULTIBASE}"
W3C_SIGNED: dict[str, Any] = {
    **W3C_UNSIGNED,
    "proof": {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": W3C_METHOD,
        "proofPurpose": "assertionMethod",
        "@context": W3C_CONTEXT,
        "proofValue": (
            "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX"
        ),
    },
}
# The same appendix's intermediate values: SHA-256 of the canonical proof configuration and
# of the canonical document (TestVectors/eddsa-jcs-2022/combinedHashJCS.txt).
W3C_COMBINED_HASH = (
    "66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db"
    "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
)

# FEP-8b32, fep/8b32/fep-8b32.feature (the "Signing document" and "Verifying a signature"
# scenarios), as held in github.com/julianlam/feps at commit
# 029288dcd11daf97695e45db600b28ea8c8fce26, a mirror of codeberg.org/fediverse/fep.
FEP_CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/data-integrity/v2",
]
FEP_METHOD = "https://server.example/users/alice#ed25519-key"
FEP_UNSIGNED: dict[str, Any] = {
    "@context": FEP_CONTEXT,
    "id": "https://server.example/activities/1",
    "type": "Create",
    "actor": "https://server.example/users/alice",
    "object": {
        "id": "https://server.example/objects/1",
        "type": "Note",
        "attributedTo": "https://server.example/users/alice",
        "content": "Hello world",
        "location": {"type": "Place", "longitude": -71.184902, "latitude": 25.273962},
    },
}
FEP_SIGNED: dict[str, Any] = {
    **FEP_UNSIGNED,
    "proof": {
        "@context": FEP_CONTEXT,
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "verificationMethod": FEP_METHOD,
        "proofPurpose": "assertionMethod",
        "proofValue": (
            "z42ffGu6AUKPCFcFPiabmUvnGLPJzC7e4DGWC52NUasSSH37UMa9c58tdgVszUcZfytxa4fQ5TYHaJENCxUDe9SdL"
        ),
        "created": "2023-02-24T23:36:38Z",
    },
}
FEP_ACTOR: dict[str, Any] = {
    "@context": [*FEP_CONTEXT, "https://w3id.org/security/multikey/v1"],
    "type": "Person",
    "id": "https://server.example/users/alice",
    "inbox": "https://server.example/users/alice/inbox",
    "outbox": "https://server.example/users/alice/outbox",
    "assertionMethod": [
        {
            "id": FEP_METHOD,
            "type": "Multikey",
            "controller": "https://server.example/users/alice",
            "publicKeyMultibase": VECTOR_PUBLIC_MULTIBASE,
        }
    ],
}


def vector_secret_key() -> Ed25519PrivateKey:
    raw = base58.b58decode(VECTOR_SECRET_MULTIBASE[1:])
    assert raw[:2] == b"\x80\x26"  # multicodec ed25519-priv (0x1300) as a varint
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


def leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a string or number in a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaf_paths(item, (*path, index))
    else:
        yield path


def changed(document: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    """A copy with the value at `path` altered (a string gains a character, a number grows)."""
    tampered = copy.deepcopy(document)
    parent = tampered
    for step in path[:-1]:
        parent = parent[step]
    old = parent[path[-1]]
    parent[path[-1]] = old + "x" if isinstance(old, str) else old + 1
    return tampered


# Known answers ---------------------------------------------------------------------------------


def test_the_vector_key_has_the_published_multikey() -> None:
    public_key = vector_secret_key().public_key()
    assert multikey(public_key) == VECTOR_PUBLIC_MULTIBASE
    assert (
        read_multikey(VECTOR_PUBLIC_MULTIBASE).public_bytes_raw() == public_key.public_bytes_raw()
    )


def test_signing_the_w3c_vector_reproduces_its_proof() -> None:
    assert sign(W3C_UNSIGNED, W3C_METHOD, vector_secret_key(), VECTOR_CREATED) == W3C_SIGNED


def test_the_w3c_vector_hashes_its_proof_configuration_then_its_document() -> None:
    # An independent computation of the appendix's steps, so a failing vector says which half.
    config = {k: v for k, v in W3C_SIGNED["proof"].items() if k != "proofValue"}
    combined = hashlib.sha256(rfc8785.dumps(config)).digest()
    combined += hashlib.sha256(rfc8785.dumps(W3C_UNSIGNED)).digest()
    assert combined.hex() == W3C_COMBINED_HASH


def test_the_w3c_signed_vector_verifies() -> None:
    verify(W3C_SIGNED, read_multikey(VECTOR_PUBLIC_MULTIBASE))
    assert proof_method(W3C_SIGNED) == W3C_METHOD


def test_signing_the_fep_8b32_vector_reproduces_its_proof() -> None:
    assert sign(FEP_UNSIGNED, FEP_METHOD, vector_secret_key(), VECTOR_CREATED) == FEP_SIGNED


def test_the_fep_8b32_vector_verifies_with_the_key_its_actor_publishes() -> None:
    keys = assertion_keys(FEP_ACTOR)
    assert list(keys) == [FEP_METHOD]
    method = proof_method(FEP_SIGNED)
    assert method == FEP_METHOD
    verify(FEP_SIGNED, keys[method])


# Multikeys and stored keys ---------------------------------------------------------------------


def test_a_multikey_round_trips() -> None:
    public_key = Ed25519PrivateKey.generate().public_key()
    encoded = multikey(public_key)
    assert encoded.startswith("z6Mk")
    assert read_multikey(encoded).public_bytes_raw() == public_key.public_bytes_raw()


def _multibase(data: bytes) -> str:
    return "z" + base58.b58encode(data).decode("ascii")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "z",
        "u7QE" + "A" * 43,  # base64url multibase, not base58btc
        VECTOR_PUBLIC_MULTIBASE + " ",
        VECTOR_PUBLIC_MULTIBASE[:-1] + "0",  # "0" is not in base58btc
        VECTOR_PUBLIC_MULTIBASE.replace("z", "\uff5a", 1),  # a fullwidth z
        _multibase(b"\xe7\x01" + bytes(33)),  # a secp256k1 public key
        _multibase(b"\xed\x01" + bytes(31)),
        _multibase(b"\xed\x01" + bytes(33)),
        "z" + "2" * 5000,
    ],
)
def test_read_multikey_refuses_what_is_not_an_ed25519_multikey(text: str) -> None:
    with pytest.raises(Invalid):
        read_multikey(text)


def test_assertion_keys_keeps_only_the_actors_own_ed25519_multikeys() -> None:
    own = {**FEP_ACTOR["assertionMethod"][0]}
    other = Ed25519PrivateKey.generate().public_key()
    actor = {
        **FEP_ACTOR,
        "assertionMethod": [
            "https://server.example/users/alice#a-reference",
            42,
            None,
            {**own, "id": "https://server.example/users/alice#k1", "controller": "https://evil"},
            {**own, "id": "https://server.example/users/alice#k2", "type": "JsonWebKey"},
            {**own, "id": "https://server.example/users/alice#k3", "publicKeyMultibase": "zzz"},
            {**own, "id": "https://server.example/users/alice#k4", "publicKeyMultibase": 7},
            {**own, "id": None},
            own,
            {
                **own,
                "id": "https://server.example/users/alice#k5",
                "publicKeyMultibase": multikey(other),
            },
        ],
    }
    keys = assertion_keys(actor)
    assert list(keys) == [FEP_METHOD, "https://server.example/users/alice#k5"]
    assert (
        keys["https://server.example/users/alice#k5"].public_bytes_raw() == other.public_bytes_raw()
    )
    assert list(assertion_keys({**FEP_ACTOR, "assertionMethod": own})) == [FEP_METHOD]
    assert assertion_keys({**FEP_ACTOR, "assertionMethod": "junk"}) == {}
    assert assertion_keys({"assertionMethod": [own]}) == {}  # no actor id to control anything


def test_a_stored_pem_key_pair_signs_and_verifies() -> None:
    pair = generate_ed25519_keypair()
    assert pair.private_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert pair.public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    signed = sign(
        FEP_UNSIGNED, FEP_METHOD, load_ed25519_private_key(pair.private_pem), VECTOR_CREATED
    )
    verify(signed, load_ed25519_public_key(pair.public_pem))


# Signing and verifying -------------------------------------------------------------------------


def test_a_signed_document_verifies_and_keeps_the_original_untouched() -> None:
    key = Ed25519PrivateKey.generate()
    original = copy.deepcopy(FEP_UNSIGNED)
    created = datetime(2024, 5, 6, 9, 10, 11, 987654, tzinfo=timezone(timedelta(hours=2)))
    signed = sign(original, FEP_METHOD, key, created)
    assert original == FEP_UNSIGNED
    assert signed["proof"]["created"] == "2024-05-06T07:10:11Z"
    assert {k: v for k, v in signed.items() if k != "proof"} == FEP_UNSIGNED
    verify(signed, key.public_key())
    verify(json.loads(json.dumps(signed)), key.public_key())  # as it arrives over the wire


@pytest.mark.parametrize(
    "path",
    [p for p in leaf_paths(FEP_SIGNED) if p != ("proof", "proofValue")],
    ids=lambda p: ".".join(map(str, p)),
)
def test_changing_any_field_of_the_document_or_its_proof_fails(path: tuple[Any, ...]) -> None:
    with pytest.raises(Unauthorized):
        verify(changed(FEP_SIGNED, path), read_multikey(VECTOR_PUBLIC_MULTIBASE))


def test_adding_or_removing_a_field_fails() -> None:
    key = read_multikey(VECTOR_PUBLIC_MULTIBASE)
    with pytest.raises(Unauthorized, match="does not verify"):
        verify({**FEP_SIGNED, "to": ["https://www.w3.org/ns/activitystreams#Public"]}, key)
    with pytest.raises(Unauthorized, match="does not verify"):
        verify({k: v for k, v in FEP_SIGNED.items() if k != "id"}, key)
    proof = {k: v for k, v in FEP_SIGNED["proof"].items() if k != "created"}
    with pytest.raises(Unauthorized, match="does not verify"):
        verify({**FEP_SIGNED, "proof": proof}, key)


def test_another_key_fails() -> None:
    with pytest.raises(Unauthorized, match="does not verify"):
        verify(FEP_SIGNED, Ed25519PrivateKey.generate().public_key())


def test_a_document_without_a_proof_is_refused() -> None:
    with pytest.raises(Unauthorized, match="no proof"):
        verify(FEP_UNSIGNED, read_multikey(VECTOR_PUBLIC_MULTIBASE))
    assert proof_method(FEP_UNSIGNED) is None


def test_a_proof_of_another_cryptosuite_is_refused() -> None:
    rdfc = {**FEP_SIGNED["proof"], "cryptosuite": "eddsa-rdfc-2022"}
    document = {**FEP_SIGNED, "proof": rdfc}
    with pytest.raises(Unauthorized, match="no eddsa-jcs-2022 proof, only eddsa-rdfc-2022"):
        verify(document, read_multikey(VECTOR_PUBLIC_MULTIBASE))
    assert proof_method(document) is None


def test_the_first_eddsa_jcs_proof_of_a_proof_set_is_checked() -> None:
    rdfc = {**FEP_SIGNED["proof"], "cryptosuite": "eddsa-rdfc-2022", "verificationMethod": "x"}
    document = {**FEP_SIGNED, "proof": [rdfc, "junk", FEP_SIGNED["proof"]]}
    verify(document, read_multikey(VECTOR_PUBLIC_MULTIBASE))
    assert proof_method(document) == FEP_METHOD


@pytest.mark.parametrize(
    "proof_value",
    [
        None,
        42,
        "",
        "z",
        "u" + "A" * 86,
        "z" + "0" * 87,
        _multibase(bytes(63)),
        _multibase(bytes(65)),
    ],
)
def test_a_malformed_proof_value_is_refused(proof_value: object) -> None:
    document = {**FEP_SIGNED, "proof": {**FEP_SIGNED["proof"], "proofValue": proof_value}}
    with pytest.raises(Unauthorized, match="proofValue"):
        verify(document, read_multikey(VECTOR_PUBLIC_MULTIBASE))


@pytest.mark.parametrize(
    ("field", "value"),
    [("proofPurpose", "authentication"), ("type", "Ed25519Signature2020"), ("created", "yesterday"),
     ("created", "2023-13-40T25:61:61Z"), ("verificationMethod", None)],
)  # fmt: skip
def test_a_proof_with_wrong_options_is_refused(field: str, value: object) -> None:
    document = {**FEP_SIGNED, "proof": {**FEP_SIGNED["proof"], field: value}}
    with pytest.raises(Unauthorized):
        verify(document, read_multikey(VECTOR_PUBLIC_MULTIBASE))


def test_the_proofs_context_must_begin_the_documents() -> None:
    key = vector_secret_key()
    signed = sign(FEP_UNSIGNED, FEP_METHOD, key, VECTOR_CREATED)
    # A proof set may lengthen the document's context later (vc-di-eddsa 3.3.2 step 4).
    verify({**signed, "@context": [*FEP_CONTEXT, {"extra": "urn:x"}]}, key.public_key())
    with pytest.raises(Unauthorized, match="@context"):
        verify({**signed, "@context": FEP_CONTEXT[:1]}, key.public_key())


def test_a_proof_sent_without_its_context_still_verifies() -> None:
    key = vector_secret_key()
    # What Fedify's verifier accepts: the document's context signed, but left out of the proof.
    signed = sign(FEP_UNSIGNED, FEP_METHOD, key, VECTOR_CREATED)
    bare = {k: v for k, v in signed["proof"].items() if k != "@context"}
    verify({**signed, "proof": bare}, key.public_key())
    # A signer that skipped step 2 of vc-di-eddsa 3.3.1: the configuration had no context.
    config = {k: v for k, v in bare.items() if k != "proofValue"}
    data = hashlib.sha256(rfc8785.dumps(config)).digest()
    data += hashlib.sha256(rfc8785.dumps(FEP_UNSIGNED)).digest()
    proof = {**config, "proofValue": _multibase(key.sign(data))}
    verify({**FEP_UNSIGNED, "proof": proof}, key.public_key())


def test_a_linked_data_signature_beside_the_proof_is_left_out_of_its_check() -> None:
    signature = {"type": "RsaSignature2017", "creator": "https://server.example/users/alice#main"}
    verify({**FEP_SIGNED, "signature": signature}, read_multikey(VECTOR_PUBLIC_MULTIBASE))


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), json.loads("-1e400"), 2**60, "\ud800", {1: "x"}, {"a", "b"}],
    ids=["nan", "inf", "overflow", "huge-int", "lone-surrogate", "int-key", "set"],
)
def test_values_json_canonicalisation_refuses_are_refused_not_crashed(value: object) -> None:
    key = vector_secret_key()
    document = {**FEP_SIGNED, "object": {**FEP_UNSIGNED["object"], "x": value}}
    with pytest.raises(Unauthorized, match="canonicalised"):
        verify(document, key.public_key())
    with pytest.raises(Invalid, match="canonicalised"):
        sign(document, FEP_METHOD, key, VECTOR_CREATED)


def test_a_naive_created_time_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone"):
        sign(FEP_UNSIGNED, FEP_METHOD, vector_secret_key(), datetime(2024, 1, 1))


# A real peer -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("fedify_available")
async def test_the_proof_fedify_puts_on_a_delivery_verifies_with_its_published_key() -> None:
    bodies: list[bytes] = []

    async def inbox(request: web.Request) -> web.Response:
        bodies.append(await request.read())
        return web.Response(status=202)

    sink = web.Application()
    sink.router.add_post("/inbox", inbox)
    port = free_port()
    async with serving_app(sink, port), start_fedify_peer() as fedify:
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Create",
            "actor": fedify.actor_id,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": {
                "id": f"{fedify.base}/notes/proofs-1",
                "type": "Note",
                "attributedTo": fedify.actor_id,
                "content": "Hello from the Fedify peer",
            },
        }
        report = await fedify.deliver_report(f"http://127.0.0.1:{port}/inbox", activity)
        assert report["status"] == 202, report
        async with (
            ClientSession() as client,
            client.get(fedify.actor_id, headers={"Accept": "application/activity+json"}) as got,
        ):
            assert got.status == 200
            actor = await got.json(content_type=None)
    delivered = json.loads(bodies[-1])
    method = proof_method(delivered)
    keys = assertion_keys(actor)
    assert method is not None and method in keys, (method, actor.get("assertionMethod"))
    verify(delivered, keys[method])

    assert bodies[-1].count(b"Hello from the Fedify peer") == 1
    tampered = json.loads(bodies[-1].replace(b"the Fedify peer", b"the Fedify peeR"))
    with pytest.raises(Unauthorized, match="does not verify"):
        verify(tampered, keys[method])
