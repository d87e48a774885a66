import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from service.core.errors import DomainError, Unprocessable
from service.core.pagination import Page, PageParams
from service.core.versions import etag
from service.offers import importer, policy, service
from service.offers.dto import ImportResult, OfferCreate, OfferRead, OfferUpdate, StatusChange
from service.offers.import_messages import prefers_danish
from service.offers.models import OfferCategory, OfferMode, OfferStatus
from service.offers.search import check_near
from service.offers.spreadsheet import MAX_BYTES, XLSX_MEDIA_TYPE, ContentTooLarge
from service.reference.vocabulary import LANGUAGE_PATTERN, AccessibilityFeature
from service.web.etag import parse_if_match
from service.web.parameters import page_params
from service.web.principal import CurrentPrincipal, OptionalPrincipal
from service.web.session import SessionDep

router = APIRouter(prefix="/offers", tags=["offers"])



class UnsupportedMediaType(DomainError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


def _send(response: Response, read: OfferRead) -> OfferRead:
    response.headers["ETag"] = etag(read.version)
    return read


@router.get("", response_model=Page[OfferRead])
def list_offers(
    session: SessionDep, principal: OptionalPrincipal, page: Annotated[PageParams, Depends(page_params)],
    municipality_code: Annotated[str | None, Query(pattern=r"^\d{4}$",
                                                   description="Served municipality (nationwide offers match)")] = None,
    risk_setting: Annotated[str | None, Query(max_length=40)] = None,
    category: OfferCategory | None = None,
    mode: OfferMode | None = None,
    age: Annotated[int | None, Query(ge=0, le=120)] = None,
    accessibility: Annotated[list[AccessibilityFeature] | None,
                             Query(description="Repeatable; every listed feature must be present")] = None,
    language: Annotated[str | None, Query(pattern=LANGUAGE_PATTERN)] = None,
    has_capacity: Annotated[bool | None, Query(description="true: a place is free (or unlimited)")] = None,
    q: Annotated[str | None, Query(min_length=2, max_length=100, description=(
        "Free text, every word must occur (title, city, description, a visible address). Danish letters fold "
        "both ways (`laese` finds `Læsevenner`, `Aarhus` finds `Århus`); results are ranked by relevance"))] = None,
    near: Annotated[str | None, Query(pattern=r"^-?\d{1,2}(\.\d{1,8})?,-?\d{1,3}(\.\d{1,8})?$", description=(
        "`lat,lon` (WGS84 decimal degrees), with within_km: offers with coordinates within that distance; "
        "nationwide offers always match"))] = None,
    within_km: Annotated[float | None, Query(gt=0, le=500, description="Distance from `near`, in km")] = None,
    mine: Annotated[bool, Query(description="Only my organisation's offers, every status")] = False,
    status_: Annotated[OfferStatus | None, Query(alias="status")] = None,
) -> dict:
    """Published offers for everyone (no token needed); a provider also sees its own drafts, paused and closed
    offers. Filters combine with AND; sorted by title, then id — with `q`, by relevance first."""
    filters = service.OfferFilters(
        municipality_code=municipality_code, risk_setting=risk_setting, category=category, mode=mode, age=age,
        accessibility=[str(a) for a in accessibility or []], language=language, has_capacity=has_capacity, q=q,
        mine=mine, status=status_, near=parse_near(near, within_km), within_km=within_km)
    items, cursor = service.list_offers(session, principal, page, filters)
    return {"items": items, "next_cursor": cursor}


@router.post("", response_model=OfferRead, status_code=status.HTTP_201_CREATED)
def create_offer(session: SessionDep, principal: CurrentPrincipal, body: OfferCreate, response: Response) -> Any:
    """Create an offer for the caller's organisation (coordinator, org_admin)."""
    return _send(response, service.create(session, principal, body))


def parse_near(near: str | None, within_km: float | None) -> tuple[float, float] | None:
    """`near` is `lat,lon` (its pattern is checked at the edge); the domain checks the rest."""
    point = None
    if near:
        latitude, longitude = near.split(",")
        point = (float(latitude), float(longitude))
    return check_near(point, within_km)


_BINARY = {"schema": {"type": "string", "format": "binary"}}
_UPLOAD_BODY = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}}, XLSX_MEDIA_TYPE: _BINARY,
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}}}}}
# Browsers label .csv files application/vnd.ms-excel on Windows; the content decides the format in the end.
RAW_TYPES = ("text/csv", "text/plain", "application/csv", "application/vnd.ms-excel", XLSX_MEDIA_TYPE,
             "application/octet-stream")


