"""The database's share of the hot paths (issue #14): the statement the real service sends for a persons page, a
name search, the provider inbox and the sent list, captured with its parameters and timed by PostgreSQL itself
(`EXPLAIN (ANALYZE)`: planning and execution, median of `runs`), with the index its plan starts from.

Used by `python -m bench.speed run` (and `curve`), so the request figures and the database figures of one size are
printed by the same run. The service runs inside a transaction that is rolled back (its audit rows go too).
"""

import statistics
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from service.core.pagination import PageParams
from service.core.permissions import Role, permissions_for
from service.core.principal import Principal
from service.persons import service as persons
from service.persons.dto import PersonSearch
from service.referrals import service as referrals

PAGE = 50


def principal(org: uuid.UUID, role: Role) -> Principal:
    return Principal(kind="user", id=uuid.uuid4(), organisation_id=org, role=role, name="bench",
                     permissions=permissions_for(role))


def captured(conn: Connection, call: Callable[[Session], Any], table: str) -> tuple[str, Any]:
    """The first SELECT … FROM `table` that `call` sent (run in a savepoint, rolled back); also what
    tests/test_explain.py explains."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        statements.append((statement, parameters))

    session = Session(bind=conn, join_transaction_mode="create_savepoint")
    event.listen(conn, "before_cursor_execute", capture)
    try:
        call(session)
    finally:
        event.remove(conn, "before_cursor_execute", capture)
        session.rollback()
        session.close()
    for statement, parameters in statements:
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
            return statement, parameters
    raise AssertionError(f"no SELECT FROM {table} among {[s[:60] for s, _ in statements]}")


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def timed(conn: Connection, statement: str, parameters: Any, runs: int, table: str) -> dict[str, Any]:
    """Median planning and execution ms of `runs` EXPLAIN ANALYZE, and how the plan first reads `table`."""
    planning, execution, index = [], [], None
    for _ in range(runs):
        doc = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar_one()[0]
        planning.append(doc["Planning Time"])
        execution.append(doc["Execution Time"])
        scans = [n for n in _nodes(doc["Plan"]) if n.get("Relation Name") == table]
        index = (scans[0].get("Index Name") or scans[0]["Node Type"]) if scans else None
    return {"planning": statistics.median(planning), "execution": statistics.median(execution), "index": index}


def hot_queries(conn: Connection, municipality_org: uuid.UUID, provider_org: uuid.UUID,
                runs: int = 5) -> list[tuple[str, dict[str, Any]]]:
    caseworker, coordinator = principal(municipality_org, Role.caseworker), principal(provider_org,
                                                                                       Role.coordinator)
    page = PageParams(limit=PAGE)
    calls: list[tuple[str, Callable[[Session], Any], str]] = [
        ("persons page", lambda s: persons.list_persons(s, caseworker, page), "person"),
        ("name search", lambda s: persons.list_persons(s, caseworker, page, PersonSearch(name="mette")), "person"),
        ("provider inbox", lambda s: referrals.list_referrals(
            s, coordinator, page, referrals.ReferralFilters(direction="received")), "referral"),
        ("sent list", lambda s: referrals.list_referrals(
            s, caseworker, page, referrals.ReferralFilters(direction="sent")), "referral"),
    ]
    trans = conn.begin()
    try:
        return [(name, timed(conn, *captured(conn, call, table), runs, table)) for name, call, table in calls]
    finally:
        trans.rollback()
