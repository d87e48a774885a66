"""List pages serialised once (issue #14).

A list route's service already built (and so validated) its read models; letting FastAPI check the returned page
against `response_model` and encode it again doubled the Python work of the response. `page_response` returns
the JSON bytes straight from pydantic's serializer instead. The route keeps `response_model=Page[...]`, so the
published OpenAPI contract does not change; the items are serialised as the declared type (a subclass's extra
fields are left out, as FastAPI's response filtering would)."""

from typing import Any

from fastapi import Response
from pydantic import BaseModel, TypeAdapter

from service.core.pagination import Page

_ADAPTERS: dict[type[BaseModel], TypeAdapter[Any]] = {}


def page_response(item_type: type[BaseModel], items: list[Any], next_cursor: str | None) -> Response:
    """`{"items": [...], "next_cursor": ...}` as JSON bytes, serialised once (`TypeAdapter(Page[T]).dump_json`)."""
    adapter = _ADAPTERS.get(item_type)
    if adapter is None:
        adapter = _ADAPTERS.setdefault(item_type, TypeAdapter(Page[item_type]))  # type: ignore[valid-type]
    page = Page[item_type].model_construct(items=items, next_cursor=next_cursor)  # type: ignore[valid-type]
    return Response(adapter.dump_json(page), media_type="application/json")
