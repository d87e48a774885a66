"""Disclosure control: hand-checked examples and hypothesis properties over random tables.

The properties: (a) no published count lies in 1..threshold-1; (b) no suppressed entry can be recovered —
no relation holds exactly one suppressed entry, no suppressed entry is determined by the linear system of
all relations (checked with an independent rank computation), and on small tables (up to 3x3, or 2x2x2) a
bounded search finds, for every suppressed entry, a second non-negative integer table that agrees with
every published value but differs in that entry; (c) derived values with an unsafe base stay hidden;
(d) the outcome is deterministic.
"""

import random
from fractions import Fraction
from itertools import product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.reports.disclosure import (
    DEFAULT_THRESHOLD,
    Derived,
    Key,
    Suppression,
    determined_entries,
    key_order,
    margins_from_leaves,
    protect,
    relations,
    suppress,
)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Many small values: the interesting cases are the ones with counts just below the threshold.
counts = st.one_of(st.just(0), st.integers(1, 4), st.integers(1, 8), st.integers(0, 30))
thresholds = st.one_of(st.just(DEFAULT_THRESHOLD), st.integers(2, 7))


@st.composite
def tables(draw, max_dims: int = 3, max_categories: int = 3, min_dims: int = 1, min_categories: int = 1):
    n = draw(st.integers(min_dims, max_dims))
    dims = tuple(f"d{i}" for i in range(n))
    cats = {d: tuple(f"{d}_{j}" for j in range(draw(st.integers(min_categories, max_categories)))) for d in dims}
    leaves = {k: draw(counts) for k in product(*(cats[d] for d in dims))}
    return dims, cats, leaves, draw(thresholds)


def _covers(margin: Key, leaf: Key) -> bool:
    return all(m is None or m == c for m, c in zip(margin, leaf, strict=True))


