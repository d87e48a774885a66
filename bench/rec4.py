"""Latency of the Recommendation 4 report next to the time PostgreSQL needs for the same SQL.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tvaers_bench python -m bench.rec4 [--runs 5]

Run `python -m bench.generate` first. For each scenario it prints the median over the runs of (a) the whole
report through the domain service (SQL + disclosure control + JSON document) and (b) the same SQL statements
replayed raw on the driver, plus the number of statements.
"""

import argparse
import statistics
import time
import uuid
from datetime import date
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

import service.models  # noqa: F401
from service.core.db import get_engine
from service.core.permissions import Role, permissions_for
from service.core.principal import Principal
from service.organisations.models import Organisation
from service.reports import render
from service.reports.dto import Rec4Params
from service.reports.service import rec4


def _principal(session: Session, name: str, role: Role) -> Principal:
    org = session.scalars(select(Organisation).where(Organisation.name == name)).one()
    return Principal(kind="user", id=uuid.uuid4(), organisation_id=org.id, role=role, name="bench",
                     permissions=permissions_for(role))


def _run(principal_name: str, role: Role, params: Rec4Params, runs: int) -> dict[str, Any]:
    engine = get_engine()
    report_times, raw_times, statements = [], [], []
    for _ in range(runs):
        captured: list[tuple[str, Any]] = []

        def capture(conn: Any, cursor: Any, stmt: str, parameters: Any, context: Any, many: bool,
                    sink: list[tuple[str, Any]] = captured) -> None:
            if stmt.lstrip().upper().startswith(("SELECT", "WITH")):
                sink.append((stmt, parameters))

        with Session(bind=engine) as session:
            principal = _principal(session, principal_name, role)
            event.listen(engine, "before_cursor_execute", capture)
            t0 = time.perf_counter()
            render.document(rec4(session, principal, params))
            report_times.append(time.perf_counter() - t0)
            event.remove(engine, "before_cursor_execute", capture)
            session.rollback()  # leave no audit rows behind
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            t0 = time.perf_counter()
            with raw.cursor() as cur:
                for stmt, parameters in captured:
                    cur.execute(stmt, parameters)
                    cur.fetchall()
            raw_times.append(time.perf_counter() - t0)
        statements.append(len(captured))
    return {"report_ms": statistics.median(report_times) * 1000, "raw_sql_ms": statistics.median(raw_times) * 1000,
            "statements": statements[-1]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    year = date.today().year
    period = {"period_from": date(year - 2, 1, 1), "period_to": date(year, 12, 31)}
    scenarios = [
        ("national, totals", "Bench nationalt ministerium", Role.analyst, Rec4Params(**period)),
        ("national, by risk_setting", "Bench nationalt ministerium", Role.analyst,
         Rec4Params(**period, group_by=["risk_setting"])),
        ("national, by region × offer_category", "Bench nationalt ministerium", Role.analyst,
         Rec4Params(**period, group_by=["region", "offer_category"])),
        ("national, by municipality", "Bench nationalt ministerium", Role.analyst,
         Rec4Params(**period, group_by=["municipality"])),
        ("one municipality (0101), by risk_setting × quarter", "Bench kommune 0101", Role.org_admin,
         Rec4Params(**period, group_by=["risk_setting", "quarter"])),
    ]
    print(f"{'scenario':<52} {'report (median)':>16} {'raw SQL (median)':>17} {'statements':>11}")
    for label, org, role, params in scenarios:
        r = _run(org, role, params, args.runs)
        print(f"{label:<52} {r['report_ms']:>13.0f} ms {r['raw_sql_ms']:>14.0f} ms {r['statements']:>11}")


if __name__ == "__main__":
    main()
