"""Peak memory of the exports: the report as CSV (streamed) and XLSX (write-only workbook), and the HSDS 3.0
directory walked page by page (`/hsds/services?full=true&per_page=200`, the way a consumer exports it).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tvaers_bench python -m bench.exports [--fraction 0.1]

Two sizes from ONE database (no second generator run): first a slice holding about `--fraction` of the data —
the municipalities (in code order) that hold that share of the persons for the report, and the organisations
based in them for the HSDS walk — then everything. The peaks (Python heap, tracemalloc) should not grow with the
data: the report's size is bounded by its categories (risk setting × age group × quarter, the same in both
sizes), never by the number of persons; the HSDS walk holds one page at a time. `--fraction 0` skips the slice.

Before each size the report is computed once and its facts committed to the summary (`report_summary`, the fast
path), timed and not traced: the CSV and the XLSX then render the same facts the way a request that finds them
fresh does. (Each export used to roll back, so the XLSX recomputed the whole national report live.)
"""

import argparse
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

import service.models  # noqa: F401  (every table in the metadata)
from service.core.db import get_engine
from service.core.permissions import Role, permissions_for
from service.core.principal import Principal
from service.offers import hsds_api
from service.offers.models import Offer
from service.organisations.models import Organisation
from service.persons.models import Person
from service.reports import render
from service.reports.dto import Rec4Params
from service.reports.service import rec4

PER_PAGE = 200


def _peak(run: Callable[[], Any]) -> tuple[float, Any]:
    tracemalloc.start()
    try:
        result = run()
        return tracemalloc.get_traced_memory()[1] / 2**20, result
    finally:
        tracemalloc.stop()


def _analyst(session: Session) -> Principal:
    org = session.scalars(select(Organisation).where(Organisation.name == "Bench nationalt ministerium")).one()
    return Principal(kind="user", id=uuid.uuid4(), organisation_id=org.id, role=Role.analyst, name="bench",
                     permissions=permissions_for(Role.analyst))


def _slice(session: Session, fraction: float) -> tuple[list[str], list[uuid.UUID]]:
    """The first municipalities (by code) holding `fraction` of the persons, and the organisations based there."""
    total = session.scalar(select(func.count()).select_from(Person)) or 0
    per_municipality = session.execute(select(Person.municipality_code, func.count()).group_by(
        col(Person.municipality_code)).order_by(col(Person.municipality_code))).all()
    chosen: list[str] = []
    held = 0
    for code, n in per_municipality:
        if held >= fraction * total:
            break
        chosen.append(code)
        held += n
    orgs = list(session.scalars(select(Organisation.id).where(col(Organisation.municipality_code).in_(chosen))))
    return chosen, orgs


def run_size(session: Session, principal: Principal, label: str, params: Rec4Params,
             organisations: list[uuid.UUID] | None) -> None:
    """Print the three peaks of one size (organisations None: the whole directory)."""

    def csv_export() -> int:
        return sum(len(chunk) for chunk in render.iter_csv(rec4(session, principal, params, fmt="csv")))

    def xlsx_export() -> int:
        return len(render.to_xlsx(rec4(session, principal, params, fmt="xlsx")))

    largest = {"mib": 0.0, "services": 0, "walk": 0.0}

    def hsds_walk() -> int:
        """Every page; also the most one page added to the heap while it was built (reset_peak per page), so the
        walk's peak can be told apart from what a page costs."""
        size = 0
        for org in organisations if organisations is not None else [None]:
            query = hsds_api.ServiceQuery(organization_id=None if org is None else str(org))
            page, total_pages = 1, 1
            while page <= total_pages:
                before = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
                doc = hsds_api.list_services(session, query, page, PER_PAGE, full=True)
                peak_since = tracemalloc.get_traced_memory()[1]
                largest["walk"] = max(largest["walk"], peak_since / 2**20)  # the walk's peak, across the resets
                own = (peak_since - before) / 2**20
                if own > largest["mib"]:
                    largest.update(mib=own, services=len(doc["contents"]))
                total_pages = doc["total_pages"]
                size += len(doc["contents"])
                page += 1
        return size

    started = time.monotonic()
    rec4(session, principal, params)
    session.commit()  # the facts stay in report_summary for the two exports (and one audit row of the warm-up)
    warm = time.monotonic() - started
    persons = session.scalar(select(func.count()).select_from(Person).where(
        col(Person.municipality_code).in_(params.municipality)) if params.municipality else
        select(func.count()).select_from(Person))
    print(f"{label}: {persons:,} persons (report facts computed and stored in {warm:.1f} s)", flush=True)
    cells = " × ".join(params.group_by)
    for name, run in ((f"report CSV ({cells})", csv_export), (f"report XLSX ({cells})", xlsx_export),
                      (f"HSDS services, every page of {PER_PAGE}, full", hsds_walk)):
        peak, out = _peak(run)
        if run is hsds_walk:
            peak = largest["walk"]  # _peak saw only the last page's (the walk resets the peak per page)
        session.rollback()  # no audit rows left behind
        print(f"  {name:<58} peak {peak:>7.1f} MiB   output {out:,} {'services' if 'HSDS' in name else 'bytes'}",
              flush=True)
    print(f"  {'HSDS: the most one page added while it was built':<58} peak {largest['mib']:>7.1f} MiB   "
          f"(a page of {largest['services']} services)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lang", default="da", choices=["da", "en"])
    parser.add_argument("--fraction", type=float, default=0.1,
                        help="share of the persons in the small size (0: only the full size)")
    args = parser.parse_args()
    year = date.today().year
    base = {"period_from": date(year - 2, 1, 1), "period_to": date(year, 12, 31),
            "group_by": ["risk_setting", "age_group", "quarter"], "lang": args.lang}
    with Session(bind=get_engine()) as session:
        offers = session.scalar(select(func.count()).select_from(Offer).where(col(Offer.status) == "published"))
        principal = _analyst(session)
        print(f"data: {offers:,} published offers in all")
        if args.fraction > 0:
            municipalities, organisations = _slice(session, args.fraction)
            run_size(session, principal, f"small: {len(municipalities)} municipalities",
                     Rec4Params(**base, municipality=municipalities), organisations)
        run_size(session, principal, "full: every municipality", Rec4Params(**base), None)

if __name__ == "__main__":
    main()
