"""Run a command against a throwaway PostgreSQL database, finding or starting a server first.

    python .ci/postgres.py -- python -m pytest -q

The command gets `TVAERS_TEST_DATABASE_URL` for a fresh database that is dropped afterwards. The server:
1. `CI_POSTGRES_URL` (an administrative URL, e.g. postgresql://postgres@db:5432/postgres) if set, else
   `PGHOST`/`PGPORT`/`PGUSER` (default postgres@127.0.0.1:5432) — whatever answers there;
2. else, for the default local address on a Debian machine, the local cluster (`pg_ctlcluster … start`);
3. else a private server from PyPI (`pgserver`, PostgreSQL binaries in a wheel) in a temporary directory,
   listening on a Unix socket only, stopped and deleted when the command ends.
Each step gives up within seconds; if none works it says why and exits 2 before any test ran.
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

PGSERVER = "pgserver==0.1.4"


def say(message: str) -> None:
    print(f"[ci/postgres] {message}", file=sys.stderr, flush=True)


def answers(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error as exc:
        say(f"no answer ({type(exc).__name__})")
        return False


def configured_url() -> tuple[str, bool]:
    """The administrative URL and whether it is the default local server."""
    if os.environ.get("CI_POSTGRES_URL"):
        return os.environ["CI_POSTGRES_URL"], False
    host = os.environ.get("PGHOST", "127.0.0.1")
    port = os.environ.get("PGPORT", "5432")
    user = os.environ.get("PGUSER", "postgres")
    local = host in ("127.0.0.1", "localhost") and port == "5432"
    return f"postgresql://{user}@{host}:{port}/postgres", local


def start_debian_cluster(url: str) -> bool:
    clusters = sorted(glob.glob("/etc/postgresql/*/main"))
    if not shutil.which("pg_ctlcluster") or not clusters:
        return False
    version = clusters[-1].split("/")[3]
    say(f"starting the local PostgreSQL {version} cluster")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False,
                   timeout=60)
    for _ in range(20):
        if answers(url):
            return True
        time.sleep(0.5)
    return False


def start_private_server() -> tuple[str, Any] | None:
    say(f"no PostgreSQL answers; installing {PGSERVER} (a PostgreSQL server packaged for pip)")
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", PGSERVER], timeout=600)
    if installed.returncode != 0:
        say("could not install pgserver")
        return None
    # PGHOST/PGPORT pointed at the server that did not answer; left set, the private server would take that
    # port for its socket name and every client (the suite's subprocesses too) would need them.
    for name in ("PGHOST", "PGPORT", "PGHOSTADDR"):
        os.environ.pop(name, None)
    try:
        import pgserver  # type: ignore[import-not-found]

        server = pgserver.get_server(tempfile.mkdtemp(prefix="tvaers-ci-pg-"), cleanup_mode="delete")
        url = server.get_uri()
    except Exception as exc:  # noqa: BLE001 - report any failure to start as one line
        say(f"pgserver could not start a server: {type(exc).__name__}: {exc}")
        return None
    say("started a private PostgreSQL server on a Unix socket")
    return url, server


def main(command: list[str]) -> int:
    admin_url, local = configured_url()
    server = None
    if not answers(admin_url) and not (local and start_debian_cluster(admin_url)):
        started = start_private_server()
        if started is None:
            say("FAILED: no PostgreSQL server is reachable and none could be started. Set CI_POSTGRES_URL "
                "(or PGHOST/PGPORT/PGUSER) to a server this machine reaches.")
            return 2
        admin_url, server = started
    import psycopg

    database = f"tvaers_ci_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    base, _, query = admin_url.partition("?")
    url = base.rsplit("/", 1)[0] + f"/{database}" + (f"?{query}" if query else "")
    env = {**os.environ, "TVAERS_TEST_DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://", 1)}
    say(f"database {database} ready; running: {' '.join(command)}")
    try:
        return subprocess.run(command, env=env).returncode
    finally:
        try:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        except psycopg.Error:
            say(f"could not drop {database}")
        if server is not None:
            server.cleanup()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        sys.exit("usage: python .ci/postgres.py -- COMMAND …")
    sys.exit(main(args))
