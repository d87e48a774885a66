"""CSV bulk import: every row is validated with the same DTO as `POST /offers` before anything is written.

UTF-8 (a byte-order mark is allowed), comma-separated, a header row with the column names below; empty cells
mean "not given"; multi-valued cells separate values with `;`. One bad row → nothing is imported and the
problem lists every bad row (the header is row 1) and field.
"""

import csv
import io
import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import DomainError, Unprocessable, field_errors
from service.core.principal import Principal
from service.offers import policy
from service.offers.dto import OfferCreate
from service.offers.service import PURPOSE, add_offer
from service.reference.models import Municipality, RiskSetting

MAX_BYTES = 1_000_000
MAX_ROWS = 2000

LIST_COLUMNS = ("municipality_codes", "risk_settings", "languages", "accessibility", "schedule_weekdays")
COLUMNS = (
    "title", "description", "category", "mode", "nationwide", "municipality_codes", "risk_settings",
    "min_age", "max_age", "address", "postcode", "city", "latitude", "longitude", "confidential_location",
    "capacity", "languages", "accessibility", "cost_free", "cost_text", "contact_name", "contact_email",
    "contact_phone", "website", "status",
    "schedule_by_agreement", "schedule_freq", "schedule_interval", "schedule_weekdays", "schedule_week_of_month",
    "schedule_month_day", "schedule_start_time", "schedule_end_time", "schedule_valid_from", "schedule_valid_to",
    "schedule_notes",
)
REQUIRED_COLUMNS = ("title", "description", "category", "mode")
_TRUE = {"true", "yes", "ja", "1"}
_FALSE = {"false", "no", "nej", "0"}
BOOL_COLUMNS = ("nationwide", "confidential_location", "cost_free", "schedule_by_agreement")


class ContentTooLarge(DomainError):
    status, title, slug = 413, "Content too large", "content-too-large"


def _problem(detail: str, errors: list[dict[str, Any]]) -> Unprocessable:
    return Unprocessable(detail, errors=errors)


def _cell(column: str, raw: str) -> Any:
    value = raw.strip()
    if column in LIST_COLUMNS:
        return [v.strip() for v in value.split(";") if v.strip()]
    if column in BOOL_COLUMNS and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    return value


def row_to_input(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row → the JSON body `POST /offers` would take (empty cells left out)."""
    data: dict[str, Any] = {}
    schedule: dict[str, Any] = {}
    for column, raw in row.items():
        if raw is None or not raw.strip():
            continue
        value = _cell(column, raw)
        if column.startswith("schedule_"):
            schedule[column.removeprefix("schedule_")] = value
        else:
            data[column] = value
    if schedule:
        data["schedule"] = schedule
    return data


def parse(content: bytes) -> list[dict[str, str]]:
    """Decode and split the file; structural problems (encoding, header, field counts) are a 422."""
    if len(content) > MAX_BYTES:
        raise ContentTooLarge(f"The file is larger than {MAX_BYTES} bytes.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _problem("The file is not UTF-8 text.", [
            {"field": "file", "message": "not valid UTF-8", "code": "encoding", "row": None}]) from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        lines = list(reader)
    except csv.Error as exc:
        raise _problem("The file is not valid CSV.", [
            {"field": "file", "message": "malformed CSV (quoting)", "code": "csv", "row": reader.line_num}]) from exc
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if not lines:
        raise _problem("The file is empty.", [{"field": "file", "message": "no header row", "code": "empty",
                                               "row": None}])
    header = [h.strip() for h in lines[0]]
    errors = [{"field": h or "(blank)", "message": "unknown column", "code": "unknown_column", "row": 1}
              for h in header if h not in COLUMNS]
    errors += [{"field": h, "message": "required column is missing", "code": "missing_column", "row": 1}
               for h in REQUIRED_COLUMNS if h not in header]
    if len(set(header)) != len(header):
        errors.append({"field": "header", "message": "a column appears twice", "code": "duplicate_column",
                       "row": 1})
    if errors:
        raise _problem("The header row is not valid; see errors.", errors)
    rows = lines[1:]
    if not rows:
        raise _problem("The file has no offers.", [{"field": "file", "message": "no data rows", "code": "empty",
                                                    "row": None}])
    if len(rows) > MAX_ROWS:
        raise ContentTooLarge(f"At most {MAX_ROWS} offers per file.")
    out = []
    for number, cells in enumerate(rows, start=2):
        if len(cells) != len(header):
            out.append({"__row__": str(number), "__bad_width__": str(len(cells))})
            continue
        out.append({"__row__": str(number), **dict(zip(header, cells, strict=True))})
    return out


def validate(session: Session, rows: list[dict[str, str]]) -> list[OfferCreate]:
    """Every row through OfferCreate plus the reference-code checks; all errors of all rows at once."""
    errors: list[dict[str, Any]] = []
    valid: list[tuple[int, OfferCreate]] = []
    for row in rows:
        number = int(row.pop("__row__"))
        if "__bad_width__" in row:
            errors.append({"row": number, "field": None, "code": "field_count",
                           "message": f"expected one cell per column, got {row['__bad_width__']}"})
            continue
        try:
            valid.append((number, OfferCreate.model_validate(row_to_input(row))))
        except ValidationError as exc:
            errors += [{"row": number, **e} for e in field_errors(list(exc.errors()))]
    municipalities = {c for _, o in valid for c in o.municipality_codes}
    risk_settings = {c for _, o in valid for c in o.risk_settings}
    known_m = set(session.scalars(select(Municipality.code).where(col(Municipality.code).in_(municipalities))))
    known_r = set(session.scalars(select(RiskSetting.code).where(col(RiskSetting.code).in_(risk_settings))))
    for number, offer in valid:
        errors += [{"row": number, "field": "municipality_codes", "code": "unknown_code",
                    "message": f"unknown municipality code {c}"} for c in offer.municipality_codes if c not in known_m]
        errors += [{"row": number, "field": "risk_settings", "code": "unknown_code",
                    "message": f"unknown risk setting {c}"} for c in offer.risk_settings if c not in known_r]
    if errors:
        bad_rows = sorted({e["row"] for e in errors})
        raise Unprocessable(f"{len(bad_rows)} row(s) are not valid; nothing was imported.",
                            errors=sorted(errors, key=lambda e: (e["row"], e["field"] or "")), bad_rows=bad_rows)
    return [offer for _, offer in valid]


def import_csv(session: Session, principal: Principal, content: bytes) -> list[uuid.UUID]:
    policy.ensure_can_create(principal)
    offers = validate(session, parse(content))
    ids = [add_offer(session, principal.organisation_id, data).id for data in offers]
    record(session, principal, "offer.import", purpose=PURPOSE, subject_type="organisation",
           subject_id=principal.organisation_id, criterion={"rows": len(ids)})
    return ids
