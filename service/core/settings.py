from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-only-insecure-secret-change-me"
DEFAULT_CPR_ENCRYPTION_KEY = "dev-only-insecure-cpr-encryption-key-change-me"
DEFAULT_CPR_HASH_KEY = "dev-only-insecure-cpr-hash-key-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TVAERS_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./tvaers.db",
        validation_alias=AliasChoices("DATABASE_URL", "TVAERS_DATABASE_URL"),
    )
    env: Literal["development", "production"] = "development"
    secret_key: str = DEFAULT_SECRET
    jwt_issuer: str = "tvaers"
    jwt_audience: str = "tvaers-api"
    token_ttl_seconds: int = Field(default=3600, ge=60, le=86400)
    # argon2 cost; tests lower it so hashing does not dominate the suite
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    # Disclosure control for aggregate reports: counts 1..threshold-1 are suppressed.
    disclosure_threshold: int = Field(default=5, ge=2, le=100)
    graphql_max_depth: int = 12
    graphql_max_aliases: int = 20
    # CPR numbers: AES-GCM field encryption and an HMAC-SHA256 keyed hash for exact-match look-up.
    cpr_encryption_key: str = DEFAULT_CPR_ENCRYPTION_KEY
    cpr_hash_key: str = DEFAULT_CPR_HASH_KEY
    # A consent without an explicit expiry lapses after this many days.
    consent_default_days: int = Field(default=730, ge=1, le=3650)
    # A referral still `sent` after this many days expires (`tvaers referrals expire`).
    referral_sla_days: int = Field(default=14, ge=1, le=365)
    login_max_failures: int = Field(default=10, ge=3, le=100)
    login_lockout_minutes: int = Field(default=15, ge=1, le=1440)
    # How long a request waits for a database lock (SQLite: the write queue; PostgreSQL: a row lock) before it
    # gives up with 503 + Retry-After.
    lock_timeout_seconds: float = Field(default=10.0, ge=0.05, le=300)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> "Settings":
        if self.is_production and (self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32):
            raise ValueError(
                "TVAERS_SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        for name, value, default in (("TVAERS_CPR_ENCRYPTION_KEY", self.cpr_encryption_key,
                                      DEFAULT_CPR_ENCRYPTION_KEY),
                                     ("TVAERS_CPR_HASH_KEY", self.cpr_hash_key, DEFAULT_CPR_HASH_KEY)):
            if self.is_production and (value == default or len(value) < 32):
                raise ValueError(f"{name} must be set to a random value of at least 32 characters in production")
        if self.is_production and self.cpr_encryption_key == self.cpr_hash_key:
            raise ValueError("TVAERS_CPR_ENCRYPTION_KEY and TVAERS_CPR_HASH_KEY must differ")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
