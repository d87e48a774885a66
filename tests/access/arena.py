"""The module-scoped world and the per-case SAVEPOINT (see tests/test_access_matrix.py)."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.audit.models import AuditEvent
from service.core.db import metadata, open_session
from tests.access.world import ORG_ROLES, World, build

ACTORS = ["anonymous", *(f"{o}:{r}" for o in ("A", "A2", "C") for r in ORG_ROLES), "P:coordinator", "P:org_admin",
          "system_admin", "A:client"]


@dataclass
class Arena:
    client: TestClient
    db: Session
    conn: Any
    world: World
    snapshot: dict[str, list[tuple[Any, ...]]]
    denied: int


def snapshot(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the audit trail (which records refusals) and the bookkeeping of requests."""
    db.expire_all()
    out = {}
    for table in metadata.sorted_tables:
        if table.name.startswith("audit_") or table.name in ("idempotency_key",):
            continue
        out[table.name] = sorted(tuple(map(repr, row)) for row in db.execute(select(table)))
    return out


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
