"""The published table: keys (one category or margin per dimension), values and the protected report.

Shared by both disclosure methods (``disclosure`` suppression, ``cellkey`` perturbation) and by the renderers.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

Key = tuple[str | None, ...]



def key_order(key: Key) -> tuple[tuple[int, str], ...]:
    """Deterministic order of keys: categories sorted as strings, the margin (None) last."""
    return tuple((1, "") if c is None else (0, c) for c in key)



def check_dimensions(dimensions: Sequence[str]) -> tuple[str, ...]:
    dims = tuple(dimensions)
    if len(set(dims)) != len(dims) or not all(isinstance(d, str) and d for d in dims):
        raise ValueError("dimensions must be distinct non-empty names")
    return dims


def check_key(key: Any, size: int) -> Key:
    if not isinstance(key, tuple) or len(key) != size:
        raise ValueError(f"key {key!r} must be a tuple with one entry per dimension ({size})")
    if not all(c is None or isinstance(c, str) for c in key):
        raise ValueError(f"key {key!r}: entries must be category strings or None (the margin)")
    return key


def categories_of(dimensions: Sequence[str], keys: Iterable[Key]) -> dict[str, tuple[str, ...]]:
    """The categories of each dimension that occur in ``keys``, sorted."""
    dims = check_dimensions(dimensions)
    found: dict[str, set[str]] = {d: set() for d in dims}
    for key in keys:
        for d, c in zip(dims, check_key(key, len(dims)), strict=True):
            if c is not None:
                found[d].add(c)
    return {d: tuple(sorted(found[d])) for d in dims}


def key_space(dimensions: Sequence[str], categories: Mapping[str, Sequence[str]]) -> list[Key]:
    """Every cell, margin and the total, in ``key_order``: each axis sorted with its margin (None) last, so their
    product already comes in that order (no sort: a national table has tens of thousands of keys)."""
    dims = check_dimensions(dimensions)
    axes = [[*sorted(categories[d]), None] for d in dims]
    return list(product(*axes))



@dataclass(frozen=True)
class Value:
    """A published value: ``value`` is None whenever ``suppressed`` is true (or there is no value)."""

    value: int | float | None
    suppressed: bool
    protection: str | None = None  # how the figure was protected (e.g. "cell_key"), stated with it

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "suppressed": self.suppressed}
        if self.protection is not None:
            out["protection"] = self.protection
        return out


@dataclass(frozen=True)
class Derived:
    """A rate, mean or median per key, published only when its base count is safe.

    ``base`` names the count measure the value is computed over (e.g. "referrals_sent" for the
    acceptance rate, "persons_followed_up" for the mean T-ILS change); ``numerator`` names the count
    measure a rate divides, if any, so the rate hides whenever the numerator does.
    """

    values: Mapping[Key, float | None]
    base: str
    numerator: str | None = None


@dataclass(frozen=True)
class ProtectedReport:
    threshold: int
    dimensions: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]
    keys: tuple[Key, ...]
    measures: dict[str, dict[Key, Value]] = field(default_factory=dict)

    def row(self, key: Key) -> dict[str, Value]:
        return {name: values[key] for name, values in self.measures.items()}

    @property
    def total_key(self) -> Key:
        return (None,) * len(self.dimensions)

    @property
    def totals(self) -> dict[str, Value]:
        return self.row(self.total_key)

    def cells(self) -> list[Key]:
        """The keys with a category in every dimension (no margins)."""
        return [k for k in self.keys if None not in k]

    def margins(self) -> list[Key]:
        """Margins and the total."""
        return [k for k in self.keys if None in k]
