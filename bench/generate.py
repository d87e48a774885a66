"""Fill a PostgreSQL database with a synthetic national-scale dataset for the report benchmark.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tvaers_bench python -m bench.generate

Defaults: 500,000 persons, 50,000 offers, 1,500,000 referrals across all 98 municipalities. Rows are made by
PostgreSQL itself (generate_series), in chunks, so the progress bar moves and memory stays flat.
Every person is fictitious ("Syntetisk Person"). What the service stores on its own rows is written with each
row, never by a whole-table UPDATE afterwards (which took longer than the generation itself): the Cell Key
Method record keys, and each follow-up's T-ILS change (a synthetic person's only intake is at registration, so
the change is the follow-up total minus that intake).
"""

import argparse
import time
import uuid
from typing import Any

from sqlalchemy import text
from tqdm import tqdm

from service.core.db import get_engine
from service.migrations import upgrade

RISK = ["out_of_home_placement", "crisis_centre", "residential_institution", "social_housing_facility",
        "nursing_home", "disability_at_home", "relative_of_seriously_ill", "homelessness", "imprisonment"]
CATEGORIES = ["phone_friend", "visiting_friend", "walk_and_talk", "shared_meal", "activity_group", "culture",
              "sport_outdoor", "digital_community", "peer_support_group", "relatives_group", "mentoring",
              "intergenerational", "counselling", "other"]
REASONS = ["no_capacity", "not_eligible", "not_reachable", "person_declined", "accessibility_barrier",
           "transport_barrier", "language_barrier", "digital_barrier", "other"]
DATA_TABLES = ["loneliness_measurement", "referral_transition", "contact_log_entry", "contact_agreement", "referral",
               "consent_purpose", "consent_recipient", "consent", "person_risk_setting", "person",
               "offer_municipality", "offer_risk_setting", "offer_accessibility", "offer_language", "offer",
               "mapping_entry", "audit_event"]


def _arr(values: list[str]) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]"


def _run(conn: Any, script: str, params: dict[str, Any] | None = None) -> None:
    """Execute a `;`-separated script one statement at a time (bound parameters need single statements)."""
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(text(statement), params or {})


