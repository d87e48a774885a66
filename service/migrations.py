"""Locating and running the Alembic migrations, from a checkout or an installed wheel."""

import importlib.util
from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from alembic import command
from service.core.settings import get_settings


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


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


@lru_cache
def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())
