from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.core.settings_errors import from_validation_error

DEFAULT_SECRET = "dev-only-insecure-secret-change-me"
DEFAULT_CPR_ENCRYPTION_KEY = "dev-only-insecure-cpr-encryption-key-change-me"
DEFAULT_CPR_HASH_KEY = "dev-only-insecure-cpr-hash-key-change-me"
DEFAULT_AUDIT_KEY = "dev-only-insecure-audit-checkpoint-key-change-me"
LEGACY_KEY_ID = "k1"  # TVAERS_CPR_ENCRYPTION_KEY / TVAERS_CPR_HASH_KEY are this entry of the key ring


class KeyPair(BaseModel):
    """One entry of the key ring: field-encryption key material and the look-up hash key."""

    model_config = ConfigDict(extra="forbid")
    encryption: str = Field(min_length=1)
    hash: str = Field(min_length=1)


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
    report_summary_max_age_seconds: int = Field(default=900, ge=0, le=86_400, description=(
        "the report's fast path: facts computed at most this long ago are served from `report_summary` (the age is "
        "stated in every report's `freshness`); 0 computes every report live"))
    graphql_max_depth: int = 12
    graphql_max_aliases: int = 20
    # GraphQL limits checked before validation (schema/limits.py) and the request body bound (service/body_limit.py).
    graphql_max_document_bytes: int = Field(default=20_000, ge=1_000, le=1_000_000, description=(
        "largest GraphQL document (`query`, in UTF-8 bytes) accepted; larger ones are refused with 400 before "
        "they are parsed"))
    graphql_max_tokens: int = Field(default=1_000, ge=100, le=100_000, description=(
        "most lexical tokens in a GraphQL document; the parser stops counting there and the request gets 400"))
    graphql_max_selections: int = Field(default=250, ge=10, le=10_000, description=(
        "most fields a GraphQL document may select, fragments expanded, checked before validation (400)"))
    graphql_suggestions: bool | None = Field(default=None, description=(
        "answer GraphQL errors with \"Did you mean …\" suggestions; unset: on in development, off in production "
        "(they describe the schema to whoever probes it)"))
    max_request_body_bytes: int = Field(default=1_048_576, ge=1_024, le=1_073_741_824, description=(
        "largest request body on REST and GraphQL, counted as it streams in (a missing or wrong Content-Length "
        "does not get around it); larger ones get 413. Consent document uploads have their own bound"))
    # CPR numbers: AES-GCM field encryption and an HMAC-SHA256 keyed hash for exact-match look-up.
    cpr_encryption_key: str = DEFAULT_CPR_ENCRYPTION_KEY
    cpr_hash_key: str = DEFAULT_CPR_HASH_KEY
    # A consent without an explicit expiry lapses after this many days.
    consent_default_days: int = Field(default=730, ge=1, le=3650)
    # A referral still `sent` after this many days expires (`tvaers referrals expire`).
    referral_sla_days: int = Field(default=14, ge=1, le=365)
    login_max_failures: int = Field(default=10, ge=3, le=100)
    login_lockout_minutes: int = Field(default=15, ge=1, le=1440)
    # Key ring (JSON: {"k2": {"encryption": "...", "hash": "..."}}) beside k1 (the two CPR keys above);
    # new data is written with current_key_id. See service.persons.keys and the README ("Keys").
    key_ring: dict[str, KeyPair] = Field(default_factory=dict)
    current_key_id: str = Field(default=LEGACY_KEY_ID, pattern=r"^[A-Za-z0-9_-]{1,20}$")
    # HMAC key that signs the audit chain head and exported checkpoints (service.audit.chain)
    audit_checkpoint_key: str = DEFAULT_AUDIT_KEY
    # Retention (tvaers retention run); reasons and defaults in the README ("Retention").
    retention_closed_person_days: int = Field(default=1095, ge=1, le=36500)
    retention_ended_referral_days: int = Field(default=730, ge=1, le=36500)
    retention_contact_log_days: int = Field(default=365, ge=1, le=36500)
    retention_idempotency_hours: int = Field(default=24, ge=1, le=8760)
    retention_audit_days: int = Field(default=183, ge=1, le=36500)
    retention_webhook_delivered_days: int = Field(default=30, ge=1, le=36500, description=(
        "retention of succeeded webhook deliveries and their attempt log, from the last attempt; see \"Retention\""))
    retention_webhook_dead_days: int = Field(default=90, ge=1, le=36500, description=(
        "retention of dead-lettered webhook deliveries (still redeliverable until then) and their attempt log"))
    retention_outbox_days: int = Field(default=90, ge=1, le=36500, description=(
        "retention of outbox events (the organisation's event feed) once no delivery of theirs is left"))
    # A consent document (signed form, PDF/PNG/JPEG) may be at most this large.
    consent_document_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024)
    audit_read_commit: Literal["durable", "fast"] = Field(default="durable", description=(
        "PostgreSQL: `durable` flushes a read's audit event to disk before the response leaves; `fast` commits "
        "a transaction that wrote nothing but audit events without waiting for the WAL flush (a server crash "
        "may lose the last fraction of a second of read events; changes to data always wait); see \"Everyday "
        "speed\""))
    # How long a request waits for a database lock (SQLite: the write queue; PostgreSQL: a row lock) before it
    # gives up with 503 + Retry-After.
    lock_timeout_seconds: float = Field(default=10.0, ge=0.05, le=300)
    # Operations (issue 17): serving, pool, logs, metrics.
    db_pool_size: int = Field(default=10, ge=1, le=200, description=(
        "PostgreSQL connections each worker keeps open; workers × (pool size + overflow) must stay below the "
        "server's `max_connections`"))
    db_max_overflow: int = Field(default=20, ge=0, le=200, description="extra connections a worker may open "
                                 "under load, closed again when idle")
    db_pool_timeout_seconds: int = Field(default=30, ge=1, le=600, description="how long a request waits for a "
                                         "free connection before failing")
    log_format: Literal["json", "text"] = Field(default="json", description="`json`: one JSON object per line "
                                                "(one event per request); `text` for reading in a terminal")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="log threshold")
    metrics_enabled: bool = Field(default=True, description="serve Prometheus metrics at `/metrics` (keep it "
                                  "off the public internet: route only `/api`, `/graphql` and `/docs` there)")
    shutdown_timeout_seconds: int = Field(default=20, ge=1, le=600, description="on SIGTERM, how long running "
                                          "requests may finish before the server closes them")
    # Webhooks and the worker (issue 16).
    webhook_timeout_seconds: float = Field(default=10.0, ge=0.5, le=60, description="connect and read timeout "
                                           "of one webhook delivery attempt")
    webhook_retry_base_seconds: float = Field(default=30.0, ge=0.01, le=3600, description="first retry delay; "
                                              "doubles per attempt (capped at 6 h), with random jitter")
    webhook_retry_hours: float = Field(default=24.0, ge=0.001, le=168, description="how long a failing "
                                       "delivery is retried before it is dead-lettered")
    webhook_disable_after_hours: float = Field(default=24.0, ge=0.001, le=168, description="an endpoint failing "
                                               "this long without a success is disabled and its admins notified")
    webhook_allowed_targets: list[str] = Field(default_factory=list, description="JSON list of host names or "
                                               "CIDR ranges webhooks may reach although they are loopback, "
                                               "private or link-local (default: none)")
    worker_poll_seconds: float = Field(default=2.0, ge=0.05, le=60, description="how often `tvaers worker` "
                                       "looks for due deliveries and jobs")
    worker_in_process: bool = Field(default=False, description="`tvaers serve` also runs the worker in a "
                                    "background thread (for the single-machine SQLite default)")
    job_consents_expire_at: str = Field(default="01:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description=(
        "daily time (HH:MM, Copenhagen) of `consents expire` in the worker"))
    job_referrals_expire_at: str = Field(default="01:45", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description=(
        "daily time (HH:MM, Copenhagen) of `referrals expire` in the worker"))
    job_retention_at: str = Field(default="02:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description=(
        "daily time (HH:MM, Copenhagen) of `retention run` in the worker"))
    job_contact_due_at: str = Field(default="07:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description=(
        "daily time (HH:MM, Copenhagen) of the contact-due alerts (`contact.due` events)"))
    contact_missed_alert_after: int = Field(default=2, ge=1, le=20, description="unanswered calls in a row that "
                                            "raise a `contact.missed_alert` event to the referring organisation")
    contact_retry_hours: list[Annotated[int, Field(ge=1, le=2160)]] = Field(
        default=[24, 48], min_length=1, max_length=10, description=(
        "the retry rule after an attempt (JSON list of hours, Copenhagen wall clock): the k-th unanswered call in "
        "a row moves the next contact by the k-th value (the last repeats), never past the next regular slot"))
    follow_up_months: list[Annotated[int, Field(ge=1, le=60)]] = Field(
        default=[3, 6, 12], min_length=1, max_length=12, description=(
        "months after a referral starts at which T-ILS follow-ups are scheduled (JSON list)"))

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def graphql_shows_suggestions(self) -> bool:
        return not self.is_production if self.graphql_suggestions is None else self.graphql_suggestions

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
        self._check_key_ring()
        return self

    def _check_key_ring(self) -> None:
        """Key ids are named in messages, key material never."""
        import re

        for key_id, pair in self.key_ring.items():
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,20}", key_id) or key_id == LEGACY_KEY_ID:
                raise ValueError(f"TVAERS_KEY_RING: key id {key_id[:20]!r} must be 1-20 letters, digits, - or _ "
                                 f"and not {LEGACY_KEY_ID} (that is TVAERS_CPR_ENCRYPTION_KEY/TVAERS_CPR_HASH_KEY)")
            if self.is_production and (len(pair.encryption) < 32 or len(pair.hash) < 32
                                       or pair.encryption == pair.hash):
                raise ValueError(f"TVAERS_KEY_RING: key {key_id} needs two different keys of at least 32 "
                                 "characters in production")
        if self.current_key_id not in self.keys():
            raise ValueError(f"TVAERS_CURRENT_KEY_ID names key {self.current_key_id}, which is not in the key ring")
        if self.is_production and (self.audit_checkpoint_key == DEFAULT_AUDIT_KEY
                                   or len(self.audit_checkpoint_key) < 32):
            raise ValueError("TVAERS_AUDIT_CHECKPOINT_KEY must be set to a random value of at least 32 characters "
                             "in production")

    def keys(self) -> dict[str, KeyPair]:
        """The whole key ring: k1 (the two CPR key settings) and TVAERS_KEY_RING."""
        return {LEGACY_KEY_ID: KeyPair(encryption=self.cpr_encryption_key, hash=self.cpr_hash_key), **self.key_ring}


@lru_cache
def get_settings() -> Settings:
    """The settings from the environment; a broken rule is a `ConfigurationError` that never shows a value."""
    try:
        return Settings()
    except ValidationError as exc:
        raise from_validation_error(exc, Settings) from None

