"""Referrals, the event feed, contact agreements and the contact log over GraphQL: the same service
functions as REST; every type is derived from its read model.

`Referral.person` (the consent-gated summary), `Referral.offer`, `Referral.history` and the organisations
resolve through per-request dataloaders, so a page of referrals costs a constant number of SQL statements.
"""

import uuid
from typing import Annotated

import strawberry

from schema.contact_types import (
    GoalInput,  # noqa: F401  (derived before ReferralCreateInput, which nests it)
    ParkedTopic,  # noqa: F401  (derived before ContactAgreement, which nests it)
)
from schema.context import Info
from schema.derive import ReadType, input_type, read_type
from schema.enums import Outcome, ReasonCode, ReferralStatus
from schema.errors import Problem, mutation_result, null_if_not_found, parse
from schema.offers import Offer
from schema.organisations import Organisation
from schema.pagination import Connection, connection, page_args
from service.core.principal import Principal
from service.referrals import contacts, due, feed, service, transitions
from service.referrals.dto import (
    ContactAgreementRead,
    ContactAgreementSet,
    ContactLogCreate,
    ContactLogRead,
    EventPage,
    EventRead,
    FollowUpMeasurement,
    ReferralCreate,
    ReferralRead,
    TransitionRead,
    TransitionRequest,
)
from service.referrals.dto import (
    DueContact as DueContactRead,
)
from service.referrals.dto import (
    SharedPerson as SharedPersonRead,
)
from service.referrals.due import DueWindow


def _principal(info: Info) -> Principal:
    return info.context.require_principal()


@read_type(SharedPersonRead, name="SharedPerson", descriptions={"shared_categories": None},
           description="What the provider may see of a referred person: first name, age group, municipality and "
                       "only the categories the live consent allows. Never CPR or notes.")
class SharedPerson(ReadType[SharedPersonRead]):
    pass


@read_type(TransitionRead, name="ReferralTransition")
class ReferralTransition(ReadType[TransitionRead]):
    pass


@read_type(ReferralRead, descriptions={"direction": "sent | received | both, from your organisation's view"})
class Referral(ReadType[ReferralRead]):
    status: ReferralStatus
    reason_code: ReasonCode | None
    outcome: Outcome | None

    @strawberry.field(description="The consent-gated person summary (null when the consent no longer allows it).")
    async def person(self, root: strawberry.Parent[ReferralRead], info: Info) -> SharedPerson | None:
        return SharedPerson.from_read(await info.context.loaders.referral_person.load(root.id))

    @strawberry.field(description="The offer, under the offer read rule (null when you may not read it, e.g. "
                                  "the provider's draft).")
    async def offer(self, root: strawberry.Parent[ReferralRead], info: Info) -> Offer | None:
        return Offer.from_read(await info.context.loaders.offer.load(root.offer_id))

    @strawberry.field
    async def referring_organisation(self, root: strawberry.Parent[ReferralRead],
                                     info: Info) -> Organisation | None:
        return Organisation.from_read(await info.context.loaders.organisation.load(root.referring_organisation_id))

    @strawberry.field
    async def provider_organisation(self, root: strawberry.Parent[ReferralRead], info: Info) -> Organisation | None:
        return Organisation.from_read(await info.context.loaders.organisation.load(root.provider_organisation_id))

    @strawberry.field(description="Every transition, oldest first.")
    async def history(self, root: strawberry.Parent[ReferralRead], info: Info) -> list[ReferralTransition]:
        return ReferralTransition.from_reads(await info.context.loaders.referral_history.load(root.id))


@read_type(EventRead, name="ReferralEvent",
           description="A referral transition as partner front-ends poll it: ids and statuses only.")
class ReferralEvent(ReadType[EventRead]):
    pass


@read_type(EventPage, name="EventFeed", descriptions={"next_cursor": "Pass as `after` on the next poll."})
class EventFeed(ReadType[EventPage]):
    pass


@read_type(ContactAgreementRead, name="ContactAgreement", descriptions={
    "next_contact_agenda": None, "parked_topics": "Topics parked at the last contact."})
class ContactAgreement(ReadType[ContactAgreementRead]):
    pass


@read_type(ContactLogRead, name="ContactLogEntry")
class ContactLogEntry(ReadType[ContactLogRead]):
    pass


@read_type(DueContactRead, name="DueContact", descriptions={"overdue": None, "parked_topics": None})
class DueContact(ReadType[DueContactRead]):
    pass


@strawberry.input
class ReferralFilter:
    direction: str | None = strawberry.field(default=None, description="sent | received")
    status: ReferralStatus | None = None
    offer_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None


