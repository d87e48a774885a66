"""The referral state machine: one table, enforced in the domain layer for REST and GraphQL alike."""

from dataclasses import dataclass
from enum import StrEnum

from service.referrals.models import ReasonCode, ReferralStatus

S = ReferralStatus


class Side(StrEnum):
    referrer = "referrer"  # the organisation that sent the referral
    provider = "provider"  # the organisation running the offer
    system = "system"  # scheduled jobs and cascades


class Action(StrEnum):
    accept = "accept"
    decline = "decline"
    start = "start"
    complete = "complete"
    end_early = "end_early"
    withdraw = "withdraw"
    expire = "expire"


@dataclass(frozen=True)
class Transition:
    action: Action
    source: frozenset[ReferralStatus]
    target: ReferralStatus
    side: Side
    takes_seat: bool = False
    releases_seat: bool = False
    reason_required: bool = False


TRANSITIONS: dict[Action, Transition] = {t.action: t for t in (
    Transition(Action.accept, frozenset({S.sent}), S.accepted, Side.provider, takes_seat=True),
    Transition(Action.decline, frozenset({S.sent}), S.declined, Side.provider, reason_required=True),
    Transition(Action.start, frozenset({S.accepted}), S.started, Side.provider),
    Transition(Action.complete, frozenset({S.started}), S.completed, Side.provider, releases_seat=True),
    Transition(Action.end_early, frozenset({S.started}), S.ended_early, Side.provider, releases_seat=True,
               reason_required=True),
    Transition(Action.withdraw, frozenset({S.sent, S.accepted, S.started}), S.withdrawn, Side.referrer,
               releases_seat=True),
    Transition(Action.expire, frozenset({S.sent}), S.expired, Side.system),
)}

OPEN_STATUSES = frozenset({S.sent, S.accepted, S.started})
SEAT_HOLDING_STATUSES = frozenset({S.accepted, S.started})

# Reasons a provider may give when declining or ending early; the system adds its own.
PROVIDER_REASONS = frozenset(ReasonCode) - {ReasonCode.consent_withdrawn, ReasonCode.sla_expired}


def allowed_actions(status: ReferralStatus | str, sides: set[Side]) -> list[str]:
    """The actions the caller may take now, for 409 problems and for clients' buttons."""
    return sorted(t.action.value for t in TRANSITIONS.values() if status in t.source and t.side in sides)
