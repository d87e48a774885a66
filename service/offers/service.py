"""The offer directory's verbs: list (all filters in SQL), get, create, update, change status.

Every verb a door calls takes the principal and returns the read model `OfferRead` (or a page of them), built
by `_present` under the location rule; the ORM rows stay in here. `add_offer`/`apply_fields` are the writes the
spreadsheet import shares, not verbs of a door."""

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import Conflict, NotFound, Unprocessable, field_errors
from service.core.folding import fold, search_text
from service.core.pagination import PageParams
from service.core.principal import Principal
from service.core.types import utcnow
from service.core.versions import claim_version
from service.events import EventType, emit
from service.events.offers import OFFER_STATUSES, offer_changed
from service.offers import policy
from service.offers.dto import CHILD_FIELDS, ROW_FIELDS, OfferCreate, OfferFields, OfferRead, OfferUpdate
from service.offers.models import (
    Offer,
    OfferAccessibility,
    OfferLanguage,
    OfferMunicipality,
    OfferRiskSetting,
    OfferStatus,
)
from service.offers.schedule import LOCAL, next_occurrences
from service.offers.schedule import load as load_schedule
from service.offers.search import OfferFilters, filter_statement, has_capacity_clause, page_offers
from service.organisations.models import Organisation
from service.reference.service import check_municipality_codes, check_risk_setting_codes

__all__ = ["OfferFilters", "filter_statement", "has_capacity_clause"]  # the search, re-exported

PURPOSE = "offer_directory"
S = OfferStatus
# The lifecycle: current status → the statuses it may change to.
TRANSITIONS: dict[OfferStatus, tuple[OfferStatus, ...]] = {
    S.draft: (S.published, S.closed),
    S.published: (S.paused, S.closed),
    S.paused: (S.published, S.closed),
    S.closed: (),
}
# child field → (table, value column)
CHILDREN: dict[str, tuple[Any, Any]] = {
    "municipality_codes": (OfferMunicipality, OfferMunicipality.municipality_code),
    "risk_settings": (OfferRiskSetting, OfferRiskSetting.risk_setting_code),
    "languages": (OfferLanguage, OfferLanguage.language),
    "accessibility": (OfferAccessibility, OfferAccessibility.feature),
}
LOCATION_FIELDS = ("address", "postcode", "latitude", "longitude")


def load_children(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, list[str]]]:
    """The multi-valued attributes of many offers: one statement per child table, whatever the count."""
    out: dict[uuid.UUID, dict[str, list[str]]] = {i: {name: [] for name in CHILDREN} for i in ids}
    if not ids:
        return out
    for name, (table, value_column) in CHILDREN.items():
        rows = session.execute(select(table.offer_id, value_column).where(col(table.offer_id).in_(ids))
                               .order_by(table.offer_id, value_column))
        for offer_id, value in rows:
            out[offer_id][name].append(value)
    return out


def to_read(offer: Offer, kids: dict[str, list[str]], location_visible: bool, provider_name: str,
            now: datetime | None = None) -> OfferRead:
    data = {name: getattr(offer, name) for name in OfferRead.model_fields if hasattr(offer, name)}
    data.update(kids)
    data["provider_name"] = provider_name
    anchor = offer.created_at.astimezone(LOCAL).date()
    data["next_occurrences"] = [{"starts_at": s, "ends_at": e} for s, e in next_occurrences(
        offer.schedule, anchor, now or datetime.now(UTC))]
    schedule = load_schedule(offer.schedule)
    data["schedule"] = schedule
    data["rrule"] = schedule.rrule() if schedule else None
    data["available_places"] = None if offer.capacity is None else max(offer.capacity - offer.seats_taken, 0)
    data["location_hidden"] = not location_visible
    if not location_visible:
        for name in LOCATION_FIELDS:
            data[name] = None
    return OfferRead.model_validate(data)


def _present(session: Session, principal: Principal | None, offers: list[Offer]) -> list[OfferRead]:
    """Offers as the caller may see them (batched: constant statements per page)."""
    kids = load_children(session, [o.id for o in offers])
    visible = policy.visible_location_ids(session, principal, offers)
    names = organisation_names(session, {o.organisation_id for o in offers})
    now = datetime.now(UTC)
    return [to_read(o, kids[o.id], o.id in visible, names.get(o.organisation_id, ""), now) for o in offers]


