"""Issue 10, defect 3: GraphQL's nested fields go through the same read rules and write the same audit events
as REST — `Referral.offer` under the offer read rule, `Person.consents` / `lonelinessMeasurements` audited
like their REST lists, organisations under the organisation read rule — and no dataloader queries a model."""

import ast
import pathlib
import uuid

from sqlalchemy import select, update

from service.audit.models import AuditEvent, AuditEventPerson
from service.offers.models import Offer, OfferStatus
from tests.offers_support import make_offer  # noqa: F401
from tests.referrals_support import World, world_fixture  # noqa: F401

SCHEMA = pathlib.Path(__file__).resolve().parent.parent / "schema"


def _events(db, action: str, person_id: str) -> list[tuple[str, str | None, str, str, str | None]]:
    db.expire_all()
    rows = db.execute(select(AuditEvent.action, AuditEvent.subject_id, AuditEvent.purpose, AuditEvent.outcome,
                             AuditEvent.actor_id)
                      .join(AuditEventPerson, AuditEventPerson.event_id == AuditEvent.id)
                      .where(AuditEvent.action == action, AuditEventPerson.person_id == uuid.UUID(person_id))
                      .order_by(AuditEvent.id)).all()
    return [tuple(r) for r in rows]


def test_referral_offer_answers_another_organisations_draft_as_null_like_offer_by_id(world: World, gql):
    w = world
    rid = w.refer(w.person())["id"]
    query = "query($id: UUID!) { referral(id: $id) { id offer { id status } } }"
    shown = gql(query, {"id": rid}, w.caseworker)["data"]["referral"]
    assert shown["offer"] == {"id": str(w.offer.id), "status": "published"}

    # The provider takes the offer back to draft: from now on only the provider may read it.
    w.db.execute(update(Offer).where(Offer.id == w.offer.id).values(status=OfferStatus.draft))
    w.db.commit()
    assert gql(query, {"id": rid}, w.caseworker)["data"]["referral"] == {"id": rid, "offer": None}
    assert gql("query($id: UUID!) { offer(id: $id) { id } }", {"id": str(w.offer.id)}, w.caseworker)["data"] == {
        "offer": None}
    assert w.client.get(f"/api/v1/offers/{w.offer.id}", headers=w.caseworker.headers).status_code == 404
    # The provider, whose draft it is, still sees it through the same nested field.
    provider = gql(query, {"id": rid}, w.coordinator)["data"]["referral"]
    assert provider["offer"] == {"id": str(w.offer.id), "status": "draft"}


def test_offer_provider_name_follows_the_offer_read_rule(world: World, gql):
    w = world
    query = "query($id: UUID!) { offer(id: $id) { providerName } }"
    assert gql(query, {"id": str(w.offer.id)})["data"]["offer"] == {"providerName": w.org_b.name}
    w.db.execute(update(Offer).where(Offer.id == w.offer.id).values(status=OfferStatus.draft))
    w.db.commit()
    assert gql(query, {"id": str(w.offer.id)})["data"]["offer"] is None
    assert gql(query, {"id": str(w.offer.id)}, w.coordinator)["data"]["offer"] == {"providerName": w.org_b.name}


def test_nested_consents_and_measurements_write_the_audit_events_rest_writes(world: World, gql):
    w = world
    person = w.person()
    pid = person["id"]
    resp = w.client.post(f"/api/v1/persons/{pid}/loneliness-measurements", headers=w.caseworker.headers,
                         json={"item1": 2, "item2": 2, "item3": 3, "context": "intake"})
    assert resp.status_code == 201, resp.text
    actor = str(w.caseworker.id)

    assert w.client.get(f"/api/v1/persons/{pid}/consents", headers=w.caseworker.headers).status_code == 200
    assert w.client.get(f"/api/v1/persons/{pid}/loneliness-measurements",
                        headers=w.caseworker.headers).status_code == 200
    rest = {a: _events(w.db, a, pid) for a in ("consent.list", "measurement.list")}
    assert rest == {"consent.list": [("consent.list", pid, "consent_management", "success", actor)],
                    "measurement.list": [("measurement.list", pid, "casework", "success", actor)]}

    data = gql("query($id: UUID!) { person(id: $id) { consents { id } lonelinessMeasurements { items { total } } } }",
               {"id": pid}, w.caseworker)["data"]["person"]
    assert len(data["consents"]) == 1 and data["lonelinessMeasurements"]["items"] == [{"total": 7}]
    # Listing persons reads every person's nested data: each person gets the event, as if read one by one.
    listed = gql("{ persons { items { id consents { id } lonelinessMeasurements { items { total } } } } }",
                 actor=w.caseworker)
    assert [p["id"] for p in listed["data"]["persons"]["items"]] == [pid]
    for action, events in rest.items():
        assert _events(w.db, action, pid) == events * 3, action

    # Someone who may not read the person gets nothing, and nothing is recorded as read.
    other = gql("query($id: UUID!) { person(id: $id) { consents { id } } }", {"id": pid}, w.outsider_caseworker)
    assert other["data"]["person"] is None
    assert [e for e in _events(w.db, "consent.list", pid) if e[4] == str(w.outsider_caseworker.id)] == []


def test_organisation_by_id_goes_through_the_read_rule(world: World, gql):
    w = world
    query = "query($id: UUID!) { organisation(id: $id) { id name } }"
    assert gql(query, {"id": str(w.org_c.id)}, w.caseworker)["data"]["organisation"]["name"] == w.org_c.name
    assert gql(query, {"id": str(uuid.uuid4())}, w.caseworker)["data"] == {"organisation": None}
    anonymous = gql(query, {"id": str(w.org_c.id)})
    assert anonymous["data"] == {"organisation": None} and anonymous["errors"][0]["extensions"]["status"] == 401
    rest = w.client.get(f"/api/v1/organisations/{w.org_c.id}", headers=w.caseworker.headers)
    assert rest.status_code == 200 and rest.json()["name"] == w.org_c.name
    user = gql("{ viewer { organisation { id } } }", actor=w.caseworker)["data"]["viewer"]
    assert user["organisation"] == {"id": str(w.org_a.id)}


def test_no_graphql_resolver_or_loader_queries_the_database_itself():
    """Canary: the schema package reaches data only through the services' rule-applying readers."""
    forbidden = {"select", "get", "scalars", "scalar", "execute", "query"}
    offenders = []
    for path in sorted(SCHEMA.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in forbidden:
                owner = ast.unparse(node.func.value)
                if owner.endswith("session"):
                    offenders.append(f"{path.name}:{node.lineno} {owner}.{node.func.attr}")
            if (isinstance(node, ast.ImportFrom) and node.module == "sqlalchemy"
                    and any(a.name == "select" for a in node.names)):
                offenders.append(f"{path.name}:{node.lineno} imports select")
    assert offenders == []
