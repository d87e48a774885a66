"""The Recommendation 4 mapping report: SQL aggregates, protected by disclosure control, audited."""

import operator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.action_plan.models import ActionPlanMeasure
from service.action_plan.service import children_of
from service.audit.service import record
from service.core.errors import Forbidden
from service.core.heap import collector_paused
from service.core.principal import Principal
from service.core.settings import get_settings
from service.mapping.models import BarrierType
from service.mapping.service import BarrierFilters, count_barriers
from service.reference.service import check_municipality_codes, check_region_codes, check_risk_setting_codes
from service.reports import cellkey, sql, summary
from service.reports.cellkey import DerivedSpec
from service.reports.dimensions import Categories, load_categories
from service.reports.disclosure import Key, ProtectedReport, Value
from service.reports.dto import Rec4Params
from service.reports.policy import ReportScope, scope_for
from service.reports.what_works import pooled_query, what_works

MAX_PLAN_MEASURES = 25
# indicator names stored with action-plan measures before the measures were renamed (issue #13)
INDICATOR_ALIASES = {"persons_registered": "persons_newly_registered"}
PERSON_COUNTS = ("persons_at_risk", "persons_newly_registered", "persons_severe_loneliness", "unmet_need",
                 "unmet_need_no_suitable_offer", "unmet_need_offer_exists")
REFERRAL_COUNTS = ("referrals_sent", "referrals_accepted", "referrals_declined", "referrals_started",
                   "referrals_completed", "referrals_ended_early",
                   *(f"referrals_declined_{r}" for r in sql.DECLINE_REASONS))
OFFER_VALUES = ("offers_published", "places", "free_places")

DECLINE_REASON_DA = {
    "no_capacity": "ingen kapacitet", "not_eligible": "ikke i målgruppen", "not_reachable": "kunne ikke kontaktes",
    "person_declined": "personen takkede nej", "accessibility_barrier": "tilgængelighedsbarriere",
    "transport_barrier": "transportbarriere", "language_barrier": "sprogbarriere",
    "digital_barrier": "digital barriere", "other": "anden årsag", "consent_withdrawn": "samtykke trukket tilbage",
    "sla_expired": "svarfrist overskredet",
}
MEASURE_LABELS_DA = {
    "persons_at_risk": "personer i risiko i perioden (bestand)",
    "persons_newly_registered": "personer nyregistreret i perioden (tilgang)",
    "persons_severe_loneliness": "personer med svær ensomhed",
    "unmet_need": "uopfyldt behov (ingen henvisning accepteret, startet eller gennemført i perioden)",
    "unmet_need_no_suitable_offer": "uopfyldt behov: intet egnet tilbud findes",
    "unmet_need_offer_exists": "uopfyldt behov: egnet tilbud findes, men ingen henvisning",
    "offers_published": "offentliggjorte tilbud",
    "places": "pladser", "free_places": "ledige pladser", "referrals_sent": "henvisninger sendt",
    "referrals_accepted": "henvisninger accepteret", "referrals_declined": "henvisninger afvist",
    "referrals_started": "henvisninger startet", "referrals_completed": "forløb gennemført",
    "referrals_ended_early": "forløb afbrudt", "persons_followed_up": "personer fulgt op",
    "acceptance_rate": "acceptrate", "median_days_to_start": "median dage fra henvisning til start",
    "supply_demand_ratio": "pladser pr. person i risiko", "tils_change": "gns. ændring i T-ILS",
    **{f"referrals_declined_{r}": f"henvisninger afvist: {DECLINE_REASON_DA.get(r, r)}" for r in sql.DECLINE_REASONS},
}


@dataclass
class Rec4Report:
    params: Rec4Params
    scope: ReportScope
    query: sql.Query
    categories: Categories
    protected: ProtectedReport
    offers: dict[str, dict[Key, Any]]
    not_applicable: list[str]
    barriers_reported: dict[tuple[str, str], int]
    barriers_from_referrals: ProtectedReport
    action_plan: list[dict[str, Any]]
    generated_at: datetime
    what_works: dict[str, Any]
    freshness: dict[str, Any]


def _check_codes(session: Session, params: Rec4Params) -> None:
    check_risk_setting_codes(session, params.risk_setting, field="risk_setting")
    check_municipality_codes(session, params.municipality, field="municipality")
    check_region_codes(session, params.region, field="region")


def _effective_query(session: Session, params: Rec4Params, scope: ReportScope) -> sql.Query:
    _check_codes(session, params)
    filters = params.filters()
    if scope.risk_settings is not None and params.risk_setting:
        outside = sorted(set(params.risk_setting) - set(scope.risk_settings))
        if outside:
            raise Forbidden(f"Outside your ministry's responsibility: {', '.join(outside)}.")
    if scope.municipalities is not None:
        if params.municipality and set(params.municipality) - set(scope.municipalities):
            raise Forbidden("You can report on your own municipality only.")
        filters["municipality"] = scope.municipalities
    dialect = session.get_bind().dialect.name
    return sql.Query(params.period_from, params.period_to, tuple(d.value for d in params.group_by), filters,
                     scope.risk_settings, dialect)