def _rank(rows: list[list[Fraction]]) -> int:
    """Plain dense Gaussian elimination; independent of the engine's sparse RREF."""
    m = [r[:] for r in rows if any(r)]
    rank, cols = 0, len(m[0]) if m else 0
    for col in range(cols):
        pivot = next((i for i in range(rank, len(m)) if m[i][col] != 0), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        for i in range(len(m)):
            if i != rank and m[i][col] != 0:
                f = m[i][col] / m[rank][col]
                m[i] = [a - f * b for a, b in zip(m[i], m[rank], strict=True)]
        rank += 1
    return rank


def linearly_determined(result: Suppression) -> set[Key]:
    """Suppressed entries whose column is outside the span of the other suppressed columns."""
    hidden = sorted(result.suppressed, key=key_order)
    rels = relations(result.dimensions, result.categories)
    matrix = [[Fraction(0 if k not in r.entries else (-1 if k == r.margin else 1)) for k in hidden]
              for r in rels]
    full = _rank(matrix)
    return {k for i, k in enumerate(hidden) if _rank([row[:i] + row[i + 1:] for row in matrix]) < full}


def recoverable_by_search(result: Suppression) -> set[Key]:
    """Suppressed entries for which no other non-negative integer table matches every published value.

    For each suppressed entry, a depth-first search over the suppressed cells (margins follow as sums;
    values bounded by the published margins above them, tried nearest the original first) looks for a
    completion that meets every published entry but gives that entry a different value.
    """
    keys = sorted(result.values, key=key_order)
    hidden = set(result.suppressed)
    leaves = [k for k in keys if None not in k]
    free = [k for k in leaves if k in hidden]
    published = []
    for k in keys:
        below = [leaf for leaf in free if _covers(k, leaf)]
        if k not in hidden and below:
            fixed = sum(result.values[leaf] for leaf in leaves if leaf not in hidden and _covers(k, leaf))
            published.append((below, result.values[k] - fixed))
    total = sum(result.values[leaf] for leaf in leaves)
    bound = {leaf: min([t for b, t in published if leaf in b], default=total) for leaf in free}
    uncovered = set()
    for target in sorted(hidden, key=key_order):
        beneath = [leaf for leaf in free if _covers(target, leaf)]
        if not _other_completion(beneath + [leaf for leaf in free if leaf not in beneath], published, bound,
                                 result.values, len(beneath)):
            uncovered.add(target)
    return uncovered


def _other_completion(order: list[Key], published: list[tuple[list[Key], int]], bound: dict[Key, int],
                      original: dict[Key, int], n_beneath: int) -> bool:
    """Values for `order` meeting every published sum, with the first `n_beneath` summing differently."""
    pos = {leaf: i for i, leaf in enumerate(order)}
    watch: list[list[tuple[list[int], int]]] = [[] for _ in order]
    for below, t in published:
        idx = [pos[leaf] for leaf in below]
        for i in idx:
            watch[i].append((idx, t))
    ub = [bound[leaf] for leaf in order]
    goal = sum(original[leaf] for leaf in order[:n_beneath])
    values = [0] * len(order)

    def feasible(i: int) -> bool:
        for idx, t in watch[i]:
            s = sum(values[j] for j in idx if j <= i)
            if s > t or s + sum(ub[j] for j in idx if j > i) < t:
                return False
        return True

    def dfs(i: int) -> bool:
        if i == len(order):
            return True
        o = original[order[i]]
        for v in sorted(range(ub[i] + 1), key=lambda v: (abs(v - o), v)):
            values[i] = v
            if i == n_beneath - 1 and sum(values[:n_beneath]) == goal:
                continue
            if feasible(i) and dfs(i + 1):
                return True
        return False

    return dfs(0)


# --- hand-checked examples -------------------------------------------------------------------------------

def test_primary_and_secondary_suppression_on_a_small_table():
    dims = ("risk_setting", "quarter")
    leaves = {("homelessness", "Q1"): 3, ("homelessness", "Q2"): 10,
              ("nursing_home", "Q1"): 12, ("nursing_home", "Q2"): 9}
    result = suppress(dims, margins_from_leaves(dims, leaves))
    assert result.primary == {("homelessness", "Q1")}
    # The 3 forces its row and column partners; they in turn force the fourth cell. The margins stay.
    assert result.suppressed == set(leaves)
    published = result.published()
    assert published[("homelessness", None)] == 13 and published[(None, "Q1")] == 15
    assert published[(None, None)] == 34 and published[("homelessness", "Q2")] is None


def test_zero_is_published_and_the_threshold_is_a_setting():
    dims = ("municipality",)
    table = margins_from_leaves(dims, {("0101",): 0, ("0147",): 6, ("0151",): 7})
    result = suppress(dims, table)
    assert result.suppressed == frozenset() and result.published()[("0101",)] == 0
    stricter = suppress(dims, table, threshold=7)
    assert stricter.primary == {("0147",)}
    # The partner is the smallest published non-zero sibling (7), never the zero.
    assert stricter.suppressed == {("0147",), ("0151",)}


def test_lone_child_forces_its_margin_when_no_sibling_can_hide_it():
    dims = ("region", "setting")
    leaves = {("north", "a"): 2, ("north", "b"): 0, ("south", "a"): 9, ("south", "b"): 8}
    result = suppress(dims, margins_from_leaves(dims, leaves))
    assert ("north", "a") in result.suppressed
    # Row "north": 2 + 0 = 2, the margin is primary too; column "a": 2 + 9 = 11 hides the 9 with the 2.
    assert {("north", None), ("south", "a")} <= result.suppressed
    assert ("north", "b") not in result.suppressed


def test_the_search_does_find_a_recoverable_cell():
    # Guard for the property below: suppressing a single cell of a row leaves it recoverable.
    dims = ("d",)
    values = margins_from_leaves(dims, {("a",): 3, ("b",): 7})
    lone = Suppression(threshold=5, dimensions=dims, categories={"d": ("a", "b")}, values=values,
                       primary=frozenset({("a",)}), suppressed=frozenset({("a",)}))
    assert recoverable_by_search(lone) == {("a",)}
    assert recoverable_by_search(suppress(dims, values)) == set()


def test_tie_break_is_by_key_order():
    dims = ("d",)
    table = margins_from_leaves(dims, {("c",): 6, ("a",): 2, ("b",): 6})
    assert suppress(dims, table).suppressed == {("a",), ("b",)}


def test_audit_finds_a_cell_that_combined_relations_give_away():
    # A 3x3 table whose suppression pattern puts every line at two or more unknowns, but the cell
    # (r1, c3) is a bridge between two cycles: summing rows r1, r2 and columns c1, c2 isolates it.
    dims = ("r", "c")
    cats = {"r": ("r1", "r2", "r3"), "c": ("c1", "c2", "c3")}
    hidden = {("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2"), ("r1", "c3"),
              ("r3", "c3"), ("r3", None), (None, "c3"), (None, None)}
    rels = relations(dims, cats)
    assert all(sum(e in hidden for e in r.entries) != 1 for r in rels)
    assert determined_entries(rels, hidden) == {("r1", "c3")}


def test_derived_values_follow_their_base_and_numerator():
    dims = ("setting",)
    sent = margins_from_leaves(dims, {("a",): 20, ("b",): 3, ("c",): 0})
    accepted = margins_from_leaves(dims, {("a",): 2, ("b",): 3, ("c",): 0})
    rate = Derived({("a",): 0.1, ("b",): 1.0, (None,): 5 / 23}, base="sent", numerator="accepted")
    mean = Derived({("a",): 1.5, ("b",): 2.0, (None,): 1.6}, base="sent")
    report = protect(dims, {"sent": sent, "accepted": accepted}, {"rate": rate, "mean_change": mean})
    assert report.threshold == DEFAULT_THRESHOLD
    assert report.row(("a",))["rate"].suppressed  # 20 × 0.1 would give the suppressed 2 back
    assert report.row(("a",))["mean_change"].suppressed  # base 20 is secondarily suppressed (with the 3)
    assert report.row(("b",))["rate"].as_dict() == {"value": None, "suppressed": True}
    assert report.totals["mean_change"].as_dict() == {"value": 1.6, "suppressed": False}
    # Both totals are published (23 and 5), so their rate is too.
    assert report.totals["accepted"].as_dict() == {"value": 5, "suppressed": False}
    assert report.totals["rate"].as_dict() == {"value": 5 / 23, "suppressed": False}
    assert report.row(("c",))["rate"].as_dict() == {"value": None, "suppressed": False}  # base 0: no value


def test_rate_published_when_base_and_numerator_are_safe():
    dims = ("setting",)
    sent = margins_from_leaves(dims, {("a",): 20, ("b",): 30})
    accepted = margins_from_leaves(dims, {("a",): 10, ("b",): 6})
    rate = Derived({("a",): 0.5, ("b",): 0.2, (None,): 0.32}, base="sent", numerator="accepted")
    report = protect(dims, {"sent": sent, "accepted": accepted}, {"rate": rate})
    assert [report.row(k)["rate"].value for k in report.keys] == [0.5, 0.2, 0.32]
    assert report.cells() == [("a",), ("b",)] and report.margins() == [(None,)]


def test_no_dimensions_means_only_a_total():
    assert suppress((), {(): 3}).suppressed == {()}
    assert suppress((), {(): 5}).suppressed == frozenset()


def test_distinct_counts_with_overlapping_margins_are_accepted():
    # A person in two settings: the total (9) is less than the sum of the cells (6 + 4).
    dims = ("setting",)
    result = suppress(dims, {("a",): 6, ("b",): 4, (None,): 9})
    assert result.suppressed == {("a",), ("b",)}


@pytest.mark.parametrize("bad", [
    {"values": {("a",): -1}},
    {"values": {("a",): 1.5}},
    {"values": {("a",): True}},
    {"values": {("a", "b"): 1}},
    {"values": {("a",): 9, (None,): 3}},  # a margin below its child
    {"values": {("a",): 1}, "threshold": 0},
    {"values": {("zz",): 1}, "categories": {"d": ("a",)}},
])
def test_malformed_input_is_refused(bad):
    with pytest.raises(ValueError):
        suppress(("d",), bad["values"], threshold=bad.get("threshold", 5), categories=bad.get("categories"))


def test_protect_refuses_unknown_bases_and_duplicate_names():
    dims = ("d",)
    table = {("a",): 5, (None,): 5}
    with pytest.raises(ValueError):
        protect(dims, {"n": table}, {"r": Derived({("a",): 1.0}, base="missing")})
    with pytest.raises(ValueError):
        protect(dims, {"n": table}, {"n": Derived({("a",): 1.0}, base="n")})
    with pytest.raises(ValueError):
        protect(dims, {"n": table}, {"r": Derived({("b", "c"): 1.0}, base="n")})


# --- properties ------------------------------------------------------------------------------------------

@SETTINGS
@given(tables())
def test_no_published_count_is_below_the_threshold(data):
    dims, cats, leaves, threshold = data
    result = suppress(dims, margins_from_leaves(dims, leaves), threshold=threshold)
    for key, value in result.published().items():
        assert value is None or value == 0 or value >= threshold, (key, value)
    assert result.primary <= result.suppressed
    assert all(result.values[k] > 0 for k in result.suppressed)


@SETTINGS
@given(tables())
def test_no_relation_and_no_combination_of_relations_gives_a_suppressed_entry_away(data):
    dims, cats, leaves, threshold = data
    result = suppress(dims, margins_from_leaves(dims, leaves), threshold=threshold)
    for rel in relations(dims, result.categories):
        assert sum(e in result.suppressed for e in rel.entries) != 1, rel
    assert linearly_determined(result) == set()


@SETTINGS
@given(st.one_of(tables(max_dims=2, max_categories=3), tables(min_dims=2, max_dims=2, min_categories=3),
                 tables(min_dims=3, max_dims=3, max_categories=2)))
def test_every_suppressed_entry_has_a_second_non_negative_completion(data):
    dims, cats, leaves, threshold = data
    result = suppress(dims, margins_from_leaves(dims, leaves), threshold=threshold)
    assert recoverable_by_search(result) == set()


@SETTINGS
@given(tables(), st.randoms(use_true_random=False))
def test_distinct_counts_keep_the_properties(data, rnd):
    """Margins of distinct-person counts can be below the sum of their children (people in two cells)."""
    dims, cats, leaves, threshold = data
    additive = margins_from_leaves(dims, leaves)
    values = dict(additive)
    for key in sorted(additive, key=key_order):
        if None in key:
            children_max = max((v for k, v in leaves.items() if _covers(key, k)), default=0)
            values[key] = rnd.randint(children_max, additive[key])
    # Keep margins monotone (a margin covers everything below it): raise each to its largest sub-margin.
    for key in sorted(values, key=lambda k: sum(c is None for c in k)):
        below = [v for k, v in values.items() if k != key and _covers(key, k)]
        values[key] = max([values[key], *below])
    result = suppress(dims, values, threshold=threshold)
    for value in result.published().values():
        assert value is None or value == 0 or value >= threshold
    for rel in relations(dims, result.categories):
        assert sum(e in result.suppressed for e in rel.entries) != 1
    assert linearly_determined(result) == set()


@SETTINGS
@given(tables(max_dims=2), st.lists(st.floats(0, 1, allow_nan=False), min_size=16, max_size=16))
def test_derived_values_need_a_safe_base(data, rates):
    dims, cats, leaves, threshold = data
    base = margins_from_leaves(dims, leaves)
    numerator = margins_from_leaves(dims, {k: v // 2 for k, v in leaves.items()})
    keys = sorted(base, key=key_order)
    derived = {"rate": Derived(dict(zip(keys, rates, strict=False)), base="base", numerator="numerator"),
               "mean": Derived(dict(zip(keys, rates, strict=False)), base="base")}
    report = protect(dims, {"base": base, "numerator": numerator}, derived, threshold=threshold)
    for key in report.keys:
        row = report.row(key)
        for name in ("rate", "mean"):
            if row[name].value is not None:
                assert not row[name].suppressed
                assert base[key] >= threshold and not row["base"].suppressed
        if row["numerator"].suppressed:
            assert row["rate"].value is None and row["rate"].suppressed


@SETTINGS
@given(tables(), st.randoms(use_true_random=False))
def test_the_outcome_is_deterministic(data, rnd):
    dims, cats, leaves, threshold = data
    table = margins_from_leaves(dims, leaves)
    first = suppress(dims, table, threshold=threshold)
    items = list(table.items())
    rnd.shuffle(items)
    again = suppress(dims, dict(items), threshold=threshold)
    assert first == again


def test_a_national_sized_table_is_protected_quickly():
    """98 municipalities x 9 settings with many small cells: the audit stays practical."""
    rnd = random.Random(4)
    dims = ("municipality", "risk_setting")
    leaves = {(f"{m:04d}", f"s{s}"): rnd.choice([0, 1, 2, 3, 4, 6, 9, 15, 40])
              for m in range(98) for s in range(9)}
    result = suppress(dims, margins_from_leaves(dims, leaves))
    published = result.published()
    assert all(v is None or v == 0 or v >= 5 for v in published.values())
    assert published[(None, None)] == sum(leaves.values())
    for rel in relations(dims, result.categories):
        assert sum(e in result.suppressed for e in rel.entries) != 1
