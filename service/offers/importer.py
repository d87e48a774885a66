"""Spreadsheet import of offers (CSV or XLSX, service/offers/spreadsheet.py): every row is validated with the
same DTO as `POST /offers` before anything is written; one bad row and nothing is written.

Cells are read as people type them: `ja`/`nej`/`sand`/`falsk`, decimal commas in coordinates, Danish dates
(`31-12-2026`, `31.12.2026`) and times (`10.00`), code lists by code or by their Danish or English label
(`Telefonven`, `Fremmøde`, `Mandag`), multi-valued cells separated by `;`, `,` or `|`, and municipality codes
that a spreadsheet stored as numbers (`101` → `0101`).

Re-import: a row whose `external_id` names an offer of the caller's organisation updates that offer (all its
fields, as the row gives them; a `status` that differs must be an allowed lifecycle change) instead of creating
a duplicate. `dry_run` does all of this — including telling creates from updates — and writes nothing.
"""

import re
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import Unprocessable, field_errors
from service.core.principal import Principal
from service.core.types import utcnow
from service.events import EventType, emit
from service.events.offers import OFFER_STATUSES, offer_changed
from service.offers import labels, policy
from service.offers.dto import OfferCreate
from service.offers.import_messages import translate
from service.offers.models import Offer, OfferStatus
from service.offers.service import PURPOSE, TRANSITIONS, add_offer, apply_fields
from service.offers.spreadsheet import MAX_BYTES, MAX_ROWS, ContentTooLarge, Sheet, read
from service.reference.models import Municipality, RiskSetting
from service.reference.vocabulary import ACCESSIBILITY, Vocabulary

__all__ = ["MAX_BYTES", "MAX_ROWS", "ContentTooLarge", "ImportPlan", "import_offers"]

LIST_COLUMNS = ("municipality_codes", "risk_settings", "languages", "accessibility", "schedule_weekdays")
BOOL_COLUMNS = ("nationwide", "confidential_location", "cost_free", "schedule_by_agreement")
_TRUE = {"true", "yes", "ja", "1", "sand", "x"}
_FALSE = {"false", "no", "nej", "0", "falsk"}
CODED: dict[str, Vocabulary] = {
    "category": labels.CATEGORIES, "mode": labels.MODES, "status": labels.STATUSES,
    "accessibility": ACCESSIBILITY, "schedule_freq": labels.FREQUENCIES, "schedule_weekdays": labels.WEEKDAYS,
}
_DANISH_DATE = re.compile(r"^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$")
_DANISH_TIME = re.compile(r"^(\d{1,2})[.:](\d{2})$")
_SPLIT = re.compile(r"[;,|]")


def _coded(column: str, value: str) -> str:
    vocabulary = CODED.get(column)
    return (vocabulary.lookup(value) or value) if vocabulary else value


def _cell(column: str, value: str) -> Any:
    if column in LIST_COLUMNS:
        values = [_coded(column, v.strip()) for v in _SPLIT.split(value) if v.strip()]
        if column == "municipality_codes":
            values = [v.zfill(4) if v.isdigit() and len(v) < 4 else v for v in values]
        return values
    if column in BOOL_COLUMNS and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    if column in ("latitude", "longitude"):
        return value.replace(",", ".")
    if column == "postcode" and value.isdigit() and len(value) == 3:
        return value.zfill(4)
    if column in ("schedule_valid_from", "schedule_valid_to") and (m := _DANISH_DATE.match(value)):
        return f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
    if column in ("schedule_start_time", "schedule_end_time") and (m := _DANISH_TIME.match(value)):
        return f"{int(m[1]):02d}:{m[2]}"
    return _coded(column, value)


def row_to_input(row: dict[str, str]) -> dict[str, Any]:
    """A spreadsheet row → the JSON body `POST /offers` would take (empty cells left out)."""
    data: dict[str, Any] = {}
    schedule: dict[str, Any] = {}
    for column, raw in row.items():
        if raw is None or not raw.strip():
            continue
        value = _cell(column, raw.strip())
        if column.startswith("schedule_"):
            schedule[column.removeprefix("schedule_")] = value
        else:
            data[column] = value
    if schedule:
        data["schedule"] = schedule
    return data


@dataclass
class PlannedRow:
    row: int
    data: OfferCreate
    existing: Offer | None  # the offer this row updates (same provider, same external_id)
    status: str | None  # the row's status cell (an update changes the status only when it is filled)


@dataclass
class ImportPlan:
    rows: list[PlannedRow]
    written_ids: list[uuid.UUID]

    def result(self, dry_run: bool) -> dict[str, Any]:
        created = sum(1 for r in self.rows if r.existing is None)
        ids = self.written_ids if not dry_run else [r.existing.id for r in self.rows if r.existing]
        return {"dry_run": dry_run, "created": created, "updated": len(self.rows) - created, "ids": ids,
                "rows": [{"row": r.row, "action": "update" if r.existing else "create",
                          "id": (r.existing.id if r.existing else (None if dry_run else self.written_ids[i])),
                          "external_id": r.data.external_id} for i, r in enumerate(self.rows)]}


def _error(row: int, field: str | None, code: str, message: str) -> dict[str, Any]:
    return {"row": row, "field": field, "code": code, "message": message}


def _existing(session: Session, organisation_id: uuid.UUID, external_ids: set[str], lock: bool) -> dict[str, Offer]:
    if not external_ids:
        return {}
    stmt = select(Offer).where(col(Offer.organisation_id) == organisation_id,
                               col(Offer.external_id).in_(external_ids)).order_by(col(Offer.id))
    return {o.external_id or "": o for o in session.scalars(stmt.with_for_update() if lock else stmt)}


