"""The HSDS 3.0 API's queries: `/services` with the spec's filters, `/taxonomies`, `/taxonomy_terms` and
`/service_at_locations` (documents are built by `service.offers.hsds`).

Services are the published offers, filtered by the offers service's own statement (the public read rule and
its free-text search, which never matches a hidden address). Taxonomy terms are the four Tværs vocabularies
with stable UUIDv5 ids; `taxonomy_term_id` and `taxonomy_id` select services through the same attributes the
export shows. Paging is the spec's: `page` from 1 and `per_page`.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import false, func, select, true
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.errors import NotFound
from service.offers import hsds
from service.offers.models import Offer, OfferAccessibility, OfferCategory, OfferMode, OfferRiskSetting
from service.offers.service import OfferFilters, filter_statement
from service.reference.models import RiskSetting
from service.reference.vocabulary import ACCESSIBILITY_LABELS, AccessibilityFeature

HSDS_VERSION = "3.0"
PROFILE = "https://docs.openreferral.org/en/v3.0/"


@dataclass(frozen=True)
class ServiceQuery:
    search: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: datetime | None = None


def api_info(base_url: str) -> dict[str, Any]:
    return {"version": HSDS_VERSION, "profile": PROFILE, "openapi_url": f"{base_url}/openapi.json"}


# --- taxonomies ------------------------------------------------------------------------------------------

def taxonomies() -> list[dict[str, Any]]:
    return [{"id": hsds._id("taxonomy", name), "name": name, "description": description}
            for name, description in hsds.TAXONOMIES.values()]


def terms(session: Session) -> list[dict[str, Any]]:
    """Every term of the four taxonomies, in taxonomy order, then code."""
    out = [hsds._term("category", c.value, hsds.CATEGORY_LABELS.get(c.value, c.value),
                      hsds.CATEGORY_LABELS.get(c.value, c.value)) for c in OfferCategory]
    out += [hsds._term("mode", m.value, hsds.MODE_LABELS.get(m.value, m.value), hsds.MODE_LABELS.get(m.value, m.value))
            for m in OfferMode]
    out += [hsds._term("accessibility", f.value, ACCESSIBILITY_LABELS[f][0], ACCESSIBILITY_LABELS[f][0])
            for f in AccessibilityFeature]
    out += [hsds._term("risk_setting", r.code, r.label_da, r.label_da)
            for r in session.scalars(select(RiskSetting).order_by(col(RiskSetting.code)))]
    return out


def _kind_of(taxonomy_name: str) -> str | None:
    return next((kind for kind, (name, _) in hsds.TAXONOMIES.items() if name == taxonomy_name), None)


def _term_clause(session: Session, term_id: str) -> Any:
    term = next((t for t in terms(session) if t["id"] == term_id), None)
    if term is None:
        return false()  # a term we do not have selects nothing
    kind, code = _kind_of(term["taxonomy"]), term["code"]
    if kind == "category":
        return col(Offer.category) == code
    if kind == "mode":
        return col(Offer.mode) == code
    if kind == "accessibility":
        return select(OfferAccessibility.offer_id).where(col(OfferAccessibility.offer_id) == col(Offer.id),
                                                         col(OfferAccessibility.feature) == code).exists()
    return select(OfferRiskSetting.offer_id).where(col(OfferRiskSetting.offer_id) == col(Offer.id),
                                                   col(OfferRiskSetting.risk_setting_code) == code).exists()


def _taxonomy_clause(taxonomy_id: str) -> Any:
    kind = next((k for k, (name, _) in hsds.TAXONOMIES.items() if hsds._id("taxonomy", name) == taxonomy_id), None)
    if kind in ("category", "mode"):
        return true()  # every offer has a category and a mode
    if kind == "accessibility":
        return select(OfferAccessibility.offer_id).where(col(OfferAccessibility.offer_id) == col(Offer.id)).exists()
    if kind == "risk_setting":
        return select(OfferRiskSetting.offer_id).where(col(OfferRiskSetting.offer_id) == col(Offer.id)).exists()
    return false()


def list_taxonomies(search: str | None, page: int, per_page: int) -> dict[str, Any]:
    found = [t for t in taxonomies() if _matches(search, t["name"], t["description"])]
    return _slice(found, page, per_page)


def list_terms(session: Session, search: str | None, taxonomy_id: str | None, top_only: bool | None,
               parent_id: str | None, page: int, per_page: int) -> dict[str, Any]:
    """The vocabularies are flat: every term is a top term and none has a parent."""
    found = [t for t in terms(session) if _matches(search, t["code"], t["name"], t["description"])
             and (taxonomy_id is None or t["taxonomy_id"] == taxonomy_id) and parent_id is None]
    return _slice(found, page, per_page)


def get_taxonomy(taxonomy_id: str) -> dict[str, Any]:
    found = next((t for t in taxonomies() if t["id"] == taxonomy_id), None)
    if found is None:
        raise NotFound("Taxonomy not found.")
    return found


def get_term(session: Session, term_id: str) -> dict[str, Any]:
    found = next((t for t in terms(session) if t["id"] == term_id), None)
    if found is None:
        raise NotFound("Taxonomy term not found.")
    return found


def _matches(search: str | None, *texts: str) -> bool:
    return search is None or any(search.lower() in t.lower() for t in texts)


def _slice(items: list[dict[str, Any]], page: int, per_page: int) -> dict[str, Any]:
    return hsds._page(items[(page - 1) * per_page:page * per_page], len(items), page, per_page)


# --- services ---------------------------------------------------------------------------------------------

def _services(session: Session, q: ServiceQuery) -> Any:
    stmt = filter_statement(None, OfferFilters(status="published", q=q.search))
    if q.taxonomy_term_id is not None:
        stmt = stmt.where(_term_clause(session, q.taxonomy_term_id))
    if q.taxonomy_id is not None:
        stmt = stmt.where(_taxonomy_clause(q.taxonomy_id))
    if q.organization_id is not None:
        try:
            stmt = stmt.where(col(Offer.organisation_id) == uuid.UUID(q.organization_id))
        except ValueError:
            stmt = stmt.where(false())  # not one of our ids: no organisation provides anything under it
    if q.modified_after is not None:
        stmt = stmt.where(col(Offer.updated_at) >= q.modified_after)
    return stmt


def _offers(session: Session, stmt: Any, page: int, per_page: int) -> tuple[list[Offer], int]:
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    offers = list(session.scalars(stmt.order_by(col(Offer.title), col(Offer.id))
                                  .offset((page - 1) * per_page).limit(per_page)))
    return offers, total


def list_services(session: Session, q: ServiceQuery, page: int, per_page: int, *, minimal: bool = False,
                  full: bool = False) -> dict[str, Any]:
    """`minimal`: just each service's id and last_modified; `full`: fully nested services."""
    offers, total = _offers(session, _services(session, q), page, per_page)
    if minimal:
        return hsds._page([{"id": str(o.id), "last_modified": o.updated_at.isoformat()} for o in offers],
                          total, page, per_page)
    lookups = hsds._Lookups(session, offers)
    return hsds._page([hsds.service_document(o, lookups, full=full) for o in offers], total, page, per_page)


