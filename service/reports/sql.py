"""The report's SQL: one statement per measure family, every grouping set in a single UNION ALL.

Each family has a *base* query with one row per (fact unit × dimension labels): persons, offers, referrals,
follow-up measurements. For every subset of the requested dimensions (the cells, each margin and the
total), the base is first reduced to DISTINCT (subset labels, unit, unit values) — so a person in two
risk settings is counted once in a margin — and then aggregated. Nothing is aggregated in Python.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import combinations
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from service.offers.models import Offer, OfferAccessibility, OfferMunicipality, OfferRiskSetting
from service.persons.ages import age_group_sql
from service.persons.models import SEVERE_LONELINESS_MIN, LonelinessMeasurement, Person, PersonRiskSetting
from service.persons.policy import registration_active
from service.reference.models import Municipality
from service.referrals.models import Referral, ReferralStatus
from service.referrals.workflow import PROVIDER_REASONS

Key = tuple[str | None, ...]
DECLINE_REASONS = tuple(sorted(PROVIDER_REASONS))


@dataclass(frozen=True)
class Query:
    """What the report asks for, after scope has been applied."""

    period_from: date
    period_to: date
    group_by: tuple[str, ...]
    filters: dict[str, tuple[str, ...]]
    risk_scope: tuple[str, ...] | None  # None: every risk setting
    dialect: str

    @property
    def start(self) -> datetime:
        return datetime.combine(self.period_from, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.period_to + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def reference_year(self) -> int:
        return self.period_to.year

    def risk_codes(self) -> tuple[str, ...] | None:
        """Risk settings the facts are restricted to: the scope, narrowed by the filter."""
        wanted = self.filters.get("risk_setting")
        if self.risk_scope is None:
            return wanted
        return tuple(c for c in self.risk_scope if not wanted or c in wanted)


def _quarter(q: Query, column: Any) -> ColumnElement[str]:
    if q.dialect == "postgresql":
        return func.to_char(column, 'YYYY"Q"Q')
    month = cast(func.strftime("%m", column), Integer)
    return func.strftime("%Y", column).op("||")("Q").op("||")(cast((month + 2) // 3, String))


def _days_between(q: Query, later: Any, earlier: Any) -> ColumnElement[Any]:
    if q.dialect == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def _subsets(dims: Sequence[str]) -> list[tuple[str, ...]]:
    return [c for n in range(len(dims), -1, -1) for c in combinations(dims, n)]


Builder = Callable[[Query], Select[Any]]


def _branch_query(q: Query, subset: tuple[str, ...]) -> Query:
    return replace(q, group_by=subset)


def grouped(session: Session, q: Query, build: Builder,
            aggregates: dict[str, Callable[[Any], ColumnElement[Any]]]) -> dict[str, dict[Key, Any]]:
    """Aggregate over every subset of q.group_by; returns measure → key → value.

    Each grouping set gets its own base, built with only that set's joins: a unit (person, offer, referral)
    then has one row per group it belongs to, so counts need no DISTINCT and sums are not inflated."""
    dims = q.group_by
    branches = []
    for n, subset in enumerate(_subsets(dims)):
        base = build(_branch_query(q, subset)).subquery()
        labels = [base.c[d].label(d) if d in subset else cast(null(), String).label(d) for d in dims]
        branch = select(literal(n).label("grouping_set"), *labels,
                        *(agg(base).label(name) for name, agg in aggregates.items())).select_from(base)
        if subset:
            branch = branch.group_by(*(base.c[d] for d in subset))
        branches.append(branch)
    return _collect(session, dims, union_all(*branches), list(aggregates))


def grouped_median(session: Session, q: Query, build: Builder, value: str) -> dict[Key, float]:
    """The median of a unit value per grouping set, with window functions (no percentile_cont on SQLite)."""
    dims = q.group_by
    branches = []
    for n, subset in enumerate(_subsets(dims)):
        base = build(_branch_query(q, subset)).subquery()
        inner = select(*(base.c[d] for d in subset), base.c[value]).where(base.c[value].is_not(None)).subquery()
        partition = [inner.c[d] for d in subset] or None
        ranked = select(*(inner.c[d] for d in subset), inner.c[value].label("v"),
                        func.row_number().over(partition_by=partition, order_by=inner.c[value]).label("rn"),
                        func.count().over(partition_by=partition).label("cnt")).subquery()
        labels = [ranked.c[d].label(d) if d in subset else cast(null(), String).label(d) for d in dims]
        branch = (select(literal(n).label("grouping_set"), *labels, func.avg(ranked.c.v).label("median"))
                  .select_from(ranked).where(ranked.c.rn.between((ranked.c.cnt + 1) // 2, (ranked.c.cnt + 2) // 2)))
        if subset:
            branch = branch.group_by(*(ranked.c[d] for d in subset))
        branches.append(branch)
    return _collect(session, dims, union_all(*branches), ["median"])["median"]


def _collect(session: Session, dims: Sequence[str], stmt: Any, names: list[str]) -> dict[str, dict[Key, Any]]:
    subsets = _subsets(dims)
    out: dict[str, dict[Key, Any]] = {name: {} for name in names}
    for row in session.execute(stmt).mappings():
        subset = subsets[row["grouping_set"]]
        key = tuple(row[d] if d in subset else None for d in dims)
        for name in names:
            value = row[name]
            out[name][key] = float(value) if isinstance(value, Decimal) else value
    return out


def _count(inner: Any) -> ColumnElement[int]:
    return func.count()


def _sum(column: str) -> Callable[[Any], ColumnElement[Any]]:
    return lambda inner: func.coalesce(func.sum(inner.c[column]), 0)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


# ---- persons -------------------------------------------------------------------------------------------

def _person_filters(q: Query, person: Any, quarter_column: Any) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    risk = q.risk_codes()
    if risk is not None:
        clauses.append(exists(select(1).where(col(PersonRiskSetting.person_id) == person.id,
                                              col(PersonRiskSetting.risk_setting_code).in_(risk))))
    f = q.filters
    if f.get("municipality"):
        clauses.append(person.municipality_code.in_(f["municipality"]))
    if f.get("region"):
        clauses.append(person.municipality_code.in_(
            select(Municipality.code).where(col(Municipality.region_code).in_(f["region"]))))
    if f.get("age_group"):
        clauses.append(age_group_sql(person.birth_year, q.reference_year).in_(f["age_group"]))
    if f.get("quarter"):
        clauses.append(_quarter(q, quarter_column).in_(f["quarter"]))
    return clauses


def _person_dims(q: Query, stmt: Select[Any], person: Any, quarter_column: Any) -> tuple[Select[Any], list[Any]]:
    labels: list[Any] = []
    for d in q.group_by:
        if d == "risk_setting":
            prs = aliased(PersonRiskSetting)
            on = col(prs.person_id) == person.id
            risk = q.risk_codes()
            if risk is not None:
                on = and_(on, col(prs.risk_setting_code).in_(risk))
            stmt = stmt.join(prs, on)
            labels.append(col(prs.risk_setting_code).label(d))
        elif d == "municipality":
            labels.append(person.municipality_code.label(d))
        elif d == "region":
            m = aliased(Municipality)
            stmt = stmt.join(m, col(m.code) == person.municipality_code)
            labels.append(col(m.region_code).label(d))
        elif d == "age_group":
            labels.append(age_group_sql(person.birth_year, q.reference_year).label(d))
        elif d == "quarter":
            labels.append(_quarter(q, quarter_column).label(d))
    return stmt, labels


def _met_in_period(q: Query, person: Any) -> ColumnElement[bool]:
    """A referral of the person was accepted, started or completed in the period: accepted before the period
    ends and not closed before it starts (a place held across the period counts; a decline never does)."""
    r = aliased(Referral)
    return exists(select(1).where(col(r.person_id) == person.id, col(r.accepted_at).is_not(None),
                                  col(r.accepted_at) < q.end,
                                  or_(col(r.closed_at).is_(None), col(r.closed_at) >= q.start)))


def _needs_list(q: Query, person: Any) -> Any:
    """The person's accessibility needs as rows; a JSON null (no needs recorded) gives none."""
    needs = person.accessibility_needs
    if q.dialect == "postgresql":
        array = case((func.json_typeof(needs) == "array", needs), else_=cast(literal("[]"), needs.type))
        return func.json_array_elements_text(array).table_valued("value")
    return func.json_each(case((func.json_type(needs) == "array", needs), else_=literal("[]"))).table_valued("value")


