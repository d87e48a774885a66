"""Who sees which referral, and on which side they act. Every referral query goes through here.

- The referring organisation sees its referrals (the closed loop: status, outcome, history).
- The provider organisation sees a referral only while an active `referral_sharing` consent of the person
  names it (by id or kind): withdrawal or expiry of that consent cuts access at once (404).
- Visible to the organisation but not to the role (e.g. an analyst), or the wrong side for an action → 403.

Also: which persons a provider sees as a narrow summary (`summary_visible_persons`), and the location grant
(`accepted_referral_grant`, wired by `service.wiring`): an organisation with an accepted or started referral to
an offer may see the offer's confidential location.
"""

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlmodel import col

from service.core.permissions import Permission, permissions_for
from service.core.principal import Principal
from service.persons.models import Person
from service.persons.policy import provider_consent_live
from service.referrals.models import ContactAgreement, Referral, ReferralStatus, ReferralTransition
from service.referrals.workflow import Side


def provider_may_see(provider_id: uuid.UUID | None = None) -> ColumnElement[bool]:
    """SQL on `referral` rows: the live consents (registration and sharing) still let the provider see it.

    `provider_id`: where the query already requires `referral.provider_organisation_id == provider_id` (the
    principal's own organisation), pass it: the provider's kind is then a value looked up once (an InitPlan on
    PostgreSQL) instead of a correlated lookup of the organisation table for every candidate row. Same meaning."""
    provider = col(Referral.provider_organisation_id) if provider_id is None else provider_id
    return provider_consent_live(col(Referral.person_id), provider)


def can_read_as_referrer(principal: Principal) -> bool:
    return principal.can(Permission.referrals_send)


def can_read_as_provider(principal: Principal) -> bool:
    return principal.can(Permission.referrals_receive) or principal.can(Permission.contacts_manage)


def can_send(principal: Principal) -> bool:
    """The role sends referrals (the referring side)."""
    return principal.can(Permission.referrals_send)


def can_work_contacts(principal: Principal) -> bool:
    """The role runs the phone-contact rhythm of the provider's referrals."""
    return principal.can(Permission.contacts_manage)


def may_call(role: str) -> bool:
    """A user named as a contact agreement's volunteer or stand-in has a role that keeps contacts."""
    return Permission.contacts_manage in permissions_for(role)


# Referral states in which the provider still has a need to see the summary (open, or closed with an outcome).
SUMMARY_REFERRAL_STATES = ("sent", "accepted", "started", "completed", "ended_early")


def summary_visible_persons(principal: Principal) -> ColumnElement[bool]:
    """Persons the principal may see only as a narrow summary: those referred to the principal's organisation
    (open, or closed with an outcome) while an active `referral_sharing` consent names that organisation.

    Evaluated at request time, so withdrawing (or the expiry of) the consent cuts the view at once."""
    if not can_read_as_provider(principal):
        return false()
    return exists(
        select(1).select_from(Referral)
        .where(col(Referral.person_id) == col(Person.id),
               col(Referral.provider_organisation_id) == principal.organisation_id,
               col(Referral.status).in_(SUMMARY_REFERRAL_STATES))
        # any referral of the person, also inside a query over referrals (the list page's person join)
        .correlate_except(Referral)
    ) & provider_consent_live(col(Person.id), principal.organisation_id) & (col(Person.status) == "active")


def organisation_visible(principal: Principal) -> ColumnElement[bool]:
    """Referrals the principal's organisation is party to (whatever the role): anything else is a 404."""
    org = principal.organisation_id
    return or_(col(Referral.referring_organisation_id) == org,
               and_(col(Referral.provider_organisation_id) == org, provider_may_see(org)))


def readable(principal: Principal, direction: str | None = None) -> ColumnElement[bool]:
    """Referrals the principal may read, optionally on one side only (`sent` / `received`)."""
    org = principal.organisation_id
    clauses: list[ColumnElement[bool]] = []
    if can_read_as_referrer(principal) and direction in (None, "sent"):
        clauses.append(col(Referral.referring_organisation_id) == org)
    if can_read_as_provider(principal) and direction in (None, "received"):
        clauses.append(and_(col(Referral.provider_organisation_id) == org, provider_may_see(org)))
    return or_(*clauses) if clauses else false()


def may_read(principal: Principal, referral: Referral) -> bool:
    """For a referral already known to be visible to the organisation."""
    org = principal.organisation_id
    return ((referral.referring_organisation_id == org and can_read_as_referrer(principal))
            or (referral.provider_organisation_id == org and can_read_as_provider(principal)))


def sides(principal: Principal, referral: Referral) -> set[Side]:
    """The sides on which the principal may take transitions of this referral."""
    org = principal.organisation_id
    out: set[Side] = set()
    if referral.referring_organisation_id == org and principal.can(Permission.referrals_send):
        out.add(Side.referrer)
    if referral.provider_organisation_id == org and principal.can(Permission.referrals_receive):
        out.add(Side.provider)
    return out


def direction(principal: Principal, referral: Referral) -> str:
    org = principal.organisation_id
    sent, received = referral.referring_organisation_id == org, referral.provider_organisation_id == org
    return "both" if sent and received else ("sent" if sent else "received")


def may_manage_contacts(principal: Principal, referral: Referral) -> bool:
    return referral.provider_organisation_id == principal.organisation_id and can_work_contacts(principal)


def due_contacts_visible(principal: Principal) -> ColumnElement[bool]:
    """SQL on `contact_agreement` joined to `referral`: the organisation's own agreements on referrals it
    provides, while the live consents let it see them."""
    org = principal.organisation_id
    return and_(col(ContactAgreement.provider_organisation_id) == org, col(Referral.provider_organisation_id) == org,
                provider_may_see(org))


def events_visible(principal: Principal) -> ColumnElement[bool]:
    """Events of referrals the organisation sent (referrer roles) or received (provider roles)."""
    org = principal.organisation_id
    clauses: list[ColumnElement[bool]] = []
    if can_read_as_referrer(principal):
        clauses.append(col(ReferralTransition.referring_organisation_id) == org)
    if can_read_as_provider(principal):
        clauses.append(col(ReferralTransition.provider_organisation_id) == org)
    return or_(*clauses) if clauses else false()


def accepted_referral_grant() -> Select[Any]:
    """The referring organisation of an accepted or started referral may see a confidential location."""
    grant: Select[Any] = select(col(Referral.offer_id).label("offer_id"),  # type: ignore[assignment]
                                col(Referral.referring_organisation_id).label("organisation_id")).where(
        col(Referral.status).in_([ReferralStatus.accepted, ReferralStatus.started]))
    return grant
