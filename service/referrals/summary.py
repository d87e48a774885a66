"""The one builder of the referred-person summary a provider sees.

First name, age group and municipality; beyond that only the data categories that both the referrer chose
(`referral.shared_categories`) and a live `referral_sharing` consent naming the provider allows — contact
details (and the preferred language) only with an active `contact` consent as well; the referring
organisation's named contact (who to call back) whenever the summary is shown. Never CPR, notes, family name or
birth date.
Consent is read now, in SQL, so a withdrawal shows at once. A constant number of statements per batch.
"""

import json
import uuid
from collections.abc import Iterable
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from service.core.principal import Principal
from service.organisations.models import Organisation
from service.persons.ages import age_group
from service.persons.models import (
    Consent,
    ConsentPurpose,
    ConsentPurposeRow,
    ConsentRecipient,
    DataCategory,
    Person,
    PersonRiskSetting,
)
from service.persons.policy import CONSENT_NOW, active_consent, consent_is_active, owns, visible_persons
from service.persons.sharing import allowed_categories, sharing_grants
from service.referrals.dto import SharedPerson
from service.referrals.models import Referral
from service.referrals.policy import SUMMARY_REFERRAL_STATES, summary_visible_persons

Grant = tuple[uuid.UUID | None, str | None, set[str]]  # recipient organisation id, recipient kind, categories


def shared_persons(session: Session, principal: Principal,
                   referrals: Iterable[Referral]) -> dict[uuid.UUID, SharedPerson | None]:
    """Referral id → the summary of its person as the consent allows now (None when it allows nothing)."""
    referrals = list(referrals)
    out: dict[uuid.UUID, SharedPerson | None] = {r.id: None for r in referrals}
    person_ids = list({r.person_id for r in referrals})
    if not person_ids:
        return out
    persons = {p.id: p for p in session.scalars(select(Person).where(
        col(Person.id).in_(person_ids), _person_shown(principal)))}
    if not persons:
        return out
    ids = list(persons)
    grants = sharing_grants(session, ids)
    contact_ok = set(session.scalars(
        select(Consent.person_id).join(ConsentPurposeRow, col(ConsentPurposeRow.consent_id) == col(Consent.id))
        .where(col(Consent.person_id).in_(ids), col(ConsentPurposeRow.purpose) == ConsentPurpose.contact,
               consent_is_active())))
    provider_ids = list({r.provider_organisation_id for r in referrals})
    kinds: dict[uuid.UUID, str] = dict(session.execute(
        select(Organisation.id, Organisation.kind).where(col(Organisation.id).in_(provider_ids))).all())
    risks: dict[uuid.UUID, list[str]] = {}
    for person_id, code in session.execute(
            select(PersonRiskSetting.person_id, PersonRiskSetting.risk_setting_code)
            .where(col(PersonRiskSetting.person_id).in_(ids))
            .order_by(col(PersonRiskSetting.risk_setting_code))):
        risks.setdefault(person_id, []).append(code)
    for r in referrals:
        person = persons.get(r.person_id)
        if person is not None:
            out[r.id] = summary_of(principal, r, person, grants.get(person.id, []),
                                   kinds.get(r.provider_organisation_id), person.id in contact_ok,
                                   risks.get(person.id, []))
    return out


def _person_shown(principal: Principal) -> ColumnElement[bool]:
    """SQL on `person`: an active person the principal sees in full or as a referred person's summary."""
    return and_(col(Person.status) == "active", or_(visible_persons(principal), summary_visible_persons(principal)))


def summary_of(principal: Principal, r: Any, person: Any, grants: list[Grant], provider_kind: str | None,
               contact_ok: bool, risks: list[str]) -> SharedPerson | None:
    """The summary of one referral's (shown) person: `r` and `person` are ORM objects or plain rows."""
    if not owns(principal, person.organisation_id) and r.status not in SUMMARY_REFERRAL_STATES:
        return None  # a declined, withdrawn or expired referral gives the provider no further view
    consented = allowed_categories(grants, r.provider_organisation_id, provider_kind)
    if not consented:
        return None  # no live sharing consent names this provider: nothing to show
    shown = consented & set(r.shared_categories or [])
    if not contact_ok:
        shown.discard(DataCategory.contact_details)
    return SharedPerson(
        id=person.id, given_name=person.given_name, age_group=age_group(person.birth_year),
        municipality_code=person.municipality_code, shared_categories=sorted(shown),
        phone=person.phone if DataCategory.contact_details in shown else None,
        email=person.email if DataCategory.contact_details in shown else None,
        risk_settings=risks if DataCategory.risk_settings in shown else None,
        accessibility_needs=(person.accessibility_needs or []) if DataCategory.accessibility_needs in shown
        else None,
        interests=(person.interests or []) if DataCategory.interests in shown else None,
        loneliness_latest_total=person.loneliness_latest_total if DataCategory.loneliness_scores in shown
        else None,
        # the language to call in belongs with the means to call: both only with contact_details
        preferred_language=person.preferred_language if DataCategory.contact_details in shown else None,
        # the referring organisation's own staff contact, not the person's data: shown with the summary
        referrer_contact_name=r.referrer_contact_name, referrer_contact_phone=r.referrer_contact_phone,
        referrer_contact_email=r.referrer_contact_email,
    )


