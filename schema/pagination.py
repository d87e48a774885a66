from typing import Generic, TypeVar

import strawberry

from service.core.pagination import DEFAULT_LIMIT, PageParams, check_limit

T = TypeVar("T")


@strawberry.type(description="A page of results; pass nextCursor as `after` for the next page.")
class Connection(Generic[T]):
    items: list[T]
    next_cursor: str | None


def page_args(first: int | None, after: str | None) -> PageParams:
    return PageParams(limit=check_limit(first if first is not None else DEFAULT_LIMIT), cursor=after)
