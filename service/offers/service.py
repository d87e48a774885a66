"""The offer directory's verbs: list (all filters in SQL), get, create, update, change status."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, delete, func, insert, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.dto import refuse_nul
from service.core.errors import Conflict, NotFound, Unauthorized, Unprocessable, field_errors
from service.core.pagination import PageParams, keyset_page
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
from service.offers.schedule import load as load_schedule
from service.organisations.models import Organisation
from service.reference.service import check_municipality_codes, check_risk_setting_codes

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


@dataclass(frozen=True)
class OfferFilters:
    municipality_code: str | None = None
    risk_setting: str | None = None
    category: str | None = None
    mode: str | None = None
    age: int | None = None
    accessibility: list[str] = field(default_factory=list)
    language: str | None = None
    has_capacity: bool | None = None
    q: str | None = None
    mine: bool = False
    status: str | None = None

    def __post_init__(self) -> None:
        # REST validates its query parameters at the edge; GraphQL arguments arrive here unchecked.
        refuse_nul(self.__dict__.items())

    def criterion(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [], False)}


def _has(table: Any, value_column: Any, value: Any) -> ColumnElement[bool]:
    return select(table.offer_id).where(table.offer_id == Offer.id, value_column == value).exists()


def has_capacity_clause() -> ColumnElement[bool]:
    return or_(col(Offer.capacity).is_(None), col(Offer.seats_taken) < col(Offer.capacity))


def filter_statement(principal: Principal | None, f: OfferFilters) -> Any:
    """SELECT offer … with the caller's visibility and every filter combined with AND, all in SQL."""
    stmt = select(Offer).where(policy.readable_clause(principal))
    if f.mine:
        if principal is None:
            raise Unauthorized("Authentication required for mine=true.")
        stmt = stmt.where(policy.own_clause(principal))
    if f.status:
        stmt = stmt.where(col(Offer.status) == f.status)
    if f.municipality_code:
        stmt = stmt.where(or_(col(Offer.nationwide).is_(True),
                              _has(OfferMunicipality, OfferMunicipality.municipality_code, f.municipality_code)))
    if f.risk_setting:
        stmt = stmt.where(_has(OfferRiskSetting, OfferRiskSetting.risk_setting_code, f.risk_setting))
    if f.category:
        stmt = stmt.where(col(Offer.category) == f.category)
    if f.mode:
        stmt = stmt.where(col(Offer.mode) == f.mode)
    if f.age is not None:
        stmt = stmt.where(or_(col(Offer.min_age).is_(None), col(Offer.min_age) <= f.age),
                          or_(col(Offer.max_age).is_(None), col(Offer.max_age) >= f.age))
    for feature in dict.fromkeys(f.accessibility):
        stmt = stmt.where(_has(OfferAccessibility, OfferAccessibility.feature, feature))
    if f.language:
        stmt = stmt.where(_has(OfferLanguage, OfferLanguage.language, f.language))
    if f.has_capacity is True:
        stmt = stmt.where(has_capacity_clause())
    elif f.has_capacity is False:
        stmt = stmt.where(~has_capacity_clause())
    if f.q:
        needle = f.q.lower()
        texts = [func.lower(c).contains(needle, autoescape=True)
                 for c in (col(Offer.title), col(Offer.description), col(Offer.city))]
        # The address only matches where the caller may see it: a search must not reveal a hidden location.
        hidden_aware = func.lower(col(Offer.address)).contains(needle, autoescape=True) & \
            policy.location_visible_clause(principal)
        stmt = stmt.where(or_(*texts, hidden_aware))
    return stmt


def list_offers(session: Session, principal: Principal | None, params: PageParams,
                filters: OfferFilters) -> tuple[list[Offer], str | None]:
    return keyset_page(session, filter_statement(principal, filters), [Offer.title, Offer.id], params)


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


