"""The report as JSON, CSV or XLSX. Every value travels with its `suppressed` flag."""

import csv
import io
import itertools
from collections.abc import Iterator
from itertools import repeat
from typing import Any

import orjson
from openpyxl import Workbook
from sqlalchemy.orm import Session

from service.core.heap import collector_paused
from service.core.principal import Principal
from service.reports.cellkey import MAX_NOISE, PUBLIC
from service.reports.disclosure import Key, Value
from service.reports.dto import Rec4Params
from service.reports.service import MEASURE_LABELS_DA, Rec4Report, rec4

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


class _Renderer:
    """Renders entries of one report a measure (column) at a time: each distinct Value (cells share them) and each
    offer figure is written once, each dimension's labels are looked up in one prepared map, and an entry is
    assembled by C-level maps and zips — a national table by municipality × offer category × quarter has ~19,000
    entries of ~30 values (issue #13). `_write` and `_values` say how a value and an entry's values are written:
    here as dicts (the document), in `_JsonRenderer` as JSON."""

    def __init__(self, report: Rec4Report, lang: str) -> None:
        self.dims = report.protected.dimensions
        table = report.categories.labels_da if lang == "da" else report.categories.labels_en
        everything = ALL_LABEL[lang]
        self.label_maps = [_LabelMap(table.get(d, {}), everything) for d in self.dims]
        self.offers = list(report.offers.items())
        self.measures = list(report.protected.measures.items())
        self.names = [name for name, _ in self.offers] + [name for name, _ in self.measures]
        self.written: dict[int, Any] = {}  # by identity of the (immutable, shared) Value
        self.offer_written: dict[str, Any] = {}  # by repr: 5 and 5.0 stay what they are

    def _write(self, value: dict[str, Any]) -> Any:
        return value

    def _values(self, row: tuple[Any, ...]) -> Any:
        return dict(zip(self.names, row, strict=True))

    def _offer(self, figure: Any) -> Any:
        written = self.offer_written.get(marker := repr(figure))
        if written is None:
            written = self.offer_written[marker] = self._write(Value(figure, False, PUBLIC).as_dict())
        return written

    def entry(self, key: Key) -> dict[str, Any]:
        [only] = self.entries([key])
        return only

    def entries(self, keys: list[Key]) -> list[dict[str, Any]]:
        columns = [list(map(self._offer, map(table.get, keys, repeat(0)))) for _, table in self.offers]
        written = self.written
        for _, published in self.measures:
            column = list(map(published.__getitem__, keys))
            for ident, value in dict(zip(map(id, column), column, strict=True)).items():  # the distinct Values
                if ident not in written:
                    written[ident] = self._write(value.as_dict())
            columns.append(list(map(written.__getitem__, map(id, column))))
        rows = zip(*columns, strict=True) if columns else repeat((), len(keys))
        dims, label_maps, getitem, values = self.dims, self.label_maps, _LabelMap.__getitem__, self._values
        return [{"key": dict(zip(dims, key, strict=True)),
                 "labels": dict(zip(dims, map(getitem, label_maps, key), strict=True)),
                 "values": values(row)}
                for key, row in zip(keys, rows, strict=True)]


class _JsonRenderer(_Renderer):
    """Entries for the JSON body: each entry's values as one pre-written JSON fragment (`orjson.Fragment`) joined
    from each distinct value's JSON written once — the same bytes once serialised (tests/test_report_fast_render.py),
    without a dict of ~30 values per entry for orjson to walk."""

    def __init__(self, report: Rec4Report, lang: str) -> None:
        super().__init__(report, lang)
        self.prefixes = [orjson.dumps(name) + b":" for name in self.names]

    def _write(self, value: dict[str, Any]) -> Any:
        return orjson.dumps(value)

    def _values(self, row: tuple[Any, ...]) -> Any:
        return orjson.Fragment(b"{" + b",".join(map(bytes.__add__, self.prefixes, row)) + b"}")


class _LabelMap(dict[str | None, str]):
    """A dimension's labels: None is the margin's label, a code without a label is shown as itself."""

    def __init__(self, labels: dict[str, str], everything: str) -> None:
        super().__init__(labels)
        self[None] = everything

    def __missing__(self, code: str | None) -> str:
        return str(code)


def measure_names(report: Rec4Report) -> list[str]:
    return [*report.offers, *report.protected.measures]


def rows(report: Rec4Report) -> list[tuple[str, Key]]:
    """(kind, key) for every cell, then margins, then the total."""
    p = report.protected
    margins = [k for k in p.margins() if k != p.total_key]
    return [("cell", k) for k in p.cells()] + [("margin", k) for k in margins] + [("total", p.total_key)]


@collector_paused()  # ~19,000 entries of dicts at national scale: service/core/heap.py
def document(report: Rec4Report, renderer: type[_Renderer] = _Renderer) -> dict[str, Any]:
    """The report as one JSON-able document (GraphQL's `rec4` scalar; REST's body through `json_bytes`)."""
    dims = report.protected.dimensions
    lang = report.params.lang
    entries = renderer(report, lang)
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
        "cells": entries.entries(report.protected.cells()),
        "margins": entries.entries([k for k in report.protected.margins() if k != report.protected.total_key]),
        "totals": entries.entry(report.protected.total_key),
        "barriers": {
            "reported_by_organisations": barrier_rows,
            "from_referrals": [{"barrier_type": k[0], "risk_setting": k[1],
                                "referrals": declines.measures["referrals"][k].as_dict()}
                               for k in declines.keys],
        },
        "action_plan": report.action_plan,
        "what_works": report.what_works,
    }


def json_bytes(report: Rec4Report) -> bytes:
    """The document as the response body: orjson writes a national table (~19,000 entries) in a tenth of the
    time the standard library takes (the same compact JSON, UTF-8 as it is), each entry's values pre-written."""
    return orjson.dumps(document(report, _JsonRenderer))


def rec4_json(session: Session, principal: Principal, params: Rec4Params) -> bytes:
    """The report as the JSON response body, built and dropped under one pause of the cyclic collector: what the
    pause made is freed before it ends, so no collection rescans it afterwards (service/core/heap.py)."""
    with collector_paused():
        report = rec4(session, principal, params)
        body = json_bytes(report)
        del report
    return body


def _table(report: Rec4Report) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and a generator of rows: rows are built as they are written, never held all at once."""
    dims = report.protected.dimensions
    lang = report.params.lang
    names = measure_names(report)
    renderer = _Renderer(report, lang)
    header = [head("row", lang), *(head(d, lang) for d in dims), *(f"{head(d, lang)}_{head('code', lang)}"
                                                                   for d in dims)]
    for n in names:
        label = MEASURE_LABELS_DA.get(n, n) if lang == "da" else n
        header += [label, f"{label} ({head('suppressed', lang)})", f"{label} ({head('protection', lang)})"]

    def body() -> Iterator[list[Any]]:
        for kind, key in rows(report):
            entry = renderer.entry(key)
            labels, values = entry["labels"], entry["values"]
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
