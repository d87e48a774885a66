"""`tvaers retention run [--dry-run]`: apply the retention periods (cron-friendly, idempotent)."""

from typing import Annotated

import typer

retention_app = typer.Typer(help="Retention of personal data, logs and audit events.", no_args_is_help=True)


@retention_app.command("run")
def run(dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what is past its period.")] = False,
        batch_size: Annotated[int, typer.Option(
        min=1, max=10000, help="Rows deleted or pseudonymised per transaction.")] = 500,
        progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True) -> None:
    """Delete or reduce what is past its retention period, in batches; every category is audited."""
    import service.persons.documents  # noqa: F401
    from service.core.db import new_session
    from service.core.progress import progress_bars
    from service.persons.keys_cli import refuse_unreadable_keys
    from service.retention import service as retention

    refuse_unreadable_keys()
    with progress_bars(progress and not dry_run) as bars:
        outcomes = retention.run(new_session, dry_run=dry_run, batch_size=batch_size, progress=bars)
    verb = "would act on" if dry_run else "acted on"
    for o in outcomes:
        typer.echo(f"{o.category:<18} {verb} {o.done if not dry_run else o.due:>7} "
                   f"{o.what} before {o.cutoff.date().isoformat()}")
