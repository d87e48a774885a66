"""The embedded SQLite default under concurrent writers.

Every request writes (at least its audit event), so every request transaction is a writer, and SQLite allows one
writer at a time. Within the server process requests queue at the edge, first come first served
(`service.web.admission`). Between processes (a cron-run CLI command next to the server):

- WAL journal: readers (and probes) never wait for the writer, and the writer never waits for readers;
- every transaction starts with BEGIN IMMEDIATE, taking the write lock up front: a deferred transaction that
  upgrades from read to write fails at once with SQLITE_BUSY, whatever the busy timeout;
- the busy timeout (TVAERS_LOCK_TIMEOUT_SECONDS) bounds the wait; past it the request answers 503.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event

DEFERRED = "tvaers_sqlite_deferred"  # execution option: this connection only reads (see read_only)


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def configure(engine: Engine, lock_timeout_seconds: Callable[[], float]) -> None:
    """Pragmas, Unicode lower() and SQLAlchemy-emitted BEGIN (so SAVEPOINTs and foreign keys behave)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout_seconds() * 1000)}")
        # WAL is a property of the database file: switch once (an in-memory database stays "memory").
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] not in ("wal", "memory"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
        # SQLite's built-in lower() folds ASCII only; searches for "ørsted" must find "Ørsted" as on PostgreSQL.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(DEFERRED) else "BEGIN IMMEDIATE")


def read_only(conn: Any) -> Any:
    """Mark a connection whose transaction only reads (a probe): it does not take the write lock."""
    return conn.execution_options(**{DEFERRED: True})
