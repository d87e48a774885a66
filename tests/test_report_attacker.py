"""Issue #13, defect 1: an attacker requests every allowed combination of groupings and filters for a small
municipality (as its org_admin would) and bounds each small count by linear programming over everything that
was published, with the p-table's bounds (``possible_counts``). No count in 1..threshold-1 may be pinned."""

import itertools
import math
from datetime import UTC, datetime

import pytest
from scipy.optimize import linprog

from service.reports import service as reports
from service.reports.cellkey import possible_counts
from service.reports.dimensions import load_categories
from service.reports.dto import Rec4Params
from service.reports.policy import ReportScope
from tests.report_data import PERIOD, person

THRESHOLD = 5
DIMS = ("risk_setting", "age_group", "quarter")
# the example: municipality 0101 with 0-17 = 0, 30-49 = 1, 65-79 = 12, 80+ = 1 (total 14),
# spread over two risk settings and two quarters
PEOPLE = ([("homelessness", 1985, 1)] + [("nursing_home", 1950, 1)] * 7 + [("nursing_home", 1950, 2)] * 3
          + [("homelessness", 1950, 2)] * 2 + [("nursing_home", 1940, 2)])


def _subsets(values):
    return [list(c) for n in range(1, len(values) + 1) for c in itertools.combinations(values, n)]


def _requests(present: dict[str, list[str]], full: bool):
    """Every grouping of the three varying dimensions, with no filter and with every subset of present
    categories of each filterable dimension not grouped by (quick: filters only on ungrouped requests and
    single groupings, which reach the same sets of persons but one)."""
    for n in range(len(DIMS) + 1):
        for group_by in itertools.combinations(DIMS, n):
            yield list(group_by), {}
            for d in DIMS:
                if d not in group_by and (full or n <= 1):
                    for chosen in _subsets(present[d]):
                        yield list(group_by), {d: chosen}


@pytest.mark.parametrize("full", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_no_small_count_can_be_pinned_by_differencing(db, make_org, full):
    org = make_org(kind="municipality", municipality_code="0101")
    atoms: dict[tuple[str, str, str], int] = {}
    for setting, born, quarter_no in PEOPLE:
        created = datetime(2026, 3 * quarter_no - 1, 10, tzinfo=UTC)
        person(db, org.id, settings=[setting], birth_year=born, created=created)
        age = "30-49" if born == 1985 else ("65-79" if born == 1950 else "80+")
        key = (setting, age, f"2026Q{quarter_no}")
        atoms[key] = atoms.get(key, 0) + 1
    db.commit()
    scope = ReportScope(None, ("0101",), "municipality 0101")
    present = {d: sorted({a[i] for a in atoms}) for i, d in enumerate(DIMS)}
    names = list(atoms)
    rows, bounds = [], []
    published = {}
    for group_by, filters in _requests(present, full):
        params = Rec4Params(**PERIOD, group_by=group_by, **filters)
        q = reports._effective_query(db, params, scope)
        report, _, _ = reports.compute(db, q, load_categories(db, params.period_from, params.period_to), THRESHOLD)
        for key, value in report.measures["persons_at_risk"].items():
            wanted = {d: ({c} if c is not None else set(filters.get(d, present[d])))
                      for d, c in zip(group_by, key, strict=True)}
            for d in DIMS:
                wanted.setdefault(d, set(filters.get(d, present[d])))
            members = frozenset(a for a in names if all(a[i] in wanted[d] for i, d in enumerate(DIMS)))
            v = value.value
            assert isinstance(v, int) and not 0 < v < THRESHOLD
            # the same set of persons is always published with the same value, whichever request asked
            assert published.setdefault(members, v) == v, (group_by, filters, key)
    for members, v in published.items():
        counts = possible_counts(v, THRESHOLD)
        rows.append([1.0 if a in members else 0.0 for a in names])
        bounds.append((counts.start, counts.stop - 1))
    # the attacker's system: for every published set, lo <= sum of its atoms <= hi, atoms >= 0
    a_ub = [r for r in rows] + [[-x for x in r] for r in rows]
    b_ub = [hi for _, hi in bounds] + [-lo for lo, _ in bounds]
    pinned = []
    targets = {members: sum(atoms[a] for a in members) for members in published}
    for members, true in targets.items():
        if not 0 < true < THRESHOLD:
            continue
        c = [1.0 if a in members else 0.0 for a in names]
        low = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=[(0, None)] * len(names), method="highs")
        high = linprog([-x for x in c], A_ub=a_ub, b_ub=b_ub, bounds=[(0, None)] * len(names), method="highs")
        assert low.status == 0 and high.status == 0  # the true counts are feasible
        if math.ceil(low.fun - 1e-6) == math.floor(-high.fun + 1e-6):
            pinned.append((sorted(members), true))
    assert len(targets) >= 15 and any(0 < t < THRESHOLD for t in targets.values())
    assert not pinned, pinned


@pytest.mark.parametrize("published,expected", [(0, range(0, 5)), (5, range(1, 8)), (6, range(5, 9)),
                                                (12, range(10, 15))])
def test_what_a_published_value_can_hide(published, expected):
    assert possible_counts(published, THRESHOLD) == expected