# --- the same summary in the list page's one statement ---------------------------------------------------
# The person comes along by an outer join under the same rule (`_person_shown`); the sharing grants, the
# contact consent and the risk settings as correlated aggregates, the provider's kind by a join on its primary
# key. Aggregated texts: a grant is "recipient id|recipient kind|categories as JSON", grants separated by a
# newline (ids, kinds and category codes hold neither); risk codes are `[a-z_]`, separated by ";".
PERSON_FIELDS = ("id", "organisation_id", "given_name", "birth_year", "municipality_code", "phone", "email",
                 "accessibility_needs", "interests", "loneliness_latest_total", "preferred_language")


# "Now" for the consents, taken when the statement runs: the summary's columns do not depend on who asks, so they
# are built once per process (building them cost as much Python as reading the page's rows; issue #14).
_NOW = CONSENT_NOW


@lru_cache(maxsize=1)
def _summary_columns() -> tuple[tuple[Any, ...], Any]:
    """The `sp_*` columns and the provider alias they read the provider's kind from."""
    provider = aliased(Organisation)
    grant = (func.coalesce(cast(col(ConsentRecipient.organisation_id), String), "") + "|"
             + func.coalesce(col(ConsentRecipient.organisation_kind), "") + "|"
             + func.coalesce(cast(col(Consent.data_categories), String), "[]"))
    grants = (select(func.aggregate_strings(grant, "\n")).select_from(Consent)
              .join(ConsentPurposeRow, col(ConsentPurposeRow.consent_id) == col(Consent.id))
              .join(ConsentRecipient, col(ConsentRecipient.consent_id) == col(Consent.id))
              .where(col(Consent.person_id) == col(Person.id),
                     col(ConsentPurposeRow.purpose) == ConsentPurpose.referral_sharing, consent_is_active(_NOW))
              .correlate(Person).scalar_subquery())
    risks = (select(func.aggregate_strings(col(PersonRiskSetting.risk_setting_code), ";"))
             .where(col(PersonRiskSetting.person_id) == col(Person.id)).correlate(Person).scalar_subquery())
    columns = (*[getattr(Person, f).label(f"sp_{f}") for f in PERSON_FIELDS],
               col(provider.kind).label("sp_provider_kind"), grants.label("sp_grants"),
               active_consent(ConsentPurpose.contact, _NOW, person_id=col(Person.id)).label("sp_contact"),
               risks.label("sp_risks"))
    return columns, provider


def summary_join(stmt: Select[Any], principal: Principal) -> Select[Any]:
    """Add the person summary's columns (labelled `sp_*`) to a SELECT of referral columns."""
    columns, provider = _summary_columns()
    return (stmt.add_columns(*columns)
            .outerjoin_from(Referral, Person, and_(col(Person.id) == col(Referral.person_id),
                                                   _person_shown(principal)))
            .outerjoin_from(Referral, provider, col(provider.id) == col(Referral.provider_organisation_id)))


def _parse_grants(aggregate: str | None) -> list[Grant]:
    out: list[Grant] = []
    for item in aggregate.split("\n") if aggregate else []:
        org_id, kind, categories = item.split("|", 2)
        out.append((uuid.UUID(org_id) if org_id else None, kind or None, set(json.loads(categories) or [])))
    return out


def summary_from_row(principal: Principal, row: Any) -> SharedPerson | None:
    """The summary of a row of `summary_join` (no statement)."""
    if row.sp_id is None:
        return None
    person = SimpleNamespace(**{f: getattr(row, f"sp_{f}") for f in PERSON_FIELDS})
    return summary_of(principal, row, person, _parse_grants(row.sp_grants), row.sp_provider_kind,
                      bool(row.sp_contact), sorted(row.sp_risks.split(";")) if row.sp_risks else [])
