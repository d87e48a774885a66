"""The referral event feed: transitions the organisation may see, after a cursor."""

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.errors import BadRequest, Forbidden
from service.core.pagination import MAX_LIMIT
from service.core.principal import Principal
from service.referrals import policy
from service.referrals.dto import EventPage, EventRead
from service.referrals.guards import PURPOSE, denied, field_error
from service.referrals.models import ReferralTransition


def _parse_after(after: str | None) -> int:
    if after is None or after == "":
        return 0
    if not after.isdigit() or len(after) > 18:
        raise BadRequest("after must be a cursor returned as next_cursor",
                         errors=field_error("after", "not a cursor", "invalid_cursor"))
    return int(after)


def events(session: Session, principal: Principal, after: str | None, limit: int = 100) -> EventPage:
    """Transitions the organisation may see (sent or received referrals), ascending, after the cursor."""
    if not (policy.can_read_as_referrer(principal) or policy.can_read_as_provider(principal)):
        denied(session, principal, "referral.events", "role_not_allowed")
        raise Forbidden("Your role does not allow reading referral events.")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    start = _parse_after(after)
    rows = list(session.scalars(select(ReferralTransition)
                                .where(col(ReferralTransition.id) > start, policy.events_visible(principal))
                                .order_by(col(ReferralTransition.id)).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    items = [EventRead(id=e.id, cursor=str(e.id), referral_id=e.referral_id, action=e.action,
                       from_status=e.from_status, to_status=e.to_status, reason_code=e.reason_code,
                       referring_organisation_id=e.referring_organisation_id,
                       provider_organisation_id=e.provider_organisation_id,
                       actor_organisation_id=e.actor_organisation_id, occurred_at=e.occurred_at)
             for e in rows if e.id is not None]
    record(session, principal, "referral.events", purpose=PURPOSE, subject_type="referral",
           criterion={"after": start, "count": len(items)})
    next_cursor = items[-1].cursor if items else (str(start) if start else None)
    return EventPage(items=items, next_cursor=next_cursor, has_more=has_more)