@input_type(ReferralCreate)
class ReferralCreateInput:
    shared_categories: list[str] | None  # published as text before it was derived (the DTO's enum)


@input_type(FollowUpMeasurement)
class FollowUpInput:
    pass


@input_type(TransitionRequest)
class TransitionInput:
    pass


@input_type(ContactAgreementSet)
class ContactAgreementInput:
    pass


@input_type(ContactLogCreate)
class ContactLogInput:
    pass


ReferralResult = Annotated[Referral | Problem, strawberry.union("ReferralResult")]
ContactAgreementResult = Annotated[ContactAgreement | Problem, strawberry.union("ContactAgreementResult")]
ContactLogResult = Annotated[ContactLogEntry | Problem, strawberry.union("ContactLogResult")]


@strawberry.type
class Query:
    @strawberry.field(description="Referrals your organisation sent or received (received ones while consent "
                                  "lets you see them), oldest first.")
    def referrals(self, info: Info, filter: ReferralFilter | None = None, first: int | None = None,
                  after: str | None = None) -> Connection[Referral]:
        principal = _principal(info)
        f = filter or ReferralFilter()
        return connection(service.list_referrals(
            info.context.session, principal, page_args(first, after),
            service.ReferralFilters(direction=f.direction, status=f.status.value if f.status else None,
                                    offer_id=f.offer_id, person_id=f.person_id), with_person=False))

    @strawberry.field
    @null_if_not_found
    def referral(self, info: Info, id: uuid.UUID) -> Referral | None:
        return Referral.from_read(service.get_brief(info.context.session, _principal(info), id))

    @strawberry.field(description="Referral transitions your organisation may see, after the cursor, ascending.")
    def events(self, info: Info, after: str | None = None, first: int | None = None) -> EventFeed:
        limit = page_args(first, None, default=100).limit  # REST's limit rules and errors
        return EventFeed.from_read(feed.events(info.context.session, _principal(info), after, limit))

    @strawberry.field(description="Your organisation's agreed contacts in the window (Copenhagen time), soonest "
                                  "first; mine: those you are volunteer or stand-in of.")
    def contacts_due(self, info: Info, first: int | None = None, after: str | None = None,
                     window: DueWindow = DueWindow.due, mine: bool = False) -> Connection[DueContact]:
        return connection(due.due_contacts(info.context.session, _principal(info), page_args(first, after),
                                           DueWindow(window), mine))

    @strawberry.field
    @null_if_not_found
    def contact_agreement(self, info: Info, referral_id: uuid.UUID) -> ContactAgreement | None:
        return ContactAgreement.from_read(contacts.get_agreement(info.context.session, _principal(info),
                                                                 referral_id))

    @strawberry.field
    def contact_log(self, info: Info, referral_id: uuid.UUID, first: int | None = None,
                    after: str | None = None) -> Connection[ContactLogEntry]:
        return connection(contacts.list_contacts(info.context.session, _principal(info), referral_id,
                                                 page_args(first, after)))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Refer a person to a published offer (needs referral_sharing consent).")
    @mutation_result
    def create_referral(self, info: Info, input: ReferralCreateInput) -> ReferralResult:
        return Referral.from_read(service.create(info.context.session, _principal(info),
                                                 parse(ReferralCreate, input)))

    @strawberry.mutation(description="accept | decline | start | complete | end_early | withdraw "
                                     "(illegal → Problem 409 with allowedActions).")
    @mutation_result
    def transition_referral(self, info: Info, id: uuid.UUID, input: TransitionInput) -> ReferralResult:
        return Referral.from_read(transitions.transition(info.context.session, _principal(info), id,
                                                         parse(TransitionRequest, input)))

    @strawberry.mutation(description="Record or replace the contact agreement (provider only).")
    @mutation_result
    def set_contact_agreement(self, info: Info, referral_id: uuid.UUID,
                              input: ContactAgreementInput) -> ContactAgreementResult:
        read, _ = contacts.set_agreement(info.context.session, _principal(info), referral_id,
                                         parse(ContactAgreementSet, input))
        return ContactAgreement.from_read(read)

    @strawberry.mutation(description="Log a contact with the psychosocial elements, parked topics and next contact.")
    @mutation_result
    def log_contact(self, info: Info, referral_id: uuid.UUID, input: ContactLogInput) -> ContactLogResult:
        return ContactLogEntry.from_read(contacts.log_contact(info.context.session, _principal(info), referral_id,
                                                              parse(ContactLogCreate, input)))
