"""The README's promises, checked against the published contract and both doors.

- every list is `{items, next_cursor}` with `limit`/`cursor` (enumerated from the OpenAPI document);
- GraphQL connection arguments out of range answer what REST answers: the same status and `errors`.
"""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OPENAPI = json.loads((ROOT / "schema" / "openapi.json").read_text())
# HSDS 3.0 has its own paged envelope (total_items, page, …), which HSDS clients expect.
OWN_ENVELOPE = ("/api/v1/hsds/",)


def _resolve(schema: dict) -> dict:
    ref = schema.get("$ref")
    return OPENAPI["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def _json_200(path: str, method: str) -> dict | None:
    content = OPENAPI["paths"][path][method].get("responses", {}).get("200", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return _resolve(schema) if schema else None


def _lists() -> list[str]:
    found = []
    for path, ops in OPENAPI["paths"].items():
        schema = _json_200(path, "get") if "get" in ops else None
        if schema and ("items" in schema.get("properties", {}) or schema.get("type") == "array"):
            found.append(path)
    return found


def test_the_contract_has_lists_to_check():
    assert {"/api/v1/reference/municipalities", "/api/v1/reference/risk-settings", "/api/v1/persons",
            "/api/v1/persons/{person_id}/consents", "/api/v1/persons/{person_id}/loneliness-measurements",
            "/api/v1/offers", "/api/v1/referrals"} <= set(_lists())


@pytest.mark.parametrize("path", _lists())
def test_every_list_is_an_envelope_with_limit_and_cursor(path):
    schema = _json_200(path, "get")
    assert schema is not None and schema.get("type") != "array", f"{path} answers a bare array"
    assert {"items", "next_cursor"} <= set(schema["properties"]), path
    params = {p["name"] for p in OPENAPI["paths"][path]["get"].get("parameters", [])}
    assert "limit" in params and ({"cursor", "after"} & params), path


def test_no_endpoint_answers_a_bare_array():
    bare = [f"{m.upper()} {p}" for p, ops in OPENAPI["paths"].items() for m in ops
            if not p.startswith(OWN_ENVELOPE) and (_json_200(p, m) or {}).get("type") == "array"]
    assert bare == []


def test_reference_lists_page_through_every_municipality(client):
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/reference/municipalities", params={"limit": 40, **({"cursor": cursor}
                                                                                      if cursor else {})}).json()
        seen += [m["code"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 98 and seen == sorted(set(seen))


# (GraphQL field, REST path, role that may list there)
CONNECTIONS = [
    ("organisations", "/api/v1/organisations", "org_admin"),
    ("users", "/api/v1/users", "org_admin"),
    ("offers", "/api/v1/offers", "coordinator"),
    ("persons", "/api/v1/persons", "caseworker"),
    ("mappingEntries", "/api/v1/mapping-entries", "caseworker"),
    ("actionPlanMeasures", "/api/v1/action-plan/measures", "analyst"),
    ("referrals", "/api/v1/referrals", "caseworker"),
    ("contactsDue", "/api/v1/contacts/due", "coordinator"),
    ("events", "/api/v1/events", "caseworker"),
]
# REST parameter → the same value under GraphQL's argument name
ARGUMENTS = [({"limit": 500}, {"first": 500}), ({"limit": 0}, {"first": 0}), ({"limit": -3}, {"first": -3}),
             ({"cursor": "c" * 600, "limit": 5}, {"after": "c" * 600, "first": 5})]
RENAMED = {"limit": "first", "cursor": "after"}


@pytest.mark.parametrize("field, path, role", CONNECTIONS)
def test_graphql_page_arguments_answer_what_rest_answers(client, gql, make_user, field, path, role):
    actor = make_user(role)
    for rest_args, gql_args in ARGUMENTS:
        if field == "events" and "cursor" in rest_args:
            continue  # the event feed's cursor is `after` on both doors, checked by the referrals tests
        rest = client.get(path, params=rest_args, headers=actor.headers)
        assert rest.status_code == 422, (path, rest_args, rest.text)
        arguments = ", ".join(f"{k}: {json.dumps(v)}" for k, v in gql_args.items())
        answer = gql(f"{{ {field}({arguments}) {{ __typename }} }}", actor=actor)
        assert answer["data"] is None or answer["data"][field] is None, answer
        extensions = answer["errors"][0]["extensions"]
        assert extensions["status"] == rest.status_code, (field, gql_args, answer)
        expected = [{**e, "field": RENAMED.get(e["field"], e["field"])} for e in rest.json()["errors"]]
        assert extensions["errors"] == expected, (field, gql_args)
