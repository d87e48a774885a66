"""`tvaers consents …`: consent housekeeping from the command line (cron-friendly, idempotent)."""

import typer

consents_app = typer.Typer(help="Consent housekeeping.", no_args_is_help=True)


@consents_app.command("expire")
def expire() -> None:
    """Record expiry (audit event, hooks, erasure of lapsed registrations) for consents past expires_at."""
    import service.persons.documents  # noqa: F401  (its hook deletes the documents of an erased person)
    from service.core.db import new_session
    from service.persons.consents import expire_consents

    with new_session() as session:
        count = expire_consents(session)
        session.commit()
    typer.echo(f"recorded expiry of {count} consent(s)")
