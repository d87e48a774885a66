"""REST for persons, consents and loneliness measurements.

Names and CPR numbers are searched with `POST /persons/search` (JSON body), never in a URL.
`GET /persons` takes only non-identifying filters.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response, status

from service.core.errors import BadRequest
from service.core.pagination import Page, PageParams
from service.core.versions import etag
from service.persons import consents, measurements, narrowing, service
from service.persons.dto import (
    ConsentCreate,
    ConsentRead,
    ConsentWithdraw,
    MeasurementCreate,
    MeasurementRead,
    PersonCreate,
    PersonRead,
    PersonSearch,
    PersonSummary,
    PersonUpdate,
)
from service.web.etag import parse_if_match
from service.web.pages import page_response
from service.web.parameters import page_params
from service.web.principal import CurrentPrincipal
from service.web.session import SessionDep

router = APIRouter(prefix="/persons", tags=["persons"])


def _page(items: list[Any], cursor: str | None) -> dict:
    return {"items": items, "next_cursor": cursor}


def _summaries(items: list[PersonSummary], cursor: str | None) -> Response:
    return page_response(PersonSummary, items, cursor)  # serialised once (service.web.pages)


_LIST_QUERY = frozenset({"limit", "cursor", "birth_year", "municipality_code", "risk_setting", "severe"})


async def _no_identifying_query(request: Request) -> None:
    """Refuse unknown query parameters: names or CPR numbers must not travel in a URL. (Async: it reads only the
    request, so it runs on the event loop, not in a worker thread; see service/web/parameters.py.)"""
    unknown = sorted(set(request.query_params) - _LIST_QUERY)
    if unknown:
        raise BadRequest("Unknown query parameter; search by name or CPR with POST /api/v1/persons/search.",
                         errors=[{"field": name, "message": "not a list filter", "code": "unknown_parameter"}
                                 for name in unknown if name.isidentifier() and len(name) <= 40])


@router.get("", response_model=Page[PersonSummary], dependencies=[Depends(_no_identifying_query)])
def list_persons(
    session: SessionDep, principal: CurrentPrincipal, page: Annotated[PageParams, Depends(page_params)],
    birth_year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    municipality_code: Annotated[str | None, Query(pattern=r"^\d{4}$")] = None,
    risk_setting: Annotated[str | None, Query(pattern=r"^[a-z_]{2,40}$")] = None,
    severe: Annotated[bool | None, Query(description="Latest T-ILS total 7–9")] = None,
) -> Response:
    """Your organisation's persons (no CPR numbers). To search by name or CPR use POST /persons/search."""
    search = PersonSearch(birth_year=birth_year, municipality_code=municipality_code, risk_setting=risk_setting,
                          severe=severe)
    return _summaries(*service.list_persons(session, principal, page, search))


@router.post("/search", response_model=Page[PersonSummary])
def search_persons(session: SessionDep, principal: CurrentPrincipal,
                   page: Annotated[PageParams, Depends(page_params)], body: PersonSearch) -> Response:
    """Search by name (every word must occur in the given or family name), CPR (exact) and the list filters."""
    return _summaries(*service.list_persons(session, principal, page, body))


@router.post("", response_model=PersonRead, status_code=status.HTTP_201_CREATED)
def create_person(session: SessionDep, principal: CurrentPrincipal, body: PersonCreate, response: Response) -> object:
    """Register a person with the initial consent (which must include the `registration` purpose)."""
    person = service.create(session, principal, body)
    response.headers["ETag"] = etag(person.version)
    response.headers["Location"] = f"/api/v1/persons/{person.id}"
    return person


@router.get("/{person_id}", response_model=PersonRead)
def get_person(session: SessionDep, principal: CurrentPrincipal, person_id: uuid.UUID, response: Response) -> object:
    person = service.get(session, principal, person_id)
    response.headers["ETag"] = etag(person.version)
    return person


@router.patch("/{person_id}", response_model=PersonRead)
def update_person(session: SessionDep, principal: CurrentPrincipal, person_id: uuid.UUID, body: PersonUpdate,
                  response: Response,
                  if_match: Annotated[str | None, Header(description='The ETag you read, e.g. "3"')] = None,
                  ) -> object:
    """Change a person; requires `If-Match` (missing → 428, stale → 412)."""
    person = service.update(session, principal, person_id, body, parse_if_match(if_match))
    response.headers["ETag"] = etag(person.version)
    return person


@router.get("/{person_id}/consents", response_model=Page[ConsentRead])
def list_consents(session: SessionDep, principal: CurrentPrincipal, person_id: uuid.UUID,
                  page: Annotated[PageParams, Depends(page_params)]) -> dict:
    """The person's consents, oldest first, each with its status evaluated now."""
    return _page(*consents.list_consents(session, principal, person_id, page))


@router.post("/{person_id}/consents", response_model=ConsentRead, status_code=status.HTTP_201_CREATED)
def give_consent(session: SessionDep, principal: CurrentPrincipal, person_id: uuid.UUID,
                 body: ConsentCreate) -> object:
    return consents.give_consent(session, principal, person_id, body)


@router.post("/{person_id}/consents/{consent_id}/withdraw", response_model=ConsentRead)
def withdraw_consent(session: SessionDep, principal: CurrentPrincipal, person_id: uuid.UUID, consent_id: uuid.UUID,
                     body: Annotated[ConsentWithdraw | None, Body()] = None) -> object:
    """Withdraw a consent now — whole, or only some `purposes` / recipients (the rest continues as a successor
    consent). Withdrawing the last `registration` consent erases the person's personal data."""
    return narrowing.withdraw(session, principal, person_id, consent_id, body or ConsentWithdraw())


@router.get("/{person_id}/loneliness-measurements", response_model=Page[MeasurementRead])
def list_measurements(session: SessionDep, principal: CurrentPrincipal, person_id: uuid.UUID,
                      page: Annotated[PageParams, Depends(page_params)]) -> dict:
    """The person's T-ILS measurements, oldest first."""
    return _page(*measurements.list_measurements(session, principal, person_id, page))


@router.post("/{person_id}/loneliness-measurements", response_model=MeasurementRead,
             status_code=status.HTTP_201_CREATED)
def record_measurement(session: SessionDep, principal: CurrentPrincipal, person_id: uuid.UUID,
                       body: MeasurementCreate) -> object:
    """Record a T-ILS answer (items 1–3); the total (3–9) and the severe flag are computed."""
    return measurements.record_measurement(session, principal, person_id, body)
