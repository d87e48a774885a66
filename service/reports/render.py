"""The report as JSON, CSV or XLSX. Every value travels with its `suppressed` flag."""

import csv
import io
import itertools
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook

from service.reports.cellkey import MAX_NOISE, PUBLIC
from service.reports.disclosure import Key, Value
from service.reports.service import MEASURE_LABELS_DA, Rec4Report

DIM_LABELS_DA = {"risk_setting": "risikomiljø", "municipality": "kommune", "region": "region",
                 "age_group": "aldersgruppe", "offer_category": "tilbudstype", "quarter": "kvartal",
                 "barrier_type": "barrieretype"}
BARRIER_DA = {"capacity": "kapacitet", "accessibility": "tilgængelighed", "transport": "transport",
              "digital": "digital", "stigma": "stigma", "staff_competences": "personalekompetencer",
              "information": "information", "economy": "økonomi", "other": "andet"}
ALL_LABEL = {"en": "(all)", "da": "(alle)"}
DISCLOSURE = {
    "method": "cell_key",
    "rule": ("Cell Key Method (ABS, German statistical offices): every count is perturbed by a bounded noise "
             f"(at most ±{MAX_NOISE}) drawn from the cell's key — the sum of its units' random record keys — "
             "so the same cell always gets the same value in every request; no value 1..threshold-1 is "
             "published (small counts become 0 or the threshold); rates are computed from perturbed counts; "
             "means and medians are withheld over fewer than threshold units; offers are public register data"),
}
HEAD_DA = {"row": "række", "cell": "celle", "margin": "margen", "total": "total", "code": "kode",
           "suppressed": "undertrykt", "protection": "beskyttelse", "source": "kilde", "count": "antal",
           "mapping_entries": "kortlægning", "referrals": "henvisninger", "period_from": "periode fra",
           "period_to": "periode til", "scope": "omfang", "threshold": "tærskel", "generated_at": "dannet",
           "method": "metode", "measure": "målepunkt", "id": "id", "title": "titel", "status": "status",
           "risk_settings": "risikomiljøer", "indicator": "indikator", "value": "værdi",
           "facts_as_of": "tal opgjort", "facts_source": "tallenes kilde", "max_staleness_seconds": "maks. alder (s)"}


def head(word: str, lang: str) -> str:
    return HEAD_DA.get(word, DIM_LABELS_DA.get(word, word)) if lang == "da" else word


