"""A request that cannot get its lock within TVAERS_LOCK_TIMEOUT_SECONDS answers 503 problem+json with
Retry-After — never 500, never a hang — and writes nothing; once the lock is free the same request succeeds.

The lock is held by another connection, as a cron-run CLI command would (SQLite: its write lock; PostgreSQL:
a row lock on the offer). Then the queue at the edge (`service.web.admission`): first come, first served,
bounded.
"""

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.responses import PlainTextResponse

from service.offers.models import Offer
from service.web.admission import Admission
from tests.conftest import IS_POSTGRES
from tests.live_support import committed_headers, committed_org, lock_wait
from tests.offers_support import VALID as OFFER

UPDATE_OFFER = """mutation($id: UUID!) { updateOffer(id: $id, version: 1, input: {title: "Ny titel"}) {
  __typename ... on Offer { version } ... on Problem { status } } }"""


@pytest.fixture
def short_lock_wait(engine: Any, committed: Any) -> Iterator[None]:
    with lock_wait(0.3, engine):
        yield


def _assert_busy(resp: httpx.Response) -> None:
    assert resp.status_code == 503, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert int(resp.headers["retry-after"]) >= 1
    assert resp.json()["type"].endswith("/service-busy") and resp.json()["status"] == 503


def test_a_write_that_waits_past_the_bound_is_a_503_and_writes_nothing(live_server, committed, engine,
                                                                        short_lock_wait):
    provider = committed_org(committed, "civil_society")
    headers = committed_headers(committed, "coordinator", provider)
    with httpx.Client(base_url=live_server, timeout=30, headers=headers) as http:
        offer_id = http.post("/api/v1/offers", json={**OFFER, "status": "published"}).json()["id"]
        holder = engine.connect()
        holder.begin()  # SQLite: BEGIN IMMEDIATE takes the database's write lock
        if IS_POSTGRES:
            holder.execute(select(Offer.id).where(Offer.id == uuid.UUID(offer_id)).with_for_update())
        try:
            _assert_busy(http.patch(f"/api/v1/offers/{offer_id}", json={"title": "Ny titel"},
                                    headers={"If-Match": '"1"'}))
            _assert_busy(http.post("/graphql", json={"query": UPDATE_OFFER, "variables": {"id": offer_id}}))
        finally:
            holder.rollback()
            holder.close()
        retried = http.patch(f"/api/v1/offers/{offer_id}", json={"title": "Ny titel"}, headers={"If-Match": '"1"'})
        assert retried.status_code == 200 and retried.json()["version"] == 2, retried.text


def _queue_app(order: list[str], gate: asyncio.Event) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["path"] != "/healthz":
            order.append(scope["path"])
            await gate.wait()
        await PlainTextResponse("ok")(scope, receive, send)
    return app


def test_the_edge_queue_admits_in_arrival_order_and_refuses_past_the_bound():
    async def scenario() -> tuple[list[str], list[int], httpx.Response]:
        order: list[str] = []
        gate = asyncio.Event()
        queued = Admission(_queue_app(order, gate), limit=1, timeout=lambda: 5.0)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=queued), base_url="http://t") as http:
            tasks = []
            for i in range(5):
                tasks.append(asyncio.create_task(http.get(f"/r{i}")))
                await asyncio.sleep(0.02)  # arrive one after another
            gate.set()
            codes = [r.status_code for r in await asyncio.gather(*tasks)]
        stuck = Admission(_queue_app([], asyncio.Event()), limit=1, timeout=lambda: 0.2)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=stuck), base_url="http://t") as http:
            holder = asyncio.create_task(http.get("/holds-forever"))
            await asyncio.sleep(0.02)
            refused = await http.get("/waits")
            healthy = await http.get("/healthz")  # probes are never queued
            holder.cancel()
        assert healthy.status_code == 200
        return order, codes, refused

    order, codes, refused = asyncio.run(scenario())
    assert order == [f"/r{i}" for i in range(5)] and codes == [200] * 5
    _assert_busy(refused)
