"""Finding offers: every filter in SQL, a Danish-aware free-text search ranked by relevance, and a distance
filter.

Free text (`q`) is folded (service/core/folding.py) and split into words; an offer matches when every word
occurs in its folded title, city or description — or in its address where the caller may see that address,
so a search never reveals a hidden location. With `q` the list is ranked (title starts with the phrase, a word
of the title starts with it, the title contains it, anything else), then by title and id; the keyset cursor
carries the rank.

Distance (`near` + `within_km`) uses an equirectangular approximation at the mid-latitude — arithmetic only,
identical on SQLite and PostgreSQL, and within 0.1 % of the great-circle distance across Denmark. Nationwide
offers always match. A confidential location never takes part (a distance filter could locate it); such an
offer matches only when the caller may see its location.
"""

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, literal, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.dto import refuse_nul
from service.core.errors import Unauthorized, Unprocessable
from service.core.folding import fold
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.offers import policy
from service.offers.models import Offer, OfferAccessibility, OfferLanguage, OfferMunicipality, OfferRiskSetting

KM_PER_DEGREE = 111.195  # mean Earth radius 6371.0 km × π / 180
MAX_WORDS = 8
MAX_KM = 500


@dataclass(frozen=True)
class OfferFilters:
    municipality_code: str | None = None
    risk_setting: str | None = None
    category: str | None = None
    mode: str | None = None
    age: int | None = None
    accessibility: list[str] = field(default_factory=list)
    language: str | None = None
    has_capacity: bool | None = None
    q: str | None = None
    mine: bool = False
    status: str | None = None
    near: tuple[float, float] | None = None
    within_km: float | None = None

    def __post_init__(self) -> None:
        # REST validates its query parameters at the edge; GraphQL arguments arrive here unchecked.
        refuse_nul(self.__dict__.items())

    def criterion(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [], False)}

    def words(self) -> list[str]:
        return fold(self.q).split()[:MAX_WORDS] if self.q else []


def check_near(near: tuple[float, float] | None, within_km: float | None,
               field: str = "near") -> tuple[float, float] | None:
    """The distance filter's arguments, for every door: both or neither, a point on Earth, 0 < km ≤ 500."""
    errors = []
    if (near is None) != (within_km is None):
        errors.append({"field": field if near is None else "within_km", "message": "required with the other",
                       "code": "missing"})
    if near is not None and not (-90 <= near[0] <= 90 and -180 <= near[1] <= 180):
        errors.append({"field": field, "message": "latitude -90..90, longitude -180..180", "code": "out_of_range"})
    if within_km is not None and not (0 < within_km <= MAX_KM):
        errors.append({"field": "within_km", "message": f"greater than 0, at most {MAX_KM}", "code": "out_of_range"})
    if errors:
        raise Unprocessable("The distance filter is not valid; see errors.", errors=errors)
    return near


def _has(table: Any, value_column: Any, value: Any) -> ColumnElement[bool]:
    return select(table.offer_id).where(table.offer_id == Offer.id, value_column == value).exists()


def has_capacity_clause() -> ColumnElement[bool]:
    return or_(col(Offer.capacity).is_(None), col(Offer.seats_taken) < col(Offer.capacity))


def distance_km_squared(latitude: float, longitude: float) -> Any:
    """SQL: the squared distance in km from (latitude, longitude) to the offer's coordinates."""
    dy = (col(Offer.latitude) - latitude) * KM_PER_DEGREE
    dx = (col(Offer.longitude) - longitude) * KM_PER_DEGREE * mid_cos(col(Offer.latitude), latitude)
    return dy * dy + dx * dx


def mid_cos(other: Any, latitude: float) -> Any:
    """cos of the mid-latitude, to first order around `latitude` (arithmetic only, so the same in SQL and Python):
    cos(φ0 + δ/2) ≈ cos φ0 − sin φ0 · δ/2."""
    phi = math.radians(latitude)
    return math.cos(phi) - math.sin(phi) * (other - latitude) * (math.pi / 360)


