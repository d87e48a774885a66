"""Optimistic concurrency: strong ETags `"<version>"` on reads, `If-Match` required on writes (the header is
parsed at the edge, `service.web.etag`).

Strong, because RFC 9110 compares If-Match strongly (a weak ETag never matches); a `W/` prefix sent by a
client is tolerated. Missing If-Match → 428; a stale or unparseable one → 412 with the current ETag.

A versioned write claims its version with one compare-and-set (`claim_version`): of any number of concurrent
writers holding the same version exactly one wins, on every database, whatever the isolation level. Reading
the version, comparing it in Python and writing later would let them all win (the last write silently
overwriting the others).
"""

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.core.errors import PreconditionFailed, PreconditionRequired

NO_VERSION = -1  # what an If-Match that names no version of ours parses to: never current, so 412


def etag(version: int) -> str:
    return f'"{version}"'


def check_version(what: str, current: int, expected: int | None) -> None:
    if expected is None:
        raise PreconditionRequired(f"Send If-Match with the {what}'s ETag from your last read (GraphQL: version).",
                                   current_version=current)
    if expected != current:
        raise PreconditionFailed(f"The {what} was changed since you read it; read it again.",
                                 headers={"ETag": etag(current)}, current_version=current)


def claim_version(session: Session, what: str, row: Any, expected: int | None) -> None:
    """Compare-and-set: `UPDATE … SET version = version + 1 WHERE id = :id AND version = :expected`.

    No row changed → 412 (428 without a version). On success the row is write-locked until the transaction
    ends, and `row` is refreshed, so the caller validates and writes the current state, not the one it read
    before it held the lock (columns that change without a new version, like an offer's seats, included)."""
    table = type(row).__table__
    if expected is None:
        check_version(what, row.version, expected)
    claimed = session.execute(update(table).where(table.c.id == row.id, table.c.version == expected)
                              .values(version=table.c.version + 1))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        current = session.scalar(select(table.c.version).where(table.c.id == row.id))
        check_version(what, NO_VERSION if current is None else current, expected)
        raise PreconditionFailed(f"The {what} was changed since you read it; read it again.")  # defensive
    session.refresh(row)
