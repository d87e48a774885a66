"""The `tvaers` command line.

Every failure is one line on stderr with an exit code from `service.cli_support.ExitCode` (the README
lists them); sub-apps added here get that, progress and the database checks from `service.cli_support`.
"""

import json
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated

import typer

from service.audit.cli import audit_app
from service.cli_support import ExitCode, fail, progress, require_database, run
from service.core.settings import get_settings
from service.persons.cli import consents_app
from service.persons.keys_cli import keys_app
from service.referrals.cli import referrals_app
from service.reports.cli import reports_app
from service.retention.cli import retention_app

app = typer.Typer(help="Tværs — case coordination against loneliness.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(consents_app, name="consents")
app.add_typer(referrals_app, name="referrals")
app.add_typer(reports_app, name="reports")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(retention_app, name="retention")


def package_version() -> str:
    try:
        return version("tvaers")
    except PackageNotFoundError:  # a checkout that was never installed
        return "unknown"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"tvaers {package_version()}")
        raise typer.Exit()


@app.callback()
def _root(show_version: Annotated[bool, typer.Option(
        "--version", callback=_show_version, is_eager=True, help="Print the version and exit.")] = False) -> None:
    """Tværs — case coordination against loneliness."""
    from service.wiring import wire

    wire()


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Option(
        help="Migrate up to this revision id (default: the newest, `head`).")] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    from service.core.db import get_engine
    from service.migrations import pending_count, upgrade

    require_database(migrated=False)
    with get_engine().connect() as conn:
        total = pending_count(conn, revision)
    with progress("db upgrade", total) as bar:
        upgrade(revision=revision, on_step=lambda rev: bar.advance(item=rev))
    typer.echo(f"database upgraded to {revision}")


@app.command("seed-demo")
def seed_demo() -> None:
    """Create demo organisations, users, offers, persons and referrals (development only)."""
    from service.demo import DEMO_PASSWORD, DEMO_USERS, SEED_STEPS, seed

    if get_settings().is_production:
        fail("refusing to seed demo data in production", ExitCode.USAGE)
    require_database()
    with progress("seed-demo", len(SEED_STEPS)) as bar:
        created = seed(on_step=lambda step: bar.advance(item=step))
    typer.echo("demo data " + ("created" if created else "already present"))
    typer.echo(f"demo users (password: {DEMO_PASSWORD}):")
    for username, role, org in DEMO_USERS:
        typer.echo(f"  {username:<22} {role:<13} {org}")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 inside a container).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, envvar="TVAERS_WORKERS",
                                         help="Worker processes (about one per core; env TVAERS_WORKERS).")] = 1,
    migrate: Annotated[bool, typer.Option(help="Apply pending migrations before starting.")] = False,
    demo: Annotated[bool, typer.Option(help="Seed demo data first (development only).")] = False,
) -> None:
    """Run the API. Refuses to start on a database behind the newest migration (unless --migrate);
    on the embedded SQLite default, migrations are applied automatically."""
    from service.server import check_startup
    from service.server import run as run_server

    settings = get_settings()
    if demo and settings.is_production:
        fail("--demo is not available in production", ExitCode.USAGE)
    if migrate or settings.is_sqlite:
        db_upgrade()
    check_startup()
    if demo:
        seed_demo()
    run_server(host, port, workers)


@app.command("worker")
def worker(once: Annotated[bool, typer.Option(
        "--once", help="Run the due jobs and deliveries once, then exit (for cron or a test).")] = False,
           jobs: Annotated[bool, typer.Option(help="Also run the scheduled jobs (off: deliveries only).")] = True,
           ) -> None:
    """Deliver webhooks and run the scheduled jobs until SIGTERM; several workers may run at once."""
    import signal
    import threading

    from service.worker.loop import run_forever, run_once

    require_database()
    if once:
        typer.echo(f"attempted {run_once(jobs)} delivery(ies)")
        return
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run_forever(stop, jobs)


@app.command("create-admin")
def create_admin(username: Annotated[str, typer.Option(help="Login name of the new system administrator.")],
                 password_stdin: Annotated[bool, typer.Option(
                     "--password-stdin", help="Read the password (12+ characters) from standard input.")] = False,
                 ) -> None:
    """Create a system administrator, reading the password from standard input."""
    from service.demo import create_system_admin

    if not password_stdin:
        fail("pass the password on standard input with --password-stdin", ExitCode.USAGE)
    require_database()
    password = sys.stdin.readline().rstrip("\n")
    try:
        user_id = create_system_admin(username, password)
    except ValueError as exc:
        fail(str(exc))
    typer.echo(f"created system_admin {username} ({user_id})")


@app.command("export-schema")
def export_schema(out_dir: Annotated[Path, typer.Option(
        help="Directory to write schema.graphql and openapi.json into (the repository's schema/).")] = Path("schema"),
                  ) -> None:
    """Rewrite schema/schema.graphql and schema/openapi.json from the running code."""
    if not out_dir.is_dir():
        fail(f"{out_dir} is not a directory; run from the repository root or pass --out-dir")
    graphql_sdl, openapi = published_contracts()
    (out_dir / "schema.graphql").write_text(graphql_sdl)
    (out_dir / "openapi.json").write_text(openapi)
    typer.echo(f"wrote {out_dir / 'schema.graphql'} and {out_dir / 'openapi.json'}")


@app.command("access-table")
def access_table(write_readme: Annotated[Path | None, typer.Option(help="Rewrite this README's section")] = None,
                 ) -> None:
    """Print who may do what (service/access.py) as Markdown, or rewrite the README's generated section."""
    from service.access import readme_with_table, render_markdown

    if write_readme is None:
        typer.echo(render_markdown(), nl=False)
        return
    write_readme.write_text(readme_with_table(write_readme.read_text()))
    typer.echo(f"wrote the access table into {write_readme}")


def published_contracts() -> tuple[str, str]:
    from schema.root import build_schema
    from service.main import create_app

    sdl = build_schema(production=False).as_str() + "\n"
    openapi = json.dumps(create_app().openapi(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return sdl, openapi


def main() -> None:
    """The `tvaers` entry point: the app behind the central error handler."""
    sys.exit(run(app))


if __name__ == "__main__":
    main()
