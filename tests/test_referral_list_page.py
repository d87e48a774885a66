"""The REST referral lists (sent and inbox) read one statement per page: plain rows with the consent-gated person
summary aggregated in the same query (issue #14). The summary must equal the one the detail read builds with its
own batch statements (`summary.shared_persons`) in every consent state: by id or by kind, without a contact
consent, with fewer categories, after a decline, after the sharing consent is withdrawn."""

from typing import Any

from sqlalchemy import event

from tests.offers_support import make_offer  # noqa: F401
from tests.referrals_support import World, sharing_consent, world_fixture  # noqa: F401


def _arrange(w: World, make_offer: Any) -> None:  # noqa: F811
    offers = [make_offer(w.org_b, title=f"Tilbud {i}") for i in range(7)]
    people = [
        w.person(given_name="Anna"),  # sharing with B by id, contact consent
        w.person(recipients=[], kinds=["civil_society"], given_name="Bent"),  # by kind
        w.person(purposes=["referral_sharing"], given_name="Carl"),  # no contact: no phone, email or language
        w.person(categories=["interests", "risk_settings"], risk_settings=[{"code": "homelessness"}],
                 given_name="Dorte"),
        w.person(given_name="Erik"),
        w.person(given_name="Frida"),
        w.person(recipients=[], kinds=["municipality"], given_name="Gerda"),  # a kind that does not name B
    ]
    ids = [w.refer(p, offer=o, **({"shared_categories": ["interests", "risk_settings"]} if i == 3 else {}))["id"]
           for i, (p, o) in enumerate(zip(people[:6], offers, strict=False))]
    w.refer(people[6], offer=offers[6], expect=422)  # a consent naming another kind does not let B be sent it
    w.drive(ids[4], "declined")
    w.drive(ids[5], "accepted")
    # the sharing consent of the first person is withdrawn: the provider loses the referral, the referrer keeps it
    consents = w.client.get(f"/api/v1/persons/{people[0]['id']}/consents", headers=w.caseworker.headers).json()
    sharing = [c for c in consents["items"] if "referral_sharing" in c["purposes"]]
    for c in sharing:
        resp = w.client.post(f"/api/v1/persons/{people[0]['id']}/consents/{c['id']}/withdraw",
                             json={"reason": "asked"}, headers=w.caseworker.headers)
        assert resp.status_code in (200, 204), resp.text


def _page(w: World, actor: Any, **params: Any) -> list[dict[str, Any]]:
    resp = w.client.get("/api/v1/referrals", params={"limit": 200, **params}, headers=actor.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


def test_list_summaries_equal_the_detail_reads_in_every_consent_state(world: World, make_offer):  # noqa: F811
    w = world
    _arrange(w, make_offer)
    for actor, direction in ((w.coordinator, "received"), (w.caseworker, "sent"), (w.admin_a, None)):
        items = _page(w, actor, **({"direction": direction} if direction else {}))
        assert items
        for item in items:
            detail = w.client.get(f"/api/v1/referrals/{item['id']}", headers=actor.headers)
            assert detail.status_code == 200, detail.text
            expected = {k: v for k, v in detail.json().items() if k != "history"}
            assert item == expected
    shown = [i["person"] for i in _page(w, w.coordinator, direction="received")]
    assert any(p is None for p in shown) and any(p and p["phone"] for p in shown)
    assert any(p and p["phone"] is None and p["shared_categories"] for p in shown)


def test_one_statement_per_page_whatever_its_size(world: World, make_offer, engine):  # noqa: F811
    w = world
    for i in range(6):
        w.refer(w.person(given_name=f"Navn{i}"), offer=make_offer(w.org_b, title=f"Tilbud {i}"))
    selects: list[str] = []

    def capture(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and "FROM app_user" not in statement \
                and "INSERT" not in statement:
            selects.append(statement)

    for actor, direction in ((w.coordinator, "received"), (w.caseworker, "sent")):
        for limit in (2, 6):
            selects.clear()
            event.listen(engine, "before_cursor_execute", capture)
            try:
                items = _page(w, actor, direction=direction, limit=limit)
            finally:
                event.remove(engine, "before_cursor_execute", capture)
            assert len(items) == limit and all(i["person"] for i in items)
            assert len(selects) == 1, [s[:80] for s in selects]


def test_a_reused_page_statement_serves_each_caller_its_own_and_reads_consents_at_request_time(
        world: World, make_offer):  # noqa: F811
    """The list statement is built once per caller (organisation and permissions) and reused: interleaved
    callers of two providers each see only their own inbox, and a consent that expires *after* the statement was
    built and used hides the referral at once (its "now" is taken when the statement runs, not when it was built)."""
    import time
    import uuid
    from datetime import timedelta

    from sqlalchemy import update

    from service.core.types import utcnow
    from service.persons.models import Consent

    w = world
    to_c = w.person(recipients=[str(w.org_c.id)], given_name="Cecilie")
    w.refer(to_c, offer=make_offer(w.org_c, title="Andet tilbud"))
    to_b = w.person(given_name="Bodil")
    w.refer(to_b, offer=make_offer(w.org_b, title="Tilbud B"))
    for _ in range(3):
        for actor, org in ((w.coordinator, w.org_b), (w.outsider, w.org_c)):
            items = _page(w, actor, direction="received")
            assert items and {i["provider_organisation_id"] for i in items} == {str(org.id)}
    seen = {i["person_id"] for i in _page(w, w.coordinator, direction="received")}
    assert to_b["id"] in seen
    expiry = utcnow() + timedelta(seconds=1)
    w.db.execute(update(Consent).where(Consent.person_id == uuid.UUID(to_b["id"])).values(expires_at=expiry))
    w.db.commit()
    assert to_b["id"] in {i["person_id"] for i in _page(w, w.coordinator, direction="received")}
    time.sleep(max(0.0, (expiry - utcnow()).total_seconds()) + 0.05)
    assert to_b["id"] not in {i["person_id"] for i in _page(w, w.coordinator, direction="received")}
    assert to_b["id"] in {i["person_id"] for i in _page(w, w.caseworker, direction="sent")}
