"""Open Referral HSDS 3.0 export of the published directory (read-only, public).

Offers are HSDS *services*, providers are *organizations*. Category, mode, accessibility and risk settings
become `attributes` linked to taxonomy terms of four Tværs taxonomies; served municipalities become
`service_areas`; the schedule becomes an HSDS `schedule` (RRULE fields). A confidential location is left out
entirely (no service_at_location), and organisation addresses are never exported — a shelter's own address
is as sensitive as its offers'. Lists use HSDS paging (`page` from 1, `per_page`).

Identifiers of derived HSDS objects (phones, schedules, attributes, …) are UUIDv5 names of their source, so
they are stable between exports.
"""

import math
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.errors import NotFound
from service.offers.labels import CATEGORIES, MODES
from service.offers.models import Offer, OfferStatus
from service.offers.schedule import LOCAL, Frequency, next_occurrences
from service.offers.schedule import load as load_schedule
from service.offers.service import load_children
from service.organisations.models import Organisation
from service.reference.models import Municipality, RiskSetting
from service.reference.vocabulary import ACCESSIBILITY_LABELS, LANGUAGE_NAMES, AccessibilityFeature

LANGUAGE = "da"  # the directory's language: every text of the export is Danish, as the offers are written
NAMESPACE = uuid.UUID("5b0c8f0e-51a7-4d55-9a43-0d7f3b2c7e11")
MAX_PER_PAGE = 200

TAXONOMIES = {
    "category": ("tvaers-offer-category", "Tværs' kategorier af tilbud"),
    "mode": ("tvaers-offer-mode", "Tværs' måder at deltage på"),
    "accessibility": ("tvaers-accessibility", "Tværs' ordliste for tilgængelighed (den samme som for borgeres behov)"),
    "risk_setting": ("tvaers-risk-setting", "Anbefaling 4's risikosituationer (mennesker i særlig risiko)"),
}
# One vocabulary: the Danish labels of /reference/vocabularies (service/offers/labels.py).
CATEGORY_LABELS: dict[str, str] = {code: da for code, (da, _) in CATEGORIES.labels.items()}
MODE_LABELS: dict[str, str] = {code: da for code, (da, _) in MODES.labels.items()}
ORG_KIND_LABELS: dict[str, str] = {
    "school": "Skole", "care_home": "Plejehjem", "shelter": "Herberg/forsorgshjem", "crisis_centre": "Krisecenter",
    "residential_institution": "Døgninstitution", "social_housing_facility": "Socialt botilbud",
    "prison_probation": "Kriminalforsorgen", "civil_society": "Civilsamfundsorganisation",
    "municipality": "Kommune", "region": "Region", "ministry": "Ministerium",
}


def _id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def _clean(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v is not None}


def _term(kind: str, code: str, name: str, description: str) -> dict[str, Any]:
    taxonomy, taxonomy_name = TAXONOMIES[kind]
    return {
        "id": _id("taxonomy_term", taxonomy, code), "code": code, "name": name, "description": description,
        "taxonomy": taxonomy, "language": LANGUAGE, "taxonomy_id": _id("taxonomy", taxonomy),
        "taxonomy_detail": {"id": _id("taxonomy", taxonomy), "name": taxonomy, "description": taxonomy_name},
    }


def _attribute(offer_id: uuid.UUID, term: dict[str, Any]) -> dict[str, Any]:
    return {"id": _id("attribute", offer_id, term["id"]), "link_id": str(offer_id), "link_type": "service",
            "link_entity": "service", "taxonomy_term_id": term["id"], "value": term["code"], "taxonomy_term": term}


def _eligibility(offer: Offer, kids: dict[str, list[str]], lookups: "_Lookups") -> str | None:
    settings = ", ".join(lookups.risk_settings[c].label_da for c in kids["risk_settings"]
                         if c in lookups.risk_settings)
    parts = [offer.eligibility, f"Målgrupper: {settings}" if settings and offer.eligibility else settings]
    return ". ".join(p for p in parts if p) or None


def _schedule(offer: Offer) -> list[dict[str, Any]]:
    schedule = load_schedule(offer.schedule)
    if schedule is None:
        return []
    doc: dict[str, Any] = {
        "id": _id("schedule", offer.id), "service_id": str(offer.id), "notes": schedule.notes,
        "valid_from": schedule.valid_from.isoformat() if schedule.valid_from else None,
        "valid_to": schedule.valid_to.isoformat() if schedule.valid_to else None,
    }
    if schedule.by_agreement or schedule.freq is None:
        doc["description"] = "Efter aftale"
        return [_clean(doc)]
    byday: str | None
    if schedule.freq == Frequency.weekly:
        byday = ",".join(schedule.weekdays)
    else:
        byday = ",".join(f"{schedule.week_of_month}{d}" for d in schedule.weekdays) or None
    doc.update({
        "freq": schedule.freq.upper(), "interval": schedule.interval, "wkst": "MO", "byday": byday,
        "bymonthday": str(schedule.month_day) if schedule.month_day else None,
        "dtstart": schedule.valid_from.isoformat() if schedule.valid_from else None,
        "until": schedule.valid_to.isoformat() if schedule.valid_to else None,
        "opens_at": schedule.start_time.isoformat(timespec="minutes") if schedule.start_time else None,
        "closes_at": schedule.end_time.isoformat(timespec="minutes") if schedule.end_time else None,
        "description": _next_times(offer) or schedule.rrule(),
    })
    return [_clean(doc)]


