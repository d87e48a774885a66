import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Response, status

from service.core.errors import DomainError
from service.core.pagination import Page, PageParams
from service.core.versions import etag
from service.offers import importer, service
from service.offers.dto import ImportResult, OfferCreate, OfferRead, OfferUpdate, StatusChange
from service.offers.models import OfferCategory, OfferMode, OfferStatus
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
    q: Annotated[str | None, Query(min_length=2, max_length=100, description="Free text")] = None,
    mine: Annotated[bool, Query(description="Only my organisation's offers, every status")] = False,
    status_: Annotated[OfferStatus | None, Query(alias="status")] = None,
) -> dict:
    """Published offers for everyone (no token needed); a provider also sees its own drafts, paused and closed
    offers. Filters combine with AND; sorted by title, then id."""
    filters = service.OfferFilters(
        municipality_code=municipality_code, risk_setting=risk_setting, category=category, mode=mode, age=age,
        accessibility=[str(a) for a in accessibility or []], language=language, has_capacity=has_capacity, q=q,
        mine=mine, status=status_)
    items, cursor = service.list_offers(session, principal, page, filters)
    return {"items": service.present(session, principal, items), "next_cursor": cursor}


@router.post("", response_model=OfferRead, status_code=status.HTTP_201_CREATED)
def create_offer(session: SessionDep, principal: CurrentPrincipal, body: OfferCreate, response: Response) -> Any:
    """Create an offer for the caller's organisation (coordinator, org_admin)."""
    offer = service.create(session, principal, body)
    return _send(response, service.present_one(session, principal, offer))


_CSV_BODY = {"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}}


@router.post("/import", response_model=ImportResult, status_code=status.HTTP_201_CREATED, openapi_extra=_CSV_BODY)
def import_offers(session: SessionDep, principal: CurrentPrincipal,
                  content: Annotated[bytes, Body(media_type="text/csv", include_in_schema=False)] = b"",
                  content_type: Annotated[str | None, Header(include_in_schema=False)] = None) -> Any:
    """Bulk-create offers from a UTF-8 CSV body (`Content-Type: text/csv`; columns in the README).
    All rows are validated first: one bad row and nothing is imported."""
    if not (content_type or "").lower().startswith("text/csv"):
        raise UnsupportedMediaType("Send the file as the request body with Content-Type: text/csv.")
    ids = importer.import_csv(session, principal, content)
    return {"created": len(ids), "ids": ids}


@router.get("/{offer_id}", response_model=OfferRead)
def get_offer(session: SessionDep, principal: OptionalPrincipal, offer_id: uuid.UUID, response: Response) -> Any:
    return _send(response, service.present_one(session, principal, service.get(session, principal, offer_id)))


@router.patch("/{offer_id}", response_model=OfferRead)
def update_offer(session: SessionDep, principal: CurrentPrincipal, offer_id: uuid.UUID, body: OfferUpdate,
                 response: Response, if_match: Annotated[str | None, Header()] = None) -> Any:
    """Change an offer (provider only). Requires `If-Match` with the ETag from GET: stale → 412, missing → 428."""
    offer = service.update(session, principal, offer_id, body, parse_if_match(if_match))
    return _send(response, service.present_one(session, principal, offer))


@router.post("/{offer_id}/status", response_model=OfferRead)
def change_status(session: SessionDep, principal: CurrentPrincipal, offer_id: uuid.UUID, body: StatusChange,
                  response: Response, if_match: Annotated[str | None, Header()] = None) -> Any:
    """Publish, pause or close: draft→published|closed, published→paused|closed, paused→published|closed.
    Anything else is a 409 naming `allowed_actions`. `If-Match` is optional here."""
    offer = service.change_status(session, principal, offer_id, body.status, parse_if_match(if_match))
    return _send(response, service.present_one(session, principal, offer))
