"""Arranging referrals for tests: a referrer municipality, a provider NGO, an unrelated organisation, a
consenting (fictitious) person and a published offer with five places."""

import itertools
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.core.permissions import permissions_for
from service.core.security import issue_token
from service.core.types import utcnow
from service.offers.models import Offer
from service.organisations.models import Organisation
from service.persons.models import Consent, ConsentPurposeRow, ConsentRecipient, LonelinessMeasurement, Person
from service.referrals.models import ContactAgreement, ContactLogEntry, Referral, ReferralTransition
from service.referrals.transitions import expire_overdue
from service.users.models import User
from tests.offers_support import make_offer  # noqa: F401  (fixture)
from tests.persons_helpers import consent_body, create_person

ALL_CATEGORIES = ["contact_details", "risk_settings", "accessibility_needs", "interests", "loneliness_scores"]
FAMILY_NAME = "Eksempelsen"
NOTE = "Hemmelig note om helbred"
PHONE = "+45 12 34 56 78"
EMAIL = "karen@example.org"
_serial = itertools.count(1000)


def next_cpr() -> str:
    """A distinct fictitious CPR number for 1 January 1990 (the persons' birth date)."""
    return f"010190{next(_serial) % 10000:04d}"


def sharing_consent(recipients: list[str] | None = None, kinds: list[str] | None = None,
                    categories: list[str] | None = None, purposes: list[str] | None = None,
                    **over: Any) -> dict[str, Any]:
    body = consent_body(purposes=purposes or ["referral_sharing"],
                        data_categories=ALL_CATEGORIES if categories is None else categories, **over)
    if recipients:
        body["recipient_organisation_ids"] = recipients
    if kinds:
        body["recipient_organisation_kinds"] = kinds
    return body


@dataclass
class World:
    client: Any
    db: Session
    org_a: Organisation  # referrer (municipality)
    org_b: Organisation  # provider (civil society)
    org_c: Organisation  # unrelated (civil society)
    caseworker: Any  # A
    admin_a: Any  # A org_admin
    analyst_a: Any  # A analyst (may read nothing)
    coordinator: Any  # B
    caseworker_b: Any  # B caseworker: provider organisation, but may not receive
    outsider: Any  # C coordinator
    outsider_caseworker: Any  # C caseworker
    offer: Offer

    def person(self, purposes: list[str] | None = None, recipients: list[str] | None = None,
               kinds: list[str] | None = None, categories: list[str] | None = None, **over: Any) -> dict[str, Any]:
        """A person of A whose one consent covers registration + the given purposes (default: sharing with B,
        contact and outcome follow-up)."""
        purposes = ["referral_sharing", "contact", "outcome_followup"] if purposes is None else purposes
        sharing = "referral_sharing" in purposes
        consent = consent_body(purposes=["registration", *purposes])
        if sharing:
            consent["data_categories"] = ALL_CATEGORIES if categories is None else categories
            if recipients is None and kinds is None:
                recipients = [str(self.org_b.id)]
            if recipients:
                consent["recipient_organisation_ids"] = recipients
            if kinds:
                consent["recipient_organisation_kinds"] = kinds
        fields = {"family_name": FAMILY_NAME, "notes": NOTE, "cpr": next_cpr(), "phone": PHONE, "email": EMAIL,
                  "interests": ["strik", "havearbejde"], "accessibility_needs": ["wheelchair_access"],
                  "consent": consent, **over}
        return create_person(self.client, self.caseworker, **fields)

    def refer(self, person: dict[str, Any], offer: Offer | None = None, actor: Any = None,
              expect: int = 201, **body: Any) -> dict[str, Any]:
        payload = {"person_id": person["id"], "offer_id": str((offer or self.offer).id),
                   "message": "Karen vil gerne med", "shared_categories": ALL_CATEGORIES, **body}
        resp = self.client.post("/api/v1/referrals", json=payload, headers=(actor or self.caseworker).headers)
        assert resp.status_code == expect, resp.text
        return resp.json()

    def act(self, referral_id: str, action: str, actor: Any = None, **extra: Any) -> Any:
        if actor is None:
            actor = self.caseworker if action == "withdraw" else self.coordinator
        body = {"action": action, **BODY_EXTRA.get(action, {}), **extra}
        return self.client.post(f"/api/v1/referrals/{referral_id}/transitions", json=body, headers=actor.headers)

    def drive(self, referral_id: str, status: str) -> None:
        """Bring a `sent` referral to `status` the legal way."""
        for action in PATHS[status]:
            if action == "expire":
                self.db.execute(update(Referral).where(Referral.id == uuid.UUID(referral_id))
                                .values(sent_at=utcnow() - timedelta(days=30)))
                assert expire_overdue(self.db) >= 1
                self.db.commit()
                continue
            resp = self.act(referral_id, action)
            assert resp.status_code == 200, resp.text

    def seats(self, offer: Offer | None = None) -> int:
        self.db.expire_all()
        return self.db.scalar(select(Offer.seats_taken).where(Offer.id == (offer or self.offer).id)) or 0


