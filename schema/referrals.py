"""Referrals, the event feed, contact agreements and the contact log over GraphQL: the same service
functions as REST.

`Referral.person` (the consent-gated summary), `Referral.offer`, `Referral.history` and the organisations
resolve through per-request dataloaders, so a page of referrals costs a constant number of SQL statements.
"""

import uuid
from datetime import datetime, time
from typing import Annotated, Any

import strawberry

from schema.context import Info
from schema.errors import Problem, attempt, or_none, parse
from schema.loaders import history_loader, offer_loader, organisation_loader, shared_person_loader
from schema.offers import Offer
from schema.organisations import Organisation
from schema.pagination import Connection, page_args
from service.core.principal import Principal
from service.referrals import contacts, feed, policy, service, transitions
from service.referrals.dto import (
    ContactAgreementRead,
    ContactAgreementSet,
    ContactLogCreate,
    ContactLogRead,
    EventRead,
    ReferralCreate,
    TransitionRequest,
)
from service.referrals.dto import DueContact as DueContactRead
from service.referrals.dto import SharedPerson as SharedPersonRead
from service.referrals.models import Cadence as CadenceEnum
from service.referrals.models import ContactChannel as ContactChannelEnum
from service.referrals.models import Outcome as OutcomeEnum
from service.referrals.models import PsychosocialElement as PsychosocialElementEnum
from service.referrals.models import ReasonCode as ReasonCodeEnum
from service.referrals.models import Referral as ReferralModel
from service.referrals.models import ReferralStatus as ReferralStatusEnum
from service.referrals.workflow import Action as ActionEnum
from service.referrals.workflow import allowed_actions

ReferralStatus = strawberry.enum(ReferralStatusEnum)
ReferralAction = strawberry.enum(ActionEnum, name="ReferralAction")
ReasonCode = strawberry.enum(ReasonCodeEnum)
ReferralOutcome = strawberry.enum(OutcomeEnum, name="ReferralOutcome")
ContactChannel = strawberry.enum(ContactChannelEnum)
ContactCadence = strawberry.enum(CadenceEnum, name="ContactCadence")
PsychosocialElement = strawberry.enum(PsychosocialElementEnum)


def _principal(info: Info) -> Principal:
    return info.context.require_principal()


@strawberry.type(description="What the provider may see of a referred person: first name, age group, "
                             "municipality and only the categories the live consent allows. Never CPR or notes.")
class SharedPerson:
    id: uuid.UUID
    given_name: str | None
    age_group: str
    municipality_code: str
    shared_categories: list[str]
    phone: str | None
    email: str | None
    risk_settings: list[str] | None
    accessibility_needs: list[str] | None
    interests: list[str] | None
    loneliness_latest_total: int | None
    preferred_language: str | None = strawberry.field(
        default=None, description="Language to speak with the person; shown with contact_details only.")
    referrer_contact_name: str | None = strawberry.field(
        default=None, description="Who to call back at the referring organisation.")
    referrer_contact_phone: str | None = None
    referrer_contact_email: str | None = None

    @classmethod
    def from_read(cls, p: SharedPersonRead) -> "SharedPerson":
        return cls(**p.model_dump())


@strawberry.type
class ReferralTransition:
    id: int
    action: str
    from_status: str | None
    to_status: str
    reason_code: str | None
    note: str | None
    actor_id: uuid.UUID | None
    actor_organisation_id: uuid.UUID | None
    occurred_at: datetime


