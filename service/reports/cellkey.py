"""Disclosure control by the Cell Key Method (ABS; the German statistical offices' "Cell-Key-Verfahren").

Every person and every referral carries a random *record key*: an integer in ``[0, MODULUS)`` drawn once
when the row is created and never changed (``person.record_key``, ``referral.record_key``). A cell's *cell
key* is the sum of the record keys of the units counted in it, modulo ``MODULUS``: it depends only on *which*
units a cell counts, never on the request that asked for it. The published value is the true count plus a
noise drawn from the *p-table* row of that count by the cell key (inverse CDF). Hence the same cell always
gets the same noise, in every grouping, filter, format and request — averaging repeated requests or
differencing overlapping ones meets noise that does not go away.

The p-table (threshold T, the ``disclosure_threshold`` setting; maximum noise D = ``MAX_NOISE``):

* n = 0: published 0 (no unit, nothing to protect — ABS leaves structural zeros alone);
* 1 ≤ n < T: published 0 with probability 1 − n/T, T with probability n/T (unbiased; no value 1..T−1 ever
  appears, and a published 0 or T does not say whether a few units are behind it);
* n ≥ T: n + d, d ∈ {−k..k} with k = min(D, n − T) and probabilities ∝ ``NOISE_WEIGHTS`` (symmetric, so
  unbiased; never below T).

Published tables are therefore not additive (a margin is not exactly the sum of its published cells); every
figure says how it was protected (``protection``).
"""

import itertools
import math
import operator
import secrets
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from functools import lru_cache

import numpy as np

from service.reports.disclosure import Key, ProtectedReport, Value, key_space

RECORD_KEY_BITS = 20
MODULUS = 1 << RECORD_KEY_BITS
MAX_NOISE = 2
NOISE_WEIGHTS = {0: 4, 1: 2, 2: 1}  # weight of d and of −d
CELL_KEY = "cell_key"
PUBLIC = "none (public register)"
WITHHELD = "withheld (base below threshold)"
FROM_CELL_KEYS = "computed from cell-key counts"


def new_record_key() -> int:
    return secrets.randbelow(MODULUS)


def ptable_row(n: int, threshold: int) -> list[tuple[int, Fraction]]:
    """(published value, probability) for a true count n, in a fixed order."""
    if n < 0:
        raise ValueError("counts are non-negative")
    if n == 0:
        return [(0, Fraction(1))]
    if n < threshold:
        return [(0, Fraction(threshold - n, threshold)), (threshold, Fraction(n, threshold))]
    k = min(MAX_NOISE, n - threshold)
    weights = [(d, NOISE_WEIGHTS[abs(d)]) for d in range(-k, k + 1)]
    total = sum(w for _, w in weights)
    return [(n + d, Fraction(w, total)) for d, w in weights]


@lru_cache(maxsize=4096)
def _bounds(n: int, threshold: int) -> tuple[tuple[int, int], ...]:
    """(upper bound of the cell-key interval × MODULUS, published value): the p-table row as integers."""
    out, acc = [], Fraction(0)
    for value, p in ptable_row(n, threshold):
        acc += p
        out.append((math.ceil(acc * MODULUS), value))
    return tuple(out)


@lru_cache(maxsize=64)
def _noise_bounds(n_minus_threshold: int, threshold: int) -> tuple[tuple[int, int], ...]:
    """(upper bound × MODULUS, noise d) of the rows n ≥ threshold: they differ only in k = min(D, n − T), so
    every large count shares one of D + 1 cached rows (a report has thousands of distinct counts)."""
    k = min(MAX_NOISE, n_minus_threshold)
    return tuple((upper, value - (threshold + k)) for upper, value in _bounds(threshold + k, threshold))