def _category_lists(q: sql.Query, cats: Categories) -> dict[str, tuple[str, ...]]:
    out = {}
    for d in q.group_by:
        wanted = q.risk_codes() if d == "risk_setting" else q.filters.get(d)
        out[d] = tuple(c for c in cats.values[d] if wanted is None or c in wanted)
    return out


class _Within:
    """Keeps the keys whose every category is listed (None: the margin). Almost always every key is: a table is
    then returned as it is after one C-level pass per dimension over its categories — a national table by
    municipality has tens of thousands of keys and each request ~20 such tables, so checking key by key was a
    fifth of a served request (issue #13). The measures of one stored family share their very key objects, in
    order: a table whose keys are, one by one, the same objects as a table already found inside is inside too
    (a pointer comparison per key instead of a hash lookup per key and dimension)."""

    def __init__(self, lists: dict[str, tuple[str, ...]], dims: tuple[str, ...]) -> None:
        self.allowed = [frozenset(lists[d]).union((None,)) for d in dims]
        self.inside: dict[int, list[dict[Key, Any]]] = {}  # tables found inside, by size

    def __call__(self, table: dict[Key, Any]) -> dict[Key, Any]:
        seen = self.inside.setdefault(len(table), [])
        if any(all(map(operator.is_, table, known)) for known in seen):
            return table
        allowed = self.allowed
        if all(ok.issuperset(map(itemgetter(i), table)) for i, ok in enumerate(allowed)):
            seen.append(table)
            return table
        return {k: v for k, v in table.items() if all(map(frozenset.__contains__, allowed, k))}


def _split_keys(table: dict[str, dict[Key, Any]]) -> tuple[dict[str, dict[Key, Any]], dict[str, dict[Key, Any]]]:
    counts = {k: v for k, v in table.items() if not k.startswith("ck_")}
    keys = {k[3:]: v for k, v in table.items() if k.startswith("ck_")}
    return counts, keys


def raw_measures(session: Session, q: sql.Query, categories: Categories,
                 reader: summary.Reader | None = None) -> tuple[
        dict[str, dict[Key, Any]], dict[str, dict[Key, Any]], dict[str, dict[Key, Any]], dict[str, dict[Key, Any]]]:
    """The true figures (never published as such): counts, their cell keys, offer values, other statistics.
    Read through `reader` (the fast path), or live when none is given."""
    reader = reader or summary.Reader(session, None)
    lists = _category_lists(q, categories)
    persons_apply = "offer_category" not in q.group_by and "offer_category" not in q.filters
    counts: dict[str, dict[Key, Any]] = {}
    keys: dict[str, dict[Key, Any]] = {}
    within = _Within(lists, q.group_by)
    offers = {k: within(v) for k, v in summary.offers(reader, q, categories.values["quarter"]).items()}
    if persons_apply:
        c, k = _split_keys(summary.persons(reader, q))
        counts.update(c)
        keys.update(k)
    referral_counts, medians = summary.referrals(reader, q)
    c, k = _split_keys(referral_counts)
    counts.update(c)
    keys.update(k)
    tils = summary.tils(reader, q)
    counts["persons_followed_up"] = tils["persons_followed_up"]
    keys["persons_followed_up"] = tils["ck_persons_followed_up"]
    stats = {"median_days_to_start": medians, "tils_change_sum": tils["tils_change_sum"]}
    trim = {k: within(v) for k, v in counts.items()}
    return trim, keys, offers, {k: within(v) for k, v in stats.items()}


def compute(session: Session, q: sql.Query, categories: Categories, threshold: int,
            reader: summary.Reader | None = None) -> tuple[
        ProtectedReport, dict[str, dict[Key, Any]], list[str]]:
    lists = _category_lists(q, categories)
    persons_apply = "offer_category" not in q.group_by and "offer_category" not in q.filters
    counts, keys, offers, stats = raw_measures(session, q, categories, reader)
    medians = {k: None if v is None else round(v, 1) for k, v in stats["median_days_to_start"].items()}
    followed = counts["persons_followed_up"]
    means = {k: round(v / followed[k], 2) if followed.get(k) else None for k, v in stats["tils_change_sum"].items()}
    derived = {
        "acceptance_rate": DerivedSpec("referrals_sent", numerator="referrals_accepted"),
        "median_days_to_start": DerivedSpec("referrals_started", values=medians),
        "tils_change": DerivedSpec("persons_followed_up", values=means),
    }
    if persons_apply:
        derived["supply_demand_ratio"] = DerivedSpec("persons_at_risk", numerator_values=offers["places"])
    report = cellkey.protect(q.group_by, counts, keys, derived, threshold=threshold, categories=lists)
    not_applicable = [] if persons_apply else [*PERSON_COUNTS, "supply_demand_ratio"]
    return report, offers, not_applicable


