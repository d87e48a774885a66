"""Locating and running the Alembic migrations, from a checkout or an installed wheel."""

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from alembic import command
from service.core.settings import get_settings

VERSION_TABLE = "alembic_version"


def script_location() -> Path:
    checkout = Path(__file__).resolve().parents[1] / "alembic"
    if (checkout / "env.py").exists():
        return checkout
    spec = importlib.util.find_spec("tvaers_migrations")
    if spec and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    raise RuntimeError("Alembic migrations not found")


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location()))
    cfg.set_main_option("sqlalchemy.url", (database_url or get_settings().database_url).replace("%", "%%"))
    return cfg


def upgrade(database_url: str | None = None, revision: str = "head",
            on_step: Callable[[str], None] | None = None) -> None:
    """Apply migrations up to `revision`; `on_step(revision_id)` is called after each one (progress)."""
    cfg = alembic_config(database_url)
    if on_step is not None:
        cfg.attributes["on_version_apply"] = lambda *, step, **_: on_step(step.up_revision_id or "base")
    command.upgrade(cfg, revision)


def pending_count(conn: Connection, revision: str = "head") -> int | None:
    """How many migrations `upgrade(revision)` would apply (None when it cannot tell)."""
    script = ScriptDirectory.from_config(alembic_config())
    current = current_revisions(conn)
    try:
        return sum(1 for _ in script.iterate_revisions(revision, tuple(current) or "base"))
    except Exception:  # an unknown revision: the upgrade itself will say so
        return None


@lru_cache
def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(conn: Connection) -> set[str]:
    """The revisions recorded in the database, read with plain SQL.

    Alembic's MigrationContext logs two INFO lines each time it is configured; the readiness probe
    asks every few seconds, so it reads the version table itself.
    """
    if not inspect(conn).has_table(VERSION_TABLE):
        return set()
    return {row[0] for row in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))}


@dataclass(frozen=True)
class SchemaState:
    reachable: bool
    current: frozenset[str] = frozenset()
    heads: frozenset[str] = frozenset()

    @property
    def at_head(self) -> bool:
        return self.reachable and self.current == self.heads


def schema_state(engine: Any) -> SchemaState:
    """Whether the database answers and whether its schema is at the newest migration."""
    from service.core.db import read_only

    try:
        # Read-only: a probe must not queue for SQLite's write lock behind a running writer.
        with read_only(engine.connect()) as conn:
            current = current_revisions(conn)
    except SQLAlchemyError:
        return SchemaState(reachable=False)
    return SchemaState(reachable=True, current=frozenset(current), heads=frozenset(head_revisions()))
