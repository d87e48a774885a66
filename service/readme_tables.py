"""The README's reference tables, generated from the code so they cannot drift.

`python -m service.readme_tables` rewrites every region between
`<!-- generated: NAME -->` and `<!-- end generated: NAME -->` in README.md; `tests/test_ops_readme.py`
fails when the README differs from what this module renders. Settings are described by `Field(description=…)`
or, for the older ones, by NOTES below.
"""

import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import annotated_types

from service.core import settings as settings_module
from service.core.settings import Settings
from service.core.settings_errors import environment_name

NOTES = {
    "database_url": "SQLAlchemy URL; `postgresql+psycopg://user:pw@host:5432/db` for PostgreSQL",
    "env": "`production` refuses missing, default or short keys, disables demo data, GraphiQL and introspection",
    "secret_key": "JWT signing key; at least 32 random characters in production",
    "jwt_issuer": "issuer of our tokens, checked on every token",
    "jwt_audience": "audience of our tokens, checked on every token",
    "token_ttl_seconds": "access-token lifetime",
    "argon2_time_cost": "argon2 iterations for passwords and client secrets",
    "argon2_memory_kib": "argon2 memory for passwords and client secrets",
    "disclosure_threshold": "smallest count the reports publish; see \"Disclosure control\"",
    "graphql_max_depth": "deepest GraphQL selection accepted",
    "graphql_max_aliases": "most aliases in one GraphQL operation",
    "cpr_encryption_key": "key material for CPR field encryption (AES-256-GCM via HKDF); at least 32 random "
                          "characters in production",
    "cpr_hash_key": "HMAC-SHA256 key for CPR look-up; at least 32 random characters in production, different "
                    "from the encryption key",
    "consent_default_days": "validity of a consent given without `expires_at`",
    "referral_sla_days": "a referral still `sent` after this many days expires (`tvaers referrals expire`)",
    "login_max_failures": "wrong passwords or client secrets (since the last successful login or token, within "
                          "the lockout window) before the account or API client answers `429` with `Retry-After`, "
                          "even to the right credentials",
    "login_lockout_minutes": "how long failures count towards the lock",
    "key_ring": "further keys beside `k1` (= the two `TVAERS_CPR_*` keys), JSON "
                "`{\"k2\": {\"encryption\": \"…\", \"hash\": \"…\"}}`; see \"Keys\"",
    "current_key_id": "the key new CPR numbers, consent documents and webhook secrets are written with",
    "audit_checkpoint_key": "HMAC key signing the audit chain head and exported checkpoints; at least 32 random "
                            "characters in production",
    "retention_closed_person_days": "retention of erased persons' pseudonymous rows; see \"Retention\"",
    "retention_ended_referral_days": "retention of ended referrals; see \"Retention\"",
    "retention_contact_log_days": "retention of contact-log entries; see \"Retention\"",
    "retention_idempotency_hours": "how long a stored response answers an `Idempotency-Key` retry",
    "retention_audit_days": "retention of audit events; see \"Retention\"",
    "consent_document_max_bytes": "largest accepted consent document",
    "lock_timeout_seconds": "how long a request waits in the write queue or for a row lock before it answers "
                            "`503` with `Retry-After`; see \"Concurrent writers\"",
}
PLACEHOLDERS = {value for name, value in vars(settings_module).items() if name.startswith("DEFAULT_")}


def _default(field: Any) -> str:
    value = field.get_default(call_default_factory=True)
    if isinstance(value, str) and value in PLACEHOLDERS:
        return "a development placeholder"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def _rule(field: Any) -> str:
    low = next((m.ge for m in field.metadata if isinstance(m, annotated_types.Ge)), None)
    high = next((m.le for m in field.metadata if isinstance(m, annotated_types.Le)), None)
    if typing.get_origin(field.annotation) is typing.Literal:
        return " (" + " \\| ".join(f"`{v}`" for v in typing.get_args(field.annotation)) + ")"
    if low is not None and high is not None:
        return f" ({low}–{high})"
    if low is not None:
        return f" (at least {low})"
    return ""


def configuration() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        meaning = field.description or NOTES.get(name)
        if not meaning:
            raise LookupError(f"setting {name} has no description: add Field(description=...)")
        rows.append(f"| `{environment_name(Settings, name)}` | {_default(field)} | {meaning}{_rule(field)} |")
    return "\n".join(rows)


def exit_codes() -> str:
    from service.cli_support import EXIT_CODE_MEANINGS

    rows = ["| exit code | meaning |", "|---|---|"]
    rows += [f"| {int(code)} | {meaning} |" for code, meaning in sorted(EXIT_CODE_MEANINGS.items())]
    return "\n".join(rows)


def commands() -> str:
    import typer.main

    from service.cli import app

    rows = ["| command | what it does |", "|---|---|"]

    def walk(command: Any, path: list[str]) -> None:
        subcommands = getattr(command, "commands", {})
        if not subcommands:
            summary = " ".join((command.help or "").split("\n\n")[0].split())
            rows.append(f"| `{' '.join(path)}` | {summary} |")
        for name in sorted(subcommands):
            walk(subcommands[name], [*path, name])

    walk(typer.main.get_command(app), ["tvaers"])
    return "\n".join(rows)


def demo_users() -> str:
    from service.demo import DEMO_USERS

    rows = ["| username | role | organisation |", "|---|---|---|"]
    rows += [f"| {username} | {role} | {org} |" for username, role, org in DEMO_USERS]
    return "\n".join(rows)


def csv_columns() -> str:
    from service.offers import importer, spreadsheet

    conditional = {"municipality_codes": "unless `nationwide` is true",
                   "cost_text": "when `cost_free` is false"}
    danish: dict[str, list[str]] = {}
    for alias, column in spreadsheet.DANISH_HEADERS.items():
        danish.setdefault(column, []).append(alias)
    rows = ["| column | Danish header | required | cell |", "|---|---|---|---|"]
    for column in spreadsheet.COLUMNS:
        required = "yes" if column in spreadsheet.REQUIRED_COLUMNS else conditional.get(column, "")
        kind = ("values separated by `;`, `,` or `|`" if column in importer.LIST_COLUMNS else
                "`ja/nej`, `sand/falsk`, `true/false`, `yes/no`, `1/0`" if column in importer.BOOL_COLUMNS else
                "code, or its Danish or English label" if column in importer.CODED else "text")
        aliases = ", ".join(f"`{a}`" for a in danish.get(column, [])[:2])
        rows.append(f"| `{column}` | {aliases} | {required} | {kind} |")
    return "\n".join(rows)


TABLES: dict[str, Callable[[], str]] = {
    "configuration": configuration, "exit-codes": exit_codes, "commands": commands, "demo-users": demo_users,
    "csv-columns": csv_columns,
}


def render(readme: str) -> str:
    """`readme` with every generated region replaced by the current table."""
    for name, make in TABLES.items():
        start, end = f"<!-- generated: {name} -->", f"<!-- end generated: {name} -->"
        if start not in readme or end not in readme:
            raise LookupError(f"README has no region {start} … {end}")
        head, rest = readme.split(start, 1)
        _, tail = rest.split(end, 1)
        readme = f"{head}{start}\n{make()}\n{end}{tail}"
    return readme


def main(path: str = "README.md") -> None:
    readme = Path(path)
    readme.write_text(render(readme.read_text()))
    print(f"rewrote the generated tables in {readme}")


if __name__ == "__main__":
    main(*sys.argv[1:])
