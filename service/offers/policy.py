"""Who may see what of an offer, and who may change it.

Confidential location — the one rule. An offer's address, postcode and coordinates are visible when the
offer is not confidential, or when the caller's organisation holds a *location grant* for it. Grants come
from a small registry: each entry is a function returning a SELECT of `(offer_id, organisation_id)` pairs.
The provider grant is built in; `service.wiring.wire()` registers the others (the referrals domain's
organisations with an accepted or started referral, `referrals.policy.accepted_referral_grant`).

Every reader goes through this module: REST and GraphQL (`visible_location_ids`), the free-text search
(`location_visible_clause`, so `q` never matches a hidden address) and the HSDS export (which leaves
confidential locations out for everyone, because it is public).
"""

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select, union_all
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.errors import Forbidden, NotFound
from service.core.permissions import Permission
from service.core.principal import Principal
from service.offers.models import Offer, OfferStatus

LocationGrant = Callable[[], Select[Any]]


def _provider_grant() -> Select[Any]:
    provider: Select[Any] = select(col(Offer.id).label("offer_id"),  # type: ignore[assignment]
                                   col(Offer.organisation_id).label("organisation_id"))
    return provider


_LOCATION_GRANTS: list[LocationGrant] = [_provider_grant]


def register_location_grant(grant: LocationGrant) -> LocationGrant:
    """Add a source of `(offer_id, organisation_id)` pairs allowed to see a confidential location (called by
    `service.wiring.wire()`, never at import time)."""
    if grant not in _LOCATION_GRANTS:
        _LOCATION_GRANTS.append(grant)
    return grant


def location_grants() -> Any:
    """All grants as one subquery with columns offer_id, organisation_id."""
    selects = [grant() for grant in _LOCATION_GRANTS]
    return union_all(*selects).subquery("location_grant") if len(selects) > 1 else selects[0].subquery(
        "location_grant")


def location_visible_clause(principal: Principal | None) -> ColumnElement[bool]:
    """SQL condition on `offer` rows: may this caller see the row's location fields?"""
    not_confidential = col(Offer.confidential_location).is_(False)
    if principal is None:
        return not_confidential
    grants = location_grants()
    granted = select(grants.c.offer_id).where(grants.c.offer_id == Offer.id,
                                              grants.c.organisation_id == principal.organisation_id).exists()
    return or_(not_confidential, granted)


def visible_location_ids(session: Session, principal: Principal | None, offers: Iterable[Offer]) -> set[uuid.UUID]:
    """Batch variant: the ids of `offers` whose location the caller may see (at most one SQL statement)."""
    offers = list(offers)
    visible = {o.id for o in offers if not o.confidential_location}
    if principal is None:
        return visible
    visible |= {o.id for o in offers if o.organisation_id == principal.organisation_id}
    rest = [o.id for o in offers if o.id not in visible]
    if rest:
        visible |= set(session.scalars(select(Offer.id).where(col(Offer.id).in_(rest),
                                                               location_visible_clause(principal))))
    return visible


def organisations_with_location_access(session: Session, offer_id: uuid.UUID) -> set[uuid.UUID]:
    """Organisations that may see this offer's confidential location (the provider, plus registered grants)."""
    grants = location_grants()
    return set(session.scalars(select(grants.c.organisation_id).where(grants.c.offer_id == offer_id)))


def readable_clause(principal: Principal | None) -> ColumnElement[bool]:
    """Which offers a caller may read: published ones, and every offer of the caller's own organisation."""
    published = col(Offer.status) == OfferStatus.published
    if principal is None:
        return published
    return or_(published, col(Offer.organisation_id) == principal.organisation_id)


def ensure_readable(principal: Principal | None, offer: Offer) -> None:
    if offer.status != OfferStatus.published and (principal is None
                                                   or offer.organisation_id != principal.organisation_id):
        raise NotFound("Offer not found.")


def ensure_can_manage(principal: Principal, offer: Offer) -> None:
    """Only the provider changes an offer: another organisation's offer is a 404 (even when published)."""
    if offer.organisation_id != principal.organisation_id:
        raise NotFound("Offer not found.")
    if not principal.can(Permission.offers_manage):
        raise Forbidden("Your role does not allow managing offers.")


def ensure_can_create(principal: Principal) -> None:
    if not principal.can(Permission.offers_manage):
        raise Forbidden("Your role does not allow managing offers.")


def own_clause(principal: Principal | None) -> ColumnElement[bool]:
    return col(Offer.organisation_id) == principal.organisation_id if principal else false()
