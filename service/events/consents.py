"""A consent ended (withdrawn or expired): tell every organisation it affects. Subscribed as a consent hook
by `service.wiring.wire()`, so it runs in the transaction that ends the consent."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.events.bus import emit
from service.events.types import ConsentEnded, EventType
from service.persons.models import ConsentRecipient
from service.referrals.models import Referral


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
