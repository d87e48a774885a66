"""CSV bulk import: validated as a whole with the same DTO as POST /offers; all rows or none."""

from sqlalchemy import func, select

from service.audit.models import AuditEvent
from service.offers.importer import MAX_BYTES
from service.offers.models import Offer, OfferAccessibility, OfferLanguage, OfferMunicipality
from tests.offers_support import count_offers

HEADER = ("title,description,category,mode,nationwide,municipality_codes,risk_settings,min_age,max_age,"
          "address,postcode,city,confidential_location,capacity,languages,accessibility,cost_free,cost_text,"
          "schedule_freq,schedule_weekdays,schedule_start_time,schedule_end_time,schedule_by_agreement,status")
GOOD_ROWS = [
    'Strikkecafé i Ølstykke,"Vi strikker, drikker kaffe og snakker.",activity_group,in_person,,0240,'
    "disability_at_home;nursing_home,60,,Æblevej 2,3650,Ølstykke,nej,12,da;en,step_free;hearing_loop,ja,,"
    "weekly,MO;WE,10:00,12:00,,published",
    "Telefonvenner på tværs,Fast telefonven hver anden uge.,phone_friend,phone,ja,,relative_of_seriously_ill,"
    ",,,,,,,da,,ja,,,,,,ja,draft",
    "Fælles gåtur ved Søerne,Gåtur og kaffe.,walk_and_talk,in_person,false,0101;0147,,18,99,,,København,,,"
    'da,,false,"25 kr. for kaffe",monthly,,,,,published',
]


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def _post(client, actor, body: bytes, content_type: str = "text/csv; charset=utf-8"):
    return client.post("/api/v1/offers/import", content=body, headers={**actor.headers, "content-type": content_type})


def test_import_creates_every_row_with_danish_letters(client, make_user, make_org, db):
    coordinator = make_user("coordinator", make_org(kind="civil_society"))
    rows = GOOD_ROWS[:2] + [GOOD_ROWS[2].replace("monthly,,,,,", ",,,,,")]
    before = count_offers(db)
    resp = _post(client, coordinator, b"\xef\xbb\xbf" + _csv(*rows))  # with a byte-order mark
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["created"] == 3 and len(body["ids"]) == 3
    assert count_offers(db) == before + 3
    offers = {o.title: o for o in db.scalars(select(Offer).where(Offer.organisation_id == coordinator.organisation_id))}
    assert set(offers) == {"Strikkecafé i Ølstykke", "Telefonvenner på tværs", "Fælles gåtur ved Søerne"}
    knit = offers["Strikkecafé i Ølstykke"]
    assert knit.address == "Æblevej 2" and knit.city == "Ølstykke" and knit.status == "published"
    assert knit.min_age == 60 and knit.capacity == 12 and knit.confidential_location is False
    assert knit.schedule == {"freq": "weekly", "weekdays": ["MO", "WE"], "start_time": "10:00:00",
                             "end_time": "12:00:00"}
    assert sorted(db.scalars(select(OfferAccessibility.feature).where(OfferAccessibility.offer_id == knit.id))) == \
        ["hearing_loop", "step_free"]
    assert sorted(db.scalars(select(OfferLanguage.language).where(OfferLanguage.offer_id == knit.id))) == ["da", "en"]
    phone = offers["Telefonvenner på tværs"]
    assert phone.nationwide is True and phone.status == "draft" and phone.schedule == {"by_agreement": True}
    walk = offers["Fælles gåtur ved Søerne"]
    assert walk.cost_free is False and walk.cost_text == "25 kr. for kaffe"
    assert sorted(db.scalars(select(OfferMunicipality.municipality_code)
                             .where(OfferMunicipality.offer_id == walk.id))) == ["0101", "0147"]
    listed = client.get("/api/v1/offers?q=strikkecafé").json()["items"]
    assert [o["title"] for o in listed] == ["Strikkecafé i Ølstykke"]
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "offer.import")).all()
    assert [e.criterion for e in events] == [{"rows": 3, "created": 3, "updated": 0}]


