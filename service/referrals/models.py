"""Referrals, their transition history (which doubles as the partner event log), contact agreements and the
contact log of the phone-friend practice."""

import uuid
from datetime import datetime, time
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, Index, Integer
from sqlmodel import Field, SQLModel

from service.core.types import UTCDateTime, new_record_key, utcnow


class ReferralStatus(StrEnum):
    sent = "sent"
    accepted = "accepted"
    declined = "declined"
    started = "started"
    completed = "completed"
    ended_early = "ended_early"
    withdrawn = "withdrawn"
    expired = "expired"


class ReasonCode(StrEnum):
    no_capacity = "no_capacity"
    not_eligible = "not_eligible"
    not_reachable = "not_reachable"
    person_declined = "person_declined"
    accessibility_barrier = "accessibility_barrier"
    transport_barrier = "transport_barrier"
    language_barrier = "language_barrier"
    digital_barrier = "digital_barrier"
    consent_withdrawn = "consent_withdrawn"
    sla_expired = "sla_expired"
    other = "other"


class Outcome(StrEnum):
    attended_regularly = "attended_regularly"
    attended_some = "attended_some"
    did_not_attend = "did_not_attend"


class Referral(SQLModel, table=True):
    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_provider_status", "provider_organisation_id", "status"),
        Index("ix_referral_referrer_status", "referring_organisation_id", "status"),
        # the sent list and the provider inbox: keyset per organisation (migration 0015)
        Index("ix_referral_referrer_sent_id", "referring_organisation_id", "sent_at", "id"),
        Index("ix_referral_provider_sent_id", "provider_organisation_id", "sent_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    offer_id: uuid.UUID = Field(foreign_key="offer.id", index=True)
    referring_organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    provider_organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    created_by: uuid.UUID
    message: str | None = Field(default=None, max_length=2000)
    # Data categories the referrer chose to share; at read time intersected with the live consent.
    shared_categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # who at the referring organisation the provider calls back (a staff member, not the referred person)
    referrer_contact_name: str | None = Field(default=None, max_length=200)
    referrer_contact_phone: str | None = Field(default=None, max_length=30)
    referrer_contact_email: str | None = Field(default=None, max_length=254)
    status: str = Field(max_length=20, index=True)
    reason_code: str | None = Field(default=None, max_length=40)
    outcome: str | None = Field(default=None, max_length=30)
    # True while this referral holds one of the offer's places (accepted or started).
    holds_seat: bool = False
    sent_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    accepted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    version: int = 1
    # the Cell Key Method's record key (reports' disclosure control)
    record_key: int = Field(default_factory=new_record_key, sa_column_kwargs={"server_default": "0"})


class ReferralTransition(SQLModel, table=True):
    """One row per state change. Its increasing id is the cursor of `GET /api/v1/events`."""

    __tablename__ = "referral_transition"
    # the event feed: per organisation and side, in id order (migration 0015)
    __table_args__ = (Index("ix_referral_transition_referrer_id", "referring_organisation_id", "id"),
                      Index("ix_referral_transition_provider_id", "provider_organisation_id", "id"))

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    referral_id: uuid.UUID = Field(foreign_key="referral.id", index=True)
    action: str = Field(max_length=20)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    reason_code: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=2000)
    actor_id: uuid.UUID | None = None
    actor_organisation_id: uuid.UUID | None = None
    # Denormalised so the event feed is one indexed query per organisation.
    referring_organisation_id: uuid.UUID
    provider_organisation_id: uuid.UUID
    occurred_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ContactChannel(StrEnum):
    phone = "phone"
    visit = "visit"
    video = "video"
    meeting = "meeting"


class Cadence(StrEnum):
    weekly = "weekly"
    every_other_week = "every_other_week"
    monthly = "monthly"
    by_agreement = "by_agreement"


class PsychosocialElement(StrEnum):
    """The five elements of psychosocial support (Red Cross guide)."""

    tryghed = "tryghed"
    ro = "ro"
    handlekraft = "handlekraft"
    faellesskab = "faellesskab"
    haab = "haab"


# One spelling of the codes in every door (ASCII); the old REST spelling is still accepted on input.
ELEMENT_ALIASES = {"fællesskab": PsychosocialElement.faellesskab, "håb": PsychosocialElement.haab}
ELEMENT_LABELS: dict[PsychosocialElement, tuple[str, str]] = {
    PsychosocialElement.tryghed: ("Tryghed", "Safety"), PsychosocialElement.ro: ("Ro", "Calm"),
    PsychosocialElement.handlekraft: ("Handlekraft", "Agency"),
    PsychosocialElement.faellesskab: ("Fællesskab", "Community"), PsychosocialElement.haab: ("Håb", "Hope"),
}


class ContactOutcome(StrEnum):
    """A call that took place, or an attempt (no call, or not the agreed one) that keeps topics and agenda."""

    held = "held"
    no_answer = "no_answer"
    rescheduled = "rescheduled"
    ended_early = "ended_early"