def _offer_fits(q: Query, person: Any, o: Any) -> list[ColumnElement[bool]]:
    """A published offer `o` serves one of the person's risk settings (or targets none), the person's age in the
    reference year, and has every accessibility feature the person needs. Nested EXISTS name what they correlate
    (SQLAlchemy auto-correlates one level only)."""
    ors = aliased(OfferRiskSetting)
    prs = aliased(PersonRiskSetting)
    ors2 = aliased(OfferRiskSetting)
    acc = aliased(OfferAccessibility)
    age = q.reference_year - person.birth_year
    needs = _needs_list(q, person)
    return [
        col(o.status) == "published", col(o.published_at) < q.end,
        # Driven from the person's (one or two) risk settings, each probing the offer's by its key. As one EXISTS
        # over the join, PostgreSQL may turn it into "offer id IN (a hashed list of the offers serving the person's
        # settings)" — a list it rebuilt for every person: 150 s of a national live computation (issue #13).
        or_(~exists(select(1).where(col(ors2.offer_id) == o.id).correlate_except(ors2)),
            exists(select(1).where(col(prs.person_id) == person.id, exists(select(1).where(
                col(ors.offer_id) == o.id, col(ors.risk_setting_code) == col(prs.risk_setting_code))
                .correlate_except(ors))).correlate_except(prs))),
        or_(col(o.min_age).is_(None), col(o.min_age) <= age), or_(col(o.max_age).is_(None), col(o.max_age) >= age),
        ~exists(select(1).select_from(needs).where(~exists(select(1).where(
            col(acc.offer_id) == o.id, col(acc.feature) == needs.c.value).correlate_except(acc)))
                .correlate_except(needs)),
    ]


