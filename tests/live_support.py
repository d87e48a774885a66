"""Real concurrency over real HTTP: committed actors for the `live_server` fixture and a barrier-started volley
of requests from real threads (each with its own connection, so each request is its own transaction)."""

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.core.db import get_engine
from service.core.permissions import permissions_for
from service.core.security import issue_token
from service.core.settings import get_settings
from service.organisations.models import Organisation
from service.users.models import User

Call = Callable[[httpx.Client], httpx.Response]


@contextmanager
def lock_wait(seconds: float, engine: Engine | None = None) -> Iterator[None]:
    """TVAERS_LOCK_TIMEOUT_SECONDS for the duration; the pool is emptied so new connections are opened with it."""
    settings, engine = get_settings(), engine or get_engine()
    before = settings.lock_timeout_seconds
    settings.lock_timeout_seconds = seconds
    engine.dispose()
    try:
        yield
    finally:
        settings.lock_timeout_seconds = before
        engine.dispose()


@pytest.fixture
def patient_writers(committed: Session) -> Iterator[None]:
    """Concurrency tests assert correctness, not latency: on a loaded machine fifty queued SQLite writers may
    take longer than the default bound, which would turn the last ones into (correct) 503s."""
    with lock_wait(120):
        yield


def committed_org(session: Session, kind: str = "municipality", name: str | None = None) -> Organisation:
    # A ministry organisation is linked to its ministry (scope keys on the code, set by a system administrator).
    org = Organisation(name=name or f"Org {uuid.uuid4().hex[:8]}", kind=kind, municipality_code="0101",
                       ministry_code="social_affairs" if kind == "ministry" else None)
    session.add(org)
    session.commit()
    return org


def committed_headers(session: Session, role: str, org: Organisation) -> dict[str, str]:
    """A committed user of `org` with `role`, as bearer headers (no password round trip)."""
    user = User(username=f"{role}-{uuid.uuid4().hex[:8]}", password_hash="x", organisation_id=org.id, role=role)
    session.add(user)
    session.commit()
    token, _ = issue_token(sub=f"user:{user.id}", org=str(org.id), role=role,
                           scope=" ".join(sorted(permissions_for(role))), cv=user.credentials_version)
    return {"Authorization": f"Bearer {token}"}


def fire(base_url: str, calls: list[Call], timeout: float = 120) -> list[httpx.Response]:
    """Start every call at once (a barrier) on its own thread and client; return the responses in order.
    A transport failure fails the test: it would hide a crashed or hung request."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Call) -> None:
        with httpx.Client(base_url=base_url, timeout=timeout) as http:
            barrier.wait()
            try:
                results[i] = call(http)
            except httpx.HTTPError as exc:  # recorded; the assertion below shows it
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    failures = [r for r in results if not isinstance(r, httpx.Response)]
    assert not failures, failures
    return results


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def graphql(query: str, variables: dict[str, Any], headers: dict[str, str]) -> Call:
    return lambda http: http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


def gql_payload(response: httpx.Response, field: str) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"][field]