def test_one_bad_row_imports_nothing_and_every_bad_row_is_named(client, make_user, make_org, db):
    coordinator = make_user("org_admin", make_org(kind="civil_society"))
    bad_category = GOOD_ROWS[1].replace("phone_friend", "pub_crawl")
    bad_ages = GOOD_ROWS[0].replace(",60,,", ",60,20,").replace(",0240,", ",9999,")
    bad_capacity = GOOD_ROWS[0].replace(",12,da", ",-3,da")
    before = count_offers(db)
    # rows: 2 good, 3 bad category, 4 bad ages + unknown municipality, 5 bad monthly schedule, 6 negative capacity
    resp = _post(client, coordinator, _csv(GOOD_ROWS[1], bad_category, bad_ages, GOOD_ROWS[2], bad_capacity))
    assert resp.status_code == 422, resp.text
    problem = resp.json()
    assert problem["bad_rows"] == [3, 4, 5, 6]
    found = {(e["row"], e["field"]) for e in problem["errors"]}
    assert (3, "category") in found
    assert (4, None) in found  # min_age > max_age is a whole-offer rule
    assert (5, "schedule") in found  # monthly without weekdays/month_day
    assert (6, "capacity") in found
    assert count_offers(db) == before
    # The unknown municipality of row 4 is reported once its other errors are fixed.
    fixed = GOOD_ROWS[0].replace(",0240,", ",9999,")
    again = _post(client, coordinator, _csv(GOOD_ROWS[1], fixed))
    assert again.status_code == 422
    assert [(e["row"], e["field"], e["code"]) for e in again.json()["errors"]] == \
        [(3, "municipality_codes", "unknown_code")]
    assert count_offers(db) == before
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "offer.import")) == 0


def test_broken_files_are_4xx_problems_and_write_nothing(client, make_user, make_org, db):
    coordinator = make_user("coordinator", make_org(kind="civil_society"))
    before = count_offers(db)
    cases = [
        (_csv(GOOD_ROWS[0]).decode().encode("cp1252").replace(b"\xd8", b"\x81"), 422, "encoding"),  # 0x81: no cp1252
        (_csv(GOOD_ROWS[0], header=HEADER + ",favourite_colour"), 422, "unknown_column"),
        (_csv(GOOD_ROWS[0], header=HEADER.replace("title,", "")), 422, "missing_column"),
        (_csv(GOOD_ROWS[0] + ",extra"), 422, "field_count"),
        (_csv(GOOD_ROWS[0].split(",")[0]), 422, "field_count"),
        (_csv('"Uafsluttet citat,beskrivelse'), 422, "csv"),
        (b"", 422, "empty"),
        (_csv(), 422, "empty"),
        (_csv(header="title,title,description,category,mode"), 422, "duplicate_column"),
    ]
    for body, status, code in cases:
        resp = _post(client, coordinator, body)
        assert resp.status_code == status, (code, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert code in [e["code"] for e in resp.json()["errors"]], (code, resp.json())
    too_big = _post(client, coordinator, _csv(*[GOOD_ROWS[1]] * (MAX_BYTES // len(GOOD_ROWS[1]) + 10)))
    assert too_big.status_code == 413
    too_many = _post(client, coordinator, _csv(*["Tlf,Kort,phone_friend,phone,ja" + "," * 19] * 2001))
    assert too_many.status_code == 413
    assert _post(client, coordinator, _csv(GOOD_ROWS[0]), content_type="application/json").status_code in (400, 415)
    assert _post(client, coordinator, _csv(GOOD_ROWS[0]), content_type="application/json").status_code == 415
    assert _post(client, make_user("caseworker"), _csv(GOOD_ROWS[0])).status_code == 403
    assert client.post("/api/v1/offers/import", content=_csv(GOOD_ROWS[0]),
                       headers={"content-type": "text/csv"}).status_code == 401
    assert count_offers(db) == before