BODY_EXTRA: dict[str, dict[str, Any]] = {
    "decline": {"reason_code": "not_eligible"},
    "end_early": {"reason_code": "transport_barrier"},
    "complete": {"outcome": "attended_regularly"},
}

PATHS: dict[str, list[str]] = {
    "sent": [],
    "accepted": ["accept"],
    "declined": ["decline"],
    "started": ["accept", "start"],
    "completed": ["accept", "start", "complete"],
    "ended_early": ["accept", "start", "end_early"],
    "withdrawn": ["withdraw"],
    "expired": ["expire"],
}


def counts(db: Session) -> dict[str, int]:
    db.expire_all()
    return {m.__tablename__: db.scalar(select(func.count()).select_from(m)) or 0
            for m in (Referral, ReferralTransition, ContactAgreement, ContactLogEntry, LonelinessMeasurement)}


def arrange_committed(session: Session, referrals: int, capacity: int) -> tuple[dict[str, str], Offer, list[uuid.UUID]]:
    """Really committed data for multi-connection tests: returns the provider coordinator's headers, the offer
    and `referrals` sent referrals of one consenting person to it."""
    referrer = Organisation(name="Kommune", kind="municipality", municipality_code="0101")
    provider = Organisation(name="Forening", kind="civil_society", municipality_code="0101")
    session.add_all([referrer, provider])
    session.flush()
    coordinator = User(username=f"coord-{uuid.uuid4().hex[:8]}", password_hash="x", organisation_id=provider.id,
                       role="coordinator")
    caseworker = User(username=f"case-{uuid.uuid4().hex[:8]}", password_hash="x", organisation_id=referrer.id,
                      role="caseworker")
    now = utcnow()
    person = Person(organisation_id=referrer.id, given_name="Karen", family_name="Eksempel", birth_year=1950,
                    municipality_code="0101")
    offer = Offer(organisation_id=provider.id, title="Telefonven", description="Vi ringer", category="phone_friend",
                  mode="phone", nationwide=True, capacity=capacity, status="published", published_at=now)
    session.add_all([coordinator, caseworker, person, offer])
    session.flush()
    consent = Consent(person_id=person.id, data_categories=["interests"], given_by="self", method="written",
                      consent_text_version="2026-1", recorded_by=caseworker.id, given_at=now,
                      expires_at=now + timedelta(days=365))
    session.add(consent)
    session.flush()
    session.add_all([ConsentPurposeRow(consent_id=consent.id, purpose="registration"),
                     ConsentPurposeRow(consent_id=consent.id, purpose="referral_sharing"),
                     ConsentRecipient(consent_id=consent.id, organisation_id=provider.id)])
    ids = []
    for _ in range(referrals):
        r = Referral(person_id=person.id, offer_id=offer.id, referring_organisation_id=referrer.id,
                     provider_organisation_id=provider.id, created_by=caseworker.id, status="sent")
        session.add(r)
        ids.append(r.id)
    session.commit()
    token, _ = issue_token(sub=f"user:{coordinator.id}", org=str(provider.id), role="coordinator",
                           scope=" ".join(sorted(permissions_for("coordinator"))), cv=coordinator.credentials_version)
    return {"Authorization": f"Bearer {token}"}, offer, ids


@pytest.fixture(name="world")
def world_fixture(client: Any, db: Session, make_org: Any, make_user: Any, make_offer: Any) -> World:  # noqa: F811
    org_a = make_org(kind="municipality", name="Eksempel Kommune")
    org_b = make_org(kind="civil_society", name="Besøgsvennerne")
    org_c = make_org(kind="civil_society", name="Andre Venner")
    offer = make_offer(org_b, capacity=5, title="Telefonven", category="phone_friend")
    return World(
        client=client, db=db, org_a=org_a, org_b=org_b, org_c=org_c,
        caseworker=make_user("caseworker", org_a), admin_a=make_user("org_admin", org_a),
        analyst_a=make_user("analyst", org_a), coordinator=make_user("coordinator", org_b),
        caseworker_b=make_user("caseworker", org_b), outsider=make_user("coordinator", org_c),
        outsider_caseworker=make_user("caseworker", org_c), offer=offer)