def _next_times(offer: Offer) -> str | None:
    """The next meetings in words (HSDS has no field for computed occurrences): "Næste gange: 24.11.2026
    10:00–12:00, …", in Danish local time."""
    upcoming = next_occurrences(offer.schedule, offer.created_at.astimezone(LOCAL).date(), datetime.now(UTC))
    if not upcoming:
        return None
    return "Næste gange: " + ", ".join(f"{s:%d.%m.%Y %H:%M}–{e:%H:%M}" for s, e in upcoming)


class _Lookups:
    """Reference data and providers for a batch of offers: a fixed number of statements per page."""

    def __init__(self, session: Session, offers: list[Offer]) -> None:
        self.kids = load_children(session, [o.id for o in offers])
        codes = {c for k in self.kids.values() for c in k["municipality_codes"]}
        self.municipalities = {m.code: m for m in session.scalars(
            select(Municipality).where(col(Municipality.code).in_(codes)))} if codes else {}
        self.risk_settings = {r.code: r for r in session.scalars(select(RiskSetting))}
        org_ids = {o.organisation_id for o in offers}
        self.organisations = {o.id: o for o in session.scalars(
            select(Organisation).where(col(Organisation.id).in_(org_ids)))} if org_ids else {}


def organization_document(org: Organisation, *, full: bool, services: list[dict[str, Any]] | None = None,
                          municipality: Municipality | None = None) -> dict[str, Any]:
    kind = ORG_KIND_LABELS.get(org.kind, org.kind)
    place = f" i {municipality.name}" if municipality else ""
    doc: dict[str, Any] = _clean({
        "id": str(org.id), "name": org.name, "description": f"{kind}{place}.", "email": org.email,
        "website": org.website, "tax_id": org.cvr,
    })
    if not full:
        return doc
    doc["phones"] = [{"id": _id("phone", org.id), "organization_id": str(org.id), "number": org.phone}] \
        if org.phone else []
    doc["organization_identifiers"] = [{
        "id": _id("identifier", org.id), "organization_id": str(org.id), "identifier_scheme": "DK-CVR",
        "identifier_type": "CVR", "identifier": org.cvr}] if org.cvr else []
    doc["services"] = services or []
    return doc


def service_document(offer: Offer, lookups: _Lookups, *, full: bool) -> dict[str, Any]:
    kids = lookups.kids[offer.id]
    org = lookups.organisations[offer.organisation_id]
    fees = "Gratis" if offer.cost_free else offer.cost_text
    doc: dict[str, Any] = _clean({
        "id": str(offer.id), "organization_id": str(offer.organisation_id), "name": offer.title,
        "description": offer.description, "url": offer.website, "email": offer.contact_email,
        "status": "active" if offer.status == OfferStatus.published else "inactive",
        "fees_description": fees, "minimum_age": offer.min_age, "maximum_age": offer.max_age,
        "interpretation_services": "Tolk efter behov" if AccessibilityFeature.interpreter in kids[
            "accessibility"] else None,
        "eligibility_description": _eligibility(offer, kids, lookups),
        "application_process": offer.intake,
        "last_modified": offer.updated_at.isoformat(),
        "organization": organization_document(org, full=False),
    })
    if not full:
        return doc
    sid = str(offer.id)
    category = CATEGORY_LABELS.get(offer.category, offer.category)
    mode = MODE_LABELS.get(offer.mode, offer.mode)
    terms = [_term("category", offer.category, category, category), _term("mode", offer.mode, mode, mode)]
    terms += [_term("accessibility", f, ACCESSIBILITY_LABELS[AccessibilityFeature(f)][0],
                    ACCESSIBILITY_LABELS[AccessibilityFeature(f)][0]) for f in kids["accessibility"]]
    terms += [_term("risk_setting", c, lookups.risk_settings[c].label_da, lookups.risk_settings[c].label_da)
              for c in kids["risk_settings"] if c in lookups.risk_settings]
    doc["attributes"] = [_attribute(offer.id, t) for t in terms]
    if offer.nationwide:
        doc["service_areas"] = [{"id": _id("area", offer.id, "DK"), "service_id": sid, "name": "Danmark",
                                 "description": "Hele landet", "extent_type": "country"}]
    else:
        doc["service_areas"] = [_clean({
            "id": _id("area", offer.id, code), "service_id": sid,
            "name": lookups.municipalities[code].name if code in lookups.municipalities else code,
            "description": f"Kommunekode {code}", "extent_type": "municipality"})
            for code in kids["municipality_codes"]]
    doc["languages"] = [{"id": _id("language", offer.id, code), "service_id": sid, "code": code,
                         "name": LANGUAGE_NAMES.get(code, code)} for code in kids["languages"]]
    doc["schedules"] = _schedule(offer)
    doc["cost_options"] = [_clean({
        "id": _id("cost", offer.id), "service_id": sid, "currency": "DKK",
        "amount": 0 if offer.cost_free else None, "option": "Gratis" if offer.cost_free else offer.cost_text})]
    doc["phones"] = [{"id": _id("phone", offer.id), "service_id": sid, "number": offer.contact_phone}] \
        if offer.contact_phone else []
    doc["contacts"] = [_clean({"id": _id("contact", offer.id), "service_id": sid, "name": offer.contact_name,
                               "email": offer.contact_email})] if offer.contact_name or offer.contact_email else []
    doc["service_at_locations"] = _locations(offer, kids, lookups) if not offer.confidential_location else []
    return doc