def generate(persons: int, offers: int, referrals_per_person: int, chunk: int) -> None:
    engine = get_engine()
    if engine.dialect.name != "postgresql":
        raise SystemExit("the benchmark dataset is for PostgreSQL: set DATABASE_URL=postgresql+psycopg://…")
    upgrade()
    started = time.monotonic()
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(DATA_TABLES) + " CASCADE"))
        conn.execute(text("DELETE FROM app_user WHERE username LIKE 'bench-%'"))
        conn.execute(text("DELETE FROM organisation WHERE name LIKE 'Bench %'"))
        conn.execute(text("""
            INSERT INTO organisation (id, name, kind, municipality_code, is_national, created_at, updated_at)
            SELECT gen_random_uuid(), 'Bench kommune ' || code, 'municipality', code, false, now(), now()
            FROM municipality"""))
        conn.execute(text("""
            INSERT INTO organisation (id, name, kind, municipality_code, is_national, created_at, updated_at)
            SELECT gen_random_uuid(), 'Bench forening ' || g, 'civil_society',
                   (SELECT code FROM municipality ORDER BY code OFFSET (g % 98) LIMIT 1), false, now(), now()
            FROM generate_series(1, 500) g"""))
        conn.execute(text("""
            INSERT INTO organisation (id, name, kind, municipality_code, is_national, created_at, updated_at)
            VALUES (:id, 'Bench nationalt ministerium', 'ministry', '0101', true, now(), now())"""),
                     {"id": uuid.uuid4()})
        conn.execute(text("DROP TABLE IF EXISTS bench_offer"))
        conn.execute(text("CREATE UNLOGGED TABLE bench_offer (rn int PRIMARY KEY, id uuid)"))

    with engine.begin() as conn:
        bar = tqdm(total=offers, desc="offers", unit="row")
        for first in range(1, offers + 1, chunk):
            last = min(first + chunk - 1, offers)
            conn.execute(text(f"""
                WITH src AS (
                    SELECT g, gen_random_uuid() AS id, (random() < 0.1) AS nationwide,
                           (SELECT id FROM organisation WHERE name = 'Bench forening ' || (1 + g % 500)) AS org
                    FROM generate_series(CAST(:first AS int), CAST(:last AS int)) g),
                ins AS (
                    INSERT INTO offer (id, organisation_id, title, description, category, mode, nationwide,
                                       confidential_location, capacity, seats_taken, cost_free, status, version,
                                       published_at, created_at, updated_at, min_age, max_age)
                    SELECT id, org, 'Tilbud ' || g, 'Syntetisk tilbud', ({_arr(CATEGORIES)})[1 + g % 14],
                           CASE WHEN nationwide THEN 'phone' ELSE 'in_person' END, nationwide, false,
                           10 + g % 40, g % 10, true, CASE WHEN g % 20 = 0 THEN 'draft' ELSE 'published' END, 1,
                           now() - (g % 700) * interval '1 day', now(), now(),
                           CASE WHEN g % 5 = 0 THEN 65 END, CASE WHEN g % 7 = 0 AND g % 5 <> 0 THEN 17 END
                    FROM src RETURNING id)
                INSERT INTO bench_offer (rn, id) SELECT g, id FROM src"""), {"first": first, "last": last})
            _run(conn, f"""
                INSERT INTO offer_municipality (offer_id, municipality_code)
                SELECT b.id, m.code FROM bench_offer b JOIN offer o ON o.id = b.id
                JOIN LATERAL (SELECT code FROM municipality ORDER BY code OFFSET (b.rn * 7) % 98 LIMIT 1) m ON true
                WHERE b.rn BETWEEN CAST(:first AS int) AND CAST(:last AS int) AND NOT o.nationwide;
                INSERT INTO offer_risk_setting (offer_id, risk_setting_code)
                SELECT b.id, ({_arr(RISK)})[1 + b.rn % 9] FROM bench_offer b
                WHERE b.rn BETWEEN CAST(:first AS int) AND CAST(:last AS int) AND b.rn % 3 <> 0""",
                 {"first": first, "last": last})
            bar.update(last - first + 1)
        bar.close()

    bar = tqdm(total=persons, desc="persons + referrals", unit="person")
    for first in range(1, persons + 1, chunk):
        last = min(first + chunk - 1, persons)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_chunk"))
            conn.execute(text("""
                CREATE TEMP TABLE bench_chunk AS
                SELECT g, gen_random_uuid() AS id, gen_random_uuid() AS consent_id, m.code AS municipality,
                       (SELECT id FROM organisation WHERE name = 'Bench kommune ' || m.code) AS org,
                       1925 + (g * 37) % 90 AS birth_year, 3 + (g * 13) % 7 AS intake,
                       now() - ((g * 11) % 720) * interval '1 day' AS created
                FROM generate_series(CAST(:first AS int), CAST(:last AS int)) g
                JOIN (SELECT code, row_number() OVER (ORDER BY code) - 1 AS i FROM municipality) m ON m.i = g % 98"""),
                         {"first": first, "last": last})
            _run(conn, f"""
                INSERT INTO person (id, organisation_id, status, given_name, family_name, birth_year,
                                    municipality_code, loneliness_latest_total, loneliness_latest_at, version,
                                    created_at, updated_at, record_key)
                SELECT id, org, 'active', 'Syntetisk', 'Person', birth_year, municipality, intake, created, 1,
                       created, created, floor(random() * 1048576)::int FROM bench_chunk;
                INSERT INTO person_risk_setting (person_id, risk_setting_code)
                SELECT id, ({_arr(RISK)})[1 + (g * 7) % 9] FROM bench_chunk
                UNION
                SELECT id, ({_arr(RISK)})[1 + (g * 5) % 9] FROM bench_chunk WHERE g % 10 = 0;
                INSERT INTO consent (id, person_id, data_categories, given_by, method, consent_text_version,
                                     recorded_by, given_at, created_at)
                SELECT consent_id, id, '["contact_details"]', 'self', 'written', 'bench', org, created, created
                FROM bench_chunk;
                INSERT INTO consent_purpose (consent_id, purpose)
                SELECT consent_id, p FROM bench_chunk, unnest(ARRAY['registration', 'referral_sharing',
                                                                    'outcome_followup']) p;
                INSERT INTO loneliness_measurement (id, person_id, item1, item2, item3, total, measured_at,
                                                    context, recorded_by, created_at)
                SELECT gen_random_uuid(), id, 1, 1, intake - 2, intake, created, 'intake', org, created
                FROM bench_chunk""")
            _run(conn, f"""
                CREATE TEMP TABLE bench_ref AS
                SELECT gen_random_uuid() AS rid, c.id AS person, c.org, c.created, c.intake, r.k,
                       1 + ((c.g * 31 + r.k * 17) % CAST(:offers AS int)) AS orn, ((c.g * 7 + r.k * 3) % 100) AS roll
                FROM bench_chunk c CROSS JOIN generate_series(1, CAST(:per AS int)) r(k);
                INSERT INTO referral (id, person_id, offer_id, referring_organisation_id, provider_organisation_id,
                                      created_by, shared_categories, status, reason_code, outcome, holds_seat,
                                      sent_at, accepted_at, started_at, closed_at, updated_at, version, record_key)
                SELECT r.rid, r.person, b.id, r.org, o.organisation_id, r.org, '[]',
                       s.status, s.reason, CASE WHEN s.status = 'completed' THEN 'attended_regularly' END,
                       s.status IN ('accepted', 'started'), r.created + interval '2 days',
                       CASE WHEN s.status IN ('accepted', 'started', 'completed', 'ended_early', 'withdrawn')
                            THEN r.created + interval '4 days' END,
                       CASE WHEN s.status IN ('started', 'completed', 'ended_early')
                            THEN r.created + (4 + r.roll % 25) * interval '1 day' END,
                       CASE WHEN s.status IN ('declined', 'completed', 'ended_early', 'withdrawn')
                            THEN r.created + interval '60 days' END, now(), 1, floor(random() * 1048576)::int
                FROM bench_ref r JOIN bench_offer b ON b.rn = r.orn JOIN offer o ON o.id = b.id
                CROSS JOIN LATERAL (SELECT CASE
                    WHEN r.roll < 15 THEN 'sent' WHEN r.roll < 25 THEN 'declined' WHEN r.roll < 35 THEN 'accepted'
                    WHEN r.roll < 55 THEN 'started' WHEN r.roll < 85 THEN 'completed'
                    WHEN r.roll < 92 THEN 'ended_early' ELSE 'withdrawn' END AS status,
                    CASE WHEN r.roll BETWEEN 15 AND 24 OR r.roll BETWEEN 85 AND 91
                         THEN ({_arr(REASONS)})[1 + r.roll % 9] END AS reason) s;
                INSERT INTO loneliness_measurement (id, person_id, item1, item2, item3, total, measured_at,
                                                    context, recorded_by, created_at, referral_id, tils_change)
                SELECT gen_random_uuid(), r.person, 1, 1, greatest(r.intake - 2 - r.roll % 3, 1),
                       greatest(r.intake - r.roll % 3, 3), r.created + interval '90 days', 'follow_up', r.org,
                       now(), r.rid, greatest(r.intake - r.roll % 3, 3) - r.intake
                FROM bench_ref r JOIN referral f ON f.id = r.rid WHERE f.status = 'completed';
                DROP TABLE bench_ref""", {"offers": offers, "per": referrals_per_person})
        bar.update(last - first + 1)
    bar.close()
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_offer"))
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in ("person", "offer", "referral", "loneliness_measurement")}
    print(f"generated in {time.monotonic() - started:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--persons", type=int, default=500_000)
    parser.add_argument("--offers", type=int, default=50_000)
    parser.add_argument("--referrals-per-person", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=25_000)
    args = parser.parse_args()
    generate(args.persons, args.offers, args.referrals_per_person, args.chunk)


if __name__ == "__main__":
    main()
