"""Who reacts to what, in one explicit place: `wire()` is called by the app factory and the CLI bootstrap
(never at import time), so reading this file tells every subscription the new code makes."""

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
        import service.persons.documents  # noqa: F401  (its consent hook deletes an erased person's documents)
        import service.referrals.transitions  # noqa: F401  (its consent hook withdraws uncovered referrals first)
        from service.events import subscribe
        from service.events.consents import consent_ended
        from service.observability import register_gauge
        from service.persons.consents import register_consent_hook
        from service.webhooks.delivery import fan_out

        subscribe(fan_out)  # outbox rows → one delivery per subscribed endpoint, same transaction
        register_consent_hook(consent_ended)  # consent.withdrawn / consent.expired to the affected organisations
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
