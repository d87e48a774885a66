"""The container files (Docker cannot run here): parsed and checked, and the .env script run for real."""

import re
import subprocess
from pathlib import Path

import yaml

from service.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)


def test_compose_keeps_keys_in_env_file_and_every_variable_has_a_guard_or_default():
    services = COMPOSE["services"]
    for name in ("migrate", "api"):
        assert services[name]["env_file"] == ".env", name
        env = services[name]["environment"]
        assert env["TVAERS_ENV"] == "production" and env["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert not any(k.startswith(("TVAERS_SECRET", "TVAERS_CPR")) for k in env), "keys belong in .env"
    # `${X}` without a default or a message would make `docker compose down`/`logs` depend on the shell
    for expression in re.findall(r"\$\{([^}]*)\}", COMPOSE_TEXT):
        assert ":?" in expression or ":-" in expression, expression


def test_compose_serves_with_workers_documents_the_first_administrator_and_stops_gracefully():
    api = COMPOSE["services"]["api"]
    assert api["command"][:2] == ["tvaers", "serve"] and "TVAERS_WORKERS" in api["environment"]
    assert api["stop_grace_period"] and "readyz" in " ".join(api["healthcheck"]["test"])
    assert "docker compose run --rm -T api tvaers create-admin --username" in COMPOSE_TEXT
    assert "./scripts/init-env" in COMPOSE_TEXT
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["tvaers", "serve"' in dockerfile and "TVAERS_WORKERS" in dockerfile


def test_init_env_writes_strong_distinct_keys_once(tmp_path, monkeypatch):
    target = tmp_path / ".env"
    made = subprocess.run([str(ROOT / "scripts" / "init-env"), str(target)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    values = dict(line.split("=", 1) for line in target.read_text().splitlines() if line and not line.startswith("#"))
    assert set(values) == {"TVAERS_SECRET_KEY", "TVAERS_CPR_ENCRYPTION_KEY", "TVAERS_CPR_HASH_KEY",
                           "TVAERS_AUDIT_CHECKPOINT_KEY", "POSTGRES_PASSWORD"}
    assert len(set(values.values())) == 5 and all(re.fullmatch(r"[0-9a-f]{64}", v) for v in values.values())
    # Every variable compose interpolates from .env is there
    for name in re.findall(r"\$\{(\w+):\?", COMPOSE_TEXT):
        assert name in values, name
    # …and the keys pass the production rules
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    assert Settings(env="production").is_production
    before = target.read_text()
    again = subprocess.run([str(ROOT / "scripts" / "init-env"), str(target)], capture_output=True, text=True)
    assert again.returncode == 1 and "exists" in again.stderr and target.read_text() == before
