"""The module-scoped world and the per-case SAVEPOINT (see tests/test_access_matrix.py)."""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from service.audit.models import AuditEvent
from service.core.db import metadata
from service.web.session import open_session
from tests.access.world import ORG_ROLES, World, build

ACTORS = ["anonymous", *(f"{o}:{r}" for o in ("A", "A2", "C") for r in ORG_ROLES), "P:coordinator", "P:org_admin",
          "system_admin", "A:client"]


@dataclass
class Arena:
    client: TestClient
    db: Session
    conn: Any
    world: World
    snapshot: dict[str, tuple[int, int]]
    denied: int


_SQLITE_HASH = "tv_row_hash"


def _row_hash(*values: Any) -> int:
    """48 bits of a row's BLAKE2 digest: a sum over 30,000 rows stays inside SQLite's 64-bit integers."""
    return int.from_bytes(hashlib.blake2b(repr(values).encode(), digest_size=6).digest(), "big")


def _checksum_sql(db: Session) -> str:
    """One statement: per table, its row count and the sum of its rows' hashes (order-free, so any inserted,
    deleted or changed row changes it). PostgreSQL hashes the whole row as text with md5; SQLite calls
    `_row_hash`, registered on the arena's one connection."""
    conn = db.connection()
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    parts = []
    for table in metadata.sorted_tables:
        if table.name.startswith("audit_"):
            continue  # the audit trail records the refusals
        if dialect.name == "postgresql":
            row = "('x' || substr(md5(CAST(r AS text)), 1, 12))::bit(48)::bigint"
        else:
            row = f"{_SQLITE_HASH}({', '.join('r.' + quote(c.name) for c in table.columns)})"
        parts.append(f"SELECT '{table.name}', count(*), coalesce(sum({row}), 0) FROM {quote(table.name)} AS r")
    return " UNION ALL ".join(parts)


def snapshot(db: Session) -> dict[str, tuple[int, int]]:
    """Every table but the audit trail, as (row count, row-hash checksum) computed in
    SQL in one round trip — cheap enough to run after every refused write."""
    conn = db.connection()
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        raw.create_function(_SQLITE_HASH, -1, _row_hash, deterministic=True)
    return {name: (int(count), int(total)) for name, count, total in conn.execute(text(_checksum_sql(db)))}


def changed_tables(arena: "Arena") -> set[str]:
    """The tables whose rows differ from the world as built (empty: nothing changed)."""
    now = snapshot(arena.db)
    return {name for name in now.keys() | arena.snapshot.keys() if now.get(name) != arena.snapshot.get(name)}


def denied_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "denied")) or 0


@pytest.fixture(scope="module", name="arena")
def arena_fixture(app: Any, engine: Any) -> Iterator[Arena]:
    conn = engine.connect()
    trans = conn.begin()

    def _session() -> Iterator[Session]:
        session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()

    app.dependency_overrides[open_session] = _session
    db = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        with TestClient(app) as client:
            world = build(client, db)
            yield Arena(client, db, conn, world, snapshot(db), denied_count(db))
    finally:
        app.dependency_overrides.clear()
        db.close()
        trans.rollback()
        conn.close()