@lru_cache(maxsize=64)
def _large_rows(threshold: int) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
    """For k = 0..D: the noise row of counts n ≥ threshold with min(D, n − T) = k, as (upper bounds, noises), so
    the inverse CDF is one binary search (a national table perturbs ~200,000 counts per request)."""
    rows = (_noise_bounds(k, threshold) for k in range(MAX_NOISE + 1))
    return tuple((tuple(u for u, _ in row), tuple(d for _, d in row)) for row in rows)


def perturb(n: int, cell_key: int, threshold: int) -> int:
    """The published value of a cell with true count n and the given (unreduced) cell key: the p-table row's
    inverse CDF at cell_key / MODULUS (the first interval whose upper bound exceeds the reduced key)."""
    if n == 0:
        return 0
    u = cell_key % MODULUS
    if n >= threshold:
        uppers, noises = _large_rows(threshold)[n - threshold if n - threshold < MAX_NOISE else MAX_NOISE]
        return n + noises[min(bisect_right(uppers, u), len(noises) - 1)]
    bounds = _bounds(n, threshold)
    for upper, value in bounds:
        if u < upper:
            return value
    return bounds[-1][1]


def _aligned_keys(table: Mapping[Key, int], cell_keys: Mapping[Key, int]) -> list[int]:
    """The cell key of each of the table's cells, in the table's order (0 where none): read off in order when
    both hold the very same keys in the same order, otherwise looked up."""
    if len(cell_keys) == len(table) and all(map(operator.is_, table, cell_keys)):
        return [k or 0 for k in cell_keys.values()]
    get = cell_keys.get
    return [get(k) or 0 for k in table]


def perturb_many(counts: Sequence[int], cell_keys: Sequence[int], threshold: int) -> list[int]:
    """`perturb` of many cells at once, the inverse CDF as a vectorised binary search per p-table row (numpy): a
    national table perturbs ~240,000 counts per request, which took a quarter second one by one (issue #13);
    tests/test_report_fast_render.py holds the two equal."""
    n = np.asarray(counts, dtype=np.int64)
    u = np.asarray(cell_keys, dtype=np.int64) % MODULUS
    if (n < 0).any():
        raise ValueError("counts are non-negative")
    out = np.zeros_like(n)  # n = 0: published 0
    # Each p-table row in play: (its cells, the row, the count it was drawn for). A count below T has its own row;
    # a count n ≥ T uses the row of T + k, k = min(D, n − T), shifted by n − (T + k): the noise is what is added.
    rows = [(n == small, _bounds(small, threshold), small) for small in range(1, threshold)]
    over = np.minimum(n - threshold, MAX_NOISE)
    rows += [((n >= threshold) & (over == k), _bounds(threshold + k, threshold), threshold + k)
             for k in range(MAX_NOISE + 1)]
    for cells, bounds, drawn_for in rows:
        if not cells.any():
            continue
        uppers = np.array([upper for upper, _ in bounds], dtype=np.int64)
        values = np.array([value for _, value in bounds], dtype=np.int64)
        at = np.minimum(np.searchsorted(uppers, u[cells], side="right"), len(bounds) - 1)
        out[cells] = values[at] + (n[cells] - drawn_for)
    published: list[int] = out.tolist()
    return published


def possible_counts(published: int, threshold: int) -> range:
    """Every true count the p-table could have published as ``published`` (what an attacker can infer)."""
    if published == 0:
        return range(0, threshold)
    if published == threshold:
        return range(1, threshold + MAX_NOISE + 1)
    return range(max(threshold, published - MAX_NOISE), published + MAX_NOISE + 1)


