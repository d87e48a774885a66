"""Disclosure control for aggregate tables: primary and secondary suppression, with no database.

A report is a table keyed by its grouping dimensions. A *key* is a tuple with one entry per dimension:
a category (a string) or ``None``, which means "all categories of that dimension" (a margin). The key
of the grand total is ``(None, None, …)``; with no dimensions it is ``()``. For dimensions
``("risk_setting", "quarter")`` the keys are the cells ``("homelessness", "2026Q1")``, the margins
``("homelessness", None)`` and ``(None, "2026Q1")``, and the total ``(None, None)``.

Every count measure (persons registered, referrals sent, …) is protected on its own, with its own margins:

1. **Primary suppression.** A count from 1 to ``threshold - 1`` is not published. Zero is published.
2. **Secondary suppression.** Each margin is the sum of its children along each dimension it spans:
   ``value(m) = Σ value(m with dimension d set to c)`` for every category ``c`` of ``d``. Such a *relation*
   must never hold exactly one suppressed entry, or that entry could be recovered by subtraction. When it
   does, one more entry of the relation is suppressed: the smallest published non-zero child (ties broken
   by key order, so the outcome is deterministic), or the margin itself when no such child exists.
   Passes over all relations, for every margin level and dimension, repeat until nothing changes.
3. **Audit.** "Not exactly one per relation" is necessary but not sufficient: relations can be combined
   (a cell can be the only unknown of a sum of relations). The audit solves the linear system of all
   relations over the suppressed entries exactly (rational Gaussian elimination, per connected component)
   and finds any suppressed entry that the published values determine. For such an entry one more
   published entry is suppressed (the smallest non-zero entry of a relation that contains it, widening to
   its component and then to the whole table only when needed), and steps 2–3 repeat until no suppressed
   entry is determined. Because suppressed entries are non-zero, a determined-free table also admits a
   different non-negative completion for every suppressed entry in the two-dimensional case (every
   suppressed cell then lies on an alternating cycle; see ``tests/test_disclosure.py``).

Derived values (rates, means, medians) are published only when their *base* count is at least the
threshold and the base itself is published; a rate whose *numerator* count is suppressed is suppressed
too (base × rate would give the numerator back).

Margins are taken as given, so distinct-person counts (a person may be in several risk settings; a
margin can then be less than the sum of its children) are protected by the same relations, treated
conservatively as if they were exact. A margin must be at least each of its children. For additive
counts, ``margins_from_leaves`` computes the margins. Counts of different measures are protected
independently: a measure that is the sum of others should be expressed as a dimension instead.

Which entries were suppressed by which rule is kept internal (``Suppression.primary``): publishing
it would tell a reader that a cell lies in 1..threshold-1.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import product

from service.reports.table import (
    Derived,
    Key,
    ProtectedReport,
    Value,
    categories_of,
    check_dimensions,
    check_key,
    key_order,
    key_space,
)

DEFAULT_THRESHOLD = 5


@dataclass(frozen=True)
class Relation:
    """``margin`` equals the sum of ``children``, which vary ``margin``'s dimension ``dimension``."""

    margin: Key
    dimension: int
    children: tuple[Key, ...]

    @property
    def entries(self) -> tuple[Key, ...]:
        return (self.margin, *self.children)


def relations(dimensions: Sequence[str], categories: Mapping[str, Sequence[str]]) -> list[Relation]:
    """Every linear relation "margin = sum of children", for every margin level and dimension."""
    dims = check_dimensions(dimensions)
    out = []
    for key in key_space(dims, categories):
        for i, c in enumerate(key):
            if c is not None or not categories[dims[i]]:
                continue
            children = tuple(key[:i] + (cat,) + key[i + 1:] for cat in sorted(categories[dims[i]]))
            out.append(Relation(margin=key, dimension=i, children=children))
    return out


def margins_from_leaves(dimensions: Sequence[str], leaves: Mapping[Key, int],
                        categories: Mapping[str, Sequence[str]] | None = None) -> dict[Key, int]:
    """Complete an additive count table: every margin is the sum of the cells below it."""
    dims = check_dimensions(dimensions)
    for key in leaves:
        if None in check_key(key, len(dims)):
            raise ValueError(f"key {key!r} is a margin; give cells only")
    cats = dict(categories) if categories is not None else categories_of(dims, leaves)
    out: dict[Key, int] = {}
    for key in key_space(dims, cats):
        out[key] = 0
    for key, value in leaves.items():
        for mask in product((False, True), repeat=len(dims)):
            target = tuple(None if m else c for c, m in zip(key, mask, strict=True))
            out[target] = out.get(target, 0) + value
    return out