@strawberry.type
class Referral:
    id: uuid.UUID
    person_id: uuid.UUID
    offer_id: uuid.UUID
    referring_organisation_id: uuid.UUID
    provider_organisation_id: uuid.UUID
    created_by: uuid.UUID
    message: str | None
    shared_categories: list[str]
    status: ReferralStatus  # type: ignore[valid-type]
    reason_code: ReasonCode | None  # type: ignore[valid-type]
    outcome: ReferralOutcome | None  # type: ignore[valid-type]
    holds_seat: bool
    sent_at: datetime
    accepted_at: datetime | None
    started_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    version: int
    direction: str = strawberry.field(description="sent | received | both, from your organisation's view")
    allowed_actions: list[str] = strawberry.field(description="The transitions you may take now.")

    @strawberry.field(description="The consent-gated person summary (null when the consent no longer allows it).")
    async def person(self, info: Info) -> SharedPerson | None:
        read = await shared_person_loader(info.context).load(self.id)
        return SharedPerson.from_read(read) if read else None

    @strawberry.field(description="The offer, under the offer read rule (null when you may not read it, e.g. "
                                  "the provider's draft).")
    async def offer(self, info: Info) -> Offer | None:
        read = await offer_loader(info.context).load(self.offer_id)
        return Offer.from_read(read) if read else None

    @strawberry.field
    async def referring_organisation(self, info: Info) -> Organisation | None:
        org = await organisation_loader(info.context).load(self.referring_organisation_id)
        return Organisation.from_model(org) if org else None

    @strawberry.field
    async def provider_organisation(self, info: Info) -> Organisation | None:
        org = await organisation_loader(info.context).load(self.provider_organisation_id)
        return Organisation.from_model(org) if org else None

    @strawberry.field(description="Every transition, oldest first.")
    async def history(self, info: Info) -> list[ReferralTransition]:
        rows = await history_loader(info.context).load(self.id)
        return [ReferralTransition(id=t.id, action=t.action, from_status=t.from_status, to_status=t.to_status,
                                   reason_code=t.reason_code, note=t.note, actor_id=t.actor_id,
                                   actor_organisation_id=t.actor_organisation_id, occurred_at=t.occurred_at)
                for t in rows]

    @classmethod
    def from_model(cls, principal: Principal, r: ReferralModel) -> "Referral":
        return cls(
            id=r.id, person_id=r.person_id, offer_id=r.offer_id, referring_organisation_id=r.referring_organisation_id,
            provider_organisation_id=r.provider_organisation_id, created_by=r.created_by, message=r.message,
            shared_categories=list(r.shared_categories or []), status=ReferralStatusEnum(r.status),
            reason_code=ReasonCodeEnum(r.reason_code) if r.reason_code else None,
            outcome=OutcomeEnum(r.outcome) if r.outcome else None, holds_seat=r.holds_seat, sent_at=r.sent_at,
            accepted_at=r.accepted_at, started_at=r.started_at, closed_at=r.closed_at, updated_at=r.updated_at,
            version=r.version, direction=policy.direction(principal, r),
            allowed_actions=allowed_actions(r.status, policy.sides(principal, r)))


@strawberry.type(description="A referral transition as partner front-ends poll it: ids and statuses only.")
class ReferralEvent:
    id: int
    cursor: str
    referral_id: uuid.UUID
    action: str
    from_status: str | None
    to_status: str
    reason_code: str | None
    referring_organisation_id: uuid.UUID
    provider_organisation_id: uuid.UUID
    actor_organisation_id: uuid.UUID | None
    occurred_at: datetime

    @classmethod
    def from_read(cls, e: EventRead) -> "ReferralEvent":
        return cls(**e.model_dump())


@strawberry.type
class EventFeed:
    items: list[ReferralEvent]
    next_cursor: str | None = strawberry.field(description="Pass as `after` on the next poll.")
    has_more: bool


@strawberry.type
class ContactAgreement:
    id: uuid.UUID
    referral_id: uuid.UUID
    channel: str
    cadence: str
    weekday: int | None
    time_of_day: time | None
    note: str | None
    next_contact_at: datetime | None
    next_contact_agenda: str | None
    parked_topics: list[str] = strawberry.field(description="Topics parked at the last contact.")
    last_contact_at: datetime | None
    updated_by: uuid.UUID
    updated_at: datetime

    @classmethod
    def from_read(cls, a: ContactAgreementRead) -> "ContactAgreement":
        return cls(**a.model_dump())