@dataclass
class Upload:
    """The uploaded file, or why there is none — raised only after the caller is authorized."""

    data: bytes = b""
    error: DomainError | None = None

    def content(self) -> bytes:
        if self.error is not None:
            raise self.error
        return self.data


async def upload_body(request: Request) -> Upload:
    try:
        return Upload(data=await _read_upload(request))
    except DomainError as exc:
        return Upload(error=exc)


async def _read_upload(request: Request) -> bytes:
    """The file: the raw body, or the `file` part of a multipart/form-data upload (bounded either way)."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=4, max_part_size=MAX_BYTES)
        except Exception as exc:  # malformed multipart, or over the bounds: the client's error, never a 500
            raise Unprocessable("The multipart body could not be read.", errors=[
                {"field": "file", "message": "malformed multipart/form-data", "code": "multipart"}]) from exc
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Unprocessable("Send the spreadsheet in a form field named file.", errors=[
                {"field": "file", "message": "no file part named file", "code": "missing"}])
        data = await upload.read(MAX_BYTES + 1)
        await form.close()
    elif content_type in RAW_TYPES:
        data = await request.body()
    else:
        raise UnsupportedMediaType("Send a CSV or XLSX file as the body (text/csv or the .xlsx media type), or as "
                                   "the field `file` of multipart/form-data.")
    if len(data) > MAX_BYTES:
        raise ContentTooLarge(f"The file is larger than {MAX_BYTES} bytes.")
    return data


@router.post("/import", response_model=ImportResult, status_code=status.HTTP_201_CREATED,
             openapi_extra=_UPLOAD_BODY)
def import_offers(session: SessionDep, principal: CurrentPrincipal, response: Response,
                  upload: Annotated[Upload, Depends(upload_body)],
                  dry_run: Annotated[bool, Query(description="Validate and report; write nothing")] = False,
                  accept_language: Annotated[str | None, Header(include_in_schema=False)] = None) -> Any:
    """Create or update offers from a spreadsheet: CSV (`;`, `,` or tab; UTF-8 with or without BOM, or
    Windows-1252) or .xlsx, as the raw body or as the `file` field of a multipart upload; Danish or English
    column headers (README). A row with an `external_id` the organisation already uses updates that offer.
    All rows are validated first: one bad row and nothing is written; with `Accept-Language: da` the
    problem is in Danish. `dry_run=true` answers 200 with the same report and writes nothing."""
    policy.ensure_can_create(principal)
    result = importer.import_offers(session, principal, upload.content(), dry_run=dry_run,
                                    danish=prefers_danish(accept_language))
    if dry_run:
        response.status_code = status.HTTP_200_OK
    return result


@router.get("/{offer_id}", response_model=OfferRead)
def get_offer(session: SessionDep, principal: OptionalPrincipal, offer_id: uuid.UUID, response: Response) -> Any:
    return _send(response, service.get(session, principal, offer_id))


@router.patch("/{offer_id}", response_model=OfferRead)
def update_offer(session: SessionDep, principal: CurrentPrincipal, offer_id: uuid.UUID, body: OfferUpdate,
                 response: Response, if_match: Annotated[str | None, Header()] = None) -> Any:
    """Change an offer (provider only). Requires `If-Match` with the ETag from GET: stale → 412, missing → 428."""
    return _send(response, service.update(session, principal, offer_id, body, parse_if_match(if_match)))


@router.post("/{offer_id}/status", response_model=OfferRead)
def change_status(session: SessionDep, principal: CurrentPrincipal, offer_id: uuid.UUID, body: StatusChange,
                  response: Response, if_match: Annotated[str | None, Header()] = None) -> Any:
    """Publish, pause or close: draft→published|closed, published→paused|closed, paused→published|closed.
    Anything else is a 409 naming `allowed_actions`. `If-Match` is optional here."""
    return _send(response, service.change_status(session, principal, offer_id, body.status,
                                                 parse_if_match(if_match)))
