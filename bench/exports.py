"""Peak memory of the exports: the report as CSV (streamed) and XLSX (write-only workbook), and the HSDS 3.0
directory walked page by page (`/hsds/services?full=true&per_page=200`, the way a consumer exports it).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tvaers_bench python -m bench.exports

Run it on two databases made by `python -m bench.generate` with 10× different sizes: the peaks (Python heap,
tracemalloc) should not grow with the data. The report's size is bounded by its categories (cells, margins),
never by the number of persons; the HSDS walk holds one page at a time.
"""

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lang", default="da", choices=["da", "en"])
    args = parser.parse_args()
    year = date.today().year
    params = Rec4Params(period_from=date(year - 2, 1, 1), period_to=date(year, 12, 31),
                        group_by=["municipality", "quarter"], lang=args.lang)
    with Session(bind=get_engine()) as session:
        persons = session.scalar(select(func.count()).select_from(Person))
        offers = session.scalar(select(func.count()).select_from(Offer).where(col(Offer.status) == "published"))
        principal = _analyst(session)

        def csv_export() -> int:
            return sum(len(chunk) for chunk in render.iter_csv(rec4(session, principal, params, fmt="csv")))

        def xlsx_export() -> int:
            return len(render.to_xlsx(rec4(session, principal, params, fmt="xlsx")))

        def hsds_walk() -> int:
            size, page, total_pages = 0, 1, 1
            while page <= total_pages:
                doc = hsds_api.list_services(session, hsds_api.ServiceQuery(), page, PER_PAGE, full=True)
                total_pages = doc["total_pages"]
                size += len(doc["contents"])
                page += 1
            return size

        print(f"data: {persons:,} persons, {offers:,} published offers")
        for label, run in (("report CSV (municipality × quarter)", csv_export),
                           ("report XLSX (municipality × quarter)", xlsx_export),
                           (f"HSDS services, every page of {PER_PAGE}, full", hsds_walk)):
            peak, out = _peak(run)
            session.rollback()  # no audit rows left behind
            print(f"{label:<48} peak {peak:>7.1f} MiB   output {out:,} {'services' if 'HSDS' in label else 'bytes'}",
                  flush=True)


if __name__ == "__main__":
    main()
