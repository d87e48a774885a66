"""The event types and the events themselves. Each event knows whom it concerns and its thin payload."""

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar


class EventType(StrEnum):
    referral_sent = "referral.sent"
    referral_accepted = "referral.accepted"
    referral_declined = "referral.declined"
    referral_started = "referral.started"
    referral_completed = "referral.completed"
    referral_ended_early = "referral.ended_early"
    referral_withdrawn = "referral.withdrawn"
    referral_expired = "referral.expired"
    contact_due = "contact.due"
    contact_missed_alert = "contact.missed_alert"
    consent_withdrawn = "consent.withdrawn"
    consent_expired = "consent.expired"
    offer_published = "offer.published"
    offer_paused = "offer.paused"
    offer_closed = "offer.closed"
    offer_updated = "offer.updated"
    action_plan_measure_created = "action_plan.measure_created"
    action_plan_measure_updated = "action_plan.measure_updated"
    webhook_endpoint_disabled = "webhook_endpoint.disabled"


# The referral workflow's action (or "send") → the event type.
REFERRAL_ACTIONS = {"send": EventType.referral_sent, "accept": EventType.referral_accepted,
                    "decline": EventType.referral_declined, "start": EventType.referral_started,
                    "complete": EventType.referral_completed, "end_early": EventType.referral_ended_early,
                    "withdraw": EventType.referral_withdrawn, "expire": EventType.referral_expired}
OFFER_STATUSES = {"published": EventType.offer_published, "paused": EventType.offer_paused,
                  "closed": EventType.offer_closed}


def _ids(*values: uuid.UUID | None) -> tuple[uuid.UUID, ...]:
    return tuple(dict.fromkeys(v for v in values if v is not None))


@dataclass(frozen=True)
class DomainEvent:
    """Base: `type`, the `subject` deliveries are ordered by, the organisations it concerns, and `data`
    (ids only — a test scans every payload of the suite for personal values)."""

    type: EventType
    organisation_ids: tuple[uuid.UUID, ...]
    subject_kind: ClassVar[str] = "event"

    @property
    def subject_id(self) -> uuid.UUID:
        raise NotImplementedError

    @property
    def subject(self) -> str:
        return f"{self.subject_kind}:{self.subject_id}"

    def data(self, organisation_id: uuid.UUID) -> dict[str, str]:
        """What `organisation_id` is told (object ids as strings)."""
        raise NotImplementedError


@dataclass(frozen=True)
class ReferralChanged(DomainEvent):
    referral_id: uuid.UUID = field(kw_only=True)
    offer_id: uuid.UUID = field(kw_only=True)
    subject_kind: ClassVar[str] = "referral"

    @classmethod
    def of(cls, action: str, referral: Any) -> "ReferralChanged":
        """The event of a workflow action (or "send") on a referral row."""
        return cls(type=REFERRAL_ACTIONS[str(action)],
                   organisation_ids=_ids(referral.referring_organisation_id, referral.provider_organisation_id),
                   referral_id=referral.id, offer_id=referral.offer_id)

    @property
    def subject_id(self) -> uuid.UUID:
        return self.referral_id

    def data(self, organisation_id: uuid.UUID) -> dict[str, str]:
        return {"referral_id": str(self.referral_id), "offer_id": str(self.offer_id)}


@dataclass(frozen=True)
class ContactAlert(DomainEvent):
    """contact.due (the agreed contact is due) and contact.missed_alert (missed calls in a row reached the
    threshold); told to the provider, ordered with the referral's own events."""

    referral_id: uuid.UUID = field(kw_only=True)
    subject_kind: ClassVar[str] = "referral"

    @property
    def subject_id(self) -> uuid.UUID:
        return self.referral_id

    def data(self, organisation_id: uuid.UUID) -> dict[str, str]:
        return {"referral_id": str(self.referral_id)}


@dataclass(frozen=True)
class MissedContacts(DomainEvent):
    """contact.missed_alert: unanswered calls in a row reached the threshold (a person who stops answering may
    be the person most alone). Told to the referring organisation — naming the caseworker who referred, to be
    alerted — and to the provider."""

    referral_id: uuid.UUID = field(kw_only=True)
    referring_organisation_id: uuid.UUID = field(kw_only=True)
    caseworker_id: uuid.UUID = field(kw_only=True)
    missed_in_a_row: int = field(kw_only=True)
    subject_kind: ClassVar[str] = "referral"

    @classmethod
    def of(cls, referral: Any, missed_in_a_row: int) -> "MissedContacts":
        return cls(type=EventType.contact_missed_alert,
                   organisation_ids=_ids(referral.referring_organisation_id, referral.provider_organisation_id),
                   referral_id=referral.id, referring_organisation_id=referral.referring_organisation_id,
                   caseworker_id=referral.created_by, missed_in_a_row=missed_in_a_row)

    @property
    def subject_id(self) -> uuid.UUID:
        return self.referral_id

    def data(self, organisation_id: uuid.UUID) -> dict[str, str]:
        out = {"referral_id": str(self.referral_id)}  # ids only: the count is read from the contact summary
        if organisation_id == self.referring_organisation_id:
            out["caseworker_id"] = str(self.caseworker_id)
        return out


@dataclass(frozen=True)
class ConsentEnded(DomainEvent):
    """Told to the organisation holding the person (with the person id) and to every organisation the
    consent named or that has a referral of the person (consent id only: they re-read what they may see)."""

    consent_id: uuid.UUID = field(kw_only=True)
    person_id: uuid.UUID = field(kw_only=True)
    holder_id: uuid.UUID = field(kw_only=True)
    subject_kind: ClassVar[str] = "consent"

    @property
    def subject_id(self) -> uuid.UUID:
        return self.consent_id

    def data(self, organisation_id: uuid.UUID) -> dict[str, str]:
        if organisation_id == self.holder_id:
            return {"consent_id": str(self.consent_id), "person_id": str(self.person_id)}
        return {"consent_id": str(self.consent_id)}


@dataclass(frozen=True)
class OfferChanged(DomainEvent):
    offer_id: uuid.UUID = field(kw_only=True)
    subject_kind: ClassVar[str] = "offer"

    @property
    def subject_id(self) -> uuid.UUID:
        return self.offer_id

    def data(self, organisation_id: uuid.UUID) -> dict[str, str]:
        return {"offer_id": str(self.offer_id)}


@dataclass(frozen=True)
class ActionPlanMeasureChanged(DomainEvent):
    measure_id: uuid.UUID = field(kw_only=True)
    subject_kind: ClassVar[str] = "action_plan_measure"

    @property
    def subject_id(self) -> uuid.UUID:
        return self.measure_id

    def data(self, organisation_id: uuid.UUID) -> dict[str, str]:
        return {"measure_id": str(self.measure_id)}


@dataclass(frozen=True)
class EndpointDisabled(DomainEvent):
    """A webhook endpoint failed for a day and was disabled: the organisation's admins read it in the event
    feed (`GET /api/v1/webhooks/events`), and the organisation's other endpoints receive it."""

    endpoint_id: uuid.UUID = field(kw_only=True)
    subject_kind: ClassVar[str] = "webhook_endpoint"

    @property
    def subject_id(self) -> uuid.UUID:
        return self.endpoint_id

    def data(self, organisation_id: uuid.UUID) -> dict[str, str]:
        return {"endpoint_id": str(self.endpoint_id)}
