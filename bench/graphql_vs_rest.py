"""Throughput of GraphQL `persons(first: 50)` against REST `GET /persons?limit=50` with the same fields, measured
in the same run (interleaved rounds, one in-process client, the same token and the same 50 persons).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tvaers_bench python -m bench.graphql_vs_rest \
        [--persons 200] [--rounds 5] [--requests 40]

It seeds (once) an organisation "Bench GraphQL vs REST" with `--persons` persons and a caseworker, then prints
requests/second for each door, the ratio GraphQL/REST (target ≥ 0.8) and the SQL statements per request of
each. Both doors go through the whole app (routing, token, audit, commit); only the translation differs.
"""

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

import service.models  # noqa: F401  (every table known before the first flush)
from service.core.db import get_engine
from service.core.permissions import Role, permissions_for
from service.core.security import hash_secret, issue_token
from service.core.types import utcnow
from service.organisations.models import Organisation
from service.persons.dto import PersonSummary
from service.persons.models import Consent, ConsentPurposeRow, Person, PersonRiskSetting
from service.users.models import User

ORGANISATION = "Bench GraphQL vs REST"
PAGE = 50
FIELDS = " ".join(
    "riskSettings { code disabilityTypes }" if name == "risk_settings"
    else name.split("_")[0] + "".join(w.title() for w in name.split("_")[1:])
    for name in PersonSummary.model_fields)
QUERY = f"{{ persons(first: {PAGE}) {{ items {{ {FIELDS} }} nextCursor }} }}"
REST = f"/api/v1/persons?limit={PAGE}"


def seed(session: Session, persons: int) -> dict[str, str]:
    """The bench organisation, its caseworker and `persons` persons with a registration consent (idempotent)."""
    org = session.scalars(select(Organisation).where(Organisation.name == ORGANISATION)).first()
    if org is None:
        org = Organisation(name=ORGANISATION, kind="municipality", municipality_code="0101")
        session.add(org)
        session.flush()
    user = session.scalars(select(User).where(User.username == "bench-graphql-vs-rest")).first()
    if user is None:
        user = User(username="bench-graphql-vs-rest", password_hash=hash_secret("bench graphql vs rest"),
                    organisation_id=org.id, role=Role.caseworker)
        session.add(user)
        session.flush()
    have = len(session.scalars(select(Person.id).where(Person.organisation_id == org.id)).all())
    now = utcnow()
    for i in range(have, persons):
        person = Person(organisation_id=org.id, given_name=f"Bench{i}", family_name="Person", birth_year=1950,
                        municipality_code="0101")
        session.add(person)
        session.flush()
        session.add(PersonRiskSetting(person_id=person.id, risk_setting_code="homelessness"))
        consent = Consent(person_id=person.id, given_by="self", method="written", consent_text_version="1",
                          recorded_by=user.id, given_at=now, expires_at=now + timedelta(days=365))
        session.add(consent)
        session.flush()
        session.add(ConsentPurposeRow(consent_id=consent.id, purpose="registration"))
    session.commit()
    token, _ = issue_token(sub=f"user:{user.id}", org=str(org.id), role=Role.caseworker,
                           scope=" ".join(sorted(permissions_for(Role.caseworker))), cv=user.credentials_version)
    return {"Authorization": f"Bearer {token}"}


def _statements(engine: Any, call: Callable[[], Any]) -> int:
    count = [0]

    def counter(*_: Any) -> None:
        count[0] += 1
    event.listen(engine, "before_cursor_execute", counter)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count[0]


def compare(client: Any, headers: dict[str, str], rounds: int, requests: int,
            engine: Any | None = None) -> dict[str, Any]:
    """Interleaved rounds of `requests` calls per door; medians of requests/second per round."""

    def graphql() -> Any:
        response = client.post("/graphql", json={"query": QUERY}, headers=headers)
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        return response.json()["data"]["persons"]["items"]

    def rest() -> Any:
        response = client.get(REST, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["items"]

    assert [i["id"] for i in graphql()] == [i["id"] for i in rest()]  # the same page
    rates: dict[str, list[float]] = {"graphql": [], "rest": []}
    doors = [("rest", rest), ("graphql", graphql)]
    for i in range(rounds):
        for name, call in doors if i % 2 == 0 else doors[::-1]:  # alternate who goes first
            t0 = time.perf_counter()
            for _ in range(requests):
                call()
            rates[name].append(requests / (time.perf_counter() - t0))
    result: dict[str, Any] = {name: statistics.median(values) for name, values in rates.items()}
    # the median of the per-round ratios: a shared machine's load drifts between rounds, not within a pair
    result["ratio"] = statistics.median(g / r for g, r in zip(rates["graphql"], rates["rest"], strict=True))
    if engine is not None:
        result["statements"] = {"graphql": _statements(engine, graphql), "rest": _statements(engine, rest)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--persons", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    from service.main import create_app

    engine = get_engine()
    with Session(bind=engine) as session:
        headers = seed(session, args.persons)
    with TestClient(create_app()) as client:
        r = compare(client, headers, args.rounds, args.requests, engine)
    print(f"persons, page of {PAGE}, {args.rounds} interleaved rounds × {args.requests} requests "
          f"({engine.dialect.name})")
    print(f"  REST    GET /persons?limit={PAGE}: {r['rest']:8.1f} req/s  ({r['statements']['rest']} SQL statements)")
    print(f"  GraphQL persons(first: {PAGE}):      {r['graphql']:8.1f} req/s  "
          f"({r['statements']['graphql']} SQL statements)")
    print(f"  ratio GraphQL/REST (median of per-round ratios): {r['ratio']:.2f}×  (target ≥ 0.80)")


if __name__ == "__main__":
    main()