def protect(dimensions: Sequence[str], counts: Mapping[str, Mapping[Key, int]],
            cell_keys: Mapping[str, Mapping[Key, int]], derived: Mapping[str, "DerivedSpec"] | None = None, *,
            threshold: int, categories: Mapping[str, Sequence[str]]) -> ProtectedReport:
    """Perturb every count over the key space; derived values are computed from the *published* counts
    (or withheld when their base is below the threshold)."""
    dims = tuple(dimensions)
    cats = {d: tuple(sorted(categories[d])) for d in dims}
    space = key_space(dims, cats)
    measures: dict[str, dict[Key, Value]] = {}
    zero = Value(0, False, CELL_KEY)
    made: dict[int, Value] = {0: zero}
    for name, table in counts.items():
        # An empty cell publishes 0 (one shared immutable Value), so a cell missing from the table costs nothing;
        # the table's cells are perturbed at once (`perturb_many`), in the table's own order and without a hash
        # lookup per cell where the cell keys come aligned with the counts (one stored family's columns do).
        published = dict.fromkeys(space, zero)
        if table:
            true_counts = [n or 0 for n in table.values()]
            shown = perturb_many(true_counts, _aligned_keys(table, cell_keys.get(name, {})), threshold)
            for figure in set(shown).difference(made):  # one immutable Value per published number, shared
                made[figure] = Value(figure, False, CELL_KEY)
            published.update(zip(table, map(made.__getitem__, shown), strict=True))
            # A key outside the table's categories is not published: update appended it after the key space.
            for k in list(itertools.islice(published, len(space), None)):
                del published[k]
        measures[name] = published
    no_base = Value(None, False, CELL_KEY)
    withheld = Value(None, True, WITHHELD)
    computed: dict[str, Value] = {}
    for name, spec in (derived or {}).items():
        # Only cells with a base need a decision; the rest share `no_base` (the key space is the dict's order).
        out = dict.fromkeys(space, no_base)
        shown_bases = measures[spec.base]
        figure_of = spec.figure_function(measures)
        for k, true_base in counts[spec.base].items():
            if not true_base or k not in out:
                continue
            shown_base = shown_bases[k].value
            if int(true_base) >= threshold and isinstance(shown_base, int) and shown_base >= threshold:
                rate = figure_of(k, shown_base)
                # Rates repeat (0.5, 1.0, …): one immutable Value per figure, as above; keyed by its repr, so 5
                # and 5.0 (or 0.0 and -0.0) stay the figures they are.
                value = computed.get(shown_rate := repr(rate))
                if value is None:
                    value = computed[shown_rate] = Value(rate, False, FROM_CELL_KEYS)
                out[k] = value
            else:
                out[k] = withheld
        measures[name] = out
    return ProtectedReport(threshold=threshold, dimensions=dims, categories=cats, keys=tuple(space),
                           measures=measures)


class DerivedSpec:
    """A value over a base count: a ratio of two published counts, or a statistic computed on true data
    (mean, median) that is shown only over a base of at least the threshold."""

    def __init__(self, base: str, *, numerator: str | None = None, denominator_published: bool = True,
                 values: Mapping[Key, float | None] | None = None, numerator_values: Mapping[Key, float] | None
                 = None, digits: int = 3) -> None:
        self.base, self.numerator, self.values = base, numerator, values
        self.numerator_values, self.digits = numerator_values, digits
        self.denominator_published = denominator_published

    def figure_function(self, measures: Mapping[str, Mapping[Key, Value]]) -> Callable[[Key, int], float | None]:
        """The figure of each key, its lookups bound once for the whole table: (key, published base) -> figure — a
        statistic given per key, or a ratio (rounded to `digits`) of a published or given numerator over the
        published base; None where the numerator is missing."""
        digits = self.digits
        if self.values is not None:
            values_get = self.values.get
            return lambda key, base: values_get(key)
        if self.numerator is not None:
            numerator = measures[self.numerator]

            def ratio(key: Key, base: int) -> float | None:
                top = numerator[key].value
                return None if top is None or not base else round(float(top) / float(base), digits)
            return ratio
        numerator_values = self.numerator_values or {}

        def over_values(key: Key, base: int) -> float | None:
            top = numerator_values.get(key, 0)
            return None if top is None or not base else round(float(top) / float(base), digits)
        return over_values
