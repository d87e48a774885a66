"""The FHIR R4 REST door: `/fhir/R4/<Type>` reads and searches, Task updates, and the CapabilityStatement.

Every route is a row of the access table (`service/access.py`) and passes the same door as `/api/v1`
(`service/door.py`: 401/403 before anything else, refusals on personal data audited). Responses are
`application/fhir+json`; errors are OperationOutcomes (`service/fhir/errors.py`).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Request
from fastapi.responses import Response

from service.door import rest_door
from service.fhir import capability, reads, resources, task
from service.fhir.errors import FHIR_JSON, FhirResponse, UnsupportedMediaType
from service.fhir.search import Search, bundle, parse
from service.web.etag import parse_if_match
from service.web.principal import CurrentPrincipal, OptionalPrincipal
from service.web.session import SessionDep

router = APIRouter(prefix="/fhir/R4", tags=["fhir"], dependencies=[Depends(rest_door)],
                   default_response_class=FhirResponse)

IfMatch = Annotated[str | None, Header(description='W/"<versionId>" of the Task you read (optional)')]
_JSON_TYPES = ("application/fhir+json", "application/json")
_RESPONSES: dict[int | str, dict[str, Any]] = {"default": {"description": "An OperationOutcome",
                                                           "content": {FHIR_JSON: {}}}}


def _resource(doc: dict[str, Any]) -> FhirResponse:
    headers = {"ETag": f'W/"{doc["meta"]["versionId"]}"'} if "meta" in doc else {}
    return FhirResponse(doc, headers=headers)


def _searchset(request: Request, search: Search, page: tuple[list[dict[str, Any]], str | None]) -> FhirResponse:
    return FhirResponse(bundle(request, search, *page))


def _media(request: Request, allowed: tuple[str, ...]) -> None:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in allowed:
        raise UnsupportedMediaType(f"Send the body as {' or '.join(allowed)}.")


@router.get("/metadata", responses=_RESPONSES)
def metadata(request: Request) -> Response:
    """The CapabilityStatement: resource types, interactions and search parameters served here."""
    return FhirResponse(capability.statement(str(request.base_url).rstrip("/")))


@router.get("/ServiceRequest", responses=_RESPONSES)
def search_service_requests(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """Referrals the caller's organisation sent or received (the provider while the consent covers it)."""
    search = parse(request, reads.REFERRAL_SEARCH)
    return _searchset(request, search, reads.search_service_requests(session, principal, search))


@router.get("/ServiceRequest/{referral_id}", responses=_RESPONSES)
def read_service_request(session: SessionDep, principal: CurrentPrincipal, referral_id: str) -> Response:
    return _resource(resources.service_request(reads.referral(session, principal, referral_id)))


@router.get("/Task", responses=_RESPONSES)
def search_tasks(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """The referrals' fulfilment Tasks (status and outcome of the closed loop)."""
    search = parse(request, reads.TASK_SEARCH)
    return _searchset(request, search, reads.search_tasks(session, principal, search))


@router.get("/Task/{referral_id}", responses=_RESPONSES)
def read_task(session: SessionDep, principal: CurrentPrincipal, referral_id: str) -> Response:
    return _resource(resources.task(reads.referral(session, principal, referral_id)))


@router.put("/Task/{referral_id}", responses=_RESPONSES)
def put_task(request: Request, session: SessionDep, principal: CurrentPrincipal, referral_id: str,
             body: Annotated[Any, Body(media_type=FHIR_JSON)] = None, if_match: IfMatch = None) -> Response:
    """Move the loop by writing the Task back with a new status (accepted, rejected + statusReason,
    in-progress, completed + output, failed + statusReason; the referrer: cancelled)."""
    _media(request, _JSON_TYPES)
    rid = reads.parse_id(referral_id, "Task")
    return _resource(resources.task(task.put(session, principal, rid, body, parse_if_match(if_match))))


@router.patch("/Task/{referral_id}", responses=_RESPONSES)
def patch_task(request: Request, session: SessionDep, principal: CurrentPrincipal, referral_id: str,
               body: Annotated[Any, Body(media_type="application/json-patch+json")] = None,
               if_match: IfMatch = None) -> Response:
    """The same with a JSON Patch (`application/json-patch+json`), e.g. replace /status."""
    _media(request, ("application/json-patch+json",))
    rid = reads.parse_id(referral_id, "Task")
    return _resource(resources.task(task.patch(session, principal, rid, body, parse_if_match(if_match))))


@router.get("/Consent", responses=_RESPONSES)
def search_consents(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """The consents of one of the organisation's persons (`patient` is required)."""
    search = parse(request, reads.CONSENT_SEARCH)
    return _searchset(request, search, reads.search_consents(session, principal, search))


@router.get("/Consent/{consent_id}", responses=_RESPONSES)
def read_consent(session: SessionDep, principal: CurrentPrincipal, consent_id: str) -> Response:
    return _resource(reads.consent(session, principal, consent_id))


@router.get("/Patient", responses=_RESPONSES)
def search_patients(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """The organisation's persons (never a CPR number in a search), or one referred person by `_id`."""
    search = parse(request, reads.PATIENT_SEARCH)
    return _searchset(request, search, reads.search_patients(session, principal, search))


@router.get("/Patient/{person_id}", responses=_RESPONSES)
def read_patient(session: SessionDep, principal: CurrentPrincipal, person_id: str) -> Response:
    return _resource(reads.patient(session, principal, person_id))


@router.get("/Organization", responses=_RESPONSES)
def search_organizations(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    search = parse(request, reads.ORGANIZATION_SEARCH)
    return _searchset(request, search, reads.search_organizations(session, principal, search))


@router.get("/Organization/{org_id}", responses=_RESPONSES)
def read_organization(session: SessionDep, principal: CurrentPrincipal, org_id: str) -> Response:
    return _resource(reads.organization(session, principal, org_id))


@router.get("/HealthcareService", responses=_RESPONSES)
def search_healthcare_services(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    """Offers: published ones for everyone, the caller's own in every status."""
    search = parse(request, reads.SERVICE_SEARCH)
    return _searchset(request, search, reads.search_healthcare_services(session, principal, search))


@router.get("/HealthcareService/{offer_id}", responses=_RESPONSES)
def read_healthcare_service(session: SessionDep, principal: OptionalPrincipal, offer_id: str) -> Response:
    return _resource(reads.healthcare_service(session, principal, offer_id))