def _locations(offer: Offer, kids: dict[str, list[str]], lookups: _Lookups) -> list[dict[str, Any]]:
    """Only ever called for offers whose location is public."""
    if offer.address is None and offer.latitude is None:
        return []
    location_id = _id("location", offer.id)
    location: dict[str, Any] = _clean({
        "id": location_id, "location_type": "physical", "name": offer.title, "organization_id":
        str(offer.organisation_id), "latitude": offer.latitude, "longitude": offer.longitude,
        "transportation": offer.transport_notes})
    first = lookups.municipalities.get(kids["municipality_codes"][0]) if kids["municipality_codes"] else None
    if offer.address and offer.postcode and offer.city:
        location["addresses"] = [{
            "id": _id("address", offer.id), "location_id": location_id, "address_1": offer.address,
            "city": offer.city, "state_province": first.region_name if first else "Danmark",
            "postal_code": offer.postcode, "country": "DK", "address_type": "physical"}]
    return [{"id": _id("service_at_location", offer.id), "service_id": str(offer.id), "location_id": location_id,
             "location": location}]


def _page(contents: list[dict[str, Any]], total: int, page: int, per_page: int) -> dict[str, Any]:
    total_pages = math.ceil(total / per_page) if total else 0
    return {"total_items": total, "total_pages": total_pages, "page_number": page, "size": len(contents),
            "first_page": page == 1, "last_page": page >= total_pages, "empty": not contents,
            "contents": contents}


def _published() -> Any:
    return select(Offer).where(col(Offer.status) == OfferStatus.published)


def get_service(session: Session, offer_id: uuid.UUID) -> dict[str, Any]:
    offer = session.scalar(_published().where(col(Offer.id) == offer_id))
    if offer is None:
        raise NotFound("Service not found.")
    return service_document(offer, _Lookups(session, [offer]), full=True)


def _providers() -> Any:
    has_published = select(Offer.id).where(col(Offer.organisation_id) == Organisation.id,
                                           col(Offer.status) == OfferStatus.published).exists()
    return select(Organisation).where(has_published)


def list_organizations(session: Session, page: int, per_page: int, *, search: str | None = None,
                       full: bool = False, full_service: bool = False) -> dict[str, Any]:
    """`full`: each organization fully nested, its services too when `full_service`."""
    stmt = _providers()
    if search:
        stmt = stmt.where(func.lower(col(Organisation.name)).contains(search.lower(), autoescape=True))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    orgs = list(session.scalars(stmt.order_by(col(Organisation.name), col(Organisation.id))
                                .offset((page - 1) * per_page).limit(per_page)))
    codes = {o.municipality_code for o in orgs}
    municipalities = {m.code: m for m in session.scalars(
        select(Municipality).where(col(Municipality.code).in_(codes)))} if codes else {}
    services: dict[uuid.UUID, list[dict[str, Any]]] = {o.id: [] for o in orgs}
    if full and orgs:
        offers = list(session.scalars(_published().where(col(Offer.organisation_id).in_(services))
                                      .order_by(col(Offer.title), col(Offer.id))))
        lookups = _Lookups(session, offers)
        for offer in offers:
            services[offer.organisation_id].append(service_document(offer, lookups, full=full_service))
    contents = [organization_document(o, full=full, services=services[o.id],
                                      municipality=municipalities.get(o.municipality_code)) for o in orgs]
    return _page(contents, total, page, per_page)


def get_organization(session: Session, org_id: uuid.UUID, *, full_service: bool = False) -> dict[str, Any]:
    org = session.scalar(_providers().where(col(Organisation.id) == org_id))
    if org is None:
        raise NotFound("Organization not found.")
    offers = list(session.scalars(_published().where(col(Offer.organisation_id) == org_id)
                                  .order_by(col(Offer.title), col(Offer.id))))
    lookups = _Lookups(session, offers)
    services = [service_document(o, lookups, full=full_service) for o in offers]
    return organization_document(org, full=True, services=services,
                                 municipality=session.get(Municipality, org.municipality_code))
