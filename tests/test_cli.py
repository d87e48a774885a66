"""The CLI against a throwaway SQLite file (the commands open their own sessions)."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # each test starts `tvaers` processes


def _run(args, db_url, stdin=None):
    env = {"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin", "TVAERS_ARGON2_TIME_COST": "1",
           "TVAERS_ARGON2_MEMORY_KIB": "64"}
    return subprocess.run([sys.executable, "-m", "service.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=120)


def test_upgrade_seed_demo_and_create_admin(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert _run(["db", "upgrade"], url).returncode == 0
    first = _run(["seed-demo"], url)
    assert first.returncode == 0 and "demo data created" in first.stdout
    assert "demo-analyst" in first.stdout and "tvaers-demo-2026" in first.stdout
    again = _run(["seed-demo"], url)
    assert "already present" in again.stdout
    made = _run(["create-admin", "--username", "ops", "--password-stdin"], url, stdin="a long admin password\n")
    assert made.returncode == 0, made.stderr
    short = _run(["create-admin", "--username", "ops2", "--password-stdin"], url, stdin="short\n")
    assert short.returncode == 1


def test_demo_data_spans_kinds_and_municipalities(tmp_path):
    import sqlite3

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    _run(["db", "upgrade"], url)
    _run(["seed-demo"], url)
    conn = sqlite3.connect(tmp_path / "demo.db")
    kinds, munis = conn.execute("select count(distinct kind), count(distinct municipality_code) "
                                "from organisation").fetchone()
    roles = {r for (r,) in conn.execute("select role from app_user")}
    assert kinds >= 5 and munis >= 3
    assert roles == {"system_admin", "org_admin", "caseworker", "coordinator", "analyst"}


def test_production_refuses_demo(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    env_args = ["seed-demo"]
    proc = subprocess.run([sys.executable, "-m", "service.cli", *env_args], capture_output=True, text=True,
                          env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "TVAERS_ENV": "production",
                               "TVAERS_SECRET_KEY": "s" * 40,
                               "TVAERS_CPR_ENCRYPTION_KEY": "e" * 40, "TVAERS_CPR_HASH_KEY": "h" * 40,
                               "TVAERS_AUDIT_CHECKPOINT_KEY": "a" * 40},
                          timeout=60)
    assert proc.returncode == 2 and "production" in proc.stderr
