"""The personal-data lifecycle over GraphQL: a person's access log and the subject-access export. The same
service functions as REST (service.persons.access_log, service.referrals.export); both are audited there.
(Narrowed withdrawal is `withdrawConsent(…, purposes, recipientOrganisationIds, recipientOrganisationKinds)`.)"""

import uuid
from datetime import date
from typing import Any

import strawberry
from strawberry.scalars import JSON

from schema.context import Info
from schema.derive import ReadType, read_type
from schema.errors import null_if_not_found
from schema.pagination import Connection, connection, page_args
from service.persons import access_log
from service.referrals import export


@read_type(access_log.AccessLogEntry, name="AccessLogEntry", descriptions={
    "access_type": "consultation | change | refused"},
    description="One consultation or change of a person's data (GDPR art. 15).")
class AccessLogEntry(ReadType[access_log.AccessLogEntry]):
    pass


@strawberry.type
class Query:
    @strawberry.field(description="Who consulted or changed the person's data, when, in which role and why; "
                                  "oldest first. For the organisation holding the person; reading it is audited.")
    @null_if_not_found
    def person_access_log(self, info: Info, person_id: uuid.UUID, period_from: date | None = None,
                          period_to: date | None = None, first: int | None = None,
                          after: str | None = None) -> Connection[AccessLogEntry] | None:
        return connection(access_log.access_log(info.context.session, info.context.require_principal(), person_id,
                                                page_args(first, after), period_from=period_from,
                                                period_to=period_to, fmt="graphql"))

    @strawberry.field(description="Everything held about the person as one JSON document (GDPR art. 15(3)/20); "
                                  "the same document as GET /persons/{id}/export.")
    @null_if_not_found
    def person_export(self, info: Info, person_id: uuid.UUID) -> JSON | None:
        document: Any = export.export(info.context.session, info.context.require_principal(), person_id)
        return document.model_dump(mode="json")
