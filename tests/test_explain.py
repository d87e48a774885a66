"""Every hot read path is index-backed (issue #14), proven on PostgreSQL with `EXPLAIN ANALYZE` of the *real*
statement: the service runs, the page statement it sent is captured with its parameters and explained.

The data is national in shape (bench.speed_data: many organisations, each a small share of every table) and
ANALYZEd, so the planner chooses as it would in production. A plan fails when it scans a hot table
sequentially, sorts (the whole organisation, since nothing else is there to sort), does not use the index
named for the path, or reads many more index rows than the page shows (the cost would then grow with the
organisation or the country, not with the page).
"""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bench.speed_data import Dataset, add_persons, analyze, load
from bench.speed_sql import captured, principal
from service.core.pagination import PageParams
from service.core.permissions import Role
from tests.conftest import postgres_only

pytestmark = postgres_only

PAGE = 50
# Small reference-like tables may be scanned whole; nothing else may.
SMALL = {"organisation", "offer", "municipality", "risk_setting", "ministry"}


@pytest.fixture(scope="module")
def national(engine: Any) -> Iterator[tuple[Any, Dataset]]:
    """98 municipalities (one a Copenhagen: 12,000 persons of 30,000; one with ~800, the others ~180 each), 100
    providers (one with a tenth of the offers), 60,000 referrals: rolled back afterwards."""
    conn = engine.connect()
    trans = conn.begin()
    try:
        data = load(conn, persons=20_000, municipalities=98, providers=100, offers=300)
        add_persons(conn, data.municipalities[0], 10_000)  # a name search filters a big organisation's rows
        analyze(conn)
        yield conn, data
    finally:
        trans.rollback()
        conn.close()


def plan_of(conn: Any, statement: str, parameters: Any) -> dict[str, Any]:
    rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar_one()
    return rows[0]["Plan"]


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def outline(plan: dict[str, Any], depth: int = 0) -> str:
    """The plan as indented lines (node, relation or index, actual rows), for the failure message."""
    line = "  " * depth + " ".join(str(plan.get(k, "")) for k in ("Node Type", "Relation Name", "Index Name"))
    line += f" rows={plan.get('Actual Rows')}x{plan.get('Actual Loops')}"
    return "\n".join([line] + [outline(child, depth + 1) for child in plan.get("Plans", [])])


def assert_index_backed(plan: dict[str, Any], index: str, *, sort_allowed: bool = False,
                        most_rows: int = 3 * PAGE) -> None:
    every, shown = list(nodes(plan)), "\n" + outline(plan)
    seq = [n["Relation Name"] for n in every if n["Node Type"] == "Seq Scan" and n["Relation Name"] not in SMALL]
    assert not seq, f"sequential scan of {seq}{shown}"
    if not sort_allowed:
        sorts = [n.get("Sort Key") for n in every if "Sort" in n["Node Type"]]
        assert not sorts, f"sort by {sorts}{shown}"
    used = [n for n in every if n.get("Index Name") == index]
    assert used, f"{index} not used{shown}"
    read = sum(n["Actual Rows"] * n["Actual Loops"] + n.get("Rows Removed by Filter", 0)
               + n.get("Rows Removed by Index Recheck", 0) for n in used)
    assert read <= most_rows, f"{index} yielded {read} rows for a page of {PAGE}{shown}"


def test_persons_page_is_a_keyset_walk_on_the_organisation_index(national):
    from service.persons import service as persons
    from service.persons.dto import PersonSearch

    conn, data = national
    who = principal(data.municipalities[0], Role.caseworker)  # the big one
    first = captured(conn, lambda s: persons.list_persons(s, who, PageParams(limit=PAGE), PersonSearch()), "person")
    assert_index_backed(plan_of(conn, *first), "ix_person_organisation_created_id")
    # the third page starts at its cursor (a row-value range), it does not read the first two again
    session = Session(bind=conn, join_transaction_mode="create_savepoint")
    _, cursor = persons.list_persons(session, who, PageParams(limit=PAGE), PersonSearch())
    _, cursor = persons.list_persons(session, who, PageParams(limit=PAGE, cursor=cursor), PersonSearch())
    session.rollback()
    session.close()
    third = captured(conn, lambda s: persons.list_persons(s, who, PageParams(limit=PAGE, cursor=cursor),
                                                          PersonSearch()), "person")
    assert_index_backed(plan_of(conn, *third), "ix_person_organisation_created_id")


GROWN = 60_000


@pytest.fixture
def big_organisation(national: tuple[Any, Dataset]) -> Iterator[tuple[Any, uuid.UUID]]:
    """The biggest municipality grown by 60,000 persons (generate_series inside PostgreSQL, in a savepoint rolled
    back afterwards): only at a size like that does the planner prefer the trigram index to reading the
    organisation's rows, which is where the index matters."""
    conn, data = national
    savepoint = conn.begin_nested()
    try:
        add_persons(conn, data.municipalities[0], GROWN)
        analyze(conn)
        yield conn, data.municipalities[0]
    finally:
        savepoint.rollback()
        analyze(conn)  # the planner's row counts are not rolled back with the rows: the other tests' plans need them


