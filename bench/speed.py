"""Everyday speed on PostgreSQL (issue #14): list, search, inbox and accept latency, throughput with 1 and 2
workers, each against a bare FastAPI baseline measured in the same run.

    export DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tvaers_speed_100k   # a throwaway database
    python -m bench.speed load --persons 100000      # bench.speed_data, committed per chunk, then VACUUM ANALYZE
    python -m bench.speed run                        # starts the servers itself, prints the table
    python -m bench.speed curve --urls URL_10K URL_100K URL_1M   # `run` at each size, one table (scaling curve)

`run` starts uvicorn (the real app, `service.main:server_app`) and the baseline (`bench.baseline_app`) on free
local ports, measures latency with sequential requests (median and 95th percentile of `--requests`) and
throughput with `wrk` (`--connections` connections, `--seconds` each, interleaved: baseline, 1 worker, baseline,
2 workers). Accepts use referrals still `sent` to the big provider, a different one per request. Next to the
request figures, `run` prints the database's own time for the statements of the hot lists (bench.speed_sql:
the real service's statement, `EXPLAIN ANALYZE`, planning + execution). `curve` runs `run` (without the 2-worker
round) against each database given, each in its own process with its own baseline, and prints the latencies side
by side with the ratio of the largest size to the smallest (flat within 2× is the target).
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text

from bench.speed_data import load
from bench.speed_sql import hot_queries
from service.core.db import get_engine, new_session
from service.core.permissions import Role, permissions_for
from service.core.security import issue_token
from service.migrations import upgrade
from service.organisations.models import Organisation
from service.users.models import User

TAG = "Speed"


def cmd_load(args: argparse.Namespace) -> None:
    engine = get_engine()
    if engine.dialect.name != "postgresql":
        raise SystemExit("the speed benchmark is for PostgreSQL: set DATABASE_URL=postgresql+psycopg://…")
    upgrade()
    started = time.monotonic()
    with engine.connect() as conn:
        conn.begin()

        def progress(done: int) -> None:
            conn.commit()
            conn.begin()
            print(f"  {done:,} persons ({time.monotonic() - started:.0f} s)", flush=True)

        load(conn, persons=args.persons, offers=max(100, args.persons // 100), outbox=False, tag=TAG,
             referrals_per_person=args.referrals_per_person, on_chunk=progress)
        conn.commit()
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    print(f"loaded {args.persons:,} persons in {time.monotonic() - started:.0f} s")


def _user(session: Any, org_name: str, role: Role, username: str | None = None) -> tuple[str, Any]:
    org = session.scalar(select(Organisation).where(Organisation.name == org_name).order_by(Organisation.id))
    if org is None:
        raise SystemExit(f"no organisation {org_name!r}: run `python -m bench.speed load` first")
    username = username or f"bench-speed-{role}"
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, password_hash="!", organisation_id=org.id, role=role)
        session.add(user)
        session.commit()
    token, _ = issue_token(sub=f"user:{user.id}", org=str(user.organisation_id), role=role,
                           scope=" ".join(sorted(permissions_for(role))), cv=user.credentials_version)
    return token, user.organisation_id


# Referrals an accept can take: still `sent`, their offer published with a free place (an accept takes one, so
# no more per offer than it has free), at the provider holding most of them; earlier runs used some up.
_ACCEPTABLE = """
WITH candidate AS (
    SELECT r.id, r.provider_organisation_id AS provider, r.sent_at,
           row_number() OVER (PARTITION BY r.offer_id ORDER BY r.sent_at DESC) AS nth,
           coalesce(o.capacity - o.seats_taken, 1000000) AS free
    FROM referral r JOIN offer o ON o.id = r.offer_id
    WHERE r.status = 'sent' AND o.status = 'published')
SELECT c.id, g.name FROM candidate c JOIN organisation g ON g.id = c.provider
WHERE c.nth <= c.free AND c.provider = (
    SELECT provider FROM candidate WHERE nth <= free GROUP BY provider ORDER BY count(*) DESC LIMIT 1)
ORDER BY c.sent_at DESC LIMIT :n"""


def _acceptable(session: Any, n: int) -> tuple[str, list[str]]:
    """A coordinator's token and `n` referrals it can accept, one request each."""
    rows = session.execute(text(_ACCEPTABLE), {"n": n}).all()
    if len(rows) < n:
        raise SystemExit(f"only {len(rows)} referrals left to accept, {n} needed: load the database again")
    token, _ = _user(session, rows[0].name, Role.coordinator, username=f"bench-speed-acceptor-{rows[0].name}")
    return token, [str(r.id) for r in rows]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


STARTED = "Application startup complete."  # uvicorn logs it once per worker process, when it serves