def _suitable_offer(q: Query, person: Any) -> ColumnElement[bool]:
    """A published offer fits the person (`_offer_fits`) and serves the person's municipality or is nationwide.

    Two EXISTS, one per way of serving, rather than one with `nationwide OR <served there>`: PostgreSQL turned that
    OR into a hashed subplan that read every offer of the person's municipality (3,000 at full generator size) for
    each person; driven from the municipality's offers it stops at the first that fits (issue #13)."""
    nationwide = aliased(Offer)
    local = aliased(Offer)
    om = aliased(OfferMunicipality)
    return or_(
        exists(select(1).select_from(nationwide)
               .where(col(nationwide.nationwide).is_(True), *_offer_fits(q, person, nationwide)).correlate(person)),
        exists(select(1).select_from(om).join(local, col(local.id) == col(om.offer_id))
               .where(col(om.municipality_code) == person.municipality_code, *_offer_fits(q, person, local))
               .correlate(person)),
    )


PERSON_COUNT_FLAGS = ("newly_registered", "severe", "unmet", "unmet_no_offer", "unmet_offer_exists")


def persons_measures(session: Session, q: Query) -> dict[str, dict[Key, Any]]:
    """Stock (at risk during the period: registered before it ends, registration active), flow (registered
    within it), severe loneliness, unmet need and its split — each with its Cell Key Method cell key."""
    p = Person
    unmet = ~_met_in_period(q, p)
    # Each person's facts once, in one materialised CTE that every grouping set reads: the suitable-offer search
    # is the costly part, so it runs once per person (and only for persons with unmet need), not once per
    # grouping set (2^k sets for k dimensions). MATERIALIZED also keeps PostgreSQL from inlining it and
    # evaluating the search once per use.
    facts = select(
        col(p.id).label("unit"), col(p.record_key).label("rk"), col(p.municipality_code).label("municipality_code"),
        col(p.birth_year).label("birth_year"), col(p.created_at).label("created_at"),
        _flag(col(p.created_at) >= q.start).label("newly_registered"),
        _flag(col(p.loneliness_latest_total) >= SEVERE_LONELINESS_MIN).label("severe"),
        _flag(unmet).label("unmet"),
        case((unmet, _flag(_suitable_offer(q, p))), else_=0).label("offer_exists"),
    ).where(registration_active(), col(p.created_at) < q.end, *_person_filters(q, p, p.created_at)) \
        .cte("person_fact").prefix_with("MATERIALIZED")
    person = SimpleNamespace(id=facts.c.unit, municipality_code=facts.c.municipality_code,
                             birth_year=facts.c.birth_year)

    def build(sq: Query) -> Select[Any]:
        stmt, labels = _person_dims(sq, select().select_from(facts), person, facts.c.created_at)
        return stmt.add_columns(facts.c.unit, facts.c.rk, *labels, facts.c.newly_registered, facts.c.severe,
                                facts.c.unmet, (facts.c.unmet - facts.c.offer_exists).label("unmet_no_offer"),
                                facts.c.offer_exists.label("unmet_offer_exists"))

    names = {"persons_at_risk": None, "persons_newly_registered": "newly_registered",
             "persons_severe_loneliness": "severe", "unmet_need": "unmet",
             "unmet_need_no_suitable_offer": "unmet_no_offer", "unmet_need_offer_exists": "unmet_offer_exists"}
    return grouped(session, q, build, _with_cell_keys(names))


