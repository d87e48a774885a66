"""Latency of the Recommendation 4 report: the fast path (facts served from `report_summary`) next to the live
SQL computation of the same request, in the same run.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tvaers_bench python -m bench.rec4 [--runs 5]

Run `python -m bench.generate` first. For each scenario the summary is emptied, then the first request computes
every fact family live (and stores it: this is what a request costs when nothing is fresh, and what
`report-refresh` costs per table), one more (not timed) warms the process up for that request's shape (SQLAlchemy
compiles the summary read for its number of keys once), and `--runs` more requests are served from the summary.
Each request is the whole report through the domain service: SQL, Cell Key Method, audit row and the JSON body as
the endpoint makes it (`render.rec4_json`); the process is set up as a server's is (the app built, start-up's heap
settled). Printed: the live time, the fast path's p50 and p95, and live ÷ fast-path p95. Scenarios: every
accepted national grouping (up to three dimensions; `--few` for five of them) as the national analyst, and one
municipality (0101) as its org_admin for the groupings of up to two dimensions other than municipality and region
(`--few`: three). `--only local|national` and `--dimensions N …` run a subset.
"""

import argparse
import itertools
import re
import statistics
import time
import uuid
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import service.models  # noqa: F401
from service.core.db import get_engine
from service.core.permissions import Role, permissions_for
from service.core.principal import Principal
from service.main import create_app
from service.organisations.models import Organisation
from service.reports import render
from service.reports.dimensions import MAX_GROUP_BY, Dimension
from service.reports.dto import Rec4Params
from service.reports.models import ReportSummary
from service.server import settle_heap

NATIONAL = "Bench nationalt ministerium"
MUNICIPALITY = "Bench kommune 0101"
FEW = [(), ("risk_setting",), ("municipality",), ("region", "offer_category"), ("risk_setting", "quarter")]
LOCAL_FEW = [(), ("risk_setting",), ("risk_setting", "quarter")]


def _principal(session: Session, name: str, role: Role) -> Principal:
    org = session.scalars(select(Organisation).where(Organisation.name == name)).one()
    return Principal(kind="user", id=uuid.uuid4(), organisation_id=org.id, role=role, name="bench",
                     permissions=permissions_for(role))


def _once(org: str, role: Role, params: Rec4Params, *, keep: bool) -> tuple[float, str]:
    with Session(bind=get_engine()) as session:
        principal = _principal(session, org, role)
        t0 = time.perf_counter()
        body = render.rec4_json(session, principal, params)  # the response body, as the endpoint makes it
        elapsed = time.perf_counter() - t0
        if keep:
            session.commit()  # the stored facts (and the audit row) stay, for the fast-path runs
        else:
            session.rollback()
    return elapsed, _source(body)


def _source(body: bytes) -> str:
    """The document's `freshness.source`, read off its head: parsing the whole body (megabytes nationally) would
    leave the next request a heap to collect."""
    found = re.search(rb'"freshness":\{"source":"(\w+)"', body[:2000])
    assert found, body[:2000]
    return found.group(1).decode()


def measure(org: str, role: Role, params: Rec4Params, runs: int) -> dict[str, Any]:
    with get_engine().begin() as conn:
        conn.execute(delete(ReportSummary))  # nothing fresh: the first request computes every family live
    live, source = _once(org, role, params, keep=True)
    assert source == "live", source
    _once(org, role, params, keep=False)  # warm-up, not timed: the process's first request of this shape
    fast = []
    for _ in range(max(runs, 1)):
        elapsed, source = _once(org, role, params, keep=False)
        assert source == "summary", source
        fast.append(elapsed)
    fast.sort()
    p95 = fast[min(len(fast) - 1, round(0.95 * (len(fast) - 1)))]
    return {"live_ms": live * 1000, "p50_ms": statistics.median(fast) * 1000, "p95_ms": p95 * 1000}


def scenarios(few: bool, sizes: set[int] | None = None) -> list[tuple[str, str, Role, tuple[str, ...]]]:
    """One municipality first (its live figures are the quick ones), then the national groupings."""
    dims = [d.value for d in Dimension]
    national = FEW if few else [g for n in range(MAX_GROUP_BY + 1) for g in itertools.combinations(dims, n)]
    local = LOCAL_FEW if few else [g for g in national if len(g) <= 2 and not {"municipality", "region"} & set(g)]
    out = [("one municipality (0101)", MUNICIPALITY, Role.org_admin, g) for g in local]
    out += [("national", NATIONAL, Role.analyst, g) for g in national]
    return [s for s in out if sizes is None or len(s[3]) in sizes]


def main() -> None:
    create_app()  # the process a request runs in: the app built, then start-up's heap settled (service.server)
    settle_heap()
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5, help="fast-path requests per scenario")
    parser.add_argument("--few", action="store_true", help="five national groupings instead of all of them")
    parser.add_argument("--only", choices=["local", "national"], help="only one municipality's or the national")
    parser.add_argument("--with", dest="with_dimension", help="only the groupings by this dimension")
    parser.add_argument("--grouping", action="append", help="only this grouping, e.g. region,age_group (repeatable)")
    parser.add_argument("--dimensions", type=int, nargs="+",
                        help="only the groupings of these sizes (e.g. 3: the three-dimension ones)")
    args = parser.parse_args()
    year = date.today().year
    period = {"period_from": date(year - 2, 1, 1), "period_to": date(year, 12, 31)}
    print(f"{'scenario':<64} {'live':>10} {'fast p50':>10} {'fast p95':>10} {'live/p95':>9}")
    for who, org, role, group_by in scenarios(args.few, set(args.dimensions) if args.dimensions else None):
        if args.only and (who == "national") != (args.only == "national"):
            continue
        if args.with_dimension and args.with_dimension not in group_by:
            continue
        if args.grouping and ",".join(group_by) not in args.grouping:
            continue
        r = measure(org, role, Rec4Params(**period, group_by=list(group_by)), args.runs)
        label = f"{who}, {'by ' + ' × '.join(group_by) if group_by else 'totals'}"
        print(f"{label:<64} {r['live_ms']:>7.0f} ms {r['p50_ms']:>7.1f} ms {r['p95_ms']:>7.1f} ms "
              f"{r['live_ms'] / r['p95_ms']:>8.0f}×", flush=True)


if __name__ == "__main__":
    main()
