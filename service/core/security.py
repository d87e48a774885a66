"""Password/secret hashing (argon2) and JWT issue/verify with a pinned algorithm."""

import secrets
import threading
import time
import uuid
from collections import OrderedDict
from datetime import timedelta
from functools import lru_cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from service.core.settings import get_settings
from service.core.types import utcnow

# The challenge a 401 carries (RFC 6750), from the token check and from the doors alike.
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tvaers"'}

JWT_ALGORITHM = "HS256"


@lru_cache
def _hasher() -> PasswordHasher:
    s = get_settings()
    return PasswordHasher(time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_kib, parallelism=1)


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def verify_secret(secret_hash: str, secret: str) -> bool:
    try:
        return _hasher().verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache
def _dummy_hash() -> str:
    return hash_secret(secrets.token_urlsafe(16))


def burn_verification_time(secret: str) -> None:
    """Spend the time a real check would, so unknown usernames cannot be told apart by timing."""
    verify_secret(_dummy_hash(), secret)


def issue_token(*, sub: str, org: str, role: str, scope: str, cv: int) -> tuple[str, int]:
    """`cv` is the account's credentials version: a password, secret, role or activation change moves it on,
    and every token carrying an older one is refused from that moment (see `principal_from_token`)."""
    s = get_settings()
    now = utcnow()
    claims = {
        "sub": sub, "org": org, "role": role, "scope": scope, "cv": cv,
        "iss": s.jwt_issuer, "aud": s.jwt_audience,
        "iat": int(now.timestamp()), "exp": int((now + timedelta(seconds=s.token_ttl_seconds)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, s.secret_key, algorithm=JWT_ALGORITHM), s.token_ttl_seconds


class _VerifiedTokens:
    """Claims of tokens whose signature, issuer and audience were verified, so a client sending the same token
    on every request pays for the verification once (PyJWT's decode is pure Python, per request). Keyed by
    the secret, issuer and audience too, so a rotated key verifies again; expiry is checked on every use; the
    account itself is re-read on every request all the same (auth.tokens). Bounded: least recently used first out."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._claims: OrderedDict[tuple[str, str, str, str], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str, str]) -> dict[str, Any] | None:
        with self._lock:
            claims = self._claims.get(key)
            if claims is not None:
                self._claims.move_to_end(key)
            return claims

    def put(self, key: tuple[str, str, str, str], claims: dict[str, Any]) -> None:
        with self._lock:
            self._claims[key] = claims
            if len(self._claims) > self.size:
                self._claims.popitem(last=False)


_verified = _VerifiedTokens(4096)
_clock = time.time  # tests move it


def decode_token(token: str) -> dict[str, Any]:
    """Raises jwt.InvalidTokenError for anything but a valid, current token from us."""
    s = get_settings()
    key = (s.secret_key, s.jwt_issuer, s.jwt_audience, token)
    claims = _verified.get(key)
    if claims is None:
        claims = jwt.decode(
            token, s.secret_key, algorithms=[JWT_ALGORITHM], audience=s.jwt_audience, issuer=s.jwt_issuer,
            options={"require": ["sub", "org", "role", "scope", "cv", "iss", "aud", "exp"]},
        )
        _verified.put(key, claims)
    # PyJWT's own rule (no leeway): a token is expired from its `exp` second on.
    if int(claims["exp"]) <= _clock():
        raise jwt.ExpiredSignatureError("Signature has expired")
    return dict(claims)