# --- service_at_locations ------------------------------------------------------------------------------

def _with_public_location(stmt: Any) -> Any:
    return stmt.where(col(Offer.confidential_location).is_(False),
                      (col(Offer.address).is_not(None)) | (col(Offer.latitude).is_not(None)))


def list_service_at_locations(session: Session, q: ServiceQuery, page: int, per_page: int, *,
                              full: bool = False) -> dict[str, Any]:
    offers, total = _offers(session, _with_public_location(_services(session, q)), page, per_page)
    lookups = hsds._Lookups(session, offers)
    return hsds._page([_service_at_location(o, lookups, full) for o in offers], total, page, per_page)


def get_service_at_location(session: Session, sal_id: str) -> dict[str, Any]:
    """The id is derived from the offer's, so the offer is found by recomputing it for the candidates."""
    stmt = _with_public_location(_services(session, ServiceQuery()))
    for offer in session.scalars(stmt.order_by(col(Offer.id))):
        if hsds._id("service_at_location", offer.id) == sal_id:
            return _service_at_location(offer, hsds._Lookups(session, [offer]), True)
    raise NotFound("Service at location not found.")


def _service_at_location(offer: Offer, lookups: Any, full: bool) -> dict[str, Any]:
    [sal] = hsds._locations(offer, lookups.kids[offer.id], lookups)
    if full:
        sal["service"] = hsds.service_document(offer, lookups, full=False)
    return sal
