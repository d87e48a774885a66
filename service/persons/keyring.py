"""The key ring: every field-encryption and look-up-hash key by its id (settings `TVAERS_KEY_RING` plus `k1`,
the two single-key CPR settings). New data is written with `TVAERS_CURRENT_KEY_ID`; data written with an
older key stays readable while that key is in the ring, and `tvaers keys rotate` moves it on.

Errors name a key id, never key material.
"""

import hashlib
import hmac
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from service.core.errors import DomainError
from service.core.settings import KeyPair, get_settings

CPR_INFO = b"tvaers cpr field encryption v1"
DOCUMENT_INFO = b"tvaers consent document v1"


class UnknownKey(DomainError):
    """Stored data names a key id the configured ring does not hold (or the key does not fit the data).
    The start-up check refuses such a ring; should data under an unknown key arrive later (another instance
    with a newer ring), the request answers 503 naming the key id — not a 500."""

    status, title, slug = 503, "Service unavailable", "key-unavailable"


def current_key_id() -> str:
    return get_settings().current_key_id


def key_ids() -> list[str]:
    return sorted(get_settings().keys())


def _pair(key_id: str) -> KeyPair:
    pair = get_settings().keys().get(key_id)
    if pair is None:
        raise UnknownKey(f"key id {key_id} is not in the configured key ring (TVAERS_KEY_RING)")
    return pair


@lru_cache
def _derive(material: str, info: bytes) -> AESGCM:
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material.encode()))


def aead(key_id: str, info: bytes = CPR_INFO) -> AESGCM:
    """AES-256-GCM under the key id's encryption key (HKDF-derived per use, `info` separates the uses)."""
    return _derive(_pair(key_id).encryption, info)


def keyed_hash(key_id: str, value: str) -> str:
    return hmac.new(_pair(key_id).hash.encode(), value.encode(), hashlib.sha256).hexdigest()
