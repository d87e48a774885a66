"""`tvaers referrals …`: referral housekeeping from the command line (cron-friendly, idempotent)."""

import typer

referrals_app = typer.Typer(help="Referral housekeeping.", no_args_is_help=True)


@referrals_app.command("expire")
def expire() -> None:
    """Expire referrals still `sent` after TVAERS_REFERRAL_SLA_DAYS (default 14) with reason sla_expired."""
    from service.core.db import new_session
    from service.core.settings import get_settings
    from service.referrals.transitions import expire_overdue

    with new_session() as session:
        count = expire_overdue(session)
        session.commit()
    typer.echo(f"expired {count} referral(s) older than {get_settings().referral_sla_days} days")