@contextmanager
def server(target: str, workers: int = 1, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `uvicorn --factory target` on a free port until the block ends; yield its base URL once *every* worker
    serves. Robust on a loaded machine: uvicorn's supervisor pings each worker and kills one that takes more than
    `--timeout-worker-healthcheck` seconds to answer — 5 by default, which a worker still importing the service on
    two busy cores can exceed, so it was killed and restarted for ever; here the limit is generous. Readiness is
    uvicorn's own start-up line counted per worker (a plain health probe is answered as soon as the *first* worker
    serves) plus a health probe answered 200; on failure the log's tail says why."""
    port = _free_port()
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", prefix="bench-server-")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", target, "--port", str(port),
                             "--workers", str(workers), "--timeout-worker-healthcheck", "300",
                             "--no-access-log", "--log-level", "info"],
                            env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    probe = base + "/healthz" if "service" in target else base + "/docs"
    try:
        deadline = time.monotonic() + 600  # a busy 2-core machine imports the service slowly, once per worker
        while True:
            started = Path(log.name).read_text(errors="replace").count(STARTED)
            if started >= workers and _answers(probe):
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                tail = "\n".join(Path(log.name).read_text(errors="replace").splitlines()[-20:])
                raise SystemExit(f"{target} did not start ({started} of {workers} workers serving):\n{tail}")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=10).status_code == 200
    except httpx.TransportError:
        return False


def latency(call: Callable[[int], httpx.Response], requests: int) -> tuple[float, float]:
    """Median and 95th percentile in ms of `requests` sequential calls (after 10 warm-up calls)."""
    for i in range(10):
        call(-1 - i).raise_for_status()
    times = []
    for i in range(requests):
        start = time.perf_counter()
        call(i).raise_for_status()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def wrk(url: str, token: str | None, seconds: int, connections: int) -> float:
    """Requests per second of `wrk` against `url` (2 threads); fails on non-2xx answers."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url]
    if token:
        cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"wrk saw errors:\n{out}")
    return float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))


def commit_cost(requests: int) -> tuple[float, float]:
    """Median ms of a read-only transaction (one SELECT) and of the same with one audit INSERT committed
    (synchronous_commit as configured: the WAL flush a read's audit event costs)."""
    engine = get_engine()
    out = []
    for write in (False, True):
        times = []
        with engine.connect() as conn:
            for _ in range(requests):
                start = time.perf_counter()
                conn.execute(text("SELECT 1"))
                if write:
                    conn.execute(text("INSERT INTO audit_event (occurred_at, actor_type, action, purpose, outcome) "
                                      "VALUES (now(), 'system', 'bench.commit', 'bench', 'success')"))
                conn.commit()
                times.append((time.perf_counter() - start) * 1000)
            conn.execute(text("DELETE FROM audit_event WHERE action = 'bench.commit'"))
            conn.commit()
        out.append(statistics.median(times))
    return out[0], out[1]


def cmd_run(args: argparse.Namespace) -> None:
    engine = get_engine()
    read_only, audited = commit_cost(args.requests)
    with new_session() as session:
        persons = session.scalar(text("SELECT count(*) FROM person"))
        referrals = session.scalar(text("SELECT count(*) FROM referral"))
        first_code = session.scalar(text("SELECT min(code) FROM municipality"))
        caseworker, municipality = _user(session, f"{TAG} kommune {first_code}", Role.caseworker)
        coordinator, provider = _user(session, f"{TAG} forening 1", Role.coordinator)
        acceptor, sent = _acceptable(session, args.requests + 10)
    with engine.connect() as conn:
        database = hot_queries(conn, municipality, provider)
    engine.dispose()
    print(f"PostgreSQL, {persons:,} persons, {referrals:,} referrals; {os.cpu_count()} cores; "
          f"{args.requests} sequential requests per latency, wrk -c{args.connections} {args.seconds} s")
    print(f"commit cost (median): read-only transaction {read_only:.2f} ms, with one audit INSERT "
          f"{audited:.2f} ms (synchronous_commit on)")
    api = "/api/v1"
    cw, co = {"Authorization": f"Bearer {caseworker}"}, {"Authorization": f"Bearer {coordinator}"}
    rows: list[tuple[str, str]] = []
    with server("service.main:server_app") as app, httpx.Client(base_url=app, timeout=30) as c:
        page = c.get(f"{api}/persons?limit=50", headers=cw)
        page.raise_for_status()
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as body:
            json.dump(page.json(), body)
        scenarios: dict[str, Callable[[int], httpx.Response]] = {
            "persons list (GET /persons?limit=50)": lambda i: c.get(f"{api}/persons?limit=50", headers=cw),
            "name search (POST /persons/search)": lambda i: c.post(f"{api}/persons/search?limit=50", headers=cw,
                                                                   json={"name": "mette"}),
            "provider inbox (GET /referrals?direction=received)": lambda i: c.get(
                f"{api}/referrals?direction=received&limit=50", headers=co),
            "referral accept (POST …/transitions)": lambda i: c.post(
                f"{api}/referrals/{sent[i]}/transitions", headers={"Authorization": f"Bearer {acceptor}"},
                json={"action": "accept"}),
        }
        with server("bench.baseline_app:create", env={"BENCH_BASELINE_BODY": body.name}) as base, \
                httpx.Client(base_url=base, timeout=30) as b:
            base_p50, base_p95 = latency(lambda i: b.get("/persons"), args.requests)
            rows.append(("baseline: bare FastAPI, same 50 items from memory", f"{base_p50:.1f} | {base_p95:.1f} | 1"))
            for name, call in scenarios.items():
                p50, p95 = latency(call, args.requests)
                rows.append((name, f"{p50:.1f} | {p95:.1f} | {base_p50 / p50:.3f}"))
            base_rps = wrk(f"{base}/persons", None, args.seconds, args.connections)
            one_rps = wrk(f"{app}{api}/persons?limit=50", caseworker, args.seconds, args.connections)
    print("\n| statement (EXPLAIN ANALYZE, median of 5) | planning ms | execution ms | plan starts at |\n"
          "|---|---|---|---|")
    for name, t in database:
        print(f"| {name} | {t['planning']:.2f} | {t['execution']:.2f} | {t['index']} |")
    print("\n| scenario | p50 ms | p95 ms | baseline p50 / p50 |\n|---|---|---|---|")
    for name, figures in rows:
        print(f"| {name} | {figures} |")
    throughput = [("baseline (1 worker)", base_rps), ("persons list, 1 worker", one_rps)]
    if not args.no_workers:
        with server("service.main:server_app", workers=2) as app2:
            throughput.append(("persons list, 2 workers",
                               wrk(f"{app2}{api}/persons?limit=50", caseworker, args.seconds, args.connections)))
    print("\n| throughput (wrk) | req/s | vs baseline |\n|---|---|---|")
    for name, rps in throughput:
        print(f"| {name} | {rps:,.0f} | {rps / base_rps:.3f}× |")
    os.unlink(body.name)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "persons": persons, "referrals": referrals,
            "latency": {name: [float(v) for v in figures.split(" | ")] for name, figures in rows},
            "database": dict(database), "throughput": dict(throughput)}))


