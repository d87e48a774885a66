from typing import Generic, TypeVar

import strawberry

from service.core.pagination import DEFAULT_LIMIT, PageParams, check_page_arguments

T = TypeVar("T")


@strawberry.type(description="A page of results; pass nextCursor as `after` for the next page.")
class Connection(Generic[T]):
    items: list[T]
    next_cursor: str | None


def page_args(first: int | None, after: str | None, default: int = DEFAULT_LIMIT) -> PageParams:
    """`first`/`after` under REST's `limit`/`cursor` rules: out of range is the same 422 with `errors`."""
    return check_page_arguments(first if first is not None else default, after, limit_field="first",
                                cursor_field="after")