@strawberry.type
class ContactLogEntry:
    id: uuid.UUID
    referral_id: uuid.UUID
    contacted_at: datetime
    duration_minutes: int
    channel: str
    elements: list[str]
    parked_topics: list[str]
    next_contact_at: datetime | None
    next_contact_agenda: str | None
    note: str | None
    recorded_by: uuid.UUID
    created_at: datetime

    @classmethod
    def from_read(cls, e: ContactLogRead) -> "ContactLogEntry":
        return cls(**e.model_dump())


@strawberry.type
class DueContact:
    referral_id: uuid.UUID
    offer_id: uuid.UUID
    referral_status: str
    channel: str
    cadence: str
    next_contact_at: datetime
    overdue: bool
    next_contact_agenda: str | None
    parked_topics: list[str]
    last_contact_at: datetime | None
    person: SharedPerson | None

    @classmethod
    def from_read(cls, d: DueContactRead) -> "DueContact":
        data = d.model_dump(exclude={"person"})
        return cls(**data, person=SharedPerson.from_read(d.person) if d.person else None)


@strawberry.input
class ReferralFilter:
    direction: str | None = strawberry.field(default=None, description="sent | received")
    status: ReferralStatus | None = None  # type: ignore[valid-type]
    offer_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None


@strawberry.input
class ReferralCreateInput:
    person_id: uuid.UUID
    offer_id: uuid.UUID
    message: str | None = strawberry.UNSET
    shared_categories: list[str] | None = strawberry.UNSET
    referrer_contact_name: str | None = strawberry.UNSET
    referrer_contact_phone: str | None = strawberry.UNSET
    referrer_contact_email: str | None = strawberry.UNSET


@strawberry.input
class FollowUpInput:
    item1: int
    item2: int
    item3: int
    measured_at: datetime | None = strawberry.UNSET


@strawberry.input
class TransitionInput:
    action: ReferralAction  # type: ignore[valid-type]
    reason_code: ReasonCode | None = strawberry.UNSET  # type: ignore[valid-type]
    note: str | None = strawberry.UNSET
    outcome: ReferralOutcome | None = strawberry.UNSET  # type: ignore[valid-type]
    follow_up: FollowUpInput | None = strawberry.UNSET


@strawberry.input
class ContactAgreementInput:
    channel: ContactChannel  # type: ignore[valid-type]
    cadence: ContactCadence  # type: ignore[valid-type]
    weekday: int | None = strawberry.UNSET
    time_of_day: time | None = strawberry.UNSET
    note: str | None = strawberry.UNSET
    next_contact_at: datetime | None = strawberry.UNSET


@strawberry.input
class ContactLogInput:
    contacted_at: datetime
    duration_minutes: int
    channel: ContactChannel  # type: ignore[valid-type]
    elements: list[PsychosocialElement] | None = strawberry.UNSET  # type: ignore[valid-type]
    parked_topics: list[str] | None = strawberry.UNSET
    next_contact_at: datetime | None = strawberry.UNSET
    next_contact_agenda: str | None = strawberry.UNSET
    note: str | None = strawberry.UNSET


ReferralResult = Annotated[Referral | Problem, strawberry.union("ReferralResult")]
ContactAgreementResult = Annotated[ContactAgreement | Problem, strawberry.union("ContactAgreementResult")]
ContactLogResult = Annotated[ContactLogEntry | Problem, strawberry.union("ContactLogResult")]


def _clean(data: Any) -> dict[str, Any]:
    """Strawberry input → dict without UNSET (nested inputs included), enums as values."""
    payload = strawberry.asdict(data)

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if v is not strawberry.UNSET}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value.value if hasattr(value, "value") and not isinstance(value, str | int) else value
    cleaned: dict[str, Any] = strip(payload)
    return cleaned


