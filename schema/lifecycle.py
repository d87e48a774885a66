"""The personal-data lifecycle over GraphQL: a person's access log and the subject-access export. The same
service functions as REST (service.persons.access_log, service.persons.export); both are audited there.
(Narrowed withdrawal is `withdrawConsent(…, purposes, recipientOrganisationIds, recipientOrganisationKinds)`.)"""

import uuid
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from schema.context import Info
from schema.errors import or_none
from schema.pagination import Connection, page_args
from service.persons import access_log, export


@strawberry.type(description="One consultation or change of a person's data (GDPR art. 15).")
class AccessLogEntry:
    event_id: int
    occurred_at: datetime
    organisation_id: uuid.UUID | None
    organisation_name: str | None
    actor_type: str
    actor_id: str | None
    actor_role: str | None
    action: str
    access_type: str = strawberry.field(description="consultation | change | refused")
    purpose: str
    outcome: str


@strawberry.type
class Query:
    @strawberry.field(description="Who consulted or changed the person's data, when, in which role and why; "
                                  "oldest first. For the organisation holding the person; reading it is audited.")
    def person_access_log(self, info: Info, person_id: uuid.UUID, period_from: date | None = None,
                          period_to: date | None = None, first: int | None = None,
                          after: str | None = None) -> Connection[AccessLogEntry] | None:
        principal = info.context.require_principal()

        def run() -> Connection[AccessLogEntry]:
            entries, cursor = access_log.access_log(info.context.session, principal, person_id,
                                                    page_args(first, after), period_from=period_from,
                                                    period_to=period_to, fmt="graphql")
            return Connection(items=[AccessLogEntry(**e.model_dump()) for e in entries], next_cursor=cursor)
        return or_none(run)

    @strawberry.field(description="Everything held about the person as one JSON document (GDPR art. 15(3)/20); "
                                  "the same document as GET /persons/{id}/export.")
    def person_export(self, info: Info, person_id: uuid.UUID) -> JSON | None:
        principal = info.context.require_principal()

        def run() -> Any:
            return export.export(info.context.session, principal, person_id).model_dump(mode="json")
        return or_none(run)


@strawberry.type
class Mutation:
    pass