@dataclass(frozen=True)
class Suppression:
    """The outcome for one count measure. ``values`` holds every key of the space (missing keys are 0)."""

    threshold: int
    dimensions: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]
    values: dict[Key, int]
    primary: frozenset[Key]
    suppressed: frozenset[Key]

    def is_suppressed(self, key: Key) -> bool:
        return key in self.suppressed

    def published(self) -> dict[Key, int | None]:
        """Every key with its value, or None where suppressed."""
        return {k: None if k in self.suppressed else v for k, v in self.values.items()}


def _check_threshold(threshold: int) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError("threshold must be an integer of at least 1")
    return threshold


def _complete(dims: tuple[str, ...], values: Mapping[Key, int],
              cats: Mapping[str, Sequence[str]]) -> dict[Key, int]:
    space = key_space(dims, cats)
    allowed = set(space)
    full = dict.fromkeys(space, 0)
    for key, value in values.items():
        check_key(key, len(dims))
        if key not in allowed:
            raise ValueError(f"key {key!r} has a category outside the given categories")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"count at {key!r} must be a non-negative integer")
        full[key] = value
    return full


def _partner(rel: Relation, lone: Key, full: Mapping[Key, int], hidden: set[Key]) -> Key:
    """The entry to suppress next to the only suppressed entry ``lone`` of ``rel``."""
    published = [c for c in rel.children if c not in hidden]
    nonzero = [c for c in published if full[c] > 0]
    if nonzero:
        return min(nonzero, key=lambda c: (full[c], key_order(c)))
    if lone != rel.margin:
        return rel.margin
    # Only possible when a margin exceeds the sum of its children (non-additive input).
    return min(published, key=key_order)


def _line_pass(rels: list[Relation], full: Mapping[Key, int], hidden: set[Key]) -> None:
    changed = True
    while changed:
        changed = False
        for rel in rels:
            lone = [e for e in rel.entries if e in hidden]
            if len(lone) == 1:
                hidden.add(_partner(rel, lone[0], full, hidden))
                changed = True


def _components(equations: list[list[Key]]) -> list[list[int]]:
    """Group equation indices that share a suppressed entry (union-find over entries)."""
    parent: dict[Key, Key] = {}

    def find(k: Key) -> Key:
        while parent.setdefault(k, k) != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for eq in equations:
        for k in eq[1:]:
            parent[find(k)] = find(eq[0])
    groups: dict[Key, list[int]] = {}
    for i, eq in enumerate(equations):
        groups.setdefault(find(eq[0]), []).append(i)
    return list(groups.values())


def determined_entries(rels: Sequence[Relation], hidden: Iterable[Key]) -> set[Key]:
    """Suppressed entries whose value follows from the published ones through the relations.

    Entry ``k`` is determined exactly when the unit vector of ``k`` lies in the row space of the relations
    restricted to the suppressed entries; in reduced row echelon form that is a row with ``k`` alone.
    """
    hidden_set = set(hidden)
    equations: list[dict[Key, int]] = []
    for rel in rels:
        coeffs = {e: (-1 if e == rel.margin else 1) for e in rel.entries if e in hidden_set}
        if coeffs:
            equations.append(coeffs)
    found: set[Key] = set()
    for group in _components([list(eq) for eq in equations]):
        pivots: dict[Key, dict[Key, Fraction]] = {}
        for index in group:
            row: dict[Key, Fraction] = {k: Fraction(v) for k, v in equations[index].items()}
            # Pivot rows are kept fully reduced, so eliminating their pivots adds no other pivot column.
            for col in [c for c in row if c in pivots]:
                factor = row.get(col)
                if not factor:
                    continue
                for k, v in pivots[col].items():
                    new = row.get(k, Fraction(0)) - factor * v
                    if new:
                        row[k] = new
                    else:
                        row.pop(k, None)
            if not row:
                continue
            pivot = min(row, key=key_order)
            scale = row[pivot]
            row = {k: v / scale for k, v in row.items()}
            for other in pivots.values():
                factor = other.get(pivot)
                if factor:
                    for k, v in row.items():
                        new = other.get(k, Fraction(0)) - factor * v
                        if new:
                            other[k] = new
                        else:
                            other.pop(k, None)
            pivots[pivot] = row
        found.update(col for col, reduced in pivots.items() if len(reduced) == 1)
    return found