def cmd_curve(args: argparse.Namespace) -> None:
    """`run --no-workers` against each database (its own process, its own baseline), then one table."""
    results = []
    for url in args.urls:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            subprocess.run([sys.executable, "-m", "bench.speed", "run", "--no-workers", "--requests",
                            str(args.requests), "--seconds", str(args.seconds), "--json", out.name],
                           env={**os.environ, "DATABASE_URL": url}, check=True)
            results.append(json.loads(Path(out.name).read_text()))
    sizes = [f"{r['persons']:,} persons" for r in results]
    print("\n## scaling curve: p50 ms (baseline p50 / p50)\n")
    print("| scenario | " + " | ".join(sizes) + " | largest ÷ smallest |\n|---|" + "---|" * (len(sizes) + 1))
    for name in results[0]["latency"]:
        cells = [f"{r['latency'][name][0]:.1f} ({r['latency'][name][2]:.3f}×)" for r in results]
        growth = results[-1]["latency"][name][0] / results[0]["latency"][name][0]
        print(f"| {name} | " + " | ".join(cells) + f" | {growth:.2f}× |")
    print("\n## database time of the hot statements: planning + execution ms\n")
    print("| statement | " + " | ".join(sizes) + " | largest ÷ smallest |\n|---|" + "---|" * (len(sizes) + 1))
    for name in results[0]["database"]:
        totals = [r["database"][name]["planning"] + r["database"][name]["execution"] for r in results]
        cells = [f"{r['database'][name]['planning']:.1f} + {r['database'][name]['execution']:.1f}" for r in results]
        print(f"| {name} | " + " | ".join(cells) + f" | {totals[-1] / totals[0]:.2f}× |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    p_load = sub.add_parser("load", help="fill the (throwaway) database")
    p_load.add_argument("--persons", type=int, default=100_000)
    p_load.add_argument("--referrals-per-person", type=int, default=3)
    p_run = sub.add_parser("run", help="measure")
    p_run.add_argument("--requests", type=int, default=200)
    p_run.add_argument("--seconds", type=int, default=10)
    p_run.add_argument("--connections", type=int, default=8)
    p_run.add_argument("--no-workers", action="store_true", help="skip the 2-worker throughput run")
    p_run.add_argument("--json", help="also write the figures to this file (used by `curve`)")
    p_curve = sub.add_parser("curve", help="`run` at several sizes (one database each), one table")
    p_curve.add_argument("--urls", nargs="+", required=True, help="database URLs, smallest first")
    p_curve.add_argument("--requests", type=int, default=200)
    p_curve.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    {"load": cmd_load, "run": cmd_run, "curve": cmd_curve}[args.command](args)


if __name__ == "__main__":
    main()
