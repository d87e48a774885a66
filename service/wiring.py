"""Who reacts to what, in one explicit place: `wire()` is called by the app factory and the CLI bootstrap
(never at import time), so reading this file tells every cross-domain reaction the code makes:

- a consent ends (withdrawn, expired, or with the registration): referrals withdraws the open referrals it no
  longer covers, the signed consent forms of an erased person are deleted, and the affected organisations get a
  `consent.withdrawn` / `consent.expired` event — in that order, in the transaction that ends the consent;
- a confidential offer location: besides the provider, the referring organisation of an accepted or started
  referral may see it;
- every outbox row fans out to the subscribed webhook endpoints;
- the outbox backlog gauge is published.
"""

import threading

_lock = threading.Lock()
_wired = False


def wire() -> None:
    """Subscribe the handlers and publish the gauges; idempotent."""
    global _wired
    with _lock:
        if _wired:
            return
        import service.models  # noqa: F401  (every table known before the first flush)
        from service.events import subscribe
        from service.events.consents import consent_ended
        from service.observability import register_gauge
        from service.offers.policy import register_location_grant
        from service.persons import documents
        from service.persons.consents import register_consent_hook
        from service.referrals import policy as referral_policy
        from service.referrals import transitions
        from service.webhooks.delivery import fan_out

        subscribe(fan_out)  # outbox rows → one delivery per subscribed endpoint, same transaction
        register_consent_hook(transitions.on_consent_ended)  # withdraw the referrals it no longer covers, first
        register_consent_hook(documents.on_consent_ended)  # an erased person's signed forms go with the person
        register_consent_hook(consent_ended)  # consent.withdrawn / consent.expired to the affected organisations
        register_location_grant(referral_policy.accepted_referral_grant)
        register_gauge("tvaers_outbox_backlog", "Webhook deliveries not yet succeeded or dead-lettered",
                       _outbox_backlog)
        _wired = True


def _outbox_backlog() -> float:
    from sqlalchemy.orm import Session

    from service.core.db import get_engine, read_only
    from service.webhooks.delivery import backlog

    # A read-only connection: on SQLite a scrape must not queue behind (or block) the writer.
    with get_engine().connect() as conn, Session(bind=read_only(conn)) as session:
        return float(backlog(session))
