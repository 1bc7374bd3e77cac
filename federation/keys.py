"""Actor key pairs: RSA-2048 generation and PEM encoding (the keys HTTP signatures use)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

RSA_KEY_BITS = 2048
RSA_PUBLIC_EXPONENT = 65537


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A PEM-encoded key pair: PKCS#8 private key and SubjectPublicKeyInfo public key."""

    private_pem: str
    public_pem: str

    def __repr__(self) -> str:  # never print the private key, even in a traceback
        return f"KeyPair(public_pem={self.public_pem[:40]!r}...)"


def generate_rsa_keypair() -> KeyPair:
    """Make a fresh RSA-2048 key pair. CPU-heavy (tens of ms): call it from an executor."""
    key = rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=RSA_KEY_BITS)
    private_pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode("ascii")
    public_pem = (
        key.public_key()
        .public_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode("ascii")
    )
    return KeyPair(private_pem=private_pem, public_pem=public_pem)


def rsa_key_size(public_pem: str) -> int:
    """The modulus size in bits of a PEM public key; raises ValueError for a non-RSA key."""
    key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key.key_size


PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@lru_cache(maxsize=4096)  # a signer's key is read for each of its requests
def load_public_key(pem: str) -> PublicKey:
    """A PEM public key of a kind signatures use; ValueError for anything else."""
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    if not isinstance(key, PublicKey):
        raise ValueError(f"unsupported public key type {type(key).__name__}")
    return key


def load_private_key(pem: str, *, trusted: bool = False) -> PrivateKey:
    """A PEM private key. `trusted` skips the RSA consistency check (tens of milliseconds)
    for keys this node generated and stored itself."""
    key = serialization.load_pem_private_key(
        pem.encode("ascii"), password=None, unsafe_skip_rsa_key_validation=trusted
    )
    if not isinstance(key, PrivateKey):
        raise ValueError(f"unsupported private key type {type(key).__name__}")
    return key
