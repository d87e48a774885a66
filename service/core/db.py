"""Engine, metadata naming convention and the request-scoped session.

The request edge owns the transaction: `request_session` commits when the endpoint returns and
rolls back when it raises. Audit events for refused attempts survive that rollback (see audit.service).
"""

from collections.abc import Iterator
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, create_engine

from service.core.settings import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _enable_sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not pysqlite, emit BEGIN so SAVEPOINTs and foreign keys behave."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
        # SQLite's built-in lower() folds ASCII only; searches for "ørsted" must find "Ørsted" as on PostgreSQL.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("immediate") else "BEGIN")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        _enable_sqlite_transactions(engine)
        return engine
    # hide_parameters: a driver error's text must not quote the personal data it was writing.
    settings = get_settings()
    return create_engine(url, pool_pre_ping=True, pool_size=settings.db_pool_size,
                         max_overflow=settings.db_max_overflow, pool_timeout=settings.db_pool_timeout_seconds,
                         hide_parameters=True)


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


def new_session() -> Session:
    return Session(bind=get_engine(), expire_on_commit=False)


def finish(session: Session, failed: bool) -> None:
    """Commit or roll back at the request edge; keep refusal audit events either way."""
    from service.audit.service import restore_refusals

    if failed:
        session.rollback()
        if restore_refusals(session):
            session.commit()
    else:
        session.commit()
        restore_refusals(session, keep=False)


def open_session() -> Iterator[Session]:
    """The one place a request gets its session (tests override this to roll back per test)."""
    session = new_session()
    try:
        yield session
    finally:
        session.close()


def request_session(session: Annotated[Session, Depends(open_session, scope="function")]) -> Iterator[Session]:
    try:
        yield session
    except BaseException:
        finish(session, failed=True)
        raise
    else:
        finish(session, failed=False)


# scope="function": the commit happens before the response is sent, so a client never sees
# a success that was not stored.
SessionDep = Annotated[Session, Depends(request_session, scope="function")]
# For edges that decide commit/rollback themselves (GraphQL inspects its execution result).
RawSessionDep = Annotated[Session, Depends(open_session, scope="function")]