def organisation_names(session: Session, organisation_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not organisation_ids:
        return {}
    return dict(session.execute(  # type: ignore[arg-type]
        select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(organisation_ids))).all())


def _present_one(session: Session, principal: Principal | None, offer: Offer) -> OfferRead:
    return _present(session, principal, [offer])[0]


def list_offers(session: Session, principal: Principal | None, params: PageParams,
                filters: OfferFilters) -> tuple[list[OfferRead], str | None]:
    """A page of the offers the caller may read that match the filters, as read models (constant statements)."""
    rows, cursor = page_offers(session, principal, params, filters)
    return _present(session, principal, rows), cursor


def read_many(session: Session, principal: Principal | None,
              offer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OfferRead]:
    """The batch reader (GraphQL's `Referral.offer`): the offers among `offer_ids` the read rule lets the caller
    see — another organisation's draft is absent, as `get` answers 404 — in a constant number of statements."""
    ids = set(offer_ids)
    rows = list(session.scalars(select(Offer).where(col(Offer.id).in_(ids), policy.readable_clause(principal)))) \
        if ids else []
    return {r.id: r for r in _present(session, principal, rows)}


def provider_names(session: Session, principal: Principal | None,
                   offer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Offer id → its provider's name, for the offers the caller may read (the name is public with the offer)."""
    ids = set(offer_ids)
    if not ids:
        return {}
    return dict(session.execute(  # type: ignore[arg-type]
        select(Offer.id, Organisation.name).join(Organisation, col(Organisation.id) == col(Offer.organisation_id))
        .where(col(Offer.id).in_(ids), policy.readable_clause(principal))).all())


def get(session: Session, principal: Principal | None, offer_id: uuid.UUID) -> OfferRead:
    """The offer as the caller may see it; another organisation's unpublished offer is a 404."""
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise NotFound("Offer not found.")
    policy.ensure_readable(principal, offer)
    return _present_one(session, principal, offer)


def _get_for_change(session: Session, principal: Principal, offer_id: uuid.UUID, lock: bool = False) -> Offer:
    offer = session.get(Offer, offer_id, with_for_update=lock, populate_existing=lock)
    if offer is None:
        raise NotFound("Offer not found.")
    policy.ensure_can_manage(principal, offer)
    return offer


def check_references(session: Session, data: OfferFields) -> None:
    check_municipality_codes(session, data.municipality_codes, field="municipality_codes")
    check_risk_setting_codes(session, data.risk_settings, field="risk_settings")


def _row_values(data: OfferFields) -> dict[str, Any]:
    values = {name: getattr(data, name) for name in ROW_FIELDS}
    values["schedule"] = data.schedule.to_storage() if data.schedule else None
    for enum_field in ("category", "mode"):
        values[enum_field] = str(values[enum_field])
    if values["contact_email"] is not None:
        values["contact_email"] = str(values["contact_email"])
    values["title_folded"] = fold(data.title)
    values["search_text"] = search_text(data.title, data.city, data.description)
    values["address_folded"] = fold(data.address) or None
    return values


def check_external_id(session: Session, organisation_id: uuid.UUID, external_id: str | None,
                      offer_id: uuid.UUID | None = None) -> None:
    """A provider's external ids are unique (the import upserts on them); a clash is a 409 naming no value."""
    if external_id is None:
        return
    clash = session.scalar(select(Offer.id).where(col(Offer.organisation_id) == organisation_id,
                                                  col(Offer.external_id) == external_id))
    if clash is not None and clash != offer_id:
        raise Conflict("Another offer of your organisation has this external_id.", errors=[
            {"field": "external_id", "message": "already used by another offer", "code": "duplicate"}])


def _write_children(session: Session, offer_id: uuid.UUID, data: OfferFields, replace: bool) -> None:
    for name, (table, value_column) in CHILDREN.items():
        if replace:
            session.execute(delete(table).where(col(table.offer_id) == offer_id))
        values = [str(v) for v in getattr(data, name)]
        if values:
            session.execute(insert(table), [{"offer_id": offer_id, value_column.key: v} for v in values])


def add_offer(session: Session, organisation_id: uuid.UUID, data: OfferCreate) -> Offer:
    """Insert one validated offer for an organisation (used by create and the CSV import)."""
    now = utcnow()
    offer = Offer(organisation_id=organisation_id, status=str(data.status), created_at=now, updated_at=now,
                  published_at=now if data.status == S.published else None, **_row_values(data))
    session.add(offer)
    session.flush()
    _write_children(session, offer.id, data, replace=False)
    return offer


def create(session: Session, principal: Principal, data: OfferCreate) -> OfferRead:
    policy.ensure_can_create(principal)
    check_references(session, data)
    check_external_id(session, principal.organisation_id, data.external_id)
    offer = add_offer(session, principal.organisation_id, data)
    record(session, principal, "offer.create", purpose=PURPOSE, subject_type="offer", subject_id=offer.id,
           criterion={"status": offer.status})
    return _present_one(session, principal, offer)


def _as_fields(offer: Offer, kids: dict[str, list[str]]) -> dict[str, Any]:
    data = {name: getattr(offer, name) for name in ROW_FIELDS}
    data.update(kids)
    data["schedule"] = offer.schedule
    return data


def update(session: Session, principal: Principal, offer_id: uuid.UUID, data: OfferUpdate,
           expected_version: int | None) -> OfferRead:
    offer = _get_for_change(session, principal, offer_id)
    claim_version(session, "offer", offer, expected_version)
    changes = data.model_dump(exclude_unset=True)
    merged = _as_fields(offer, load_children(session, [offer.id])[offer.id])
    merged.update(changes)
    try:
        fields = OfferFields.model_validate(merged)
    except ValidationError as exc:
        raise Unprocessable("The offer did not pass validation; see errors.",
                            errors=field_errors(list(exc.errors()))) from exc
    check_references(session, fields)
    check_external_id(session, offer.organisation_id, fields.external_id, offer.id)
    if fields.capacity is not None and fields.capacity < offer.seats_taken:
        raise Unprocessable("Capacity cannot go below the places already taken.", errors=[
            {"field": "capacity", "message": f"{offer.seats_taken} places are taken", "code": "below_taken"}])
    apply_fields(session, offer, fields, children=bool(set(changes) & set(CHILD_FIELDS)))
    record(session, principal, "offer.update", purpose=PURPOSE, subject_type="offer", subject_id=offer.id,
           criterion={"fields": sorted(changes)})
    emit(session, offer_changed(session, EventType.offer_updated, offer))
    return _present_one(session, principal, offer)


def apply_fields(session: Session, offer: Offer, fields: OfferFields, children: bool = True) -> None:
    """Write validated fields onto an existing offer (update and the re-import of a spreadsheet row)."""
    for name, value in _row_values(fields).items():
        setattr(offer, name, value)
    offer.updated_at = utcnow()
    session.add(offer)
    session.flush()
    if children:
        _write_children(session, offer.id, fields, replace=True)


def allowed_actions(status: str) -> list[str]:
    return [str(s) for s in TRANSITIONS[OfferStatus(status)]]


def change_status(session: Session, principal: Principal, offer_id: uuid.UUID, status: OfferStatus,
                  expected_version: int | None = None) -> OfferRead:
    # With If-Match the version is claimed (compare-and-set); without, the row is locked before the lifecycle
    # check, so two concurrent changes cannot both start from the same status.
    offer = _get_for_change(session, principal, offer_id, lock=expected_version is None)
    if expected_version is not None:
        claim_version(session, "offer", offer, expected_version)
    if status not in TRANSITIONS[OfferStatus(offer.status)]:
        allowed = allowed_actions(offer.status)
        raise Conflict(f"An offer cannot go from {offer.status} to {status}; allowed: {', '.join(allowed) or 'none'}.",
                       current_status=offer.status, allowed_actions=allowed)
    previous = offer.status
    offer.status = str(status)
    if status == S.published and offer.published_at is None:
        offer.published_at = utcnow()
    if expected_version is None:
        offer.version += 1  # (a claimed version is already incremented)
    offer.updated_at = utcnow()
    session.add(offer)
    session.flush()
    record(session, principal, "offer.status", purpose=PURPOSE, subject_type="offer", subject_id=offer.id,
           criterion={"from": previous, "to": str(status)})
    if str(status) in OFFER_STATUSES:
        emit(session, offer_changed(session, OFFER_STATUSES[str(status)], offer))
    return _present_one(session, principal, offer)

