"""The request-scoped session: the request edge owns the transaction. `request_session` commits when the
endpoint returns and rolls back when it raises; audit events for refused attempts survive that rollback
(`audit.service.restore_refusals`, handed in by `service.wiring.wire()`: see `service/web/edge_hooks.py`)."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from service.core.db import new_session
from service.web.edge_hooks import edge_hooks


def finish(session: Session, failed: bool) -> None:
    """Commit or roll back at the request edge; keep refusal audit events either way."""
    keep_refusals = edge_hooks().keep_refusals
    if failed:
        session.rollback()
        if keep_refusals(session, True):
            session.commit()
    else:
        session.commit()
        keep_refusals(session, False)


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
