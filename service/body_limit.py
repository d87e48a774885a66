"""Bounded request bodies (REST and GraphQL): ASGI middleware answering 413 problem+json before anything parses
a body larger than `TVAERS_MAX_REQUEST_BODY_BYTES`.

The body is counted as it streams in, so a missing or lying `Content-Length` (or chunked transfer) does not get
around the bound; a declared length over the bound is refused without reading anything. The body is read up to
the bound and replayed to the application — never more than the bound is held. Consent document uploads are
bounded by their own, larger setting (the route checks the exact limit and answers 413 itself).
"""

from collections.abc import Awaitable, Callable
from typing import Any

from service.core.errors import PROBLEM_BASE
from service.core.settings import get_settings
from service.web.problems import problem_response

Message = dict[str, Any]


def limit_for(scope: dict[str, Any]) -> int:
    settings = get_settings()
    if scope.get("method") == "POST" and scope.get("path", "").endswith("/documents"):
        return max(settings.max_request_body_bytes, settings.consent_document_max_bytes)
    return settings.max_request_body_bytes


def too_large(limit: int) -> Any:
    return problem_response({"type": PROBLEM_BASE + "content-too-large", "title": "Content too large",
                             "status": 413, "detail": f"The request body may be at most {limit} bytes."})


class BodyLimit:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await too_large(limit)(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break  # http.disconnect: the application sees it as it would have
            size += len(message.get("body", b""))
            if size > limit:
                await too_large(limit)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