def within_clause(principal: Principal | None, near: tuple[float, float], km: float) -> ColumnElement[bool]:
    latitude, longitude = near
    delta_lat = km / KM_PER_DEGREE
    delta_lon = km / (KM_PER_DEGREE * math.cos(math.radians(min(abs(latitude) + delta_lat, 89.0))))
    close = and_(col(Offer.latitude).between(latitude - delta_lat, latitude + delta_lat),
                 col(Offer.longitude).between(longitude - delta_lon, longitude + delta_lon),
                 distance_km_squared(latitude, longitude) <= km * km,
                 policy.location_visible_clause(principal))
    return or_(col(Offer.nationwide).is_(True), close)


def _text_clause(principal: Principal | None, words: list[str]) -> ColumnElement[bool]:
    visible = policy.location_visible_clause(principal)
    return and_(*[or_(col(Offer.search_text).contains(w, autoescape=True),
                      col(Offer.address_folded).contains(w, autoescape=True) & visible) for w in words])


def rank_expression(phrase: str) -> Any:
    """0 = the title starts with the phrase, 1 = a word of the title does, 2 = the title contains it, 3 = other."""
    title = col(Offer.title_folded)
    return case((title.startswith(phrase, autoescape=True), 0),
                (title.contains(" " + phrase, autoescape=True), 1),
                (title.contains(phrase, autoescape=True), 2), else_=3)


def rank_of(title: str, phrase: str) -> int:
    """The same rank as `rank_expression`, for the cursor of the last row on a page."""
    folded = fold(title)
    if folded.startswith(phrase):
        return 0
    if " " + phrase in folded:
        return 1
    return 2 if phrase in folded else 3


def filter_statement(principal: Principal | None, f: OfferFilters) -> Any:
    """SELECT offer … with the caller's visibility and every filter combined with AND, all in SQL."""
    stmt = select(Offer).where(policy.readable_clause(principal))
    if f.mine:
        if principal is None:
            raise Unauthorized("Authentication required for mine=true.")
        stmt = stmt.where(policy.own_clause(principal))
    if f.status:
        stmt = stmt.where(col(Offer.status) == f.status)
    if f.municipality_code:
        stmt = stmt.where(or_(col(Offer.nationwide).is_(True),
                              _has(OfferMunicipality, OfferMunicipality.municipality_code, f.municipality_code)))
    if f.risk_setting:
        stmt = stmt.where(_has(OfferRiskSetting, OfferRiskSetting.risk_setting_code, f.risk_setting))
    if f.category:
        stmt = stmt.where(col(Offer.category) == f.category)
    if f.mode:
        stmt = stmt.where(col(Offer.mode) == f.mode)
    if f.age is not None:
        stmt = stmt.where(or_(col(Offer.min_age).is_(None), col(Offer.min_age) <= f.age),
                          or_(col(Offer.max_age).is_(None), col(Offer.max_age) >= f.age))
    for feature in dict.fromkeys(f.accessibility):
        stmt = stmt.where(_has(OfferAccessibility, OfferAccessibility.feature, feature))
    if f.language:
        stmt = stmt.where(_has(OfferLanguage, OfferLanguage.language, f.language))
    if f.has_capacity is True:
        stmt = stmt.where(has_capacity_clause())
    elif f.has_capacity is False:
        stmt = stmt.where(~has_capacity_clause())
    if f.q is not None:
        words = f.words()
        # A q of only punctuation or spaces folds to nothing: it matches nothing rather than everything.
        stmt = stmt.where(_text_clause(principal, words) if words else literal(False))
    if f.near is not None and f.within_km is not None:
        stmt = stmt.where(within_clause(principal, f.near, f.within_km))
    return stmt


def page_offers(session: Session, principal: Principal | None, params: PageParams,
                filters: OfferFilters) -> tuple[list[Offer], str | None]:
    """One page of the offer rows the filters and the read rule select (the service presents them)."""
    stmt = filter_statement(principal, filters)
    words = filters.words()
    if not words:
        return keyset_page(session, stmt, [col(Offer.title), col(Offer.id)], params)
    phrase = " ".join(words)
    rank = rank_expression(phrase)
    return keyset_page(session, stmt, [rank, col(Offer.title), col(Offer.id)], params,
                       key=lambda o: [rank_of(o.title, phrase), o.title, o.id])
