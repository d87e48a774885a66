"""The report as JSON, CSV or XLSX. Every value travels with its `suppressed` flag."""

import csv
import io
from typing import Any

from openpyxl import Workbook

from service.reports.disclosure import Key, Value
from service.reports.service import MEASURE_LABELS_DA, Rec4Report

DIM_LABELS_DA = {"risk_setting": "risikomiljø", "municipality": "kommune", "region": "region",
                 "age_group": "aldersgruppe", "offer_category": "tilbudstype", "quarter": "kvartal",
                 "barrier_type": "barrieretype"}
BARRIER_DA = {"capacity": "kapacitet", "accessibility": "tilgængelighed", "transport": "transport",
              "digital": "digital", "stigma": "stigma", "staff_competences": "personalekompetencer",
              "information": "information", "economy": "økonomi", "other": "andet"}
ALL_LABEL = {"en": "(all)", "da": "(alle)"}


def _values(report: Rec4Report, key: Key) -> dict[str, dict[str, Any]]:
    out = {name: Value(table.get(key, 0), False).as_dict() for name, table in report.offers.items()}
    out.update({name: value.as_dict() for name, value in report.protected.row(key).items()})
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

    def entry(key: Key) -> dict[str, Any]:
        return {"key": dict(zip(dims, key, strict=True)), "labels": _labels(report, dims, key, lang),
                "values": _values(report, key)}

    barrier_rows = [{"barrier_type": k[0], "risk_setting": k[1], "entries": n}
                    for k, n in sorted(report.barriers_reported.items())]
    declines = report.barriers_from_referrals
    return {
        "report": "rec4",
        "generated_at": report.generated_at.isoformat(),
        "period": {"from": report.params.period_from.isoformat(), "to": report.params.period_to.isoformat()},
        "group_by": list(dims),
        "filters": {k: list(v) for k, v in report.query.filters.items()},
        "scope": report.scope.description,
        "disclosure": {"threshold": report.protected.threshold,
                       "rule": "counts 1..threshold-1 and values over such bases are not published; "
                               "secondary suppression keeps them from being recovered from totals and margins"},
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
    }


def _table(report: Rec4Report) -> tuple[list[str], list[list[Any]]]:
    dims = report.protected.dimensions
    lang = report.params.lang
    names = measure_names(report)
    head_dims = [DIM_LABELS_DA.get(d, d) if lang == "da" else d for d in dims]
    header = ["row", *head_dims, *(f"{d}_code" for d in dims)]
    for n in names:
        label = MEASURE_LABELS_DA.get(n, n) if lang == "da" else n
        header += [label, f"{label} ({'undertrykt' if lang == 'da' else 'suppressed'})"]
    body = []
    for kind, key in rows(report):
        labels = _labels(report, dims, key, lang)
        values = _values(report, key)
        line: list[Any] = [kind, *(labels[d] for d in dims), *("" if c is None else c for c in key)]
        for n in names:
            v = values[n]
            line += ["" if v["value"] is None else v["value"], v["suppressed"]]
        body.append(line)
    return header, body


def to_csv(report: Rec4Report) -> str:
    header, body = _table(report)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(body)
    return buf.getvalue()


def to_xlsx(report: Rec4Report) -> bytes:
    lang = report.params.lang
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = "rapport" if lang == "da" else "report"
    header, body = _table(report)
    sheet.append(header)
    for line in body:
        sheet.append(line)
    barriers = wb.create_sheet("barrierer" if lang == "da" else "barriers")
    barriers.append(["source", "barrier_type", "risk_setting", "count", "suppressed"])
    for (barrier, setting), n in sorted(report.barriers_reported.items()):
        barriers.append(["mapping_entries", BARRIER_DA.get(barrier, barrier) if lang == "da" else barrier,
                         setting, n, False])
    declines = report.barriers_from_referrals
    for key in declines.keys:
        v = declines.measures["referrals"][key]
        barrier = key[0] or ALL_LABEL[lang]
        barriers.append(["referrals", BARRIER_DA.get(barrier, barrier) if lang == "da" else barrier,
                         key[1] or ALL_LABEL[lang], "" if v.value is None else v.value, v.suppressed])
    about = wb.create_sheet("om" if lang == "da" else "about")
    about.append(["period_from", report.params.period_from.isoformat()])
    about.append(["period_to", report.params.period_to.isoformat()])
    about.append(["scope", report.scope.description])
    about.append(["threshold", report.protected.threshold])
    about.append(["generated_at", report.generated_at.isoformat()])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
