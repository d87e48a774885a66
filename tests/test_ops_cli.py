"""Operators' failures: configuration, an unmigrated or unreachable database, CLI misuse — one line, an exit code.

Subprocess tests (a real `tvaers` process, as an operator runs it) are `slow`; the command-tree checks run
in-process.
"""

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from service.cli import app
from service.cli_support import EXIT_CODE_MEANINGS, ExitCode, run
from tests.conftest import postgres_only

ROOT = Path(__file__).resolve().parents[1]
GOOD_KEYS = {"TVAERS_SECRET_KEY": "k" * 40, "TVAERS_CPR_ENCRYPTION_KEY": "e" * 40, "TVAERS_CPR_HASH_KEY": "h" * 40}
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=2"


def tvaers(args, db_url, extra_env=None, cwd=None, stdin=None, timeout=120):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": db_url,
           "TVAERS_ARGON2_TIME_COST": "1", "TVAERS_ARGON2_MEMORY_KIB": "64", "PYTHONPATH": str(ROOT),
           **(extra_env or {})}
    return subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, env=env,
                          cwd=cwd or ROOT, input=stdin, timeout=timeout)


def one_line(proc) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    return lines[0]


# --- configuration errors ------------------------------------------------------------------------------

SECRET = "S3cr3t-value-that-must-never-be-printed-0123456789"


CASES = [
    ({"TVAERS_ENV": "production", "TVAERS_SECRET_KEY": SECRET}, "TVAERS_CPR_ENCRYPTION_KEY"),
    ({"TVAERS_ENV": "production", "TVAERS_SECRET_KEY": SECRET[:12]}, "TVAERS_SECRET_KEY"),
    ({**GOOD_KEYS, "TVAERS_ENV": "production", "TVAERS_CPR_HASH_KEY": SECRET, "TVAERS_CPR_ENCRYPTION_KEY": SECRET},
     "TVAERS_CPR_HASH_KEY"),
    ({"TVAERS_TOKEN_TTL_SECONDS": SECRET, "TVAERS_SECRET_KEY": SECRET}, "TVAERS_TOKEN_TTL_SECONDS"),
    ({"TVAERS_ENV": SECRET}, "TVAERS_ENV"),
]


@pytest.mark.parametrize("settings, named", CASES)
def test_a_configuration_error_names_the_setting_and_rule_never_a_value(monkeypatch, capsys, settings, named):
    from service.core import db
    from service.core.settings import get_settings

    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    # A command opens the engine from the settings, as a fresh process would: not the suite's cached engine, whose
    # pooled connections would skip reading the settings and let the command run on.
    monkeypatch.setattr("service.core.db.get_engine", lambda: db.make_engine(get_settings().database_url))
    try:
        for args in (["seed-demo"], ["serve", "--port", "1"], ["db", "upgrade"], ["create-admin", "--username", "x",
                                                                                   "--password-stdin"]):
            assert run(app, args) == ExitCode.CONFIGURATION
            out = capsys.readouterr()
            assert out.err.count("\n") == 1 and out.err.startswith("error: configuration: ") and named in out.err
            for fragment in (SECRET, SECRET[:12], SECRET[-22:]):
                assert fragment not in out.out + out.err
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.mark.slow
def test_a_configuration_error_is_one_line_from_a_real_process(tmp_path):
    proc = tvaers(["seed-demo"], f"sqlite:///{tmp_path / 'c.db'}", CASES[0][0])
    assert proc.returncode == ExitCode.CONFIGURATION and "TVAERS_CPR_ENCRYPTION_KEY" in one_line(proc)
    assert SECRET[-22:] not in proc.stdout + proc.stderr


