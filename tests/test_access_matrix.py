"""The exhaustive access matrix (issue 10): every operation of the published contracts × every kind of caller
× {the caller's own organisation's object, another organisation's object}, on the database under test.

- Operations come from schema/openapi.json and schema/schema.graphql (tests/access/contracts.py); each needs a
  call spec (tests/access/specs.py, tests/access/graphql_specs.py) and a row in service/access.py — a new
  operation without them fails the build.
- Callers: anonymous; org_admin, caseworker, coordinator and analyst of the owning municipality A, of another
  municipality A2 (same kind) and of a school C (another kind); the consented provider P (coordinator and
  org_admin); a system administrator; an API client of A (tests/access/world.py).
- The expected outcome is derived from the access table's `needs` and `rule` (tests/access/expect.py).
- A refused write changes nothing (every table but the audit trail: its row count and a checksum of its rows,
  computed in SQL, compared with the world's), and a
  refused attempt on personal data is audited (a denied audit event in the same transaction).

The world is built once per module; each case runs in a SAVEPOINT that is rolled back.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from service.access import REST as REST_TABLE
from tests.access.arena import (  # noqa: F401  (arena_fixture)
    ACTORS,
    Arena,
    arena_fixture,
    changed_tables,
    denied_count,
    snapshot,
)
from tests.access.contracts import rest_operations
from tests.access.expect import OK, expected
from tests.access.known_defects import KNOWN
from tests.access.specs import REST

PUBLISHED_REST = rest_operations()
THROUGH = {200, 201, 202, 204, 409, 412, 422, 428}  # past the door and the object rule

# ~1,600 cases per door: 1–2 min on SQLite, 2–3 min on PostgreSQL on a loaded 2-core box.
pytestmark = pytest.mark.slow


def test_every_published_operation_has_an_expectation():
    assert set(PUBLISHED_REST) - set(REST) == set(), "add a call spec to tests/access/specs.py"
    assert set(PUBLISHED_REST) - set(REST_TABLE) == set(), "add a row to service/access.py"
    assert set(REST) - set(PUBLISHED_REST) == set(), "these specs name no published operation"


def _has_object(method: str, path: str) -> bool:
    spec = REST.get((method, path))
    return spec.has_object if spec is not None and spec.has_object is not None else "{" in path


def _cases() -> Iterator[Any]:
    for method, path in PUBLISHED_REST:
        owners = ("A", "A2") if _has_object(method, path) else ("A",)
        for actor in ACTORS:
            for owner in owners:
                marks = []
                reason = KNOWN.get((f"{method} {path}", actor, owner))
                if reason:
                    marks.append(pytest.mark.xfail(strict=True, reason=reason))
                yield pytest.param(method, path, actor, owner, id=f"{method} {path} {actor} {owner}", marks=marks)


def _request(arena: Arena, method: str, path: str, actor: Any, owner: str) -> Any:
    spec, world = REST[(method, path)], arena.world
    params = world.params[owner]
    url = path.format(**params) if "{" in path else path
    query = {k: v.format(**params) for k, v in spec.query.items()} if spec.query else None
    provider = actor.org == world.provider_of[owner]
    body = spec.provider_body if spec.provider_body is not None and provider else spec.body
    param = spec.provider_body_param if spec.provider_body_param and provider else spec.body_param
    if param:
        body = params[param].encode()
    headers = dict(actor.headers)
    if spec.content_type:
        headers["Content-Type"] = spec.content_type
        return arena.client.request(method, url, content=body, headers=headers, params=query)
    if method == "POST" and path.endswith("/auth/token"):
        return arena.client.post(url, data={"grant_type": "password", "username": "x", "password": "y"})
    return arena.client.request(method, url, json=body, headers=headers, params=query)


@pytest.mark.parametrize("method,path,label,owner", list(_cases()))
def test_rest_matrix(arena: Arena, method: str, path: str, label: str, owner: str):
    world = arena.world
    actor = next(a for a in world.actors if a.label == label)
    access = REST_TABLE[(method, path)]
    side = "act" if path.endswith("/transitions") or method in ("PUT", "PATCH") and "/Task/" in path else "read"
    want = expected(access, actor, owner, world, has_object=_has_object(method, path), side=side)
    savepoint = arena.conn.begin_nested()
    try:
        resp = _request(arena, method, path, actor, owner)
        assert resp.status_code < 500, resp.text
        got = resp.status_code if resp.status_code in (401, 403, 404) else OK
        if REST[(method, path)].search_by_id and resp.status_code == 200 and not resp.json().get("entry"):
            got = 404  # the search hid the object
        if path.endswith("/auth/token"):  # wrong credentials are the grant's answer, not an access refusal
            assert resp.status_code in (400, 401) and want == OK
            return
        assert got == want, (resp.status_code, resp.text[:300])
        if want == OK:
            assert resp.status_code in THROUGH or method == "GET" and resp.status_code == 200, resp.text[:300]
            if method == "GET" and _has_object(method, path):
                assert resp.status_code == 200, resp.text[:300]
            return
        if path.startswith("/fhir/") and resp.status_code != 200:  # refused with an OperationOutcome
            assert resp.json().get("resourceType") == "OperationOutcome", resp.text[:300]
        if method != "GET":
            assert not changed_tables(arena), "a refused write changed data"
        if access.audit is not None or re.fullmatch(r"/api/v1/persons/{person_id}", path):
            assert denied_count(arena.db) > arena.denied, "a refused attempt on personal data was not audited"
    finally:
        savepoint.rollback()
        arena.db.expire_all()


def test_the_arena_rolls_back_every_case(arena: Arena):
    """The savepoints really isolate the cases: the world is as built."""
    assert snapshot(arena.db) == arena.snapshot
    assert arena.db.execute(text("SELECT 1")).scalar() == 1


@pytest.mark.parametrize("change", [
    "UPDATE organisation SET email = 'matrix@example.org' WHERE id = (SELECT id FROM organisation LIMIT 1)",
    "DELETE FROM webhook_delivery WHERE id = (SELECT id FROM webhook_delivery LIMIT 1)",
    "UPDATE app_user SET active = NOT active WHERE id = (SELECT id FROM app_user LIMIT 1)",
])
def test_the_snapshot_sees_any_changed_row(arena: Arena, change: str):
    """The (count, checksum) snapshot catches an update that keeps the row count, and a delete."""
    savepoint = arena.conn.begin_nested()
    try:
        arena.db.execute(text(change))
        after = snapshot(arena.db)
        table = change.split()[2 if change.startswith("DELETE") else 1]
        assert {name for name in after if after[name] != arena.snapshot[name]} == {table}
    finally:
        savepoint.rollback()
        arena.db.expire_all()
    assert snapshot(arena.db) == arena.snapshot
