"""Bounded request bodies on REST and GraphQL: 413 problem+json before parsing, counted as the body streams in,
so a missing or lying Content-Length gets nothing past it."""

import asyncio
import json

import pytest

from service.body_limit import BodyLimit
from service.core.settings import get_settings

PROBLEM = "application/problem+json"


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setenv("TVAERS_MAX_REQUEST_BODY_BYTES", "2048")
    get_settings.cache_clear()
    yield 2048
    get_settings.cache_clear()


def _big_graphql() -> bytes:
    return json.dumps({"query": "{ viewer { id } }", "variables": {"pad": "x" * 4000}}).encode()


def test_rest_and_graphql_bodies_over_the_limit_are_413_problems(client, make_user, small_limit):
    actor = make_user("org_admin")
    for path, body in (("/graphql", _big_graphql()),
                       ("/api/v1/persons/search", json.dumps({"name": "x" * 4000}).encode()),
                       ("/api/v1/token", b"username=" + b"a" * 4000)):
        resp = client.post(path, content=body, headers={**actor.headers, "content-type": "application/json"})
        assert resp.status_code == 413, (path, resp.text)
        assert resp.headers["content-type"] == PROBLEM and resp.json()["status"] == 413
        assert "x" * 20 not in resp.text
    ok = client.post("/graphql", json={"query": "{ viewer { id } }"}, headers=actor.headers)
    assert ok.status_code == 200 and ok.json()["data"]["viewer"]["id"] == str(actor.id)


def test_the_default_limit_is_one_megabyte(client):
    assert get_settings().max_request_body_bytes == 1024 * 1024
    resp = client.post("/graphql", content=b"{" + b" " * (1024 * 1024) + b"}",
                       headers={"content-type": "application/json"})
    assert resp.status_code == 413


def _run(app, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes, int]:
    """Drive the middleware directly: the body arrives in chunks, whatever Content-Length says."""
    sent: list[dict] = []
    queue = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    seen = {"read": 0}

    async def receive():
        seen["read"] += 1
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": headers, "query_string": b""}
    asyncio.run(BodyLimit(app)(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, seen["read"]


async def _echo(scope, receive, send):
    data = b""
    while True:
        message = await receive()
        data += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(len(data)).encode()})


@pytest.mark.parametrize("declared", [None, b"10", b"not-a-number"])
def test_a_missing_or_lying_content_length_does_not_bypass_the_limit(small_limit, declared):
    headers = [(b"content-length", declared)] if declared else []
    status, body, reads = _run(_echo, [b"a" * 1000] * 10, headers)
    assert status == 413 and json.loads(body)["status"] == 413
    assert reads == 3  # stopped reading as soon as the bound was passed
    status, body, _ = _run(_echo, [b"a" * 1000, b"a" * 1000], headers)
    assert (status, body) == (200, b"2000")


def test_a_declared_length_over_the_limit_is_refused_unread(small_limit):
    status, _, reads = _run(_echo, [b"a"], [(b"content-length", b"999999")])
    assert status == 413 and reads == 0