@pytest.mark.slow
def test_the_app_factory_refuses_a_bad_configuration_in_one_line(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path}/a.db",
           "TVAERS_ENV": "production", "TVAERS_SECRET_KEY": SECRET}
    proc = subprocess.run([sys.executable, "-c", "import uvicorn; uvicorn.run('service.main:server_app', "
                           "factory=True, port=1, log_config=None)"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == ExitCode.CONFIGURATION
    assert "TVAERS_CPR_ENCRYPTION_KEY" in one_line(proc)
    assert SECRET[-22:] not in proc.stderr + proc.stdout


# --- unmigrated and unreachable databases ----------------------------------------------------------------

@pytest.mark.slow
def test_commands_on_an_unmigrated_database_fail_in_one_line_and_serve_refuses(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    seeded = tvaers(["seed-demo"], url)
    assert seeded.returncode == ExitCode.SCHEMA_NOT_CURRENT and "tvaers db upgrade" in one_line(seeded)
    admin = tvaers(["create-admin", "--username", "ops", "--password-stdin"], url, stdin="a long admin password\n")
    assert admin.returncode == ExitCode.SCHEMA_NOT_CURRENT
    # serve migrates the embedded SQLite default itself; any other database must be migrated first
    served = tvaers(["serve", "--port", "1"], UNREACHABLE)
    assert served.returncode == ExitCode.DATABASE_UNREACHABLE and "DATABASE_URL" in one_line(served)


@postgres_only
@pytest.mark.slow
def test_serve_refuses_a_postgres_database_behind_head(engine):
    # The test database is at head; a revision id the code does not know makes it "behind".
    from sqlalchemy import text

    with engine.begin() as conn:
        (current,) = conn.execute(text("SELECT version_num FROM alembic_version")).one()
        conn.execute(text("UPDATE alembic_version SET version_num = '0001_foundation'"))
    try:
        proc = tvaers(["serve", "--port", "1"], os.environ["TVAERS_TEST_DATABASE_URL"])
        assert proc.returncode == ExitCode.SCHEMA_NOT_CURRENT and "not at the newest migration" in one_line(proc)
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})


@pytest.mark.slow
def test_cli_failures_are_one_line_with_documented_codes(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    outside = tvaers(["export-schema"], url, cwd=tmp_path)
    assert outside.returncode == ExitCode.FAILED and "--out-dir" in one_line(outside)
    nope = tvaers(["db", "upgrade", "--revision", "nope"], url)
    assert nope.returncode == ExitCode.FAILED and "revision" in one_line(nope)
    unreachable = tvaers(["db", "upgrade"], UNREACHABLE)
    assert unreachable.returncode == ExitCode.DATABASE_UNREACHABLE
    one_line(unreachable)
    assert "127.0.0.1:1" not in unreachable.stderr  # the URL (it may hold a password) is not echoed
    bad_option = tvaers(["serve", "--port", "70000"], url)
    assert bad_option.returncode == ExitCode.USAGE and "--port" in one_line(bad_option)
    assert tvaers(["no-such-command"], url).returncode == ExitCode.USAGE
    upgraded = tvaers(["db", "upgrade"], url)
    assert upgraded.returncode == 0 and "db upgrade: 1/" in upgraded.stderr and "db upgrade: done" in upgraded.stderr
    seeded = tvaers(["seed-demo"], url)
    assert seeded.returncode == 0 and "seed-demo: 4/4 referrals" in seeded.stderr
    version = tvaers(["--version"], url)
    assert version.returncode == 0 and version.stdout.startswith("tvaers ")


# --- in-process: the command tree -----------------------------------------------------------------------

def _commands():
    import typer.main

    def walk(command, path):
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    yield from walk(typer.main.get_command(app), ["tvaers"])


def test_every_command_and_option_has_help_text():
    missing = []
    for path, command in _commands():
        if not (command.help or "").strip():
            missing.append(" ".join(path))
        for param in command.params:
            if param.name not in ("help",) and not (getattr(param, "help", None) or "").strip():
                missing.append(f"{' '.join(path)} {param.opts[0] if param.opts else param.name}")
    assert missing == [], f"add help= to: {missing}"


def test_the_central_handler_turns_any_exception_into_one_line(monkeypatch):
    import service.cli as cli

    def boom() -> None:
        raise RuntimeError("duplicate key (cpr_hash)=(0101901234) for Karen Eksempel")

    monkeypatch.setattr(cli, "package_version", boom)
    err = io.StringIO()
    code = run(app, ["--version"], stderr=err)
    assert code == ExitCode.INTERNAL and err.getvalue().count("\n") == 1
    assert "RuntimeError" in err.getvalue() and "service/cli.py" in err.getvalue()
    assert "Karen" not in err.getvalue() and "0101901234" not in err.getvalue()


def test_every_exit_code_is_documented():
    assert set(EXIT_CODE_MEANINGS) == set(ExitCode)


# --- graceful shutdown ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_serve_starts_answers_and_shuts_down_gracefully_on_sigterm(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path}/s.db",
           "TVAERS_ARGON2_TIME_COST": "1", "TVAERS_ARGON2_MEMORY_KIB": "64"}
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
                time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    # uvicorn finishes running requests, runs the shutdown, then exits by the signal it received
    assert proc.returncode in (0, -signal.SIGTERM, 128 + signal.SIGTERM)
    assert '"shutdown complete"' in stderr and '"route": "/readyz"' in stderr
