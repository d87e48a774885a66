"""The national report's speed-ups keep its meaning (issue #13): the vectorised Cell Key Method publishes what
`perturb` publishes, the key space comes in `key_order` without a sort, trimming keeps exactly the listed
categories, entries built a column at a time equal entries built one by one, the JSON body is the document, and
pausing the cyclic collector never leaves it off."""

import gc
import json
import threading
import uuid
from itertools import product

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.core.heap import collector_paused
from service.core.permissions import Role, permissions_for
from service.core.principal import Principal
from service.reports import cellkey, render
from service.reports import service as reports
from service.reports.dto import Rec4Params
from service.reports.table import Value, key_order, key_space
from tests.report_data import PERIOD, build

THRESHOLD = 5
CATS = {"a": ("x", "y", "z"), "b": ("p", "q")}
SPACE = key_space(("a", "b"), CATS)


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**12)), max_size=60),
       threshold=st.integers(1, 30))
def test_perturb_many_publishes_what_perturb_publishes(cells, threshold):
    counts = [n for n, _ in cells]
    keys = [k for _, k in cells]
    assert cellkey.perturb_many(counts, keys, threshold) == [cellkey.perturb(n, k, threshold) for n, k in cells]


def test_perturb_many_refuses_a_negative_count():
    with pytest.raises(ValueError):
        cellkey.perturb_many([3, -1], [0, 0], THRESHOLD)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["d1", "d2", "d3"]),
                       st.lists(st.text(min_size=1, max_size=3), min_size=1, max_size=5, unique=True),
                       min_size=1, max_size=3))
def test_the_key_space_comes_in_key_order(categories):
    dims = tuple(categories)
    axes = [[*categories[d], None] for d in dims]
    assert key_space(dims, categories) == sorted(product(*axes), key=key_order)


def _figure(spec, key, published, base):
    """A derived figure as documented: the given statistic, or numerator ÷ published base rounded to 3 digits."""
    if spec.values is not None:
        return spec.values.get(key)
    top = published[spec.numerator][key].value if spec.numerator else (spec.numerator_values or {}).get(key, 0)
    return None if top is None else round(top / base, 3)


def _reference_protect(counts, cell_keys, derived, threshold):
    """protect as it was written before it was vectorised: one perturb per populated cell, one Value per cell."""
    out = {}
    for name, table in counts.items():
        out[name] = {k: Value(cellkey.perturb(int(table.get(k) or 0), int(cell_keys[name].get(k) or 0),
                                              threshold), False, cellkey.CELL_KEY) for k in SPACE}
    for name, spec in derived.items():
        column = {}
        for k in SPACE:
            base = int(counts[spec.base].get(k) or 0)
            shown = out[spec.base][k].value
            if not base:
                column[k] = Value(None, False, cellkey.CELL_KEY)
            elif base >= threshold and shown >= threshold:
                column[k] = Value(_figure(spec, k, out, shown), False, cellkey.FROM_CELL_KEYS)
            else:
                column[k] = Value(None, True, cellkey.WITHHELD)
        out[name] = column
    return out


tables = st.dictionaries(st.sampled_from(SPACE), st.one_of(st.none(), st.integers(0, 40)), max_size=len(SPACE))


@settings(max_examples=200, deadline=None)
@given(sent=tables, accepted=tables, keys=st.dictionaries(st.sampled_from(SPACE), st.integers(0, 10**9)),
       aligned=st.booleans(), medians=st.dictionaries(st.sampled_from(SPACE), st.one_of(
           st.none(), st.integers(0, 99), st.floats(-9, 9, allow_nan=False))),
       places=st.dictionaries(st.sampled_from(SPACE), st.one_of(st.none(), st.integers(0, 500))))
def test_protect_equals_the_cell_by_cell_reference(sent, accepted, keys, aligned, medians, places):
    counts = {"sent": sent, "accepted": accepted}
    cell_keys = {"sent": keys, "accepted": {k: v * 7 for k, v in keys.items()}}
    if aligned:  # as a stored family's columns come: the counts' own keys, in their order (None: no key)
        cell_keys = {name: {k: keys.get(k) for k in table} for name, table in counts.items()}
    derived = {"rate": cellkey.DerivedSpec("sent", numerator="accepted"),
               "median": cellkey.DerivedSpec("accepted", values=medians),
               "supply": cellkey.DerivedSpec("sent", numerator_values=places)}
    got = cellkey.protect(("a", "b"), counts, cell_keys, derived, threshold=THRESHOLD, categories=CATS)
    assert got.measures == _reference_protect(counts, cell_keys, derived, THRESHOLD)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.tuples(st.sampled_from(["x", "y", "w", None]), st.sampled_from(["p", "r", None])),
                       st.integers()))
