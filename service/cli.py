"""The `tvaers` command line."""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from service.audit.cli import audit_app
from service.core.settings import get_settings
from service.persons.cli import consents_app
from service.persons.keys_cli import keys_app
from service.referrals.cli import referrals_app
from service.retention.cli import retention_app

app = typer.Typer(help="Tværs — case coordination against loneliness.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(consents_app, name="consents")
app.add_typer(referrals_app, name="referrals")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(retention_app, name="retention")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    from service.migrations import upgrade

    upgrade(revision=revision)
    typer.echo(f"database upgraded to {revision}")


@app.command("seed-demo")
def seed_demo() -> None:
    """Create demo organisations and one user per role (development only)."""
    from service.demo import DEMO_PASSWORD, seed

    if get_settings().is_production:
        typer.echo("refusing to seed demo data in production", err=True)
        raise typer.Exit(2)
    created = seed()
    typer.echo("demo data " + ("created" if created else "already present"))
    typer.echo(f"demo users (password: {DEMO_PASSWORD}):")
    from service.demo import DEMO_USERS

    for username, role, org in DEMO_USERS:
        typer.echo(f"  {username:<22} {role:<13} {org}")


@app.command("serve")
def serve(host: str = "127.0.0.1", port: int = 8000,
          demo: Annotated[bool, typer.Option(help="Seed demo data first (development only)")] = False) -> None:
    """Run the API. On the embedded SQLite default, migrations are applied first."""
    import uvicorn

    settings = get_settings()
    if demo and settings.is_production:
        typer.echo("--demo is not available in production", err=True)
        raise typer.Exit(2)
    if settings.is_sqlite:
        from service.migrations import upgrade

        upgrade()
    if demo:
        seed_demo()
    uvicorn.run("service.main:create_app", factory=True, host=host, port=port, proxy_headers=True)


@app.command("create-admin")
def create_admin(username: Annotated[str, typer.Option()],
                 password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False) -> None:
    """Create a system administrator, reading the password from standard input."""
    from service.demo import create_system_admin

    if not password_stdin:
        typer.echo("pass the password on standard input with --password-stdin", err=True)
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\n")
    try:
        user_id = create_system_admin(username, password)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"created system_admin {username} ({user_id})")


@app.command("export-schema")
def export_schema(out_dir: Path = Path("schema")) -> None:
    """Rewrite schema/schema.graphql and schema/openapi.json from the running code."""
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


if __name__ == "__main__":
    app()
