"""Test harness: real migrations once per run, then every test inside a transaction that is rolled back.

SQLite by default; PostgreSQL when TVAERS_TEST_DATABASE_URL is set.
"""

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="tvaers-test-"))
TEST_DATABASE_URL = os.environ.get("TVAERS_TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"
os.environ["DATABASE_URL"] = TEST_DATABASE_URL
os.environ.setdefault("TVAERS_ENV", "development")
os.environ["TVAERS_ARGON2_TIME_COST"] = "1"
os.environ["TVAERS_ARGON2_MEMORY_KIB"] = "64"

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, event, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import service.models  # noqa: E402,F401
from service.core.db import get_engine, metadata  # noqa: E402
from service.core.permissions import Role, permissions_for  # noqa: E402
from service.core.security import hash_secret, issue_token  # noqa: E402
from service.main import create_app  # noqa: E402
from service.migrations import upgrade  # noqa: E402
from service.organisations.models import Organisation  # noqa: E402
from service.users.models import User  # noqa: E402
from service.web.session import open_session  # noqa: E402
from service.wiring import wire  # noqa: E402

IS_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
postgres_only = pytest.mark.skipif(not IS_POSTGRES, reason="needs PostgreSQL (TVAERS_TEST_DATABASE_URL)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Property-based (Hypothesis) tests are `slow` without each saying so; CI runs them, `-m "not slow"` skips."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.slow)


def _reset_database(engine: Engine) -> None:
    if IS_POSTGRES:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def engine() -> Engine:
    wire()  # the cross-domain reactions, as the app factory and the CLI wire them (tests call services directly)
    eng = get_engine()
    _reset_database(eng)
    upgrade(TEST_DATABASE_URL)
    return eng


@pytest.fixture
def connection(engine: Engine) -> Iterator[Any]:
    conn = engine.connect()
    trans = conn.begin()
    try:
        yield conn
    finally:
        trans.rollback()
        conn.close()


def _session(conn: Any) -> Session:
    return Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def db(connection: Any) -> Iterator[Session]:
    """A session for arranging and checking data, inside the test's transaction."""
    session = _session(connection)
    yield session
    session.close()


@pytest.fixture(scope="session")
def app() -> Any:
    return create_app()


@pytest.fixture
def client(app: Any, connection: Any) -> Iterator[TestClient]:
    def _override() -> Iterator[Session]:
        session = _session(connection)
        try:
            yield session
        finally:
            session.close()

    app.dependency_overrides[open_session] = _override
    with TestClient(app, raise_server_exceptions=os.environ.get("TVAERS_TEST_RAISE") == "1") as c:
        yield c
    app.dependency_overrides.clear()


@pytest.fixture
def make_org(db: Session) -> Callable[..., Organisation]:
    def _make(kind: str = "municipality", municipality_code: str = "0101", name: str | None = None,
              **extra: Any) -> Organisation:
        org = Organisation(name=name or f"Org {uuid.uuid4().hex[:8]}", kind=kind,
                           municipality_code=municipality_code, **extra)
        db.add(org)
        db.commit()
        return org

    return _make


class Actor:
    """A user with a ready bearer token."""

    def __init__(self, user: User, token: str) -> None:
        self.user = user
        self.token = token
        self.headers = {"Authorization": f"Bearer {token}"}

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    @property
    def organisation_id(self) -> uuid.UUID:
        return self.user.organisation_id


@pytest.fixture
def make_user(db: Session, make_org: Callable[..., Organisation]) -> Callable[..., Actor]:
    def _make(role: str = "caseworker", org: Organisation | None = None, password: str = "correct horse 123",
              username: str | None = None) -> Actor:
        if org is None:
            org = make_org(kind="ministry" if role == Role.analyst else "municipality")
        user = User(username=username or f"u-{uuid.uuid4().hex[:10]}", password_hash=hash_secret(password),
                    organisation_id=org.id, role=role)
        db.add(user)
        db.commit()
        token, _ = issue_token(sub=f"user:{user.id}", org=str(org.id), role=role,
                               scope=" ".join(sorted(permissions_for(role))), cv=user.credentials_version)
        return Actor(user, token)

    return _make


@pytest.fixture
def gql(client: TestClient) -> Callable[..., dict[str, Any]]:
    def _run(query: str, variables: dict[str, Any] | None = None, actor: Actor | None = None) -> dict[str, Any]:
        resp = client.post("/graphql", json={"query": query, "variables": variables or {}},
                           headers=actor.headers if actor else {})
        assert resp.status_code == 200, resp.text
        return resp.json()

    return _run


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.count += 1


@pytest.fixture
def count_statements(engine: Engine) -> Callable[[], Any]:
    """Context-free counter of SQL statements sent by the engine during the test."""
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter)
    yield lambda: counter
    event.remove(engine, "before_cursor_execute", counter)


REFERENCE_TABLES = {"municipality", "ministry", "risk_setting", "alembic_version"}


@pytest.fixture
def committed(engine: Engine) -> Iterator[Session]:
    """A session whose commits are real (for tests that need several connections, e.g. concurrency).

    Everything but reference data is truncated afterwards, so later tests start clean.
    """
    session = Session(bind=engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        tables = [t.name for t in reversed(metadata.sorted_tables)
                  if t.name not in REFERENCE_TABLES]
        with engine.begin() as conn:
            if IS_POSTGRES:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
            else:
                for t in tables:
                    conn.execute(text(f'DELETE FROM "{t}"'))


@pytest.fixture
def live_server(app: Any, committed: Session) -> Iterator[str]:
    """The real app on a loopback port, each request in its own transaction (no test override)."""
    import logging
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # uvicorn.Config sets its loggers' levels; later tests must find them as they were
    loggers = {name: logging.getLogger(name).level for name in ("uvicorn", "uvicorn.error", "uvicorn.access")}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           limit_concurrency=200))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        for name, level in loggers.items():
            logging.getLogger(name).setLevel(level)


def pytest_configure(config: pytest.Config) -> None:
    from tests.webhook_support import install

    install()  # collects every webhook payload of the suite for the canary scan below


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """No payload the suite produced may carry a personal value (names, phone, e-mail, notes, messages)."""
    from tests.webhook_support import PAYLOADS, leaks

    leaked = leaks()
    if leaked:
        print(f"\nwebhook canary: personal values in {len(leaked)} payload(s) of types {sorted(set(leaked))}")
        session.exitstatus = 1
    elif PAYLOADS:
        print(f"\nwebhook canary: {len(PAYLOADS)} payload(s) scanned, no personal values")