def barriers(session: Session, q: sql.Query, threshold: int,
              reader: summary.Reader) -> tuple[dict[tuple[str, str], int], ProtectedReport]:
    municipalities = q.filters.get("municipality")
    reported = count_barriers(session, BarrierFilters(
        risk_settings=q.risk_codes(), municipality_codes=municipalities, region_codes=q.filters.get("region"),
        period_from=q.period_from, period_to=q.period_to))
    declines = summary.barriers(reader, q)
    risk = q.risk_codes()
    dims = ("barrier_type", "risk_setting")
    lists = {"barrier_type": tuple(b.value for b in BarrierType),
             "risk_setting": risk if risk is not None else tuple(sorted({k[1] for k in declines["referrals"]
                                                                         if k[1]}))}
    protected = cellkey.protect(dims, {"referrals": _Within(lists, dims)(declines["referrals"])},
                                {"referrals": declines["ck_referrals"]}, threshold=threshold, categories=lists)
    return reported, protected


def _action_plan(session: Session, q: sql.Query, categories: Categories, threshold: int,
                 reader: summary.Reader) -> list[dict[str, Any]]:
    measures = list(session.scalars(select(ActionPlanMeasure).order_by(col(ActionPlanMeasure.created_at))
                                    .limit(MAX_PLAN_MEASURES)))
    settings_of, indicators_of = children_of(session, [m.id for m in measures])
    out = []
    allowed = q.risk_codes()
    for m in measures:
        scoped = tuple(s for s in settings_of[m.id] if allowed is None or s in allowed)
        if not scoped:
            continue
        sub = sql.Query(q.period_from, q.period_to, ("quarter",), {**q.filters, "risk_setting": scoped},
                        q.risk_scope, q.dialect)
        report, offers, _ = compute(session, sub, categories, threshold, reader)
        indicators = indicators_of[m.id]
        per_quarter = []
        for quarter in categories.values["quarter"]:
            key = (quarter,)
            values = {**{k: Value(v.get(key), False, cellkey.PUBLIC).as_dict() for k, v in offers.items()},
                      **{k: v.as_dict() for k, v in report.row(key).items()}}
            per_quarter.append({"quarter": quarter, "indicators": {
                i: values.get(INDICATOR_ALIASES.get(i, i)) for i in indicators}})
        out.append({"id": str(m.id), "title": m.title, "status": m.status, "risk_settings": list(scoped),
                    "indicators": indicators, "quarters": per_quarter})
    return out


@collector_paused()  # a national report builds ~10^5 acyclic objects: service/core/heap.py
def rec4(session: Session, principal: Principal, params: Rec4Params, *, fmt: str = "json") -> Rec4Report:
    scope = scope_for(session, principal)
    q = _effective_query(session, params, scope)
    threshold = get_settings().disclosure_threshold
    categories = load_categories(session, params.period_from, params.period_to)
    reader = fast_path_reader(session)
    reader.prefetch(_families(q, categories))
    report, offers, not_applicable = compute(session, q, categories, threshold, reader)
    reported, from_referrals = barriers(session, q, threshold, reader)
    plan = _action_plan(session, q, categories, threshold, reader) if params.include_action_plan else []
    works = what_works(session, q, categories.values["offer_category"], threshold, reader)
    record(session, principal, "report.rec4", purpose="rec4_mapping", subject_type="report",
           criterion={**params.model_dump(mode="json"), "format": fmt, "scope": scope.description})
    return Rec4Report(params, scope, q, categories, report, offers, not_applicable, reported, from_referrals,
                      plan, datetime.now(UTC), works, reader.freshness())


def _families(q: sql.Query, categories: Categories) -> list[tuple[str, sql.Query, tuple[str, ...]]]:
    """Every summary row one report reads (compute, barriers, what works), for the reader's single prefetch."""
    wanted = [("offers", q, categories.values["quarter"]), ("referrals", q, ()), ("tils", q, ()),
              ("barriers", q, ()), ("tils", pooled_query(q), ())]
    if "offer_category" not in q.group_by and "offer_category" not in q.filters:
        wanted.append(("persons", q, ()))
    return wanted


def fast_path_reader(session: Session) -> summary.Reader:
    """The summary reader of the settings' staleness bound (0: live)."""
    seconds = get_settings().report_summary_max_age_seconds
    return summary.Reader(session, timedelta(seconds=seconds) if seconds else None)
