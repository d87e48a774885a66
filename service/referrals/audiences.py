"""Whom a change concerns, as far as the referrals know: the providers a person was referred to hear that
their consent ended, the referring organisations with an open referral hear that an offer changed. Both are
reactions of this (later) domain, registered by `service.wiring.wire()` — the consent hook with
`persons.consents.register_consent_hook`, the offer audience with `events.offers.register_offer_audience` —
so neither persons nor events imports a referral."""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.events.bus import emit
from service.events.types import ConsentEnded, EventType
from service.persons.models import ConsentRecipient
from service.referrals.models import Referral
from service.referrals.workflow import OPEN_STATUSES


def consent_ended(session: Session, _principal: Any, person: Any, consent: Any, _purposes: frozenset[str],
                  cause: str) -> None:
    """The holder, each organisation the consent named, and each provider the person was referred to."""
    named = session.scalars(select(ConsentRecipient.organisation_id).where(
        col(ConsentRecipient.consent_id) == consent.id, col(ConsentRecipient.organisation_id).is_not(None)))
    providers = session.scalars(select(Referral.provider_organisation_id).distinct().where(
        col(Referral.person_id) == person.id))
    organisations = tuple(dict.fromkeys([person.organisation_id, *sorted({*named, *providers} - {None})]))
    event_type = EventType.consent_expired if cause == "expired" else EventType.consent_withdrawn
    emit(session, ConsentEnded(type=event_type, organisation_ids=organisations, consent_id=consent.id,
                               person_id=person.id, holder_id=person.organisation_id))


def open_referrers(session: Session, offer_id: uuid.UUID) -> Iterable[uuid.UUID]:
    """Every organisation with an open (sent, accepted, started) referral to the offer."""
    return session.scalars(select(Referral.referring_organisation_id).distinct().where(
        col(Referral.offer_id) == offer_id, col(Referral.status).in_(OPEN_STATUSES)))


def person_of(session: Session, referral_id: uuid.UUID) -> uuid.UUID | None:
    """Whose data a referral is: its audit rows are linked to that person, for the person's access log."""
    return session.scalar(select(Referral.person_id).where(col(Referral.id) == referral_id))