def to_read(offer: Offer, kids: dict[str, list[str]], location_visible: bool) -> OfferRead:
    data = {name: getattr(offer, name) for name in OfferRead.model_fields if hasattr(offer, name)}
    data.update(kids)
    schedule = load_schedule(offer.schedule)
    data["schedule"] = schedule
    data["rrule"] = schedule.rrule() if schedule else None
    data["available_places"] = None if offer.capacity is None else max(offer.capacity - offer.seats_taken, 0)
    data["location_hidden"] = not location_visible
    if not location_visible:
        for name in LOCATION_FIELDS:
            data[name] = None
    return OfferRead.model_validate(data)


def present(session: Session, principal: Principal | None, offers: list[Offer]) -> list[OfferRead]:
    """Offers as the caller may see them (batched: constant statements per page)."""
    kids = load_children(session, [o.id for o in offers])
    visible = policy.visible_location_ids(session, principal, offers)
    return [to_read(o, kids[o.id], o.id in visible) for o in offers]


def present_one(session: Session, principal: Principal | None, offer: Offer) -> OfferRead:
    return present(session, principal, [offer])[0]


def read_many(session: Session, principal: Principal | None,
              offer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OfferRead]:
    """The batch reader (GraphQL's `Referral.offer`): the offers among `offer_ids` the read rule lets the caller
    see — another organisation's draft is absent, as `get` answers 404 — in a constant number of statements."""
    ids = set(offer_ids)
    rows = list(session.scalars(select(Offer).where(col(Offer.id).in_(ids), policy.readable_clause(principal)))) \
        if ids else []
    return {r.id: r for r in present(session, principal, rows)}


def provider_names(session: Session, principal: Principal | None,
                   offer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Offer id → its provider's name, for the offers the caller may read (the name is public with the offer)."""
    ids = set(offer_ids)
    if not ids:
        return {}
    return dict(session.execute(  # type: ignore[arg-type]
        select(Offer.id, Organisation.name).join(Organisation, col(Organisation.id) == col(Offer.organisation_id))
        .where(col(Offer.id).in_(ids), policy.readable_clause(principal))).all())


def get(session: Session, principal: Principal | None, offer_id: uuid.UUID) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise NotFound("Offer not found.")
    policy.ensure_readable(principal, offer)
    return offer


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
    return values


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


def create(session: Session, principal: Principal, data: OfferCreate) -> Offer:
    policy.ensure_can_create(principal)
    check_references(session, data)
    offer = add_offer(session, principal.organisation_id, data)
    record(session, principal, "offer.create", purpose=PURPOSE, subject_type="offer", subject_id=offer.id,
           criterion={"status": offer.status})
    return offer


def _as_fields(offer: Offer, kids: dict[str, list[str]]) -> dict[str, Any]:
    data = {name: getattr(offer, name) for name in ROW_FIELDS}
    data.update(kids)
    data["schedule"] = offer.schedule
    return data


def update(session: Session, principal: Principal, offer_id: uuid.UUID, data: OfferUpdate,
           expected_version: int | None) -> Offer:
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
    if fields.capacity is not None and fields.capacity < offer.seats_taken:
        raise Unprocessable("Capacity cannot go below the places already taken.", errors=[
            {"field": "capacity", "message": f"{offer.seats_taken} places are taken", "code": "below_taken"}])
    for name, value in _row_values(fields).items():
        setattr(offer, name, value)
    offer.updated_at = utcnow()
    session.add(offer)
    session.flush()
    if set(changes) & set(CHILD_FIELDS):
        _write_children(session, offer.id, fields, replace=True)
    record(session, principal, "offer.update", purpose=PURPOSE, subject_type="offer", subject_id=offer.id,
           criterion={"fields": sorted(changes)})
    emit(session, offer_changed(session, EventType.offer_updated, offer))
    return offer


def allowed_actions(status: str) -> list[str]:
    return [str(s) for s in TRANSITIONS[OfferStatus(status)]]


def change_status(session: Session, principal: Principal, offer_id: uuid.UUID, status: OfferStatus,
                  expected_version: int | None = None) -> Offer:
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
    return offer

