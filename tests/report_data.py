"""A small, hand-countable dataset for the Recommendation 4 report tests (fictitious people only)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.offers.models import Offer, OfferMunicipality, OfferRiskSetting
from service.persons.models import Consent, ConsentPurposeRow, LonelinessMeasurement, Person, PersonRiskSetting
from service.referrals.models import Referral

REGISTERED = datetime(2026, 3, 15, 12, tzinfo=UTC)  # 2026Q1
PERIOD = {"period_from": "2026-01-01", "period_to": "2026-12-31"}


def person(db: Session, org_id: uuid.UUID, *, settings: list[str], municipality: str = "0101",
           birth_year: int = 1950, latest: int | None = None, created: datetime = REGISTERED) -> Person:
    p = Person(organisation_id=org_id, given_name="Test", family_name="Person", birth_year=birth_year,
               municipality_code=municipality, loneliness_latest_total=latest, created_at=created)
    db.add(p)
    db.flush()
    for code in settings:
        db.add(PersonRiskSetting(person_id=p.id, risk_setting_code=code))
    consent = Consent(person_id=p.id, data_categories=[], given_by="self", method="written",
                      consent_text_version="t1", recorded_by=uuid.uuid4(), given_at=created)
    db.add(consent)
    db.flush()
    db.add(ConsentPurposeRow(consent_id=consent.id, purpose="registration"))
    return p


def offer(db: Session, org_id: uuid.UUID, *, category: str, capacity: int | None, seats_taken: int = 0,
          nationwide: bool = False, municipalities: tuple[str, ...] = (), settings: tuple[str, ...] = ()) -> Offer:
    o = Offer(organisation_id=org_id, title=f"Tilbud {category}", description="d", category=category,
              mode="phone" if nationwide else "in_person", nationwide=nationwide, capacity=capacity,
              seats_taken=seats_taken, status="published", published_at=REGISTERED - timedelta(days=30))
    db.add(o)
    db.flush()
    for code in municipalities:
        db.add(OfferMunicipality(offer_id=o.id, municipality_code=code))
    for code in settings:
        db.add(OfferRiskSetting(offer_id=o.id, risk_setting_code=code))
    return o


def referral(db: Session, p: Person, o: Offer, referrer: uuid.UUID, *, status: str, days_to_start: int | None = None,
             reason: str | None = None) -> Referral:
    sent = REGISTERED + timedelta(days=10)
    r = Referral(person_id=p.id, offer_id=o.id, referring_organisation_id=referrer,
                 provider_organisation_id=o.organisation_id, created_by=uuid.uuid4(), status=status,
                 reason_code=reason, sent_at=sent,
                 accepted_at=sent + timedelta(days=1) if status in ("accepted", "started", "completed") else None,
                 started_at=sent + timedelta(days=days_to_start) if days_to_start is not None else None,
                 holds_seat=status in ("accepted", "started"))
    db.add(r)
    return r


def measurement(db: Session, p: Person, total: int, context: str, when: datetime,
                referral_id: uuid.UUID | None = None) -> None:
    items = [1, 1, 1]
    for i in range(total - 3):
        items[i % 3] += 1
    change = None
    if context == "follow_up":  # stored as the service stores it: minus the latest intake at or before
        db.flush()
        intake = db.scalar(select(LonelinessMeasurement.total).where(
            LonelinessMeasurement.person_id == p.id, LonelinessMeasurement.context == "intake",
            LonelinessMeasurement.measured_at <= when).order_by(LonelinessMeasurement.measured_at.desc()).limit(1))
        change = None if intake is None else total - intake
    db.add(LonelinessMeasurement(person_id=p.id, item1=items[0], item2=items[1], item3=items[2], total=total,
                                 measured_at=when, context=context, recorded_by=uuid.uuid4(),
                                 referral_id=referral_id, tils_change=change))


def build(db: Session, make_org: Any) -> dict[str, Any]:
    """12 homeless in København (7 severe), 8 homeless in Aarhus, 3 in nursing homes, 6 imprisoned.

    10 referrals of København's homeless to a nationwide phone-friend offer: 5 started (2, 4, 6, 8, 10 days),
    1 accepted, 3 declined for no capacity, 1 declined for transport.
    """
    kbh = make_org(kind="municipality", municipality_code="0101")
    aarhus = make_org(kind="municipality", municipality_code="0751")
    ngo = make_org(kind="civil_society", municipality_code="0101")
    homeless_kbh = [person(db, kbh.id, settings=["homelessness"], latest=8 if i < 7 else 4) for i in range(12)]
    for _ in range(8):
        person(db, aarhus.id, settings=["homelessness"], municipality="0751", birth_year=1990)
    for _ in range(3):
        person(db, kbh.id, settings=["nursing_home"], birth_year=1935)
    for _ in range(6):
        person(db, kbh.id, settings=["imprisonment"], birth_year=1985)
    phone = offer(db, ngo.id, category="phone_friend", capacity=10, seats_taken=6, nationwide=True)
    offer(db, ngo.id, category="shared_meal", capacity=20, municipalities=("0751",), settings=("homelessness",))
    for i, days in enumerate((2, 4, 6, 8, 10)):
        referral(db, homeless_kbh[i], phone, kbh.id, status="started", days_to_start=days)
    referral(db, homeless_kbh[5], phone, kbh.id, status="accepted")
    for i in range(6, 9):
        referral(db, homeless_kbh[i], phone, kbh.id, status="declined", reason="no_capacity")
    referral(db, homeless_kbh[9], phone, kbh.id, status="declined", reason="transport_barrier")
    db.commit()
    return {"kbh": kbh, "aarhus": aarhus, "ngo": ngo, "homeless_kbh": homeless_kbh, "phone": phone}
