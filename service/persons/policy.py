"""Who sees which person, and when a consent counts. Every person query goes through here.

`visible_persons(principal)` is THE visibility rule, a SQL clause added to every query for persons
(REST, GraphQL, nested fields), so the interfaces cannot drift:

- caseworkers and org_admins (permission `persons:manage`) see every person of their own organisation,
  in full;
- everyone else sees nothing, and is answered 404 (analysts and coordinators never see persons;
  aggregates are the reports issue's business).

A receiving organisation gets a *narrow, consent-gated summary* of a person referred to it. That rule lives
with the referrals (`service.referrals.policy.summary_visible_persons`, built on `sharing_covers` and
`provider_consent_live` here); it never widens `visible_persons`, which grants full access. The summary itself
is built by `service.referrals.summary` (first name, age group, municipality and only the data categories the
live consent and the referral allow).
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, false, or_, select
from sqlmodel import col

from service.core.permissions import Permission
from service.core.principal import Principal
from service.core.types import utcnow
from service.persons.models import Consent, ConsentPurpose, ConsentPurposeRow, ConsentRecipient, Person


def can_manage(principal: Principal) -> bool:
    """The role works with persons (register, read, search, consents, measurements): caseworkers, org_admins."""
    return principal.can(Permission.persons_manage)


def visible_persons(principal: Principal) -> ColumnElement[bool]:
    """Persons the principal may see in full (see the module docstring)."""
    if can_manage(principal):
        return col(Person.organisation_id) == principal.organisation_id
    return false()


def sharing_covers(person_id: Any, organisation_id: Any, now: datetime | None = None) -> ColumnElement[bool]:
    """EXISTS an active `referral_sharing` consent of the person whose recipients name the organisation,
    by id or by its kind. Both arguments may be SQL columns (correlated) or plain values."""
    from service.organisations.models import Organisation

    # correlate_except: a column argument (e.g. referral.provider_organisation_id) must correlate to the outer
    # query, not be pulled into this subquery's FROM (which returned one row per referral on PostgreSQL).
    org_kind = (select(Organisation.kind).where(col(Organisation.id) == organisation_id)
                .correlate_except(Organisation).scalar_subquery())
    return exists(
        select(1).select_from(Consent)
        .join(ConsentPurposeRow, col(ConsentPurposeRow.consent_id) == col(Consent.id))
        .join(ConsentRecipient, col(ConsentRecipient.consent_id) == col(Consent.id))
        .where(col(Consent.person_id) == person_id,
               col(ConsentPurposeRow.purpose) == ConsentPurpose.referral_sharing,
               consent_is_active(now),
               or_(col(ConsentRecipient.organisation_id) == organisation_id,
                   col(ConsentRecipient.organisation_kind) == org_kind))
    )


def provider_consent_live(person_id: Any, organisation_id: Any, now: datetime | None = None) -> ColumnElement[bool]:
    """What a provider's every read of a referred person needs, evaluated now: a live `referral_sharing` consent
    naming the organisation (`sharing_covers`) AND a live *registration* consent. The registration consent may
    expire before the nightly job erases the person; until then the person may not be processed, so a sharing
    consent that outlives it must not keep the provider's view open."""
    return and_(active_consent(ConsentPurpose.registration, now, person_id=person_id),
                sharing_covers(person_id, organisation_id, now))


def can_read_full_cpr(principal: Principal) -> bool:
    return principal.can(Permission.persons_read_cpr)


# "Now" for a consent's expiry when the caller names no instant: a bound parameter whose value is taken when the
# statement runs, not when it is built — so a statement built once and reused (the list pages build theirs once
# per process or per caller) still reads consents at request time. One object everywhere: a statement may hold it
# many times, and two parameters of the same name would conflict.
CONSENT_NOW = bindparam("consent_now", callable_=utcnow, type_=Consent.__table__.c.expires_at.type)  # type: ignore[attr-defined]


def consent_is_active(now: datetime | ColumnElement[Any] | None = None) -> ColumnElement[bool]:
    """Not withdrawn and not expired: evaluated at request time, expired is the same as withdrawn. Without
    `now`, "now" is `CONSENT_NOW`, the instant the statement runs."""
    at = CONSENT_NOW if now is None else now
    return and_(col(Consent.withdrawn_at).is_(None),
                or_(col(Consent.expires_at).is_(None), col(Consent.expires_at) > at))


def active_consent(purpose: ConsentPurpose | str, now: datetime | ColumnElement[Any] | None = None,
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
    """`visible_persons` for a row already loaded: the person's own organisation, with a managing role."""
    return can_manage(principal) and principal.organisation_id == organisation_id


__all__ = ["active_consent", "can_manage", "can_read_full_cpr", "consent_is_active", "owns", "provider_consent_live",
           "registration_active", "sharing_covers", "visible_persons"]
