"""Bounded pages with opaque keyset cursors: `{"items": [...], "next_cursor": ...}`."""

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy import Select, and_, or_
from sqlalchemy import types as sa_types
from sqlalchemy.orm import Session

from service.core.errors import BadRequest, Unprocessable, field_errors
from service.core.types import UTCDateTime

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class PageParams:
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


_LIMIT = TypeAdapter(Annotated[int, Field(ge=1, le=MAX_LIMIT)])
_CURSOR = TypeAdapter(Annotated[str, Field(max_length=512)])


def check_page_arguments(limit: int, cursor: str | None = None, *, limit_field: str = "limit",
                         cursor_field: str = "cursor") -> PageParams:
    """The rules of the REST `limit`/`cursor` parameters, for every door: a 422 with the same `errors`
    (GraphQL names its arguments `first`/`after`, so the fields are named by the caller)."""
    errors: list[dict[str, Any]] = []
    for adapter, value, field in ((_LIMIT, limit, limit_field), (_CURSOR, cursor, cursor_field)):
        if value is None:
            continue
        try:
            adapter.validate_python(value)
        except ValidationError as exc:
            errors += [{**e, "field": field} for e in field_errors(list(exc.errors()))]
    if errors:
        raise Unprocessable("The request did not pass validation; see errors.", errors=errors)
    return PageParams(limit=limit, cursor=cursor)


def check_limit(limit: int, field: str = "limit") -> int:
    return check_page_arguments(limit, limit_field=field).limit


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([str(v) if v is not None else None for v in values]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError as exc:
        raise BadRequest("cursor is not valid") from exc
    if not isinstance(values, list) or len(values) != size:
        raise BadRequest("cursor is not valid")
    return values


def keyset_page(session: Session, stmt: Select[Any], order: list[Any], params: PageParams,
                key: Any = None) -> tuple[list[Any], str | None]:
    """Run `stmt` ordered by `order` columns (ascending, last one unique) from the cursor on.

    `key(row)` returns the sort values of a row; by default the attribute names of the columns.
    """
    check_limit(params.limit)
    if params.cursor:
        after = decode_cursor(params.cursor, len(order))
        try:
            typed = [_cast(col, v) for col, v in zip(order, after, strict=True)]
        except (TypeError, ValueError) as exc:
            raise BadRequest("cursor is not valid") from exc
        clauses = []
        for i, col in enumerate(order):
            prefix = [order[j] == typed[j] for j in range(i)]
            clauses.append(and_(*prefix, col > typed[i]))
        stmt = stmt.where(or_(*clauses))
    rows = list(session.scalars(stmt.order_by(*order).limit(params.limit + 1)))
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        values = key(last) if key else [getattr(last, col.key) for col in order]
        next_cursor = encode_cursor(values)
    return rows, next_cursor


# Keyset columns are matched by SQL type (some types, e.g. JSON, have no Python type to ask for).
_SQL_TYPES: dict[type, Any] = {datetime: (sa_types.DateTime, UTCDateTime), date: sa_types.Date,
                               int: sa_types.Integer, uuid.UUID: sa_types.Uuid}


def _cast(col: Any, value: str | None) -> Any:
    if value is None:
        return None
    types = [t for t in (datetime, date, int, uuid.UUID) if isinstance(col.type, _SQL_TYPES[t])]
    py = types[0] if types else str
    if py is datetime:
        return datetime.fromisoformat(value)
    if py is date:
        return date.fromisoformat(value)
    if py in (int, uuid.UUID):
        return py(value)
    return value
