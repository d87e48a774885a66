"""What Danish spreadsheet programs save, read into rows of text cells under canonical column names.

CSV: the delimiter is sniffed from the header row (`;` as Danish Excel saves, `,`, or tab); the text is UTF-8
with or without a byte-order mark, UTF-16 with a byte-order mark (Excel's "Unicode text"), or else
Windows-1252 (Excel's "CSV (semikolonsepareret)" on Danish Windows). XLSX: the first worksheet, read with
openpyxl in read-only mode after checking the archive's unpacked size (a zip bomb is a 413, not a hang).
Column headers may be English (the field names of `POST /offers`) or Danish (`Titel`, `Beskrivelse`,
`Kommunekoder`, …, see `DANISH_HEADERS`); case, accents and spaces do not matter.
"""

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from service.core.errors import DomainError, Unprocessable
from service.core.folding import fold

MAX_BYTES = 1_000_000
MAX_UNPACKED_BYTES = 20_000_000
MAX_ROWS = 2000
MAX_COLUMNS = 60
XLSX_MAGIC = b"PK\x03\x04"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

COLUMNS = (
    "external_id", "title", "description", "category", "mode", "nationwide", "municipality_codes", "risk_settings",
    "min_age", "max_age", "address", "postcode", "city", "latitude", "longitude", "confidential_location",
    "capacity", "languages", "accessibility", "cost_free", "cost_text", "contact_name", "contact_email",
    "contact_phone", "website", "eligibility", "intake", "transport_notes", "status",
    "schedule_by_agreement", "schedule_freq", "schedule_interval", "schedule_weekdays", "schedule_week_of_month",
    "schedule_month_day", "schedule_start_time", "schedule_end_time", "schedule_valid_from", "schedule_valid_to",
    "schedule_notes",
)
REQUIRED_COLUMNS = ("title", "description", "category", "mode")
DANISH_HEADERS: dict[str, str] = {
    "eget_id": "external_id", "ekstern_id": "external_id", "id_nummer": "external_id", "titel": "title",
    "navn": "title", "beskrivelse": "description", "kategori": "category", "form": "mode",
    "deltagelsesform": "mode", "landsdaekkende": "nationwide", "hele_landet": "nationwide",
    "kommunekoder": "municipality_codes", "kommunekode": "municipality_codes", "kommuner": "municipality_codes",
    "risikogrupper": "risk_settings", "risikosituationer": "risk_settings", "min_alder": "min_age",
    "alder_fra": "min_age", "maks_alder": "max_age", "max_alder": "max_age", "alder_til": "max_age",
    "adresse": "address", "postnummer": "postcode", "postnr": "postcode", "by": "city", "bynavn": "city",
    "breddegrad": "latitude", "laengdegrad": "longitude", "fortrolig_adresse": "confidential_location",
    "skjult_adresse": "confidential_location", "kapacitet": "capacity", "pladser": "capacity",
    "antal_pladser": "capacity", "sprog": "languages", "tilgaengelighed": "accessibility", "gratis": "cost_free",
    "pris": "cost_text", "kontaktperson": "contact_name", "kontakt_e_mail": "contact_email",
    "e_mail": "contact_email", "email": "contact_email", "kontakt_telefon": "contact_phone",
    "telefon": "contact_phone", "hjemmeside": "website", "webadresse": "website", "maalgruppe": "eligibility",
    "for_hvem": "eligibility", "betingelser": "eligibility", "tilmelding": "intake", "optagelse": "intake",
    "visitation": "intake", "transport": "transport_notes", "transportnoter": "transport_notes",
    "efter_aftale": "schedule_by_agreement", "frekvens": "schedule_freq", "hyppighed": "schedule_freq",
    "interval": "schedule_interval", "ugedage": "schedule_weekdays", "ugedag": "schedule_weekdays",
    "uge_i_maaneden": "schedule_week_of_month", "dag_i_maaneden": "schedule_month_day",
    "starttid": "schedule_start_time", "fra_kl": "schedule_start_time", "sluttid": "schedule_end_time",
    "til_kl": "schedule_end_time", "gyldig_fra": "schedule_valid_from", "gyldig_til": "schedule_valid_to",
    "tidsnoter": "schedule_notes", "bemaerkninger_til_tider": "schedule_notes",
}


class ContentTooLarge(DomainError):
    status, title, slug = 413, "Content too large", "content-too-large"


@dataclass
class Sheet:
    """Rows as (spreadsheet row number, cells by canonical column); `written` keeps each header as written."""

    rows: list[tuple[int, dict[str, str]]]
    written: dict[str, str] = field(default_factory=dict)
    file_format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    bad_width: dict[int, int] = field(default_factory=dict)


