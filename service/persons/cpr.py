"""CPR numbers (Danish personal identification numbers): validation, field encryption, keyed hash, masking.

A CPR number is special protected data (Data Protection Act §11). It is stored only as
- `cpr_encrypted`: AES-256-GCM ciphertext (random 96-bit nonce), key derived with HKDF-SHA256 from
  `TVAERS_CPR_ENCRYPTION_KEY`; and
- `cpr_hash`: HMAC-SHA256 under `TVAERS_CPR_HASH_KEY`, for exact-match look-up and duplicate detection.
It is shown masked (`DDMMYY-XXXX`) unless the principal holds `persons:read_cpr`. Nothing in this module
puts the number into an exception message.
"""

import base64
import hashlib
import hmac
import os
import re
from datetime import date
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from service.core.settings import get_settings

_FORMAT = re.compile(r"^(\d{6})-?(\d{4})$")
_VERSION = b"\x01"


class InvalidCpr(ValueError):
    """Raised for a malformed or date-invalid CPR number. The message never contains the number."""


def _century(year2: int, digit7: int) -> int:
    """The century from the 7th digit (CPR-kontoret's rules)."""
    if digit7 <= 3:
        return 1900
    if digit7 in (4, 9):
        return 2000 if year2 <= 36 else 1900
    return 2000 if year2 <= 57 else 1800  # 5–8


def normalise(value: str) -> str:
    """`DDMMYYSSSS` or `DDMMYY-SSSS` → the 10 digits, if the date part is a real date. No modulus-11 check."""
    match = _FORMAT.match(value.strip())
    if not match:
        raise InvalidCpr("CPR must be 10 digits (DDMMYY-SSSS)")
    digits = match.group(1) + match.group(2)
    birth_date_of(digits)
    return digits


def birth_date_of(digits: str) -> date:
    day, month, year2, digit7 = int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6])
    try:
        return date(_century(year2, digit7) + year2, month, day)
    except ValueError:
        raise InvalidCpr("CPR does not start with a valid date (DDMMYY)") from None


def mask(digits: str) -> str:
    return f"{digits[:6]}-XXXX"


def formatted(digits: str) -> str:
    return f"{digits[:6]}-{digits[6:]}"


@lru_cache
def _aead(key_material: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"tvaers cpr field encryption v1").derive(
        key_material.encode())
    return AESGCM(key)


def encrypt(digits: str) -> str:
    nonce = os.urandom(12)
    ciphertext = _aead(get_settings().cpr_encryption_key).encrypt(nonce, digits.encode(), b"cpr")
    return base64.urlsafe_b64encode(_VERSION + nonce + ciphertext).decode()


def decrypt(token: str) -> str:
    raw = base64.urlsafe_b64decode(token.encode())
    if raw[:1] != _VERSION:
        raise ValueError("unknown CPR ciphertext version")
    try:
        return _aead(get_settings().cpr_encryption_key).decrypt(raw[1:13], raw[13:], b"cpr").decode()
    except InvalidTag:
        raise ValueError("CPR ciphertext does not verify under the configured key") from None


def keyed_hash(digits: str) -> str:
    return hmac.new(get_settings().cpr_hash_key.encode(), digits.encode(), hashlib.sha256).hexdigest()
