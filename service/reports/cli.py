"""`tvaers reports …`: keep the national report tables warm from the command line (cron-friendly)."""

from datetime import date
from typing import Annotated

import typer

reports_app = typer.Typer(help="Report housekeeping.", no_args_is_help=True)


@reports_app.command("refresh")
def refresh(
    period_from: Annotated[str, typer.Option(help="First day of the period (YYYY-MM-DD).")],
    period_to: Annotated[str, typer.Option(help="Last day of the period (YYYY-MM-DD).")],
    max_dimensions: Annotated[int, typer.Option(min=0, max=3, help="Largest number of group_by dimensions.")] = 3,
) -> None:
    """Recompute the facts of every accepted national grouping for the period, then prune expired rows. Run it
    more often than TVAERS_REPORT_SUMMARY_MAX_AGE_SECONDS."""
    from service.core.db import new_session
    from service.reports.dimensions import MAX_GROUP_BY
    from service.reports.refresh import groupings
    from service.reports.refresh import refresh as run_refresh

    try:
        start, end = date.fromisoformat(period_from), date.fromisoformat(period_to)
    except ValueError:
        raise typer.BadParameter("give dates as YYYY-MM-DD") from None
    group_bys = groupings(min(max_dimensions, MAX_GROUP_BY))
    with new_session() as session:
        pruned = run_refresh(session, start, end, group_bys)
        session.commit()
    typer.echo(f"refreshed {len(group_bys)} national groupings; pruned {pruned} expired rows")