def _values(report: Rec4Report, key: Key, shown: dict[int, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """`shown`: the rendering of each Value already rendered (by identity; cells share their Values), so a
    national table renders each distinct published figure once."""
    out = {name: Value(table.get(key, 0), False, PUBLIC).as_dict() for name, table in report.offers.items()}
    if shown is None:
        shown = {}
    for name, values in report.protected.measures.items():
        value = values[key]
        rendered = shown.get(id(value))
        if rendered is None:
            rendered = shown[id(value)] = value.as_dict()
        out[name] = rendered
    return out


def _labels(report: Rec4Report, dims: tuple[str, ...], key: Key, lang: str) -> dict[str, str]:
    table = report.categories.labels_da if lang == "da" else report.categories.labels_en
    return {d: ALL_LABEL[lang] if c is None else table.get(d, {}).get(c, c) for d, c in zip(dims, key, strict=True)}


def measure_names(report: Rec4Report) -> list[str]:
    return [*report.offers, *report.protected.measures]


def rows(report: Rec4Report) -> list[tuple[str, Key]]:
    """(kind, key) for every cell, then margins, then the total."""
    p = report.protected
    margins = [k for k in p.margins() if k != p.total_key]
    return [("cell", k) for k in p.cells()] + [("margin", k) for k in margins] + [("total", p.total_key)]


def document(report: Rec4Report) -> dict[str, Any]:
    dims = report.protected.dimensions
    lang = report.params.lang

    shown: dict[int, dict[str, Any]] = {}

    def entry(key: Key) -> dict[str, Any]:
        return {"key": dict(zip(dims, key, strict=True)), "labels": _labels(report, dims, key, lang),
                "values": _values(report, key, shown)}

    barrier_rows = [{"barrier_type": k[0], "risk_setting": k[1], "entries": n}
                    for k, n in sorted(report.barriers_reported.items())]
    declines = report.barriers_from_referrals
    return {
        "report": "rec4",
        "generated_at": report.generated_at.isoformat(),
        "freshness": report.freshness,
        "period": {"from": report.params.period_from.isoformat(), "to": report.params.period_to.isoformat()},
        "group_by": list(dims),
        "filters": {k: list(v) for k, v in report.query.filters.items()},
        "scope": report.scope.description,
        "disclosure": DISCLOSURE | {"threshold": report.protected.threshold},
        "measures": [{"name": n, "label": MEASURE_LABELS_DA.get(n, n) if lang == "da" else n.replace("_", " ")}
                     for n in measure_names(report)],
        "not_applicable": report.not_applicable,
        "cells": [entry(k) for k in report.protected.cells()],
        "margins": [entry(k) for k in report.protected.margins() if k != report.protected.total_key],
        "totals": entry(report.protected.total_key),
        "barriers": {
            "reported_by_organisations": barrier_rows,
            "from_referrals": [{"barrier_type": k[0], "risk_setting": k[1],
                                "referrals": declines.measures["referrals"][k].as_dict()}
                               for k in declines.keys],
        },
        "action_plan": report.action_plan,
        "what_works": report.what_works,
    }


def _table(report: Rec4Report) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and a generator of rows: rows are built as they are written, never held all at once."""
    dims = report.protected.dimensions
    lang = report.params.lang
    names = measure_names(report)
    header = [head("row", lang), *(head(d, lang) for d in dims), *(f"{head(d, lang)}_{head('code', lang)}"
                                                                   for d in dims)]
    for n in names:
        label = MEASURE_LABELS_DA.get(n, n) if lang == "da" else n
        header += [label, f"{label} ({head('suppressed', lang)})", f"{label} ({head('protection', lang)})"]

    def body() -> Iterator[list[Any]]:
        for kind, key in rows(report):
            labels = _labels(report, dims, key, lang)
            values = _values(report, key)
            line: list[Any] = [head(kind, lang), *(labels[d] for d in dims), *("" if c is None else c for c in key)]
            for n in names:
                v = values[n]
                line += ["" if v["value"] is None else v["value"], _yes_no(v["suppressed"], lang),
                         v.get("protection", "")]
            yield line

    return header, body()


def _yes_no(flag: bool, lang: str) -> str | bool:
    return ("ja" if flag else "nej") if lang == "da" else flag


def _csv_cell(value: Any, lang: str) -> Any:
    """Danish Excel reads `;`-separated files with a decimal comma."""
    if lang == "da" and isinstance(value, float):
        return f"{value}".replace(".", ",")
    return value


def iter_csv(report: Rec4Report) -> Iterator[str]:
    """The CSV line by line (streamed by the router): `;` and decimal comma for lang=da, `,` and `.` otherwise."""
    lang = report.params.lang
    header, body = _table(report)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";" if lang == "da" else ",")
    for line in itertools.chain([header], body):
        writer.writerow([_csv_cell(v, lang) for v in line])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


def to_csv(report: Rec4Report) -> str:
    return "".join(iter_csv(report))


def to_xlsx(report: Rec4Report) -> bytes:
    lang = report.params.lang
    wb = Workbook(write_only=True)  # rows go straight to the zip stream, not into a cell tree
    sheet = wb.create_sheet("rapport" if lang == "da" else "report")
    header, body = _table(report)
    sheet.append(header)
    for line in body:
        sheet.append(line)
    barriers = wb.create_sheet("barrierer" if lang == "da" else "barriers")
    barriers.append([head(w, lang) for w in ("source", "barrier_type", "risk_setting", "count", "suppressed",
                                             "protection")])
    for (barrier, setting), n in sorted(report.barriers_reported.items()):
        barriers.append([head("mapping_entries", lang), BARRIER_DA.get(barrier, barrier) if lang == "da"
                         else barrier, setting, n, _yes_no(False, lang), PUBLIC])
    declines = report.barriers_from_referrals
    for key in declines.keys:
        v = declines.measures["referrals"][key]
        barrier = key[0] or ALL_LABEL[lang]
        barriers.append([head("referrals", lang), BARRIER_DA.get(barrier, barrier) if lang == "da" else barrier,
                         key[1] or ALL_LABEL[lang], "" if v.value is None else v.value, _yes_no(v.suppressed, lang),
                         v.protection or ""])
    if report.params.include_action_plan:
        _plan_sheet(wb.create_sheet("handlingsplan" if lang == "da" else "action_plan"), report, lang)
    about = wb.create_sheet("om" if lang == "da" else "about")
    for word, value in (("period_from", report.params.period_from.isoformat()),
                        ("period_to", report.params.period_to.isoformat()), ("scope", report.scope.description),
                        ("threshold", report.protected.threshold), ("method", DISCLOSURE["rule"]),
                        ("generated_at", report.generated_at.isoformat()),
                        ("facts_as_of", report.freshness["as_of"]), ("facts_source", report.freshness["source"]),
                        ("max_staleness_seconds", report.freshness["max_staleness_seconds"])):
        about.append([head(word, lang), value])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _plan_sheet(sheet: Any, report: Rec4Report, lang: str) -> None:
    """One row per (measure, quarter, indicator) of the action plan."""
    sheet.append([head(w, lang) for w in ("id", "title", "status", "risk_settings", "quarter", "indicator",
                                          "value", "suppressed", "protection")])
    for m in report.action_plan:
        for q in m["quarters"]:
            for name, v in q["indicators"].items():
                label = MEASURE_LABELS_DA.get(name, name) if lang == "da" else name
                v = v or {}
                sheet.append([m["id"], m["title"], m["status"], ", ".join(m["risk_settings"]), q["quarter"], label,
                              "" if v.get("value") is None else v["value"], _yes_no(bool(v.get("suppressed")), lang),
                              v.get("protection", "")])