def _audit_choice(rels: list[Relation], full: Mapping[Key, int], hidden: set[Key], target: Key) -> Key:
    """A published entry whose suppression helps hide ``target``: nearest first, smallest non-zero first."""
    near = [r for r in rels if target in r.entries]
    component = {target}
    grew = True
    while grew:
        grew = False
        for r in rels:
            hidden_here = {e for e in r.entries if e in hidden}
            if hidden_here & component and not hidden_here <= component:
                component |= hidden_here
                grew = True
    wider = [r for r in rels if component & set(r.entries)]
    for scope in ([e for r in near for e in r.entries], [e for r in wider for e in r.entries], list(full)):
        candidates = [e for e in scope if e not in hidden and full[e] > 0]
        if candidates:
            return min(candidates, key=lambda e: (full[e], key_order(e)))
    return min((e for e in full if e not in hidden), key=key_order)


def suppress(dimensions: Sequence[str], values: Mapping[Key, int], *, threshold: int = DEFAULT_THRESHOLD,
             categories: Mapping[str, Sequence[str]] | None = None) -> Suppression:
    """Protect one count measure.

    ``values`` maps keys (cells, margins and the total) to non-negative counts; a key that is absent counts
    as 0. ``categories`` lists each dimension's categories (so that empty categories are part of the
    table); by default the categories that occur in ``values``. Raises ``ValueError`` for malformed input,
    including a margin smaller than one of its children.
    """
    dims = check_dimensions(dimensions)
    _check_threshold(threshold)
    cats = ({d: tuple(sorted(categories[d])) for d in dims} if categories is not None
            else categories_of(dims, values))
    full = _complete(dims, values, cats)
    rels = relations(dims, cats)
    for rel in rels:
        if any(full[c] > full[rel.margin] for c in rel.children):
            raise ValueError(f"margin {rel.margin!r} is smaller than one of its children")
    primary = {k for k, v in full.items() if 0 < v < threshold}
    hidden = set(primary)
    while True:
        _line_pass(rels, full, hidden)
        determined = determined_entries(rels, hidden)
        if not determined:
            break
        target = min(determined, key=key_order)
        hidden.add(_audit_choice(rels, full, hidden, target))
    return Suppression(threshold=threshold, dimensions=dims, categories=cats, values=full,
                       primary=frozenset(primary), suppressed=frozenset(hidden))




def protect(dimensions: Sequence[str], counts: Mapping[str, Mapping[Key, int]],
            derived: Mapping[str, Derived] | None = None, *, threshold: int = DEFAULT_THRESHOLD,
            categories: Mapping[str, Sequence[str]] | None = None) -> ProtectedReport:
    """Protect several measures over the same grouping.

    ``counts`` maps measure names to count tables (cells, margins and total; see ``suppress``), each
    suppressed independently. ``derived`` maps names to rates/means/medians over a base count in
    ``counts``. The key space is shared: by default the union of categories that occur in any measure.
    """
    dims = check_dimensions(dimensions)
    _check_threshold(threshold)
    derived = dict(derived or {})
    overlap = set(counts) & set(derived)
    if overlap:
        raise ValueError(f"measure names used twice: {', '.join(sorted(overlap))}")
    if categories is None:
        all_keys = [k for table in counts.values() for k in table]
        all_keys += [k for d in derived.values() for k in d.values]
        cats = categories_of(dims, all_keys)
    else:
        cats = {d: tuple(sorted(categories[d])) for d in dims}
    space = key_space(dims, cats)
    measures: dict[str, dict[Key, Value]] = {}
    results: dict[str, Suppression] = {}
    for name, table in counts.items():
        result = suppress(dims, table, threshold=threshold, categories=cats)
        results[name] = result
        measures[name] = {k: Value(None if k in result.suppressed else v, k in result.suppressed)
                          for k, v in result.values.items()}
    for name, spec in derived.items():
        if spec.base not in results:
            raise ValueError(f"derived measure {name!r}: base {spec.base!r} is not a count measure")
        if spec.numerator is not None and spec.numerator not in results:
            raise ValueError(f"derived measure {name!r}: numerator {spec.numerator!r} is not a count measure")
        base = results[spec.base]
        numerator = results[spec.numerator] if spec.numerator else None
        allowed = set(space)
        for key in spec.values:
            if check_key(key, len(dims)) not in allowed:
                raise ValueError(f"derived measure {name!r}: key {key!r} is outside the table")
        out: dict[Key, Value] = {}
        for key in space:
            raw = spec.values.get(key)
            safe = (base.values[key] >= threshold and key not in base.suppressed
                    and (numerator is None or key not in numerator.suppressed))
            if safe:
                out[key] = Value(raw, False)
            elif raw is None and base.values[key] == 0 and key not in base.suppressed:
                out[key] = Value(None, False)  # nothing to compute over, and the zero base is public
            else:
                out[key] = Value(None, True)
        measures[name] = out
    return ProtectedReport(threshold=threshold, dimensions=dims, categories=cats, keys=tuple(space),
                           measures=measures)
