"""The directory import over GraphQL: an actual multipart request (GraphQL multipart request spec, the `Upload`
scalar) reaches the same service as POST /offers/import — same result, same dry run, same upsert by external_id,
same all-or-nothing and Danish errors — and the door refuses cross-site-form-shaped and malformed uploads."""

import json
from typing import Any

from tests.offers_support import count_offers
from tests.test_offers_import import GOOD_ROWS, HEADER, _csv

IMPORT = """mutation($file: Upload!, $dry: Boolean!, $da: Boolean!) {
  importOffers(file: $file, dryRun: $dry, danish: $da) { __typename
    ... on OfferImportResult { dryRun created updated ids rows { row action externalId } }
    ... on Problem { status title errors { field message code } } } }"""
PREFLIGHT = {"Apollo-Require-Preflight": "true"}


def _upload(client: Any, actor: Any, data: bytes, *, dry: bool = False, danish: bool = False,
            headers: dict[str, str] | None = None, filename: str = "tilbud.csv") -> Any:
    operations = {"query": IMPORT, "variables": {"file": None, "dry": dry, "da": danish}}
    return client.post("/graphql", headers={**actor.headers, **(PREFLIGHT if headers is None else headers)},
                       data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
                       files={"0": (filename, data, "text/csv")})


def test_a_multipart_graphql_upload_imports_dry_runs_and_upserts(client, make_user, make_org, db):
    coordinator = make_user("coordinator", make_org(kind="civil_society"))
    header = "external_id," + HEADER
    sheet = _csv("laes-1," + GOOD_ROWS[0], "tlf-2," + GOOD_ROWS[1], header=header)
    before = count_offers(db)
    dry = _upload(client, coordinator, sheet, dry=True)
    assert dry.status_code == 200, dry.text
    result = dry.json()["data"]["importOffers"]
    assert (result["__typename"], result["dryRun"], result["created"]) == ("OfferImportResult", True, 2)
    assert count_offers(db) == before
    done = _upload(client, coordinator, sheet).json()["data"]["importOffers"]
    assert (done["dryRun"], done["created"], done["updated"], len(done["ids"])) == (False, 2, 0, 2)
    assert [r["externalId"] for r in done["rows"]] == ["laes-1", "tlf-2"]
    assert count_offers(db) == before + 2
    again = _upload(client, coordinator, sheet).json()["data"]["importOffers"]
    assert (again["created"], again["updated"], sorted(again["ids"])) == (0, 2, sorted(done["ids"]))
    assert count_offers(db) == before + 2
    # one bad row: nothing written, the problem in Danish when asked
    bad = _upload(client, coordinator, _csv(GOOD_ROWS[0], GOOD_ROWS[1].replace("phone_friend", "ukendt")),
                  danish=True).json()["data"]["importOffers"]
    assert bad["__typename"] == "Problem" and bad["status"] == 422, bad
    assert bad["errors"][0]["field"] == "category" and "tilladte værdier" in bad["errors"][0]["message"]
    assert count_offers(db) == before + 2


def test_the_upload_door_refuses_forms_without_preflight_and_roles_without_offers_manage(client, make_user,
                                                                                         make_org, db):
    org = make_org(kind="civil_society")
    coordinator, analyst = make_user("coordinator", org), make_user("analyst", org)
    before = count_offers(db)
    plain_form = _upload(client, coordinator, _csv(GOOD_ROWS[0]), headers={})
    assert plain_form.status_code == 400 and "Preflight" in plain_form.json()["detail"]
    refused = _upload(client, analyst, _csv(GOOD_ROWS[0])).json()["data"]["importOffers"]
    assert (refused["__typename"], refused["status"]) == ("Problem", 403)
    not_a_file = client.post("/graphql", headers=coordinator.headers, json={
        "query": IMPORT, "variables": {"file": "title\n", "dry": False, "da": False}}).json()
    assert not_a_file["data"]["importOffers"]["status"] == 422
    broken = client.post("/graphql", headers={**coordinator.headers, **PREFLIGHT},
                         data={"operations": "{", "map": "{}"}, files={"0": ("x.csv", b"x", "text/csv")})
    assert broken.status_code == 422 and broken.json()["errors"][0]["code"] == "invalid_json"
    outside = client.post("/graphql", headers={**coordinator.headers, **PREFLIGHT}, data={
        "operations": json.dumps({"query": IMPORT, "variables": {"file": None, "dry": False, "da": False}}),
        "map": json.dumps({"0": ["query"]})}, files={"0": ("x.csv", b"x", "text/csv")})
    assert outside.status_code == 422 and outside.json()["errors"][0]["code"] == "invalid_map"
    too_big = _upload(client, coordinator, b"x" * 1_000_001)
    assert too_big.status_code in (413, 422), too_big.text
    assert count_offers(db) == before