def test_name_search_uses_the_trigram_index_within_the_organisation(big_organisation):
    from service.persons import service as persons
    from service.persons.dto import PersonSearch

    conn, org = big_organisation
    who = principal(org, Role.caseworker)
    search = PersonSearch(name="mette jensen")
    statement = captured(conn, lambda s: persons.list_persons(s, who, PageParams(limit=PAGE), search), "person")
    # a full name: 1 in 50 persons is a Mette, 1 in 50 a Jensen (~1,450 each of this organisation's ~72,000):
    # the index yields about the rarer word's matches in the organisation only (not its every row), and only
    # the few persons with both are sorted
    size = conn.exec_driver_sql("SELECT count(*) FROM person WHERE organisation_id = %(o)s", {"o": org}).scalar_one()
    assert_index_backed(plan_of(conn, *statement), "ix_person_organisation_names_trgm", sort_allowed=True,
                        most_rows=size // 25)


@pytest.mark.parametrize(("side", "role", "big", "index"), [
    ("sent", Role.caseworker, True, "ix_referral_referrer_sent_id"),
    ("sent", Role.caseworker, False, "ix_referral_referrer_sent_id"),
    ("received", Role.coordinator, True, "ix_referral_provider_sent_id"),
    ("received", Role.coordinator, False, "ix_referral_provider_sent_id"),
])
def test_referral_lists_walk_the_organisation_sent_at_index(national, side, role, big, index):
    from service.referrals import service as referrals

    conn, data = national
    orgs = data.municipalities if side == "sent" else data.providers
    org = orgs[0] if big else orgs[7]
    who = principal(org, role)
    filters = referrals.ReferralFilters(direction=side)
    statement = captured(conn, lambda s: referrals.list_referrals(s, who, PageParams(limit=PAGE), filters),
                         "referral")
    plan = plan_of(conn, *statement)
    assert_index_backed(plan, index)
    # the provider's consent clause names recipients by the provider's kind: that kind is the principal's own
    # organisation's, looked up once, not by a scan of the organisation table per candidate referral (~10 ms per
    # inbox page at 100k persons); the page's own provider kinds are primary-key lookups, one per row shown
    per_row = [n for n in nodes(plan) if n.get("Relation Name") == "organisation" and n.get("Actual Loops", 0) > 1
               and (n["Node Type"] == "Seq Scan" or n["Actual Loops"] > PAGE + 1)]
    assert not per_row, f"organisation scanned per row{chr(10)}{outline(plan)}"


def test_contact_due_list_walks_the_provider_next_contact_index(national):
    from service.referrals import due

    conn, data = national
    who = principal(data.providers[0], Role.coordinator)
    statement = captured(conn, lambda s: due.due_contacts(s, who, PageParams(limit=PAGE)),
                         "contact_agreement")
    assert_index_backed(plan_of(conn, *statement), "ix_contact_agreement_provider_next_id")


@pytest.mark.parametrize(("side", "role", "index"), [
    ("referrer", Role.caseworker, "ix_referral_transition_referrer_id"),
    ("provider", Role.coordinator, "ix_referral_transition_provider_id"),
])
def test_referral_event_feed_walks_the_organisation_index(national, side, role, index):
    from service.referrals import feed

    conn, data = national
    who = principal(data.municipalities[7] if side == "referrer" else data.providers[2], role)
    statement = captured(conn, lambda s: feed.events(s, who, None, PAGE), "referral_transition")
    assert_index_backed(plan_of(conn, *statement), index)


def test_webhook_event_feed_walks_the_organisation_seq_index(national):
    from service.webhooks import service as webhooks

    conn, data = national
    who = principal(data.providers[3], Role.org_admin)
    statement = captured(conn, lambda s: webhooks.list_events(s, who, PageParams(limit=PAGE)), "outbox_event")
    assert_index_backed(plan_of(conn, *statement), "ix_outbox_event_organisation_seq")


def test_audit_trail_by_organisation_and_by_subject(national):
    from service.audit import service as audit

    conn, data = national
    who = principal(data.municipalities[4], Role.org_admin)
    # a municipality with ~1% of the country's events (at 4% or 10% walking the primary key and skipping the
    # others' rows is as cheap, and the planner rightly does that)
    small = principal(data.municipalities[7], Role.org_admin)
    own = captured(conn, lambda s: audit.list_events(s, small, PageParams(limit=PAGE)), "audit_event")
    assert_index_backed(plan_of(conn, *own), "ix_audit_event_organisation_id_id")
    subject = str(conn.exec_driver_sql("SELECT subject_id FROM audit_event WHERE organisation_id = %(o)s LIMIT 1",
                                       {"o": data.municipalities[4]}).scalar_one())
    one = captured(conn, lambda s: audit.list_events(s, who, PageParams(limit=PAGE), subject_id=subject),
                   "audit_event")
    assert_index_backed(plan_of(conn, *one), "ix_audit_event_subject_id_id")


def test_a_persons_access_log_reads_its_own_events_only(national):
    from service.persons import access_log

    conn, data = national
    who = principal(data.municipalities[6], Role.caseworker)
    person = conn.exec_driver_sql("SELECT id FROM person WHERE organisation_id = %(o)s LIMIT 1",
                                  {"o": data.municipalities[6]}).scalar_one()
    statement = captured(conn, lambda s: access_log.access_log(s, who, person, PageParams(limit=PAGE)),
                         "audit_event")
    assert_index_backed(plan_of(conn, *statement), "ix_audit_event_person_person_event")
