"""Who sees which person, and when a consent counts. Every person query goes through here.

`visible_persons(principal)` is THE visibility rule, a SQL clause added to every query for persons
(REST, GraphQL, nested fields), so the interfaces cannot drift:

- caseworkers and org_admins (permission `persons:manage`) see every person of their own organisation,
  in full;
- everyone else sees nothing, and is answered 404 (analysts and coordinators never see persons;
  aggregates are the reports issue's business).

Extension point for referrals: a receiving organisation will get a *narrow, consent-gated summary* of a
person referred to it. That rule belongs here, as a second clause (`summary_visible_persons`) that
combines a referral to the principal's organisation with `active_consent(ConsentPurpose.referral_sharing)`
and a matching `consent_recipient`; it must never widen `visible_persons`, which grants full access.
Until a referral exists, no organisation but the owner has any view, which is what the clause says now.
"""

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlmodel import col

from service.core.permissions import Permission
from service.core.principal import Principal
from service.core.types import utcnow
from service.persons.models import Consent, ConsentPurpose, ConsentPurposeRow, Person


def visible_persons(principal: Principal) -> ColumnElement[bool]:
    """Persons the principal may see in full (see the module docstring)."""
    if principal.can(Permission.persons_manage):
        return col(Person.organisation_id) == principal.organisation_id
    return false()


def summary_visible_persons(principal: Principal) -> ColumnElement[bool]:
    """Persons the principal may see only as a narrow summary: none, until a referral is sent to them."""
    return false()


def can_read_full_cpr(principal: Principal) -> bool:
    return principal.can(Permission.persons_read_cpr)


def consent_is_active(now: datetime | None = None) -> ColumnElement[bool]:
    """Not withdrawn and not expired: evaluated at request time, expired is the same as withdrawn."""
    at = now or utcnow()
    return and_(col(Consent.withdrawn_at).is_(None),
                or_(col(Consent.expires_at).is_(None), col(Consent.expires_at) > at))


def active_consent(purpose: ConsentPurpose | str, now: datetime | None = None,
                   person_id: object = None) -> ColumnElement[bool]:
    """EXISTS an active consent with `purpose` for the person (default: correlated to `person.id`)."""
    subject = col(Person.id) if person_id is None else person_id
    return exists(
        select(1).select_from(Consent)
        .join(ConsentPurposeRow, col(ConsentPurposeRow.consent_id) == col(Consent.id))
        .where(col(Consent.person_id) == subject, col(ConsentPurposeRow.purpose) == str(purpose),
               consent_is_active(now))
    )


def registration_active(now: datetime | None = None) -> ColumnElement[bool]:
    """The person may be processed at all: not erased, and registered with an active consent."""
    return and_(col(Person.status) == "active", active_consent(ConsentPurpose.registration, now))


def owns(principal: Principal, organisation_id: uuid.UUID) -> bool:
    return principal.can(Permission.persons_manage) and principal.organisation_id == organisation_id


__all__ = ["active_consent", "can_read_full_cpr", "consent_is_active", "owns", "registration_active",
           "summary_visible_persons", "visible_persons"]
