"""The referral verbs: create, read, list. REST, GraphQL and FHIR all call these; nothing here commits.

Every verb takes the principal and returns read models (`ReferralDetail`, `ReferralRead`), never a `Referral`
row: what a reader may see of the person is decided here (`reads`), not at a door.

The neighbours: transitions (the state machine, seats, expiry, the consent hook) in `transitions`, the
event feed in `feed`, read models and batch readers in `reads`, the shared access steps in `guards`.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from service.core.pagination import PageParams, keyset_page
from service.core.permissions import Permission, Role
from service.core.principal import Principal
from service.core.types import utcnow
from service.events import ReferralChanged, emit
from service.offers.models import Offer, OfferStatus
from service.organisations.models import Organisation
from service.persons import service as persons
from service.persons.dto import PersonRead
from service.persons.guards import PURPOSE_CASEWORK
from service.persons.models import ConsentPurpose, Person
from service.persons.policy import can_manage, registration_active, sharing_covers, visible_persons
from service.persons.sharing import allowed_categories, sharing_grants
from service.referrals import followups, policy
from service.referrals.dto import ReferralCreate, ReferralDetail, ReferralRead, SharedPerson
from service.referrals.guards import PURPOSE, denied, field_error, load, require_read
from service.referrals.models import Referral, ReferralStatus, ReferralTransition
from service.referrals.reads import brief, detail, from_rows
from service.referrals.summary import summary_join
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


def create(session: Session, principal: Principal, data: ReferralCreate) -> ReferralDetail:
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
    return detail(session, principal, referral)


# --- read --------------------------------------------------------------------------------------------

def _readable(session: Session, principal: Principal, referral_id: uuid.UUID) -> Referral:
    """The referral the caller may read (404 / 403 otherwise, audited); the read itself is audited."""
    referral = load(session, principal, referral_id, "referral.read")
    require_read(session, principal, referral, "referral.read")
    record(session, principal, "referral.read", purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
           criterion={"person_id": str(referral.person_id)})
    return referral


def get(session: Session, principal: Principal, referral_id: uuid.UUID) -> ReferralDetail:
    """One referral with its history and the consent-gated person summary."""
    return detail(session, principal, _readable(session, principal, referral_id))


def get_brief(session: Session, principal: Principal, referral_id: uuid.UUID) -> ReferralRead:
    """One referral without the nested person (`person` is None) — for a door that needs none (FHIR's
    ServiceRequest and Task) or loads it through the batch readers when asked (GraphQL). Audited as `get`."""
    return brief(principal, _readable(session, principal, referral_id))


def list_referrals(session: Session, principal: Principal, params: PageParams,
                   filters: ReferralFilters | None = None, *,
                   with_person: bool = True) -> tuple[list[ReferralRead], str | None]:
    """Readable referrals, oldest first, as read models, in one statement per page; the search and the ids it
    returned are audited. Plain rows: with the consent-gated person summaries joined and aggregated in the same
    query (`summary.summary_join`), or, `with_person=False`, with `person` None for a door that loads it by batch
    reader (GraphQL) or needs none (FHIR)."""
    filters = filters or ReferralFilters()
    _check_list(session, principal, filters)
    stmt = _page_statement(principal.organisation_id, principal.permissions, filters, with_person)
    rows, cursor = keyset_page(session, stmt, [col(Referral.sent_at), col(Referral.id)], params, plain=True)
    _record_list(session, principal, filters, rows)
    return (from_rows(principal, rows) if with_person else [brief(principal, r) for r in rows]), cursor


def _check_list(session: Session, principal: Principal, filters: ReferralFilters) -> None:
    if not (policy.can_read_as_referrer(principal) or policy.can_read_as_provider(principal)):
        denied(session, principal, "referral.list", "role_not_allowed", criterion=filters.criterion())
        raise Forbidden("Your role does not allow reading referrals.")
    if filters.direction not in (None, "sent", "received"):
        raise BadRequest("direction must be sent or received")


@lru_cache(maxsize=1024)
def _page_statement(organisation_id: uuid.UUID, permissions: frozenset[Permission], filters: ReferralFilters,
                    with_person: bool) -> Select[Any]:
    """A list page's statement for a caller, built once and reused (building the visibility and consent clauses
    cost a sixth of an inbox request). The statement depends on nothing else: the caller's organisation and
    permissions decide the rules, and every "now" in it is `CONSENT_NOW`, taken when the statement runs, so a
    reused statement still reads consents at request time."""
    principal = Principal(kind="user", id=uuid.UUID(int=0), organisation_id=organisation_id, role=Role.caseworker,
                          name="", permissions=permissions)  # the rules read only the organisation and permissions
    stmt = _list_statement(principal, select(*Referral.__table__.columns), filters)  # type: ignore[attr-defined]
    return summary_join(stmt, principal) if with_person else stmt


def _list_statement(principal: Principal, stmt: Select[Any], filters: ReferralFilters) -> Select[Any]:
    stmt = stmt.where(policy.readable(principal, filters.direction))
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
    return stmt


def _record_list(session: Session, principal: Principal, filters: ReferralFilters, rows: list[Any]) -> None:
    record(session, principal, "referral.list", purpose=PURPOSE, subject_type="referral",
           criterion={**filters.criterion(), "ids": [str(r.id) for r in rows]}, person_ids=[r.person_id for r in rows])


def read_person(session: Session, principal: Principal, person_id: uuid.UUID) -> PersonRead | SharedPerson:
    """A person as the caller may see them (FHIR's Patient): the holding organisation reads the person (CPR only
    with persons:read_cpr); a provider reads the consent-gated summary of a person referred to it, while the
    consent lasts; anyone else gets 404. Every outcome is audited once."""
    audited = False
    if can_manage(principal):
        try:
            return persons.get(session, principal, person_id)
        except NotFound:  # persons.get audited the refusal
            audited = True
            if not policy.can_read_as_provider(principal):
                raise
    if policy.can_read_as_provider(principal):
        shared, _ = list_referrals(session, principal, PageParams(limit=1),
                                   ReferralFilters(direction="received", person_id=person_id))
        if shared and shared[0].person is not None:
            return shared[0].person
    if not audited:  # a provider role asking for a person not (or no longer) referred to it: a denied read too
        record(session, principal, "person.read", purpose=PURPOSE_CASEWORK, subject_type="person",
               subject_id=person_id, outcome="denied", reason="not_visible")
    raise NotFound("Patient not found.")