def _with_cell_keys(names: dict[str, str | None]) -> dict[str, Callable[[Any], ColumnElement[Any]]]:
    """count/sum-of-flag aggregates and, for each, `ck_<name>`: the sum of the counted units' record keys."""
    out: dict[str, Callable[[Any], ColumnElement[Any]]] = {}
    for name, flag in names.items():
        out[name] = _count if flag is None else _sum(flag)
        out[f"ck_{name}"] = _rk_sum(flag)
    return out


def _rk_sum(flag: str | None) -> Callable[[Any], ColumnElement[Any]]:
    if flag is None:
        return lambda inner: func.coalesce(func.sum(inner.c.rk), 0)
    return lambda inner: func.coalesce(func.sum(inner.c.rk * inner.c[flag]), 0)


# ---- referrals -----------------------------------------------------------------------------------------

def _referral_base(q: Query, fact: Any, time_column: Any, person_column: Any, offer_column: Any,
                   extra: list[Any], joins: Sequence[tuple[Any, Any]] = ()) -> Select[Any]:
    p = aliased(Person)
    o = aliased(Offer)
    stmt = select().select_from(fact)
    for target, on in joins:
        stmt = stmt.join(target, on)
    # Join the person and the offer only when a dimension, filter or scope reads them.
    person_keys = {"risk_setting", "municipality", "region", "age_group"}
    if q.risk_codes() is not None or person_keys & (set(q.group_by) | set(q.filters)):
        stmt = stmt.join(p, p.id == person_column)
    if "offer_category" in q.group_by or "offer_category" in q.filters:
        stmt = stmt.join(o, o.id == offer_column)
    stmt, labels = _person_dims(q, stmt, p, time_column)
    labels = [col(o.category).label(d) if d == "offer_category" else lab for d, lab in zip(
        q.group_by, _interleave(q.group_by, labels), strict=True)]
    where = [time_column >= q.start, time_column < q.end, *_person_filters(q, p, time_column)]
    if q.filters.get("offer_category"):
        where.append(col(o.category).in_(q.filters["offer_category"]))
    return stmt.add_columns(*labels, *extra).where(*where)


def _interleave(dims: Sequence[str], person_labels: list[Any]) -> list[Any]:
    """Person labels in group_by order, with a placeholder where the offer category goes."""
    it = iter(person_labels)
    return [None if d == "offer_category" else next(it) for d in dims]


def referral_measures(session: Session, q: Query) -> tuple[dict[str, dict[Key, Any]], dict[Key, float]]:
    r = Referral
    declined = col(r.status) == ReferralStatus.declined
    extra = [
        col(r.id).label("unit"), col(r.record_key).label("rk"),
        _flag(col(r.accepted_at).is_not(None)).label("accepted"),
        _flag(declined).label("declined"),
        _flag(col(r.started_at).is_not(None)).label("started"),
        _flag(col(r.status) == ReferralStatus.completed).label("completed"),
        _flag(col(r.status) == ReferralStatus.ended_early).label("ended_early"),
        case((col(r.started_at).is_not(None), _days_between(q, r.started_at, r.sent_at))).label("days"),
        *(_flag(and_(declined, col(r.reason_code) == reason)).label(f"declined_{reason}")
          for reason in DECLINE_REASONS),
    ]
    def build(sq: Query) -> Select[Any]:
        return _referral_base(sq, r, r.sent_at, r.person_id, r.offer_id, extra)

    flags = ["accepted", "declined", "started", "completed", "ended_early",
             *(f"declined_{x}" for x in DECLINE_REASONS)]
    counts = grouped(session, q, build, _with_cell_keys({"referrals_sent": None,
                                                         **{f"referrals_{f}": f for f in flags}}))
    return counts, grouped_median(session, q, build, "days")


def tils_measures(session: Session, q: Query) -> dict[str, dict[Key, Any]]:
    """Follow-ups (of a referral) in the period with their stored T-ILS change (follow-up − latest intake)."""
    follow = aliased(LonelinessMeasurement)
    r = aliased(Referral)
    extra = [col(follow.id).label("unit"), col(r.record_key).label("rk"), col(follow.tils_change).label("change"),
             _flag(col(follow.tils_change).is_not(None)).label("has_change")]

    def build(sq: Query) -> Select[Any]:
        return (_referral_base(sq, follow, follow.measured_at, follow.person_id, r.offer_id, extra,
                               joins=[(r, r.id == follow.referral_id)])
                .where(follow.context == "follow_up"))

    return grouped(session, q, build, {**_with_cell_keys({"persons_followed_up": "has_change"}),
                                       "tils_change_sum": _sum("change"),
                                       "tils_change_sumsq": lambda inner: func.coalesce(
                                           func.sum(inner.c.change * inner.c.change), 0)})
