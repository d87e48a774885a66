"""List pages are serialised once (service.web.pages) and still answer exactly the declared contract: every field
of the declared item type, nothing more, the same JSON pydantic's own validation of `Page[T]` gives."""

from pydantic import TypeAdapter

from service.core.pagination import Page
from service.persons.dto import PersonSummary
from service.web.pages import page_response
from tests.test_persons_graphql import _seed


def test_persons_page_is_the_declared_contract(client, make_user, db):
    actor = make_user("caseworker")
    _seed(db, actor.organisation_id, actor.id, 3)
    for resp in (client.get("/api/v1/persons?limit=2", headers=actor.headers),
                 client.post("/api/v1/persons/search?limit=2", json={"name": "tal"}, headers=actor.headers)):
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"] == "application/json"
        body = resp.json()
        assert [set(i) for i in body["items"]] == [set(PersonSummary.model_fields)] * 2
        assert body["next_cursor"]
        again = TypeAdapter(Page[PersonSummary]).validate_json(resp.content)
        assert TypeAdapter(Page[PersonSummary]).dump_python(again, mode="json") == body


def test_a_subclass_is_serialised_as_the_declared_type():
    from service.referrals.dto import ReferralDetail, ReferralRead

    fields = {name: None for name in ReferralDetail.model_fields}
    detail = ReferralDetail.model_construct(**fields)
    body = page_response(ReferralRead, [detail], None).body
    assert b"history" not in body and b'"direction"' in body