def _file_problem(detail: str, message: str, code: str, row: int | None = None) -> Unprocessable:
    return Unprocessable(detail, errors=[{"field": "file", "message": message, "code": code, "row": row}])


def header_key(text: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_")
    return DANISH_HEADERS.get(key, key)


def decode(content: bytes) -> tuple[str, str]:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return content.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            try:
                return content.decode("cp1252"), "windows-1252"
            except UnicodeDecodeError:
                pass
    raise _file_problem("The file is neither UTF-8 nor Windows-1252 text.", "unknown text encoding", "encoding")


def sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_lines(content: bytes) -> tuple[list[list[str]], str, str]:
    text, encoding = decode(content)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = sniff_delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        lines = [line for _, line in zip(range(MAX_ROWS + 2), reader, strict=False)]
        extra = next(reader, None)
    except csv.Error as exc:
        raise _file_problem("The file is not valid CSV.", "malformed CSV (quoting)", "csv",
                            reader.line_num) from exc
    if extra is not None:
        raise ContentTooLarge(f"At most {MAX_ROWS} offers per file.")
    return lines, encoding, delimiter


def cell_text(value: Any) -> str:
    """An XLSX cell as the text a CSV export of it would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="minutes")
    return str(value)


def _xlsx_lines(content: bytes) -> list[list[str]]:
    import openpyxl  # noqa: PLC0415  (only uploads of spreadsheets need it)
    from openpyxl.utils.exceptions import InvalidFileException  # noqa: PLC0415

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise ContentTooLarge(f"The spreadsheet unpacks to more than {MAX_UNPACKED_BYTES} bytes.")
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except ContentTooLarge:
        raise
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError, TypeError) as exc:
        raise _file_problem("The file is not a readable .xlsx workbook.", "not an .xlsx workbook", "xlsx") from exc
    try:
        if not book.worksheets:
            return []
        rows = book.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS)
        lines = [[cell_text(v) for v in row] for _, row in zip(range(MAX_ROWS + 2), rows, strict=False)]
        if next(rows, None) is not None:
            raise ContentTooLarge(f"At most {MAX_ROWS} offers per file.")
    except ContentTooLarge:
        raise
    except Exception as exc:  # a malformed sheet inside a valid archive: any parser error is the file's fault
        raise _file_problem("The file is not a readable .xlsx workbook.", "unreadable worksheet", "xlsx") from exc
    finally:
        book.close()
    while lines and not any(c.strip() for c in lines[-1]):
        lines.pop()
    return [line[:max((i + 1 for i, c in enumerate(line) if c.strip()), default=0)] for line in lines]


def read(content: bytes) -> Sheet:
    """Decode and split the file; structural problems (encoding, header, widths) are a 422, size a 413."""
    if len(content) > MAX_BYTES:
        raise ContentTooLarge(f"The file is larger than {MAX_BYTES} bytes.")
    if content.startswith(XLSX_MAGIC):
        lines, sheet = _xlsx_lines(content), Sheet(rows=[], file_format="xlsx")
    else:
        lines, encoding, delimiter = _csv_lines(content)
        sheet = Sheet(rows=[], encoding=encoding, delimiter=delimiter)
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if any(c.strip() for c in line)]
    if not numbered:
        raise _file_problem("The file is empty.", "no header row", "empty")
    header_row, header = numbered[0]
    written = [h.strip() for h in header]
    while written and not written[-1]:
        written.pop()  # spreadsheets often save trailing empty columns
    keys = [header_key(h) for h in written]
    errors = [{"field": h or "(blank)", "message": "unknown column", "code": "unknown_column", "row": header_row}
              for h, k in zip(written, keys, strict=True) if k not in COLUMNS]
    errors += [{"field": c, "message": "required column is missing", "code": "missing_column", "row": header_row}
               for c in REQUIRED_COLUMNS if c not in keys]
    if len(set(keys)) != len(keys):
        errors.append({"field": "header", "message": "a column appears twice", "code": "duplicate_column",
                       "row": header_row})
    if errors:
        raise Unprocessable("The header row is not valid; see errors.", errors=errors)
    sheet.written = dict(zip(keys, written, strict=True))
    body = numbered[1:]
    if not body:
        raise _file_problem("The file has no offers.", "no data rows", "empty")
    if len(body) > MAX_ROWS:
        raise ContentTooLarge(f"At most {MAX_ROWS} offers per file.")
    for number, cells in body:
        cells = list(cells)
        while len(cells) > len(keys) and not cells[-1].strip():
            cells.pop()
        if len(cells) < len(keys) and sheet.file_format == "xlsx":
            cells += [""] * (len(keys) - len(cells))  # a worksheet row ends at its last filled cell
        if len(cells) != len(keys):
            sheet.bad_width[number] = len(cells)
            continue
        sheet.rows.append((number, dict(zip(keys, cells, strict=True))))
    return sheet
