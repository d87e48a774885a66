"""Who reacts to what, in one explicit place: `wire()` is called by the app factory and the CLI bootstrap
(never at import time), so reading this file tells every cross-domain reaction the code makes:

- a consent ends (withdrawn, expired, or with the registration): referrals withdraws the open referrals it no
  longer covers, the signed consent forms of an erased person are deleted, and the affected organisations get a
  `consent.withdrawn` / `consent.expired` event — in that order, in the transaction that ends the consent;
- a transfer of a person is accepted: referrals re-points the person's open referrals to the receiving
  organisation (case ownership moves with the case), in the accepting transaction;
- a confidential offer location: besides the provider, the referring organisation of an accepted or started
  referral may see it;
- an offer changes: the organisations with an open referral to it get the `offer.*` event, besides the
  provider;
- an audit row about a referral is linked to the referral's person (the person's access log finds it);
- the key ring check and rotation (`persons.keys`) cover the webhook signing secrets;
- every outbox row fans out to the subscribed webhook endpoints;
- the outbox backlog gauge is published;
- the web edge (below every router) verifies bearer tokens through `auth` and keeps the audit rows of refused
  attempts across the rollback through `audit` (`service/web/edge_hooks.py`).
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
        import service.vocabularies  # noqa: F401  (every code list's Danish and English labels, for /reference)
        from service.audit.service import register_subject_person, restore_refusals
        from service.auth.tokens import principal_from_token
        from service.events import subscribe
        from service.events.offers import register_offer_audience
        from service.observability import register_gauge
        from service.offers.policy import register_location_grant
        from service.persons import documents
        from service.persons.consents import register_consent_hook
        from service.persons.keys import KeyedStore, register_keyed_store
        from service.persons.transfer import register_transfer_hook
        from service.referrals import audiences, moves, transitions
        from service.referrals import policy as referral_policy
        from service.referrals.followups import on_events as follow_ups_on_events
        from service.web.edge_hooks import EdgeHooks, register_edge_hooks
        from service.webhooks import secrets as webhook_secrets
        from service.webhooks.delivery import fan_out

        subscribe(follow_ups_on_events)  # referral.started schedules the T-ILS follow-ups, same transaction
        subscribe(fan_out)  # outbox rows → one delivery per subscribed endpoint, same transaction
        register_consent_hook(transitions.on_consent_ended)  # withdraw the referrals it no longer covers, first
        register_consent_hook(documents.on_consent_ended)  # an erased person's signed forms go with the person
        register_consent_hook(audiences.consent_ended)  # consent.withdrawn / .expired to the affected organisations
        register_transfer_hook(moves.follow_person)  # open referrals follow the person to the receiver
        register_location_grant(referral_policy.accepted_referral_grant)
        register_offer_audience(audiences.open_referrers)  # an offer's change concerns its open referrers
        register_subject_person("referral", audiences.person_of)  # a referral's audit rows reach its person's log
        register_keyed_store(KeyedStore(  # the key check and `tvaers keys rotate` cover the webhook secrets
            "webhook_secrets", webhook_secrets.used_key_ids, webhook_secrets.check_sample, webhook_secrets.stale,
            webhook_secrets.reencrypt_batch))
        # the web edge verifies tokens and keeps refused attempts' audit rows through auth and audit
        register_edge_hooks(EdgeHooks(verify_token=principal_from_token,
                                      keep_refusals=lambda session, keep: restore_refusals(session, keep=keep)))
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
