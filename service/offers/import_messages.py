"""The import's problems in Danish (`Accept-Language: da`): the detail and every row error's message.

Messages are chosen by the error's `code` (pydantic's error type or the importer's own code) and, for the
offer's whole-record rules, by the English rule text; nothing a person typed is ever repeated, except the
reference codes and row numbers the English message already names.
"""

import re
from typing import Any

from service.core.errors import DomainError

BY_CODE: dict[str, str] = {
    "missing": "skal udfyldes",
    "enum": "er ikke en af de tilladte værdier (se /api/v1/reference/vocabularies)",
    "literal_error": "er ikke en af de tilladte værdier",
    "string_too_short": "er for kort",
    "string_too_long": "er for lang",
    "too_long": "har for mange værdier",
    "int_parsing": "skal være et helt tal",
    "int_from_float": "skal være et helt tal",
    "float_parsing": "skal være et tal (brug punktum eller komma som decimaltegn)",
    "bool_parsing": "skal være ja eller nej",
    "greater_than_equal": "er for lille",
    "greater_than": "er for lille",
    "less_than_equal": "er for stor",
    "less_than": "er for stor",
    "string_pattern_mismatch": "har ikke det rigtige format",
    "date_parsing": "skal være en dato (dd-mm-åååå eller åååå-mm-dd)",
    "date_from_datetime_parsing": "skal være en dato (dd-mm-åååå eller åååå-mm-dd)",
    "time_parsing": "skal være et klokkeslæt (tt:mm)",
    "extra_forbidden": "er ikke en kendt kolonne",
    "unknown_column": "ukendt kolonne",
    "missing_column": "en påkrævet kolonne mangler",
    "duplicate_column": "en kolonne står der to gange",
    "encoding": "ukendt tegnsæt (gem som UTF-8 eller Windows-1252)",
    "csv": "fejl i CSV-filen (anførselstegn)",
    "xlsx": "ikke en læsbar .xlsx-projektmappe",
    "empty": "ingen rækker",
    "below_taken": "er mindre end antallet af optagne pladser",
    "status_transition": "statusskiftet er ikke tilladt for et eksisterende tilbud",
}
# Messages naming a reference code or a row number: English pattern → Danish template.
PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^unknown municipality code (\S+)$"), "ukendt kommunekode {0}"),
    (re.compile(r"^unknown risk setting (\S+)$"), "ukendt risikosituation {0}"),
    (re.compile(r"^the same external_id as row (\d+)$"), "samme external_id som række {0}"),
    (re.compile(r"^expected one cell per column, got (\d+)$"), "der skal være én celle pr. kolonne, der er {0}"),
]
RULES: dict[str, str] = {
    "min_age must not be greater than max_age": "min_alder må ikke være større end maks_alder",
    "an in-person offer cannot be nationwide": "et tilbud med fremmøde kan ikke være landsdækkende; angiv kommunerne",
    "a nationwide offer lists no municipalities": "et landsdækkende tilbud angiver ingen kommuner",
    "municipality_codes is required": "kommunekoder skal udfyldes, medmindre tilbuddet er landsdækkende",
    "give both latitude and longitude": "angiv både breddegrad og længdegrad, eller ingen af dem",
    "cost_text is required": "pris skal udfyldes, når tilbuddet ikke er gratis",
    "a new offer is draft or published": "et nyt tilbud er en kladde eller offentliggjort",
    "valid_to is before valid_from": "gyldig_til er før gyldig_fra",
    "weekdays are repeated": "en ugedag står der flere gange",
    "a schedule by agreement has no": "tider efter aftale har ingen frekvens, ugedage eller klokkeslæt",
    "freq is required": "frekvens skal udfyldes, medmindre tiderne er efter aftale",
    "start_time and end_time are required": "starttid og sluttid skal udfyldes",
    "end_time must be after start_time": "sluttid skal være efter starttid",
    "a weekly schedule needs at least one weekday": "en ugentlig plan skal have mindst én ugedag",
    "week_of_month and month_day belong": "uge_i_måneden og dag_i_måneden hører til månedlige planer",
    "a monthly schedule needs": "en månedlig plan skal have enten ugedage med uge_i_måneden eller dag_i_måneden",
    "the schedule has no occurrence": "planen har ingen gang mellem gyldig_fra og gyldig_til",
    "value is not a valid email address": "er ikke en gyldig e-mailadresse",
}
DETAILS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(\d+) row\(s\) are not valid; nothing was imported\.$"),
     "{0} række(r) er ikke gyldige; intet blev importeret."),
    (re.compile(r"^The header row is not valid; see errors\.$"), "Overskriftsrækken er ikke gyldig; se errors."),
    (re.compile(r"^The file is empty\.$"), "Filen er tom."),
    (re.compile(r"^The file has no offers\.$"), "Filen indeholder ingen tilbud."),
    (re.compile(r"^The file is neither UTF-8 nor Windows-1252 text\.$"),
     "Filen er hverken UTF-8- eller Windows-1252-tekst."),
    (re.compile(r"^The file is not valid CSV\.$"), "Filen er ikke gyldig CSV."),
    (re.compile(r"^The file is not a readable \.xlsx workbook\.$"), "Filen er ikke en læsbar .xlsx-projektmappe."),
    (re.compile(r"^The file is larger than (\d+) bytes\.$"), "Filen er større end {0} bytes."),
    (re.compile(r"^At most (\d+) offers per file\.$"), "Højst {0} tilbud pr. fil."),
    (re.compile(r"^The spreadsheet unpacks to more than (\d+) bytes\.$"), "Regnearket fylder mere end {0} bytes "
                                                                            "udpakket."),
]


def _from_patterns(text: str, patterns: list[tuple[re.Pattern[str], str]]) -> str | None:
    for pattern, template in patterns:
        if match := pattern.match(text):
            return template.format(*match.groups())
    return None


def message(error: dict[str, Any]) -> str:
    english = str(error.get("message") or "")
    if found := _from_patterns(english, PATTERNS):
        return found
    for rule, danish in RULES.items():
        if rule in english:
            return danish
    return BY_CODE.get(str(error.get("code")), "er ikke gyldig")


def translate(exc: DomainError) -> DomainError:
    """The same problem (class, status, fields) with Danish texts and `Content-Language: da`."""
    extra = dict(exc.extra)
    if isinstance(extra.get("errors"), list):
        extra["errors"] = [{**e, "message": message(e)} for e in extra["errors"]]
    detail = _from_patterns(exc.detail, DETAILS) or exc.detail
    return type(exc)(detail, headers={**exc.headers, "Content-Language": "da"}, **extra)


def prefers_danish(accept_language: str | None) -> bool:
    """True when the caller's Accept-Language ranks Danish (da, da-DK) above English and everything else."""
    best, best_q = None, -1.0
    for part in (accept_language or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and q > best_q:
            best, best_q = tag.lower(), q
    return best is not None and best_q > 0 and best.split("-")[0] == "da"
