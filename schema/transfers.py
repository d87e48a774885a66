"""Duplicate links, merges and transfers of persons over GraphQL: the same service functions as REST
(service.persons.links, service.persons.transfer), with the same rules and audit."""

import uuid
from typing import Annotated

import strawberry

from schema.context import Info
from schema.derive import ReadType, read_type
from schema.errors import Problem, mutation_result, null_if_not_found, parse
from schema.pagination import Connection, page_args
from schema.persons import ConsentInput
from service.persons import links, transfer
from service.persons.links_dto import (
    PersonLinkCreate,
    PersonLinkRead,
    PersonMerge,
    TransferAccept,
    TransferCreate,
    TransferRead,
)
from service.persons.links_dto import TransferredPerson as TransferredPersonRead
from service.persons.links_dto import TransferStatus as TransferStatusEnum

TransferStatus = strawberry.enum(TransferStatusEnum)


@read_type(PersonLinkRead, name="PersonLink",
           description="A caseworker's decision about two persons of the organisation.")
class PersonLink(ReadType[PersonLinkRead]):
    pass


@strawberry.type
class PersonMergeResult:
    person_id: uuid.UUID
    merged_person_id: uuid.UUID
    moved_tables: list[str] = strawberry.field(description="Kinds of rows moved to the kept person.")
    moved_rows: int


@read_type(TransferredPersonRead, name="TransferredPerson",
           description="What the receiver sees of the person before accepting: only what the consent permits.")
class TransferredPerson(ReadType[TransferredPersonRead]):
    pass


@read_type(TransferRead, name="PersonTransfer", description="A person's move to another organisation.")
class PersonTransfer(ReadType[TransferRead]):
    pass


PersonLinkResult = Annotated[PersonLink | Problem, strawberry.union("PersonLinkResult")]
PersonMergeOutcome = Annotated[PersonMergeResult | Problem, strawberry.union("PersonMergeOutcome")]
PersonTransferResult = Annotated[PersonTransfer | Problem, strawberry.union("PersonTransferResult")]


@strawberry.type
class Query:
    @strawberry.field(description="Duplicate decisions about one of your persons (null when not visible).")
    @null_if_not_found
    def person_links(self, info: Info, person_id: uuid.UUID, first: int | None = None,
                     after: str | None = None) -> Connection[PersonLink] | None:
        items, cursor = links.list_links(info.context.session, info.context.require_principal(), person_id,
                                         page_args(first, after))
        return Connection(items=[PersonLink.from_read(r) for r in items], next_cursor=cursor)

    @strawberry.field(description="Transfers your organisation sends or receives.")
    def person_transfers(self, info: Info, direction: str | None = None,
                         status: TransferStatus | None = None,  # type: ignore[valid-type]
                         first: int | None = None, after: str | None = None) -> Connection[PersonTransfer]:
        principal = info.context.require_principal()
        if direction not in (None, "incoming", "outgoing"):
            direction = None
        items, cursor = transfer.list_transfers(info.context.session, principal, page_args(first, after),
                                                direction, status)
        return Connection(items=[PersonTransfer.from_read(t) for t in items], next_cursor=cursor)

    @strawberry.field(description="One transfer (null when not visible to you).")
    @null_if_not_found
    def person_transfer(self, info: Info, id: uuid.UUID) -> PersonTransfer | None:
        return PersonTransfer.from_read(transfer.get(info.context.session, info.context.require_principal(), id))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Confirm that another person of your organisation is the same person.")
    @mutation_result
    def link_duplicate_person(self, info: Info, person_id: uuid.UUID,
                              other_person_id: uuid.UUID) -> PersonLinkResult:
        return PersonLink.from_read(links.link(info.context.session, info.context.require_principal(), person_id,
                                               PersonLinkCreate(other_person_id=other_person_id)))

    @strawberry.mutation(description="Merge a linked duplicate into the person; the duplicate is erased.")
    @mutation_result
    def merge_persons(self, info: Info, person_id: uuid.UUID, duplicate_person_id: uuid.UUID) -> PersonMergeOutcome:
        done = links.merge(info.context.session, info.context.require_principal(), person_id,
                           PersonMerge(duplicate_person_id=duplicate_person_id))
        return PersonMergeResult(person_id=done.person_id, merged_person_id=done.merged_person_id,
                                 moved_tables=sorted(done.moved), moved_rows=sum(done.moved.values()))

    @strawberry.mutation(description="Ask another organisation to take over one of your persons.")
    @mutation_result
    def request_person_transfer(self, info: Info, person_id: uuid.UUID,
                                to_organisation_id: uuid.UUID) -> PersonTransferResult:
        body = TransferCreate(to_organisation_id=to_organisation_id)
        return PersonTransfer.from_read(transfer.request(info.context.session, info.context.require_principal(),
                                                         person_id, body))

    @strawberry.mutation(description="Take over the person (receiving organisation); consents move only where "
                                     "they name you; `consent` records your own. The person's open referrals "
                                     "become yours, with `referrerContact*` as the providers' callback contact.")
    @mutation_result
    def accept_person_transfer(self, info: Info, id: uuid.UUID, consent: ConsentInput | None = None,
                               referrer_contact_name: str | None = None, referrer_contact_phone: str | None = None,
                               referrer_contact_email: str | None = None) -> PersonTransferResult:
        given = {"consent": consent, "referrer_contact_name": referrer_contact_name,
                 "referrer_contact_phone": referrer_contact_phone, "referrer_contact_email": referrer_contact_email}
        body = parse(TransferAccept, {k: v for k, v in given.items() if v is not None})
        return PersonTransfer.from_read(transfer.accept(info.context.session, info.context.require_principal(), id,
                                                        body))

    @strawberry.mutation(description="Cancel (sender) or decline (receiver) a pending transfer.")
    @mutation_result
    def cancel_person_transfer(self, info: Info, id: uuid.UUID) -> PersonTransferResult:
        return PersonTransfer.from_read(transfer.cancel(info.context.session, info.context.require_principal(), id))
