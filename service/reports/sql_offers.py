"""The report's SQL for offers (a public register: no cell keys) and for the barriers seen in referrals."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, literal, or_, select, true, union_all
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from service.offers.models import Offer, OfferMunicipality, OfferRiskSetting
from service.persons.ages import AGE_GROUPS
from service.persons.models import Person, PersonRiskSetting
from service.reference.models import Municipality, RiskSetting
from service.referrals.models import ReasonCode, Referral, ReferralStatus
from service.reports.dimensions import quarter_bounds
from service.reports.sql import Key, Query, _count, _person_filters, _sum, _with_cell_keys, grouped

# ---- offers --------------------------------------------------------------------------------------------

def _served_settings() -> Any:
    """Offers without target settings serve every setting."""
    o = aliased(Offer)
    untargeted: Any = (select(col(o.id).label("offer_id"), col(RiskSetting.code).label("code"))
                       .select_from(o).join(RiskSetting, true())
                       .where(~exists(select(1).where(col(OfferRiskSetting.offer_id) == o.id))))
    targeted: Any = select(col(OfferRiskSetting.offer_id).label("offer_id"),
                           col(OfferRiskSetting.risk_setting_code).label("code"))
    return union_all(targeted, untargeted).subquery("served_setting")


def _served_municipalities() -> Any:
    """Nationwide offers serve every municipality."""
    o = aliased(Offer)
    listed: Any = select(col(OfferMunicipality.offer_id).label("offer_id"),
                         col(OfferMunicipality.municipality_code).label("code"))
    nationwide: Any = (select(col(o.id).label("offer_id"), col(Municipality.code).label("code"))
                       .select_from(o).join(Municipality, true()).where(col(o.nationwide).is_(True)))
    return union_all(listed, nationwide).subquery("served_municipality")


def _age_table() -> Any:
    rows = [select(literal(label).label("label"), literal(low).label("low"),
                   literal(high if high is not None else 200).label("high")) for label, low, high in AGE_GROUPS]
    return union_all(*rows).subquery("age_groups")


def _quarter_table(q: Query, wanted: Sequence[str]) -> Any:
    rows = [select(literal(label).label("label"),
                   literal(datetime.combine(quarter_bounds(label)[1], time.min)).label("ends"))
            for label in wanted]
    return union_all(*rows).subquery("quarters")


def _served_regions(munis: Any) -> Any:
    """One row per (offer, region) it serves, however many of the region's municipalities that is."""
    return (select(munis.c.offer_id, col(Municipality.region_code).label("code")).distinct()
            .select_from(munis).join(Municipality, col(Municipality.code) == munis.c.code).subquery("served_region"))


