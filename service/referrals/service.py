"""The referral verbs: create, read, list. REST and GraphQL both call these; nothing here commits.

The neighbours: transitions (the state machine, seats, expiry, the consent hook) in `transitions`, the
event feed in `feed`, read models and batch readers in `reads`, the shared access steps in `guards`.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.core.types import utcnow
from service.events import ReferralChanged, emit
from service.offers.models import Offer, OfferStatus
from service.organisations.models import Organisation
from service.persons.models import ConsentPurpose, Person
from service.persons.policy import registration_active, sharing_covers, visible_persons
from service.persons.sharing import allowed_categories, sharing_grants
from service.referrals import followups, policy
from service.referrals.dto import ReferralCreate, ReferralDetail
from service.referrals.guards import PURPOSE, denied, field_error, load, require_read
from service.referrals.models import Referral, ReferralStatus, ReferralTransition
from service.referrals.reads import detail
from service.referrals.workflow import OPEN_STATUSES

SEND = "send"  # the event of a new referral (not a transition a caller can request)
S = ReferralStatus


@dataclass(frozen=True)
class ReferralFilters:
    direction: str | None = None  # sent | received
    status: str | None = None
    offer_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    # The FHIR door's searches: any of several statuses, given ids, and an updated_at window [from, before).
    statuses: tuple[str, ...] | None = None
    referral_ids: tuple[uuid.UUID, ...] | None = None
    updated_from: datetime | None = None
    updated_before: datetime | None = None

    def criterion(self) -> dict[str, Any]:
        return {k: [str(x) for x in v] if isinstance(v, tuple) else str(v)
                for k, v in self.__dict__.items() if v is not None}


def create(session: Session, principal: Principal, data: ReferralCreate) -> Referral:
    if not policy.can_send(principal):
        denied(session, principal, "referral.create", "role_not_allowed")
        raise Forbidden("Your role does not allow sending referrals.")
    person = session.scalar(select(Person).where(col(Person.id) == data.person_id, visible_persons(principal)))
    if person is None:
        denied(session, principal, "referral.create", "person_not_visible", criterion={
            "person_id": str(data.person_id)})
        raise NotFound("Person not found.")
    if not session.scalar(select(registration_active()).select_from(Person).where(col(Person.id) == person.id)):
        raise Unprocessable("The person's registration consent is withdrawn or expired.",
                            errors=field_error("person_id", "registration is not active", "registration_inactive"),
                            missing_consent=ConsentPurpose.registration.value)
    offer = session.get(Offer, data.offer_id)
    if offer is None or offer.status != OfferStatus.published:
        raise Unprocessable("The offer does not exist or is not published.",
                            errors=field_error("offer_id", "no published offer with this id", "offer_not_published"))
    provider_id = offer.organisation_id
    if not session.scalar(select(sharing_covers(person.id, provider_id))):
        raise Unprocessable(
            "Missing consent: the person has no active referral_sharing consent naming the provider organisation.",
            errors=field_error("person_id", "missing consent: referral_sharing for the provider organisation",
                                "consent_missing"),
            missing_consent=ConsentPurpose.referral_sharing.value)
    provider_kind = session.scalar(select(Organisation.kind).where(col(Organisation.id) == provider_id))
    consented = allowed_categories(sharing_grants(session, [person.id]).get(person.id, []), provider_id,
                                   provider_kind)
    beyond = sorted({str(c) for c in data.shared_categories} - consented)
    if beyond:
        raise Unprocessable("The consent does not allow sharing every chosen data category.",
                            errors=[{"field": "shared_categories", "message": f"{c} is not covered by the consent",
                                     "code": "consent_missing"} for c in beyond],
                            missing_consent=ConsentPurpose.referral_sharing.value)
    duplicate = session.scalar(select(Referral.id).where(
        col(Referral.person_id) == person.id, col(Referral.offer_id) == offer.id,
        col(Referral.status).in_(OPEN_STATUSES)))
    if duplicate is not None:
        raise Conflict("The person already has an open referral to this offer.", existing_referral_id=str(duplicate))
    now = utcnow()
    referral = Referral(person_id=person.id, offer_id=offer.id, referring_organisation_id=principal.organisation_id,
                        provider_organisation_id=provider_id, created_by=principal.id, message=data.message,
                        shared_categories=[str(c) for c in data.shared_categories], status=S.sent, sent_at=now,
                        updated_at=now, referrer_contact_name=data.referrer_contact_name,
                        referrer_contact_phone=data.referrer_contact_phone,
                        referrer_contact_email=str(data.referrer_contact_email) if data.referrer_contact_email
                        else None)
    session.add(referral)
    session.flush()
    session.add(ReferralTransition(
        referral_id=referral.id, action=SEND, from_status=None, to_status=S.sent, actor_id=principal.id,
        actor_organisation_id=principal.organisation_id, referring_organisation_id=referral.referring_organisation_id,
        provider_organisation_id=provider_id, occurred_at=now))
    session.flush()
    emit(session, ReferralChanged.of(SEND, referral))
    record(session, principal, "referral.create", purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
           criterion={"person_id": str(person.id), "offer_id": str(offer.id),
                      "shared_categories": referral.shared_categories, "goals": len(data.goals)})
    if data.goals:  # agreed with the person at referral: written in the same transaction
        followups.write_goals(session, principal, referral, data.goals)
    return referral


# --- read --------------------------------------------------------------------------------------------

def get(session: Session, principal: Principal, referral_id: uuid.UUID) -> ReferralDetail:
    referral = load(session, principal, referral_id, "referral.read")
    require_read(session, principal, referral, "referral.read")
    record(session, principal, "referral.read", purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
           criterion={"person_id": str(referral.person_id)})
    return detail(session, principal, referral)


def get_model(session: Session, principal: Principal, referral_id: uuid.UUID) -> Referral:
    """The readable referral row (GraphQL builds its own read model); audited like `get`."""
    referral = load(session, principal, referral_id, "referral.read")
    require_read(session, principal, referral, "referral.read")
    record(session, principal, "referral.read", purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
           criterion={"person_id": str(referral.person_id)})
    return referral


def list_referrals(session: Session, principal: Principal, params: PageParams,
                   filters: ReferralFilters | None = None) -> tuple[list[Referral], str | None]:
    """Readable referrals, oldest first; the search and the ids it returned are audited."""
    filters = filters or ReferralFilters()
    if not (policy.can_read_as_referrer(principal) or policy.can_read_as_provider(principal)):
        denied(session, principal, "referral.list", "role_not_allowed", criterion=filters.criterion())
        raise Forbidden("Your role does not allow reading referrals.")
    if filters.direction not in (None, "sent", "received"):
        raise BadRequest("direction must be sent or received")
    stmt = select(Referral).where(policy.readable(principal, filters.direction))
    if filters.status:
        stmt = stmt.where(col(Referral.status) == filters.status)
    if filters.offer_id:
        stmt = stmt.where(col(Referral.offer_id) == filters.offer_id)
    if filters.person_id:
        stmt = stmt.where(col(Referral.person_id) == filters.person_id)
    if filters.statuses is not None:
        stmt = stmt.where(col(Referral.status).in_(filters.statuses))
    if filters.referral_ids is not None:
        stmt = stmt.where(col(Referral.id).in_(filters.referral_ids))
    if filters.updated_from is not None:
        stmt = stmt.where(col(Referral.updated_at) >= filters.updated_from)
    if filters.updated_before is not None:
        stmt = stmt.where(col(Referral.updated_at) < filters.updated_before)
    rows, cursor = keyset_page(session, stmt, [Referral.sent_at, Referral.id], params)  # type: ignore[list-item]
    record(session, principal, "referral.list", purpose=PURPOSE, subject_type="referral",
           criterion={**filters.criterion(), "ids": [str(r.id) for r in rows]}, person_ids=[r.person_id for r in rows])
    return rows, cursor