def test_trimming_keeps_exactly_the_listed_categories(table):
    within = reports._Within({"a": ("x", "y"), "b": ("p",)}, ("a", "b"))
    kept = within(table)
    assert kept == {k: v for k, v in table.items() if k[0] in ("x", "y", None) and k[1] in ("p", None)}
    if kept == table:
        assert kept is table  # nothing to drop: the table itself, no copy
    # a second table on the very same key objects, in the same order (one stored family's measures): the same keys
    twin = dict.fromkeys(table, 0)
    assert within(twin) == {k: 0 for k in kept}
    # the same number of keys, other objects (some outside): checked, not taken for the twin
    other = {("w", "r") if i == 0 else k: 0 for i, k in enumerate(table)}
    assert within(other) == {k: 0 for k in other if k[0] in ("x", "y", None) and k[1] in ("p", None)}


@pytest.fixture
def national(db, make_org):
    org = make_org(kind="ministry", name=f"Ministeriet {uuid.uuid4().hex[:6]}", is_national=True)
    return Principal(kind="user", id=uuid.uuid4(), organisation_id=org.id, role=Role.analyst, name="analyst",
                     permissions=permissions_for(Role.analyst))


def _entry_one_by_one(report, key, lang):
    """An entry as the renderer wrote it before it went a column at a time: a dict per value, looked up per key."""
    labels = report.categories.labels_da if lang == "da" else report.categories.labels_en
    dims = report.protected.dimensions
    values = {name: Value(table.get(key, 0), False, cellkey.PUBLIC).as_dict() for name, table in report.offers.items()}
    values.update({name: value.as_dict() for name, value in report.protected.row(key).items()})
    return {"key": dict(zip(dims, key, strict=True)),
            "labels": {d: render.ALL_LABEL[lang] if c is None else labels.get(d, {}).get(c, c)
                       for d, c in zip(dims, key, strict=True)},
            "values": values}


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("group_by", [["risk_setting", "municipality"], ["age_group", "offer_category", "quarter"]])
def test_entries_a_column_at_a_time_equal_entries_written_one_by_one(db, make_org, national, lang, group_by):
    build(db, make_org)
    report = reports.rec4(db, national, Rec4Params(**PERIOD, group_by=group_by, lang=lang))
    keys = report.protected.cells() + report.protected.margins()
    assert render._Renderer(report, lang).entries(keys) == [_entry_one_by_one(report, k, lang) for k in keys]
    doc = render.document(report)
    assert render.json_bytes(report) == orjson.dumps(doc)  # the pre-written values: the very same bytes
    assert json.loads(render.json_bytes(report)) == json.loads(json.dumps(doc))
    assert any(v["value"] for e in doc["cells"] for v in e["values"].values())  # not an empty table


def test_the_collector_pause_nests_spans_threads_and_survives_errors():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause is still on
    assert gc.isenabled()

    inside, leave = threading.Barrier(3), threading.Event()

    def request() -> None:
        with collector_paused():
            inside.wait()
            leave.wait()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait()
    assert not gc.isenabled()  # two overlapping requests share one pause
    leave.set()
    for t in threads:
        t.join()
    assert gc.isenabled()

    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a failing report")
    assert gc.isenabled()

    gc.disable()  # a process that runs without the collector keeps it off
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_report_body_is_built_under_a_pause_that_ends(db, make_org, national):
    build(db, make_org)
    seen = []
    original = reports.compute

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    reports.compute = spy
    try:
        body = render.rec4_json(db, national, Rec4Params(**PERIOD, group_by=["risk_setting"]))
    finally:
        reports.compute = original
    assert seen and not any(seen)
    assert gc.isenabled()
    assert json.loads(body)["report"] == "rec4"
