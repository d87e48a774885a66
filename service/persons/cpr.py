"""CPR numbers (Danish personal identification numbers): validation, field encryption, keyed hash, masking.

A CPR number is special protected data (Data Protection Act §11). It is stored only as
- `cpr_encrypted`: AES-256-GCM ciphertext (random 96-bit nonce), key derived with HKDF-SHA256 from the
  current key of the key ring (`service.persons.keyring`), whose id the token carries; and
- `cpr_hash`: HMAC-SHA256 under the same key id's hash key, for exact-match look-up and duplicate detection.
`person.cpr_key_id` names the key of both (set from the token by `service.persons.keys`).
It is shown masked (`DDMMYY-XXXX`) unless the principal holds `persons:read_cpr`. Nothing in this module
puts the number into an exception message.
"""

import base64
import os
import re
from datetime import date

from cryptography.exceptions import InvalidTag

from service.core.settings import LEGACY_KEY_ID
from service.persons import keyring

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


def birth_conflict(birth_date: date | None, birth_year: int | None, digits: str | None) -> tuple[str, str] | None:
    """THE birth consistency rule (a body on its own, or an update merged with the stored person): the field at
    fault and why, or None. A CPR number encodes a birth date; date, year and number must agree."""
    if birth_date is not None and birth_year is not None and birth_date.year != birth_year:
        return "birth_year", "birth_year does not match birth_date"
    if digits is None:
        return None
    from_cpr = birth_date_of(digits)
    if from_cpr > date.today():
        return "cpr", "the CPR number's date lies in the future"
    if birth_date is not None and birth_date != from_cpr:
        return "cpr", "the CPR number does not match birth_date"
    if birth_year is not None and from_cpr.year != birth_year:
        return "cpr", "the CPR number does not match birth_year"
    return None


def mask(digits: str) -> str:
    return f"{digits[:6]}-XXXX"


def formatted(digits: str) -> str:
    return f"{digits[:6]}-{digits[6:]}"


class CprHash(str):
    """The look-up hash under the current key; `family` holds the hashes under every key of the ring, so a
    look-up or duplicate check during a key rotation finds persons not yet moved to the current key."""

    family: tuple[str, ...]


_V2 = "v2"


def encrypt(digits: str) -> str:
    """`v2.<key id>.<base64(nonce + ciphertext)>`, the key id bound into the authenticated data."""
    key_id = keyring.current_key_id()
    nonce = os.urandom(12)
    ciphertext = keyring.aead(key_id).encrypt(nonce, digits.encode(), b"cpr:" + key_id.encode())
    return f"{_V2}.{key_id}.{base64.urlsafe_b64encode(nonce + ciphertext).decode()}"


def key_id_of(token: str) -> str:
    """The key a ciphertext was made with (version-1 tokens predate the ring: key k1)."""
    return token.split(".")[1] if token.startswith(_V2 + ".") else LEGACY_KEY_ID


def decrypt(token: str) -> str:
    key_id = key_id_of(token)
    if token.startswith(_V2 + "."):
        raw, aad = base64.urlsafe_b64decode(token.split(".", 2)[2].encode()), b"cpr:" + key_id.encode()
        nonce, ciphertext = raw[:12], raw[12:]
    else:
        raw, aad = base64.urlsafe_b64decode(token.encode()), b"cpr"
        if raw[:1] != _VERSION:
            raise ValueError("unknown CPR ciphertext version")
        nonce, ciphertext = raw[1:13], raw[13:]
    try:
        return keyring.aead(key_id).decrypt(nonce, ciphertext, aad).decode()
    except InvalidTag:
        raise keyring.UnknownKey(f"CPR ciphertext does not verify under key {key_id}") from None


def keyed_hash(digits: str) -> CprHash:
    current = CprHash(keyring.keyed_hash(keyring.current_key_id(), digits))
    current.family = tuple(lookup_hashes(digits))
    return current


def lookup_hashes(digits: str) -> list[str]:
    """The number's hash under every key of the ring (current first)."""
    current = keyring.current_key_id()
    return [keyring.keyed_hash(k, digits) for k in [current, *(k for k in keyring.key_ids() if k != current)]]


def hash_family(cpr_hash: str) -> tuple[str, ...]:
    return getattr(cpr_hash, "family", (cpr_hash,))
