"""Demo referrals: Bo (demo-caseworker, København) is referred to Røde Kors Telefonvenner's phone-friend offer,
accepted and started by demo-coordinator, with a weekly phone agreement and one logged call. Bo has no `contact`
consent, so the provider does not see his phone number although the referral shares contact details."""

from datetime import time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.permissions import Role, permissions_for
from service.core.principal import Principal
from service.core.types import utcnow
from service.offers.models import Offer, OfferStatus
from service.organisations.models import Organisation
from service.persons import consents as persons
from service.persons.dto import ConsentCreate
from service.persons.models import Person
from service.referrals import contacts, service, transitions
from service.referrals.dto import ContactAgreementSet, ContactLogCreate, ReferralCreate, TransitionRequest
from service.users.models import User

PROVIDER = "Røde Kors Telefonvenner"


def _principal(session: Session, username: str) -> Principal | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        return None
    role = Role(user.role)
    return Principal(kind="user", id=user.id, organisation_id=user.organisation_id, role=role, name=user.username,
                     permissions=permissions_for(role))


def seed_referrals(session: Session, orgs: dict[str, Organisation]) -> None:
    session.flush()
    caseworker, coordinator = _principal(session, "demo-caseworker"), _principal(session, "demo-coordinator")
    provider = orgs.get(PROVIDER)
    if caseworker is None or coordinator is None or provider is None:
        return
    person = session.scalar(select(Person).where(col(Person.organisation_id) == caseworker.organisation_id,
                                                 col(Person.given_name) == "Bo"))
    offer = session.scalar(select(Offer).where(col(Offer.organisation_id) == provider.id,
                                               col(Offer.status) == OfferStatus.published)
                           .order_by(col(Offer.title)))
    if person is None or offer is None:
        return
    persons.give_consent(session, caseworker, person.id, ConsentCreate.model_validate({
        "purposes": ["referral_sharing"], "recipient_organisation_ids": [str(provider.id)],
        "data_categories": ["interests", "risk_settings", "contact_details"], "given_by": "self",
        "method": "written", "consent_text_version": "demo-2026-1"}))
    referral = service.create(session, caseworker, ReferralCreate(
        person_id=person.id, offer_id=offer.id, message="Bo vil gerne have en fast telefonven.",
        shared_categories=["interests", "risk_settings", "contact_details"]))
    transitions.transition(session, coordinator, referral.id, TransitionRequest(action="accept"))
    transitions.transition(session, coordinator, referral.id, TransitionRequest(action="start"))
    contacts.set_agreement(session, coordinator, referral.id, ContactAgreementSet(
        channel="phone", cadence="weekly", weekday=1, time_of_day=time(10, 0)))
    contacts.log_contact(session, coordinator, referral.id, ContactLogCreate(
        contacted_at=utcnow() - timedelta(days=2), duration_minutes=30, channel="phone",
        elements=["tryghed", "fællesskab"], parked_topics=["ny bolig"],
        next_contact_agenda="Høre om boligsagen"))