ATTEMPTS = frozenset({ContactOutcome.no_answer, ContactOutcome.rescheduled, ContactOutcome.ended_early})


class TopicState(StrEnum):
    open = "open"
    taken_up = "taken_up"
    resolved = "resolved"


class AgreementEnding(StrEnum):
    """How a contact agreement ended (the guide's "round off and point forward")."""

    planned_ending = "planned_ending"
    moved_to_other_offer = "moved_to_other_offer"
    person_declined = "person_declined"
    person_deceased = "person_deceased"
    person_moved = "person_moved"


class ContactAgreement(SQLModel, table=True):
    __tablename__ = "contact_agreement"
    # the due list: the provider's agreements, soonest first (migration 0015)
    __table_args__ = (Index("ix_contact_agreement_provider_next_id", "provider_organisation_id", "next_contact_at",
                            "id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    referral_id: uuid.UUID = Field(foreign_key="referral.id", unique=True)
    provider_organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    channel: str = Field(max_length=20)
    cadence: str = Field(max_length=20)
    weekday: int | None = Field(default=None, ge=0, le=6)  # 0 = Monday
    time_of_day: time | None = None
    note: str | None = Field(default=None, max_length=1000)
    next_contact_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True,
                                                                              index=True))
    # who calls: a named volunteer of the provider and a stand-in (users of the provider organisation)
    volunteer_user_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", index=True)
    standin_user_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", index=True)
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    ending: str | None = Field(default=None, max_length=30)
    ending_next_step: str | None = Field(default=None, max_length=1000)
    ending_offer_id: uuid.UUID | None = Field(default=None, foreign_key="offer.id")
    updated_by: uuid.UUID
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ContactLogEntry(SQLModel, table=True):
    __tablename__ = "contact_log_entry"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    referral_id: uuid.UUID = Field(foreign_key="referral.id", index=True)
    contacted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    duration_minutes: int = Field(ge=0, le=600)
    channel: str = Field(max_length=20)
    outcome: str = Field(default=ContactOutcome.held, max_length=20, sa_column_kwargs={"server_default": "held"})
    elements: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    parked_topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    next_contact_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    next_contact_agenda: str | None = Field(default=None, max_length=1000)
    note: str | None = Field(default=None, max_length=2000)
    recorded_by: uuid.UUID
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))



class ContactElement(SQLModel, table=True):
    """One psychosocial element supported in one contact: the five elements over time are a GROUP BY here.
    `local_month` (YYYY-MM, Copenhagen) is fixed when written so the series needs no time-zone SQL."""

    __tablename__ = "contact_element"
    __table_args__ = (Index("ix_contact_element_referral_month", "referral_id", "local_month"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    entry_id: uuid.UUID = Field(foreign_key="contact_log_entry.id", index=True, ondelete="CASCADE")
    referral_id: uuid.UUID = Field(foreign_key="referral.id")
    element: str = Field(max_length=20)
    local_month: str = Field(max_length=7)


class ParkedTopic(SQLModel, table=True):
    """A topic parked at the end of a call; it lives until resolved, and taking it up later is recorded."""

    __tablename__ = "parked_topic"
    __table_args__ = (Index("ix_parked_topic_referral_state", "referral_id", "state"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    referral_id: uuid.UUID = Field(foreign_key="referral.id")
    text: str = Field(max_length=200)
    state: str = Field(default=TopicState.open, max_length=20)
    # the contact log's retention deletes old entries: their topics go with them, later references are unset
    parked_in_entry_id: uuid.UUID = Field(foreign_key="contact_log_entry.id", index=True, ondelete="CASCADE")
    taken_up_in_entry_id: uuid.UUID | None = Field(default=None, foreign_key="contact_log_entry.id", index=True,
                                                   ondelete="SET NULL")
    resolved_in_entry_id: uuid.UUID | None = Field(default=None, foreign_key="contact_log_entry.id", index=True,
                                                   ondelete="SET NULL")
    parked_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    taken_up_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class FollowUp(SQLModel, table=True):
    """A T-ILS follow-up point scheduled when a referral starts (3, 6, 12 months by default)."""

    __tablename__ = "follow_up"
    __table_args__ = (Index("ix_follow_up_org_due", "referring_organisation_id", "due_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    referral_id: uuid.UUID = Field(foreign_key="referral.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    referring_organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    months: int
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    measurement_id: uuid.UUID | None = Field(default=None, foreign_key="loneliness_measurement.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class GoalCategory(StrEnum):
    social_contact = "social_contact"
    activity = "activity"
    practical = "practical"
    wellbeing = "wellbeing"
    other = "other"


class ReferralGoal(SQLModel, table=True):
    """A goal agreed with the person at referral, and whether it was reached at completion."""

    __tablename__ = "referral_goal"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    referral_id: uuid.UUID = Field(foreign_key="referral.id", index=True)
    text: str | None = Field(default=None, max_length=500)  # scrubbed on erasure and retention
    category: str | None = Field(default=None, max_length=30)
    reached: bool | None = None
    assessed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    assessed_by: uuid.UUID | None = None
    created_by: uuid.UUID
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
