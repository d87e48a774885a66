"""The one builder of the referred-person summary a provider sees.

First name, age group and municipality; beyond that only the data categories that both the referrer chose
(`referral.shared_categories`) and a live `referral_sharing` consent naming the provider allows — contact
details (and the preferred language) only with an active `contact` consent as well; the referring
organisation's named contact (who to call back) whenever the summary is shown. Never CPR, notes, family name or
birth date.
Consent is read now, in SQL, so a withdrawal shows at once. A constant number of statements per batch.
"""

import uuid
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.principal import Principal
from service.organisations.models import Organisation
from service.persons.ages import age_group
from service.persons.models import (
    Consent,
    ConsentPurpose,
    ConsentPurposeRow,
    DataCategory,
    Person,
    PersonRiskSetting,
)
from service.persons.policy import consent_is_active, owns, visible_persons
from service.persons.sharing import allowed_categories, sharing_grants
from service.referrals.dto import SharedPerson
from service.referrals.models import Referral
from service.referrals.policy import SUMMARY_REFERRAL_STATES, summary_visible_persons


def shared_persons(session: Session, principal: Principal,
                   referrals: Iterable[Referral]) -> dict[uuid.UUID, SharedPerson | None]:
    """Referral id → the summary of its person as the consent allows now (None when it allows nothing)."""
    referrals = list(referrals)
    out: dict[uuid.UUID, SharedPerson | None] = {r.id: None for r in referrals}
    person_ids = list({r.person_id for r in referrals})
    if not person_ids:
        return out
    persons = {p.id: p for p in session.scalars(select(Person).where(
        col(Person.id).in_(person_ids), col(Person.status) == "active",
        or_(visible_persons(principal), summary_visible_persons(principal))))}
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
        if person is None:
            continue
        if not owns(principal, person.organisation_id) and r.status not in SUMMARY_REFERRAL_STATES:
            continue  # a declined, withdrawn or expired referral gives the provider no further view
        consented = allowed_categories(grants.get(person.id, []), r.provider_organisation_id,
                                       kinds.get(r.provider_organisation_id))
        if not consented:
            continue  # no live sharing consent names this provider: nothing to show
        shown = consented & set(r.shared_categories or [])
        if person.id not in contact_ok:
            shown.discard(DataCategory.contact_details)
        out[r.id] = SharedPerson(
            id=person.id, given_name=person.given_name, age_group=age_group(person.birth_year),
            municipality_code=person.municipality_code, shared_categories=sorted(shown),
            phone=person.phone if DataCategory.contact_details in shown else None,
            email=person.email if DataCategory.contact_details in shown else None,
            risk_settings=risks.get(person.id, []) if DataCategory.risk_settings in shown else None,
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
    return out
