"""Engine, metadata naming convention and the request-scoped session.

The request edge owns the transaction (`service.web.session`): it commits when the endpoint returns and rolls
back when it raises. Audit events for refused attempts survive that rollback (see audit.service).

Concurrent writers queue instead of failing: on SQLite one write transaction at a time, first come first
served (`service.core.sqlite`); on PostgreSQL row locks, with `lock_timeout` bounding the wait. A request that
is not served within TVAERS_LOCK_TIMEOUT_SECONDS answers 503 with Retry-After (`service.web.problems`), never 500.
"""

from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, create_engine

from service.core import sqlite
from service.core.settings import get_settings
from service.core.sqlite import read_only  # noqa: F401  (re-exported)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


def lock_timeout_ms() -> int:
    return int(get_settings().lock_timeout_seconds * 1000)


def _enable_sqlite_transactions(engine: Engine) -> None:
    """SQLAlchemy-emitted BEGIN (SAVEPOINTs and foreign keys behave), WAL, BEGIN IMMEDIATE (core.sqlite)."""
    sqlite.configure(engine, lambda: get_settings().lock_timeout_seconds)


WORKER_THREADS = 40  # AnyIO's default thread pool, which runs the synchronous endpoints


def concurrent_requests() -> int:
    """How many requests the database serves at once (`service.web.admission` lets in no more): one writer
    on SQLite, a pooled connection each on PostgreSQL — fewer than the server's worker threads, so a request
    holding a row lock can always finish."""
    settings = get_settings()
    if settings.is_sqlite:
        return 1
    return min(settings.db_pool_size + settings.db_max_overflow, WORKER_THREADS - 10)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True,
                               json_deserializer=orjson.loads)
        _enable_sqlite_transactions(engine)
        return engine
    # hide_parameters: a driver error's text must not quote the personal data it was writing.
    settings = get_settings()
    # json_deserializer: JSON columns are parsed by orjson (a report's stored facts are a few MB at national scale:
    # the standard library's parser was 2.0 s of a 5.0 s profiled fast-path report, issue #13). Writing stays
    # json.dumps.
    engine = create_engine(url, pool_pre_ping=True, json_deserializer=orjson.loads, pool_size=settings.db_pool_size,
                           max_overflow=settings.db_max_overflow, pool_timeout=settings.db_pool_timeout_seconds,
                           hide_parameters=True)

    @event.listens_for(engine, "do_connect")
    def _bounded_lock_waits(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        # A request waits at most this long for a row lock, then answers 503 (not hang, not 500).
        # plan_cache_mode: psycopg prepares a statement run five times on a connection, and PostgreSQL may then
        # switch it to a generic plan that ignores the parameters' values: the name search slowed from 17 ms to
        # 40 ms at 1M persons from about its tenth run on a connection. Always planning for the actual values is
        # also what tests/test_explain.py proves (issue #14).
        params["options"] = (f"{params.get('options', '')} -c lock_timeout={lock_timeout_ms()}"
                             " -c plan_cache_mode=force_custom_plan").strip()

    return engine


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


def new_session() -> Session:
    return Session(bind=get_engine(), expire_on_commit=False)
