"""The access matrix through the GraphQL door: every Query and Mutation field of schema/schema.graphql and every
nested field with a rule of its own × every kind of caller × {own, another organisation's object}. Expected
outcomes come from service/access.py exactly as for REST (tests/access/expect.py); a nested field is reached
only when its parent is, so its expectation is the parent's rule and then its own.

GraphQL answers: a refused root query field is an error carrying the REST status; a hidden object is null; a
mutation answers a typed Problem; a refused nested field is null. Known cases another branch fixes are listed
in tests/access/known_defects.py (strict xfail).
"""

from collections.abc import Iterator
from typing import Any

import pytest

from service.access import GRAPHQL as GRAPHQL_TABLE
from tests.access.arena import (  # noqa: F401  (arena_fixture)
    ACTORS,
    Arena,
    arena_fixture,
    changed_tables,
    denied_count,
)
from tests.access.contracts import graphql_operations
from tests.access.expect import OK, expected
from tests.access.graphql_specs import GRAPHQL
from tests.access.known_defects import KNOWN

PUBLISHED = graphql_operations()
REFUSED = "refused"  # a nested field: null, whether the door (403) or the object rule (404) said no

# ~1,600 cases per door: 1–2 min on SQLite, 2–3 min on PostgreSQL on a loaded 2-core box.
pytestmark = pytest.mark.slow


def test_every_published_graphql_operation_has_an_expectation():
    assert set(PUBLISHED) - set(GRAPHQL) == set(), "add a call spec to tests/access/graphql_specs.py"
    assert set(PUBLISHED) - set(GRAPHQL_TABLE) == set(), "add a row to service/access.py"
    assert set(GRAPHQL) - set(PUBLISHED) == set(), "these specs name no published operation"


def _cases() -> Iterator[Any]:
    for op in PUBLISHED:
        owners = ("A", "A2") if GRAPHQL[op].has_object else ("A",)
        for actor in ACTORS:
            for owner in owners:
                reason = KNOWN.get((op, actor, owner))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                yield pytest.param(op, actor, owner, id=f"{op} {actor} {owner}", marks=marks)


def _expect(op: str, actor: Any, owner: str, arena: Arena) -> int | str:
    spec, world = GRAPHQL[op], arena.world
    side = "act" if op == "Mutation.transitionReferral" else "read"
    if op == "Query.viewer" and actor.org is None:
        return 404  # "who am I": null without a token (the row's why)
    if spec.parent is None:
        return expected(GRAPHQL_TABLE[op], actor, owner, world, has_object=spec.has_object, side=side)
    parent = GRAPHQL[spec.parent]
    first = OK if spec.parent_open else expected(GRAPHQL_TABLE[spec.parent], actor, owner, world,
                                                 has_object=parent.has_object)
    if spec.parent == "Query.viewer" and actor.org is None:
        first = REFUSED  # no viewer without a token
    if spec.own_list and actor.org not in world.params:
        first = REFUSED  # the caller's organisation holds no persons to list
    object_owner = world.provider_of[owner] if spec.object_owner == "provider" else owner
    second = expected(GRAPHQL_TABLE[op], actor, object_owner, world, has_object=spec.has_object, side=side)
    return OK if first == OK and second == OK else REFUSED


def _observe(op: str, body: dict[str, Any]) -> int | str:
    spec = GRAPHQL[op]
    data = body.get("data") or {}
    statuses = [e.get("extensions", {}).get("status") for e in body.get("errors") or []]
    if spec.parent is not None:
        assert spec.pick is not None
        return OK if spec.pick(data) is not None else REFUSED
    field = op.split(".")[1]
    value = data.get(field)
    if value is None:  # refused at the door (an error with its status), or hidden by the object rule
        return statuses[0] if statuses else 404
    if isinstance(value, dict) and value.get("__typename") == "Problem":
        return value["status"] if value["status"] in (401, 403, 404) else OK
    assert not body.get("errors"), body
    return OK


@pytest.mark.parametrize("op,label,owner", list(_cases()))
def test_graphql_matrix(arena: Arena, op: str, label: str, owner: str):
    world = arena.world
    actor = next(a for a in world.actors if a.label == label)
    spec = GRAPHQL[op]
    doc = spec.provider_doc if spec.provider_doc and actor.org == world.provider_of[owner] else spec.doc
    want = _expect(op, actor, owner, arena)
    savepoint = arena.conn.begin_nested()
    try:
        resp = arena.client.post("/graphql", json={"query": doc % world.params[owner]}, headers=actor.headers)
        assert resp.status_code == 200, resp.text[:300]
        body = resp.json()
        assert _observe(op, body) == want, body
        access = GRAPHQL_TABLE[op]
        if want in (401, 403, 404) and op.startswith("Mutation."):
            assert not changed_tables(arena), "a refused mutation changed data"
        if want in (401, 403, 404) and access.audit is not None:
            assert denied_count(arena.db) > arena.denied, "a refused attempt on personal data was not audited"
    finally:
        savepoint.rollback()
        arena.db.expire_all()
