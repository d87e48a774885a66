"""The report's grouping dimensions and their category lists (data, in the order they are shown)."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.offers.models import OfferCategory
from service.persons.ages import AGE_GROUP_LABELS
from service.reference.models import Municipality, RiskSetting


class Dimension(StrEnum):
    risk_setting = "risk_setting"
    municipality = "municipality"
    region = "region"
    age_group = "age_group"
    offer_category = "offer_category"
    quarter = "quarter"


MAX_GROUP_BY = 3


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarters_between(start: date, end: date) -> list[str]:
    out, year, q = [], start.year, (start.month - 1) // 3 + 1
    last = quarter_of(end)
    while True:
        label = f"{year}Q{q}"
        out.append(label)
        if label == last:
            return out
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)


def quarter_bounds(label: str) -> tuple[date, date]:
    year, q = int(label[:4]), int(label[5])
    start = date(year, 3 * q - 2, 1)
    end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return start, end


@dataclass(frozen=True)
class Categories:
    """Each dimension's categories and their labels (English and Danish)."""

    values: dict[str, tuple[str, ...]]
    labels_en: dict[str, dict[str, str]]
    labels_da: dict[str, dict[str, str]]


OFFER_CATEGORY_DA = {
    "phone_friend": "telefonven", "visiting_friend": "besøgsven", "walk_and_talk": "gå-og-snak",
    "shared_meal": "fællesspisning", "activity_group": "aktivitetsgruppe", "culture": "kultur",
    "sport_outdoor": "sport og friluftsliv", "digital_community": "digitalt fællesskab",
    "peer_support_group": "peer-gruppe", "relatives_group": "pårørendegruppe", "mentoring": "mentorordning",
    "intergenerational": "på tværs af generationer", "counselling": "rådgivning", "other": "andet",
}


def load_categories(session: Session, period_from: date, period_to: date) -> Categories:
    municipalities = list(session.execute(select(Municipality.code, Municipality.name, Municipality.region_code,
                                                 Municipality.region_name).order_by(Municipality.code)))
    risks = list(session.execute(select(RiskSetting.code, RiskSetting.label_en, RiskSetting.label_da)
                                 .order_by(RiskSetting.sort_order)))
    regions = sorted({(m.region_code, m.region_name) for m in municipalities})
    quarters = quarters_between(period_from, period_to)
    values = {
        "risk_setting": tuple(r.code for r in risks),
        "municipality": tuple(m.code for m in municipalities),
        "region": tuple(code for code, _ in regions),
        "age_group": AGE_GROUP_LABELS,
        "offer_category": tuple(c.value for c in OfferCategory),
        "quarter": tuple(quarters),
    }
    same = {"age_group": {a: a for a in AGE_GROUP_LABELS}, "quarter": {q: q for q in quarters},
            "municipality": {m.code: m.name for m in municipalities},
            "region": dict(regions)}
    labels_en = {**same, "risk_setting": {r.code: r.label_en for r in risks},
                 "offer_category": {c.value: c.value.replace("_", " ") for c in OfferCategory}}
    labels_da = {**same, "risk_setting": {r.code: r.label_da for r in risks}, "offer_category": OFFER_CATEGORY_DA}
    return Categories(values=values, labels_en=labels_en, labels_da=labels_da)
