"""The referral verbs: create, read, list, transition, expire, the event feed. REST and GraphQL both call
these; nothing here commits.

Every transition goes through `_apply` with the one table in `workflow.TRANSITIONS`, appends a
`ReferralTransition` (the event log) and is audited. Acceptance takes a place on the offer with one
conditional UPDATE (no overbooking, whatever the concurrency); withdrawal, completion and early end give it
back. A consent hook withdraws open referrals when the `referral_sharing` consent (or the registration)
ends, so the provider loses access at once.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from service.core.idempotency import forget_responses_about
from service.core.pagination import MAX_LIMIT, PageParams, keyset_page
from service.core.permissions import Permission
from service.core.principal import Principal
from service.core.settings import get_settings
from service.core.types import utcnow
from service.events import ReferralChanged, emit
from service.offers.models import Offer, OfferStatus
from service.offers.service import has_capacity_clause
from service.organisations.models import Organisation
from service.persons.models import ConsentPurpose, LonelinessMeasurement, MeasurementContext, Person
from service.persons.policy import (
    active_consent,
    provider_consent_live,
    registration_active,
    sharing_covers,
    visible_persons,
)
from service.persons.service import register_consent_hook
from service.referrals import policy
from service.referrals.dto import (
    EventPage,
    EventRead,
    FollowUpMeasurement,
    ReferralCreate,
    ReferralDetail,
    ReferralRead,
    SharedPerson,
    TransitionRead,
    TransitionRequest,
)
from service.referrals.models import (
    ContactAgreement,
    ContactLogEntry,
    ReasonCode,
    Referral,
    ReferralStatus,
    ReferralTransition,
)
from service.referrals.summary import allowed_categories, shared_persons, sharing_grants
from service.referrals.workflow import OPEN_STATUSES, TRANSITIONS, Action, Transition, allowed_actions

PURPOSE = "referral_coordination"
SEND = "send"  # the event of a new referral (not a transition a caller can request)
S = ReferralStatus


class NoCapacity(Conflict):
    slug = "no-capacity"


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


# --- read models -------------------------------------------------------------------------------------

def _transition_read(t: ReferralTransition) -> TransitionRead:
    assert t.id is not None  # flushed
    return TransitionRead(id=t.id, action=t.action, from_status=t.from_status, to_status=t.to_status,
                          reason_code=t.reason_code, note=t.note, actor_id=t.actor_id,
                          actor_organisation_id=t.actor_organisation_id, occurred_at=t.occurred_at)


def _fields(principal: Principal, r: Referral) -> dict[str, Any]:
    return {
        "id": r.id, "person_id": r.person_id, "offer_id": r.offer_id,
        "referring_organisation_id": r.referring_organisation_id,
        "provider_organisation_id": r.provider_organisation_id, "created_by": r.created_by, "message": r.message,
        "shared_categories": list(r.shared_categories or []), "status": r.status, "reason_code": r.reason_code,
        "outcome": r.outcome, "holds_seat": r.holds_seat, "sent_at": r.sent_at, "accepted_at": r.accepted_at,
        "started_at": r.started_at, "closed_at": r.closed_at, "updated_at": r.updated_at, "version": r.version,
        "direction": policy.direction(principal, r),
        "allowed_actions": allowed_actions(r.status, policy.sides(principal, r)),
    }


def present(session: Session, principal: Principal, referrals: list[Referral]) -> list[ReferralRead]:
    """List read models for already readable referrals (a constant number of statements per page)."""
    persons = shared_persons(session, principal, referrals)
    return [ReferralRead(**_fields(principal, r), person=persons[r.id]) for r in referrals]


def shared_persons_of(session: Session, principal: Principal,
                      referral_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, SharedPerson | None]:
    """The batch reader for GraphQL's `Referral.person`: the consent-gated summaries of the referrals among
    `referral_ids` the caller may read (`policy.readable`); constant statements per batch."""
    ids = set(referral_ids)
    rows = list(session.scalars(select(Referral).where(col(Referral.id).in_(ids), policy.readable(principal)))) \
        if ids else []
    return shared_persons(session, principal, rows)


def histories(session: Session, principal: Principal,
              referral_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[TransitionRead]]:
    """The batch reader for GraphQL's `Referral.history`: every transition of the readable referrals among
    `referral_ids`, oldest first, in one statement."""
    ids = set(referral_ids)
    out: dict[uuid.UUID, list[TransitionRead]] = {}
    if ids:
        for t in session.scalars(select(ReferralTransition).join(Referral, col(Referral.id) == col(
                ReferralTransition.referral_id)).where(col(Referral.id).in_(ids), policy.readable(principal))
                .order_by(col(ReferralTransition.id))):
            out.setdefault(t.referral_id, []).append(_transition_read(t))
    return out


def detail(session: Session, principal: Principal, r: Referral) -> ReferralDetail:
    history = session.scalars(select(ReferralTransition).where(col(ReferralTransition.referral_id) == r.id)
                              .order_by(col(ReferralTransition.id)))
    return ReferralDetail(**_fields(principal, r), person=shared_persons(session, principal, [r])[r.id],
                          history=[_transition_read(t) for t in history])


# --- access ------------------------------------------------------------------------------------------

def _denied(session: Session, principal: Principal, action: str, reason: str,
            subject_id: uuid.UUID | None = None, criterion: dict[str, Any] | None = None) -> None:
    record(session, principal, action, purpose=PURPOSE, subject_type="referral", subject_id=subject_id,
           outcome="denied", reason=reason, criterion=criterion)


def load(session: Session, principal: Principal, referral_id: uuid.UUID, action: str,
         for_update: bool = False) -> Referral:
    """The referral if the caller's organisation is party to it (and, as provider, the consent lets it
    see it) — else 404, audited as a denied attempt."""
    stmt = select(Referral).where(col(Referral.id) == referral_id, policy.organisation_visible(principal))
    if for_update:
        stmt = stmt.with_for_update(of=Referral).execution_options(populate_existing=True)
    referral = session.scalar(stmt)
    if referral is None:
        _denied(session, principal, action, "not_visible", referral_id)
        raise NotFound("Referral not found.")
    return referral


def _require_read(session: Session, principal: Principal, referral: Referral, action: str) -> None:
    if not policy.may_read(principal, referral):
        _denied(session, principal, action, "role_not_allowed", referral.id)
        raise Forbidden("Your role does not allow reading this referral.")


# --- create ------------------------------------------------------------------------------------------

def _field_error(field: str, message: str, code: str) -> list[dict[str, str]]:
    return [{"field": field, "message": message, "code": code}]


def create(session: Session, principal: Principal, data: ReferralCreate) -> Referral:
    if not principal.can(Permission.referrals_send):
        _denied(session, principal, "referral.create", "role_not_allowed")
        raise Forbidden("Your role does not allow sending referrals.")
    person = session.scalar(select(Person).where(col(Person.id) == data.person_id, visible_persons(principal)))
    if person is None:
        _denied(session, principal, "referral.create", "person_not_visible", criterion={
            "person_id": str(data.person_id)})
        raise NotFound("Person not found.")
    if not session.scalar(select(registration_active()).select_from(Person).where(col(Person.id) == person.id)):
        raise Unprocessable("The person's registration consent is withdrawn or expired.",
                            errors=_field_error("person_id", "registration is not active", "registration_inactive"),
                            missing_consent=ConsentPurpose.registration.value)
    offer = session.get(Offer, data.offer_id)
    if offer is None or offer.status != OfferStatus.published:
        raise Unprocessable("The offer does not exist or is not published.",
                            errors=_field_error("offer_id", "no published offer with this id", "offer_not_published"))
    provider_id = offer.organisation_id
    if not session.scalar(select(sharing_covers(person.id, provider_id))):
        raise Unprocessable(
            "Missing consent: the person has no active referral_sharing consent naming the provider organisation.",
            errors=_field_error("person_id", "missing consent: referral_sharing for the provider organisation",
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
                      "shared_categories": referral.shared_categories})
    return referral


# --- read --------------------------------------------------------------------------------------------

def get(session: Session, principal: Principal, referral_id: uuid.UUID) -> ReferralDetail:
    referral = load(session, principal, referral_id, "referral.read")
    _require_read(session, principal, referral, "referral.read")
    record(session, principal, "referral.read", purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
           criterion={"person_id": str(referral.person_id)})
    return detail(session, principal, referral)


def get_model(session: Session, principal: Principal, referral_id: uuid.UUID) -> Referral:
    """The readable referral row (GraphQL builds its own read model); audited like `get`."""
    referral = load(session, principal, referral_id, "referral.read")
    _require_read(session, principal, referral, "referral.read")
    record(session, principal, "referral.read", purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
           criterion={"person_id": str(referral.person_id)})
    return referral


def list_referrals(session: Session, principal: Principal, params: PageParams,
                   filters: ReferralFilters | None = None) -> tuple[list[Referral], str | None]:
    """Readable referrals, oldest first; the search and the ids it returned are audited."""
    filters = filters or ReferralFilters()
    if not (policy.can_read_as_referrer(principal) or policy.can_read_as_provider(principal)):
        _denied(session, principal, "referral.list", "role_not_allowed", criterion=filters.criterion())
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


# --- transitions -------------------------------------------------------------------------------------

def _take_seat(session: Session, offer_id: uuid.UUID) -> bool:
    """One place on the offer, atomically: the conditional UPDATE either takes it or changes nothing."""
    result = session.execute(
        update(Offer).where(col(Offer.id) == offer_id, has_capacity_clause())
        .values(seats_taken=col(Offer.seats_taken) + 1).execution_options(synchronize_session="fetch"))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _release_seat(session: Session, offer_id: uuid.UUID) -> None:
    session.execute(update(Offer).where(col(Offer.id) == offer_id, col(Offer.seats_taken) > 0)
                    .values(seats_taken=col(Offer.seats_taken) - 1).execution_options(synchronize_session="fetch"))


def _apply(session: Session, referral: Referral, t: Transition, actor: Principal | None, *,
           reason: str | None = None, note: str | None = None, outcome: str | None = None) -> ReferralTransition:
    now = utcnow()
    previous = referral.status
    if t.takes_seat:
        offer_status = session.scalar(select(Offer.status).where(col(Offer.id) == referral.offer_id))
        if offer_status != "published":
            sides = policy.sides(actor, referral) if actor else set()
            raise Conflict(f"The offer is {offer_status}; it takes no new participants.", code="offer_not_published",
                           current_status=previous, allowed_actions=allowed_actions(previous, sides))
        if not _take_seat(session, referral.offer_id):
            sides = policy.sides(actor, referral) if actor else set()
            raise NoCapacity("The offer has no free place; the referral stays sent.", code="no_capacity",
                             current_status=previous, allowed_actions=allowed_actions(previous, sides))
        referral.holds_seat = True
        referral.accepted_at = now
    if t.releases_seat and referral.holds_seat:
        _release_seat(session, referral.offer_id)
        referral.holds_seat = False
    if t.target == S.started:
        referral.started_at = now
    if t.target not in OPEN_STATUSES:
        referral.closed_at = now
    if reason is not None:
        referral.reason_code = reason
    if outcome is not None:
        referral.outcome = outcome
    referral.status = t.target
    referral.version += 1
    referral.updated_at = now
    session.add(referral)
    event = ReferralTransition(
        referral_id=referral.id, action=t.action, from_status=previous, to_status=t.target, reason_code=reason,
        note=note, actor_id=actor.id if actor else None, actor_organisation_id=actor.organisation_id if actor else None,
        referring_organisation_id=referral.referring_organisation_id,
        provider_organisation_id=referral.provider_organisation_id, occurred_at=now)
    session.add(event)
    session.flush()
    emit(session, ReferralChanged.of(t.action, referral))
    record(session, actor, "referral.transition", purpose=PURPOSE, subject_type="referral", subject_id=referral.id,
           criterion={"action": str(t.action), "from": previous, "to": str(t.target), "reason_code": reason},
           organisation_id=None if actor else referral.referring_organisation_id,
           actor_type="system" if actor is None else None)
    return event


def _record_follow_up(session: Session, principal: Principal, referral: Referral, data: FollowUpMeasurement) -> None:
    if not session.scalar(select(active_consent(ConsentPurpose.outcome_followup, person_id=referral.person_id))):
        raise Unprocessable(
            "Missing consent: a follow-up measurement needs an active outcome_followup consent of the person.",
            errors=_field_error("follow_up", "missing consent: outcome_followup", "consent_missing"),
            missing_consent=ConsentPurpose.outcome_followup.value)
    person = session.scalar(select(Person).where(col(Person.id) == referral.person_id).with_for_update())
    assert person is not None  # foreign key
    measured_at = data.measured_at or utcnow()
    total = data.item1 + data.item2 + data.item3
    intake = session.scalar(select(LonelinessMeasurement.total)
                            .where(col(LonelinessMeasurement.person_id) == person.id,
                                   col(LonelinessMeasurement.context) == MeasurementContext.intake,
                                   col(LonelinessMeasurement.measured_at) <= measured_at)
                            .order_by(col(LonelinessMeasurement.measured_at).desc()).limit(1))
    m = LonelinessMeasurement(person_id=person.id, item1=data.item1, item2=data.item2, item3=data.item3,
                              total=total, measured_at=measured_at, tils_change=None if intake is None
                              else total - intake, context=MeasurementContext.follow_up, referral_id=referral.id,
                              recorded_by=principal.id)
    session.add(m)
    if person.loneliness_latest_at is None or m.measured_at >= person.loneliness_latest_at:
        person.loneliness_latest_total, person.loneliness_latest_at = m.total, m.measured_at
    person.version += 1
    person.updated_at = utcnow()
    session.add(person)
    session.flush()
    record(session, principal, "measurement.record", purpose=PURPOSE, subject_type="person", subject_id=person.id,
           criterion={"measurement_id": str(m.id), "context": MeasurementContext.follow_up,
                      "referral_id": str(referral.id)})


def transition(session: Session, principal: Principal, referral_id: uuid.UUID,
               request: TransitionRequest) -> Referral:
    """Take `request.action` on the referral: 404 invisible, 403 wrong side or role, 409 illegal now."""
    action = "referral.transition"
    referral = load(session, principal, referral_id, action, for_update=True)
    t = TRANSITIONS[Action(request.action)]
    sides = policy.sides(principal, referral)
    criterion = {"action": str(request.action), "status": referral.status}
    if t.side not in sides:
        _denied(session, principal, action, "side_not_allowed", referral.id, criterion)
        raise Forbidden(f"Only the {t.side.value} organisation (with the right role) may {t.action.value} "
                        "this referral.", allowed_actions=allowed_actions(referral.status, sides),
                        current_status=referral.status)
    if referral.status not in t.source:
        allowed = allowed_actions(referral.status, sides)
        _denied(session, principal, action, "illegal_transition", referral.id, criterion)
        raise Conflict(f"The action {request.action.value} is not allowed on a {referral.status} referral; "
                       f"allowed: {', '.join(allowed) or 'none'}.", current_status=referral.status,
                       allowed_actions=allowed)
    try:
        _apply(session, referral, t, principal, reason=str(request.reason_code) if request.reason_code else None,
               note=request.note, outcome=str(request.outcome) if request.outcome else None)
    except NoCapacity:
        _denied(session, principal, action, "no_capacity", referral.id, criterion)
        raise
    if request.follow_up is not None:
        _record_follow_up(session, principal, referral, request.follow_up)
    return referral


def withdraw_uncovered(session: Session, principal: Principal | None, person_id: uuid.UUID) -> int:
    """Withdraw every open referral of the person that the consents no longer cover (reason
    consent_withdrawn); their places are released. Returns how many."""
    covered = provider_consent_live(col(Referral.person_id), col(Referral.provider_organisation_id))
    rows = list(session.scalars(select(Referral).where(col(Referral.person_id) == person_id,
                                                       col(Referral.status).in_(OPEN_STATUSES), ~covered)
                                .order_by(col(Referral.sent_at), col(Referral.id)).with_for_update(of=Referral)))
    for referral in rows:
        _apply(session, referral, TRANSITIONS[Action.withdraw], principal, reason=ReasonCode.consent_withdrawn)
    return len(rows)


def _scrub_free_text(session: Session, person_id: uuid.UUID) -> None:
    """Once the person is erased, the free texts about them go too (messages, notes, parked topics)."""
    ids = select(Referral.id).where(col(Referral.person_id) == person_id).scalar_subquery()
    session.execute(update(Referral).where(col(Referral.person_id) == person_id).values(message=None)
                    .execution_options(synchronize_session="fetch"))
    session.execute(update(ReferralTransition).where(col(ReferralTransition.referral_id).in_(ids)).values(note=None)
                    .execution_options(synchronize_session="fetch"))
    session.execute(update(ContactLogEntry).where(col(ContactLogEntry.referral_id).in_(ids))
                    .values(note=None, parked_topics=[], next_contact_agenda=None)
                    .execution_options(synchronize_session="fetch"))
    session.execute(update(ContactAgreement).where(col(ContactAgreement.referral_id).in_(ids)).values(note=None)
                    .execution_options(synchronize_session="fetch"))


@register_consent_hook
def _on_consent_ended(session: Session, principal: Principal | None, person: Person, consent: Any,
                      purposes: frozenset[str], cause: str) -> None:
    """`referral_sharing` (or the registration) ended: open referrals it covered are withdrawn at once."""
    if not purposes & {ConsentPurpose.referral_sharing, ConsentPurpose.registration}:
        return
    withdraw_uncovered(session, principal, person.id)
    # A stored response replayed for an Idempotency-Key would show the provider what it may no longer see.
    forget_responses_about(session, person.id)
    if ConsentPurpose.registration in purposes and not session.scalar(
            select(active_consent(ConsentPurpose.registration, person_id=person.id))):
        _scrub_free_text(session, person.id)


def expire_overdue(session: Session, now: datetime | None = None) -> int:
    """`sent` referrals older than TVAERS_REFERRAL_SLA_DAYS become `expired` (sla_expired); idempotent."""
    at = now or utcnow()
    cutoff = at - timedelta(days=get_settings().referral_sla_days)
    rows = list(session.scalars(select(Referral).where(col(Referral.status) == S.sent, col(Referral.sent_at) <= cutoff)
                                .order_by(col(Referral.sent_at), col(Referral.id)).with_for_update(of=Referral)))
    for referral in rows:
        _apply(session, referral, TRANSITIONS[Action.expire], None, reason=ReasonCode.sla_expired)
    return len(rows)


# --- events ------------------------------------------------------------------------------------------

def _parse_after(after: str | None) -> int:
    if after is None or after == "":
        return 0
    if not after.isdigit() or len(after) > 18:
        raise BadRequest("after must be a cursor returned as next_cursor",
                         errors=_field_error("after", "not a cursor", "invalid_cursor"))
    return int(after)


def events(session: Session, principal: Principal, after: str | None, limit: int = 100) -> EventPage:
    """Transitions the organisation may see (sent or received referrals), ascending, after the cursor."""
    if not (policy.can_read_as_referrer(principal) or policy.can_read_as_provider(principal)):
        _denied(session, principal, "referral.events", "role_not_allowed")
        raise Forbidden("Your role does not allow reading referral events.")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    start = _parse_after(after)
    rows = list(session.scalars(select(ReferralTransition)
                                .where(col(ReferralTransition.id) > start, policy.events_visible(principal))
                                .order_by(col(ReferralTransition.id)).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    items = [EventRead(id=e.id, cursor=str(e.id), referral_id=e.referral_id, action=e.action,
                       from_status=e.from_status, to_status=e.to_status, reason_code=e.reason_code,
                       referring_organisation_id=e.referring_organisation_id,
                       provider_organisation_id=e.provider_organisation_id,
                       actor_organisation_id=e.actor_organisation_id, occurred_at=e.occurred_at)
             for e in rows if e.id is not None]
    record(session, principal, "referral.events", purpose=PURPOSE, subject_type="referral",
           criterion={"after": start, "count": len(items)})
    next_cursor = items[-1].cursor if items else (str(start) if start else None)
    return EventPage(items=items, next_cursor=next_cursor, has_more=has_more)
