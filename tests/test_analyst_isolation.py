"""Ministries see aggregates only: every person, referral and contact endpoint and GraphQL field refuses them."""

import pytest

from tests.report_data import build


@pytest.fixture
def world(db, make_org, make_user):
    data = build(db, make_org)
    analyst = make_user("analyst", make_org(kind="ministry", name="Social- og Indenrigsministeriet",
                                            is_national=True))
    person = data["homeless_kbh"][0]
    from sqlalchemy import select

    from service.referrals.models import Referral

    referral = db.scalars(select(Referral).where(Referral.person_id == person.id)).first()
    return analyst, person, referral


def test_rest_refuses_analysts_everywhere(client, world):
    analyst, person, referral = world
    p, r = person.id, referral.id
    calls = [
        ("GET", "/api/v1/persons", None), ("POST", "/api/v1/persons/search", {"name": "Test"}),
        ("GET", f"/api/v1/persons/{p}", None), ("PATCH", f"/api/v1/persons/{p}", {"notes": "x"}),
        ("GET", f"/api/v1/persons/{p}/consents", None),
        ("POST", f"/api/v1/persons/{p}/consents", {"purposes": ["research"], "given_by": "self",
                                                   "method": "written", "consent_text_version": "1"}),
        ("GET", f"/api/v1/persons/{p}/loneliness-measurements", None),
        ("POST", f"/api/v1/persons/{p}/loneliness-measurements", {"item1": 1, "item2": 1, "item3": 1,
                                                                  "context": "ad_hoc"}),
        ("GET", "/api/v1/referrals", None), ("GET", f"/api/v1/referrals/{r}", None),
        ("POST", "/api/v1/referrals", {"person_id": str(p), "offer_id": str(referral.offer_id)}),
        ("POST", f"/api/v1/referrals/{r}/transitions", {"action": "withdraw"}),
        ("GET", f"/api/v1/referrals/{r}/contact-agreement", None),
        ("PUT", f"/api/v1/referrals/{r}/contact-agreement", {"channel": "phone", "cadence": "weekly"}),
        ("GET", f"/api/v1/referrals/{r}/contacts", None),
        ("POST", f"/api/v1/referrals/{r}/contacts", {"contacted_at": "2026-03-01T10:00:00Z",
                                                     "duration_minutes": 20, "channel": "phone"}),
        ("GET", "/api/v1/contacts/due", None), ("GET", "/api/v1/events", None),
    ]
    for method, url, body in calls:
        resp = client.request(method, url, json=body, headers={**analyst.headers, "If-Match": '"1"'})
        assert resp.status_code in (403, 404), (method, url, resp.status_code, resp.text)
        assert "Test" not in resp.text and str(p) not in resp.text.replace(url, "")


def test_graphql_refuses_analysts_everywhere(gql, world):
    analyst, person, referral = world
    for query in (
        "{ persons { items { id } } }",
        f'{{ person(id: "{person.id}") {{ id }} }}',
        "{ referrals { items { id } } }",
        f'{{ referral(id: "{referral.id}") {{ id }} }}',
        "{ contactsDue { items { referralId } } }",
        "{ events { items { referralId } } }",
    ):
        result = gql(query, actor=analyst)
        # a refusal, not a query the schema rejects
        assert all("Cannot query field" not in e["message"] and "Unknown" not in e["message"]
                   for e in result.get("errors", [])), result
        data = result.get("data") or {}
        field = next(iter(data.values()), None) if data else None
        refused = ("errors" in result or field is None or field.get("items") == []
                   or field.get("__typename") == "Problem")
        assert refused, (query, result)
        assert str(person.id) not in str(result)