def offer_measures(session: Session, q: Query, quarters: Sequence[str]) -> dict[str, dict[Key, Any]]:
    o = Offer
    risk = q.risk_codes()
    f = q.filters
    muni_filter = list(f.get("municipality", ()))
    wanted_quarters = [x for x in quarters if not f.get("quarter") or x in f["quarter"]]

    def build(sq: Query) -> Select[Any]:
        stmt = select().select_from(o)
        labels: dict[str, Any] = {}
        where: list[ColumnElement[bool]] = [col(o.status) == "published", col(o.published_at) < sq.end]
        settings = _served_settings()
        if risk is not None:
            where.append(exists(select(1).where(settings.c.offer_id == col(o.id), settings.c.code.in_(risk))))
        munis = _served_municipalities()
        if f.get("region"):
            regions = _served_regions(munis)
            where.append(exists(select(1).where(regions.c.offer_id == col(o.id), regions.c.code.in_(f["region"]))))
        if muni_filter:
            filter_munis = _served_municipalities()
            where.append(exists(select(1).where(filter_munis.c.offer_id == col(o.id),
                                                filter_munis.c.code.in_(muni_filter))))
        ages = _age_table()
        overlaps = and_(or_(col(o.min_age).is_(None), col(o.min_age) <= ages.c.high),
                        or_(col(o.max_age).is_(None), col(o.max_age) >= ages.c.low))
        if f.get("age_group"):
            # its own age table: the grouping below joins `ages`, and a shared instance would auto-correlate
            # the EXISTS to the outer query and leave it with no FROM clause (issue #13, defect 6)
            f_ages = _age_table()
            f_overlaps = and_(or_(col(o.min_age).is_(None), col(o.min_age) <= f_ages.c.high),
                              or_(col(o.max_age).is_(None), col(o.max_age) >= f_ages.c.low))
            where.append(exists(select(1).select_from(f_ages).where(f_overlaps,
                                                                   f_ages.c.label.in_(f["age_group"]))))
        if f.get("offer_category"):
            where.append(col(o.category).in_(f["offer_category"]))
        dims = set(sq.group_by)
        if "risk_setting" in dims:
            served = _served_settings()  # a second instance: the filter above must not correlate to it
            on = served.c.offer_id == col(o.id)
            stmt = stmt.join(served, on if risk is None else and_(on, served.c.code.in_(risk)))
            labels["risk_setting"] = served.c.code
        if "municipality" in dims:
            joined = _served_municipalities()
            on = joined.c.offer_id == col(o.id)
            stmt = stmt.join(joined, and_(on, joined.c.code.in_(muni_filter)) if muni_filter else on)
            labels["municipality"] = joined.c.code
            if "region" in dims:  # the region of that same municipality, never a cross product
                m = aliased(Municipality)
                region_on = col(m.code) == joined.c.code
                stmt = stmt.join(m, and_(region_on, col(m.region_code).in_(f["region"])) if f.get("region")
                                 else region_on)
                labels["region"] = col(m.region_code)
        elif "region" in dims:
            regions = _served_regions(_served_municipalities())
            on = regions.c.offer_id == col(o.id)
            stmt = stmt.join(regions, and_(on, regions.c.code.in_(f["region"])) if f.get("region") else on)
            labels["region"] = regions.c.code
        if "age_group" in dims:
            stmt = stmt.join(ages, and_(overlaps, ages.c.label.in_(f["age_group"])) if f.get("age_group")
                             else overlaps)
            labels["age_group"] = ages.c.label
        if "offer_category" in dims:
            labels["offer_category"] = col(o.category)
        if "quarter" in dims:
            table = _quarter_table(sq, wanted_quarters)
            stmt = stmt.join(table, col(o.published_at) < table.c.ends)
            labels["quarter"] = table.c.label
        elif f.get("quarter"):
            last_end = max(quarter_bounds(x)[1] for x in f["quarter"])
            where.append(col(o.published_at) < datetime.combine(last_end, time.min, tzinfo=UTC))
        return stmt.add_columns(col(o.id).label("unit"), *(labels[d].label(d) for d in sq.group_by),
                                col(o.capacity).label("capacity"),
                                (col(o.capacity) - col(o.seats_taken)).label("free")).where(*where)

    return grouped(session, q, build, {
        "offers_published": _count, "places": _sum("capacity"), "free_places": _sum("free")})


# Decline and early-end reasons seen as barriers for the action plan.
REASON_BARRIER = {
    ReasonCode.no_capacity: "capacity", ReasonCode.accessibility_barrier: "accessibility",
    ReasonCode.transport_barrier: "transport", ReasonCode.digital_barrier: "digital",
}


def referral_barriers(session: Session, q: Query) -> dict[str, dict[Key, int]]:
    """Declined or ended-early referrals in the period by (barrier_type, risk_setting) and their margins."""
    r = Referral
    p = aliased(Person)
    barrier = case(*((col(r.reason_code) == reason.value, label) for reason, label in REASON_BARRIER.items()),
                   else_="other")
    risk = q.risk_codes()

    def build(sq: Query) -> Select[Any]:
        stmt = select().select_from(r).join(p, p.id == col(r.person_id))
        labels: dict[str, Any] = {"barrier_type": barrier}
        if "risk_setting" in sq.group_by:
            prs = aliased(PersonRiskSetting)
            on = col(prs.person_id) == p.id
            stmt = stmt.join(prs, and_(on, col(prs.risk_setting_code).in_(risk)) if risk is not None else on)
            labels["risk_setting"] = col(prs.risk_setting_code)
        return (stmt.add_columns(col(r.id).label("unit"), col(r.record_key).label("rk"),
                                 *(labels[d].label(d) for d in sq.group_by))
                .where(col(r.status).in_([ReferralStatus.declined, ReferralStatus.ended_early]),
                       col(r.sent_at) >= sq.start, col(r.sent_at) < sq.end, *_person_filters(sq, p, r.sent_at)))

    sub = replace(q, group_by=("barrier_type", "risk_setting"))
    return grouped(session, sub, build, _with_cell_keys({"referrals": None}))
