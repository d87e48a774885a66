"""Read models of the referral domain and the policy-scoped batch readers GraphQL loads through; each builds
a page in a constant number of statements. The builders taking `Referral` rows are the services' own (the
verbs in `service` and `transitions` return what they build); a door calls the verbs and the batch readers."""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.principal import Principal
from service.referrals import policy
from service.referrals.dto import ReferralDetail, ReferralRead, SharedPerson, TransitionRead
from service.referrals.models import Referral, ReferralTransition
from service.referrals.summary import shared_persons, summary_from_row
from service.referrals.workflow import allowed_actions


def _transition_read(t: ReferralTransition) -> TransitionRead:
    assert t.id is not None  # flushed
    return TransitionRead(id=t.id, action=t.action, from_status=t.from_status, to_status=t.to_status,
                          reason_code=t.reason_code, note=t.note, actor_id=t.actor_id,
                          actor_organisation_id=t.actor_organisation_id, occurred_at=t.occurred_at)


def _fields(principal: Principal, r: Any) -> dict[str, Any]:
    return {
        "id": r.id, "person_id": r.person_id, "offer_id": r.offer_id,
        "referring_organisation_id": r.referring_organisation_id,
        "provider_organisation_id": r.provider_organisation_id, "created_by": r.created_by, "message": r.message,
        "shared_categories": list(r.shared_categories or []), "status": r.status, "reason_code": r.reason_code,
        "outcome": r.outcome, "holds_seat": r.holds_seat, "sent_at": r.sent_at, "accepted_at": r.accepted_at,
        "started_at": r.started_at, "closed_at": r.closed_at, "updated_at": r.updated_at, "version": r.version,
        "direction": policy.direction(principal, r),
        "allowed_actions": allowed_actions(r.status, policy.sides(principal, r)),
    }


def from_rows(principal: Principal, rows: list[Any]) -> list[ReferralRead]:
    """List read models of plain rows from `summary.summary_join` (no further statement)."""
    return [ReferralRead(**_fields(principal, r), person=summary_from_row(principal, r)) for r in rows]


def brief(principal: Principal, referral: Any) -> ReferralRead:
    """The read model of an already readable referral *without* the person, for a door that loads `person`
    through the batch reader `shared_persons_of` only when asked (GraphQL), or needs none (FHIR): no statement."""
    return ReferralRead(**_fields(principal, referral), person=None)


def shared_persons_of(session: Session, principal: Principal,
                      referral_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, SharedPerson | None]:
    """The batch reader for GraphQL's `Referral.person`: the consent-gated summaries of the referrals among
    `referral_ids` the caller may read (`policy.readable`); constant statements per batch."""
    ids = set(referral_ids)
    rows = list(session.scalars(select(Referral).where(col(Referral.id).in_(ids), policy.readable(principal)))) \
        if ids else []
    return shared_persons(session, principal, rows)


def histories(session: Session, principal: Principal,
              referral_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[TransitionRead]]:
    """The batch reader for GraphQL's `Referral.history`: every transition of the readable referrals among
    `referral_ids`, oldest first, in one statement."""
    ids = set(referral_ids)
    out: dict[uuid.UUID, list[TransitionRead]] = {}
    if ids:
        for t in session.scalars(select(ReferralTransition).join(Referral, col(Referral.id) == col(
                ReferralTransition.referral_id)).where(col(Referral.id).in_(ids), policy.readable(principal))
                .order_by(col(ReferralTransition.id))):
            out.setdefault(t.referral_id, []).append(_transition_read(t))
    return out


def detail(session: Session, principal: Principal, r: Referral) -> ReferralDetail:
    history = session.scalars(select(ReferralTransition).where(col(ReferralTransition.referral_id) == r.id)
                              .order_by(col(ReferralTransition.id)))
    return ReferralDetail(**_fields(principal, r), person=shared_persons(session, principal, [r])[r.id],
                          history=[_transition_read(t) for t in history])