def plan(session: Session, principal: Principal, sheet: Sheet, lock: bool) -> ImportPlan:
    """Every row through OfferCreate, the reference-code checks and the upsert rules; all errors at once."""
    errors = [_error(n, None, "field_count", f"expected one cell per column, got {w}")
              for n, w in sheet.bad_width.items()]
    valid: list[tuple[int, OfferCreate]] = []
    inputs: dict[int, dict[str, Any]] = {}
    for number, row in sheet.rows:
        inputs[number] = row_to_input(row)
        try:
            # The status is checked below: a new offer starts as draft or published, an existing one may move on.
            valid.append((number, OfferCreate.model_validate({k: v for k, v in inputs[number].items()
                                                              if k != "status"})))
        except ValidationError as exc:
            errors += [{"row": number, **e} for e in field_errors(list(exc.errors()))]
    municipalities = {c for _, o in valid for c in o.municipality_codes}
    risk_settings = {c for _, o in valid for c in o.risk_settings}
    known_m = set(session.scalars(select(Municipality.code).where(col(Municipality.code).in_(municipalities))))
    known_r = set(session.scalars(select(RiskSetting.code).where(col(RiskSetting.code).in_(risk_settings))))
    seen: dict[str, int] = {}
    existing = _existing(session, principal.organisation_id, {o.external_id for _, o in valid if o.external_id},
                         lock)
    planned: list[PlannedRow] = []
    for number, offer in valid:
        errors += [_error(number, "municipality_codes", "unknown_code", f"unknown municipality code {c}")
                   for c in offer.municipality_codes if c not in known_m]
        errors += [_error(number, "risk_settings", "unknown_code", f"unknown risk setting {c}")
                   for c in offer.risk_settings if c not in known_r]
        current = existing.get(offer.external_id) if offer.external_id else None
        if offer.external_id and offer.external_id in seen:
            errors.append(_error(number, "external_id", "duplicate_external_id",
                                 f"the same external_id as row {seen[offer.external_id]}"))
        elif offer.external_id:
            seen[offer.external_id] = number
        status = inputs[number].get("status")
        if current is not None:
            errors += _update_errors(number, offer, current, status)
        elif status is not None:
            try:
                offer = OfferCreate.model_validate(inputs[number])
            except ValidationError as exc:
                errors += [{"row": number, **e} for e in field_errors(list(exc.errors()))]
        planned.append(PlannedRow(number, offer, current, status))
    if errors:
        bad_rows = sorted({e["row"] for e in errors})
        named = [{**e, "column": _column(sheet, e["field"])} for e in errors]
        raise Unprocessable(f"{len(bad_rows)} row(s) are not valid; nothing was imported.",
                            errors=sorted(named, key=lambda e: (e["row"], e["field"] or "")), bad_rows=bad_rows)
    return ImportPlan(planned, [])


def _column(sheet: Sheet, field: str | None) -> str | None:
    """The column header as the file wrote it (`Kommunekoder`), for the person fixing the spreadsheet."""
    if not field:
        return None
    parts = field.split(".")
    key = "_".join(parts[:2]) if parts[0] == "schedule" else parts[0]
    return sheet.written.get(key)


def _update_errors(number: int, data: OfferCreate, current: Offer, status: str | None) -> list[dict[str, Any]]:
    errors = []
    if data.capacity is not None and data.capacity < current.seats_taken:
        errors.append(_error(number, "capacity", "below_taken", f"{current.seats_taken} places are taken"))
    if status is not None and status not in set(OfferStatus):
        errors.append(_error(number, "status", "enum", "not one of the offer statuses"))
    elif status is not None and status != current.status and status not in TRANSITIONS[OfferStatus(current.status)]:
        errors.append(_error(number, "status", "status_transition",
                             f"an offer cannot go from {current.status} to {status}"))
    return errors


def _update(session: Session, current: Offer, data: OfferCreate, status: str | None) -> None:
    apply_fields(session, current, data)
    current.version += 1
    previous = current.status
    if status is not None and status != previous:
        current.status = status
        if status == OfferStatus.published and current.published_at is None:
            current.published_at = utcnow()
    session.add(current)
    session.flush()
    emit(session, offer_changed(session, EventType.offer_updated, current))
    if current.status != previous and current.status in OFFER_STATUSES:
        emit(session, offer_changed(session, OFFER_STATUSES[current.status], current))


def import_offers(session: Session, principal: Principal, content: bytes, *, dry_run: bool = False,
                  danish: bool = False) -> dict[str, Any]:
    """Validate the whole file, then (unless `dry_run`) create and update in the caller's transaction."""
    policy.ensure_can_create(principal)
    try:
        sheet = read(content)
        result = plan(session, principal, sheet, lock=not dry_run)
    except (Unprocessable, ContentTooLarge) as exc:
        if danish:
            raise translate(exc) from None
        raise
    if dry_run:
        return result.result(dry_run=True)
    for planned in result.rows:
        if planned.existing is None:
            result.written_ids.append(add_offer(session, principal.organisation_id, planned.data).id)
        else:
            _update(session, planned.existing, planned.data, planned.status)
            result.written_ids.append(planned.existing.id)
    body = result.result(dry_run=False)
    record(session, principal, "offer.import", purpose=PURPOSE, subject_type="organisation",
           subject_id=principal.organisation_id,
           criterion={"rows": len(result.rows), "created": body["created"], "updated": body["updated"]})
    return body
