"""The one connection type and its builder: a page of read models from a service's `(items, next_cursor)`."""

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry

from service.core.pagination import DEFAULT_LIMIT, PageParams, check_page_arguments, encode_cursor

T = TypeVar("T")


@strawberry.type(description="A page of results; pass nextCursor as `after` for the next page.")
class Connection(Generic[T]):
    items: list[T]
    next_cursor: str | None


def connection(page: tuple[Sequence[Any], str | None], read: Callable[[Any], Any] | None = None) -> Connection[Any]:
    """A service's page as a Connection; the items are the read models themselves (`read` converts what a
    service still returns as rows)."""
    items, next_cursor = page
    return Connection(items=list(items) if read is None else [read(i) for i in items], next_cursor=next_cursor)


def page_args(first: int | None, after: str | None, default: int = DEFAULT_LIMIT) -> PageParams:
    """`first`/`after` under REST's `limit`/`cursor` rules: out of range is the same 422 with `errors`."""
    return check_page_arguments(first if first is not None else default, after, limit_field="first",
                                cursor_field="after")


def loaded_page(items: Sequence[Any], params: PageParams,
                key: Callable[[Any], list[Any]]) -> tuple[list[Any], str | None]:
    """The first page of a history a dataloader loaded whole (in the service's keyset order), cut as the
    service's `keyset_page` cuts it: `key(item)` gives the same sort values, so `next_cursor` continues there."""
    rows = list(items[: params.limit])
    more = len(items) > params.limit
    return rows, encode_cursor(key(rows[-1])) if more and rows else None