@strawberry.type
class Query:
    @strawberry.field(description="Referrals your organisation sent or received (received ones while consent "
                                  "lets you see them), oldest first.")
    def referrals(self, info: Info, filter: ReferralFilter | None = None, first: int | None = None,
                  after: str | None = None) -> Connection[Referral]:
        principal = _principal(info)
        f = filter or ReferralFilter()
        rows, cursor = service.list_referrals(
            info.context.session, principal, page_args(first, after),
            service.ReferralFilters(direction=f.direction, status=f.status.value if f.status else None,
                                    offer_id=f.offer_id, person_id=f.person_id))
        return Connection(items=[Referral.from_model(principal, r) for r in rows], next_cursor=cursor)

    @strawberry.field
    def referral(self, info: Info, id: uuid.UUID) -> Referral | None:
        principal = _principal(info)
        return or_none(lambda: Referral.from_model(principal, service.get_model(info.context.session, principal, id)))

    @strawberry.field(description="Referral transitions your organisation may see, after the cursor, ascending.")
    def events(self, info: Info, after: str | None = None, first: int | None = None) -> EventFeed:
        limit = page_args(first, None, default=100).limit  # REST's limit rules and errors
        page = feed.events(info.context.session, _principal(info), after, limit)
        return EventFeed(items=[ReferralEvent.from_read(e) for e in page.items], next_cursor=page.next_cursor,
                         has_more=page.has_more)

    @strawberry.field(description="Your organisation's agreed contacts that are due or overdue, soonest first.")
    def contacts_due(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[DueContact]:
        items, cursor = contacts.due_contacts(info.context.session, _principal(info), page_args(first, after))
        return Connection(items=[DueContact.from_read(d) for d in items], next_cursor=cursor)

    @strawberry.field
    def contact_agreement(self, info: Info, referral_id: uuid.UUID) -> ContactAgreement | None:
        return or_none(lambda: ContactAgreement.from_read(
            contacts.get_agreement(info.context.session, _principal(info), referral_id)))

    @strawberry.field
    def contact_log(self, info: Info, referral_id: uuid.UUID, first: int | None = None,
                    after: str | None = None) -> Connection[ContactLogEntry]:
        items, cursor = contacts.list_contacts(info.context.session, _principal(info), referral_id,
                                               page_args(first, after))
        return Connection(items=[ContactLogEntry.from_read(e) for e in items], next_cursor=cursor)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Refer a person to a published offer (needs referral_sharing consent).")
    def create_referral(self, info: Info, input: ReferralCreateInput) -> ReferralResult:
        def run() -> Referral:
            principal = _principal(info)
            referral = service.create(info.context.session, principal, parse(ReferralCreate, _clean(input)))
            return Referral.from_model(principal, referral)
        return attempt(info, run)

    @strawberry.mutation(description="accept | decline | start | complete | end_early | withdraw "
                                     "(illegal → Problem 409 with allowedActions).")
    def transition_referral(self, info: Info, id: uuid.UUID, input: TransitionInput) -> ReferralResult:
        def run() -> Referral:
            principal = _principal(info)
            referral = transitions.transition(info.context.session, principal, id,
                                          parse(TransitionRequest, _clean(input)))
            return Referral.from_model(principal, referral)
        return attempt(info, run)

    @strawberry.mutation(description="Record or replace the contact agreement (provider only).")
    def set_contact_agreement(self, info: Info, referral_id: uuid.UUID,
                              input: ContactAgreementInput) -> ContactAgreementResult:
        def run() -> ContactAgreement:
            read, _ = contacts.set_agreement(info.context.session, _principal(info), referral_id,
                                             parse(ContactAgreementSet, _clean(input)))
            return ContactAgreement.from_read(read)
        return attempt(info, run)

    @strawberry.mutation(description="Log a contact with the psychosocial elements, parked topics and next contact.")
    def log_contact(self, info: Info, referral_id: uuid.UUID, input: ContactLogInput) -> ContactLogResult:
        def run() -> ContactLogEntry:
            read = contacts.log_contact(info.context.session, _principal(info), referral_id,
                                        parse(ContactLogCreate, _clean(input)))
            return ContactLogEntry.from_read(read)
        return attempt(info, run)
