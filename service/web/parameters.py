"""Query and path parameters every REST route shares: the page (`limit`, `cursor`) and the NUL-free rule.

Both are `async def` although they never wait: FastAPI runs a plain `def` dependency in the thread pool, one
hand-over to a worker thread and back per dependency per request; these only read the request, so they run
on the event loop and the request pays for no hand-over (issue #14)."""

from typing import Annotated

from fastapi import Query, Request

from service.core.dto import refuse_nul
from service.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageParams


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (max 200)")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512, description="Opaque cursor from next_cursor")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


async def nul_free_parameters(request: Request) -> None:
    """App-wide dependency: the same rule for query and path parameters as for bodies."""
    refuse_nul([*request.query_params.multi_items(), *request.path_params.items()])
