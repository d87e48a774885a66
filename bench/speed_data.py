"""A synthetic dataset for the everyday-speed benchmark and the EXPLAIN tests (PostgreSQL only).

`load(conn, persons=…)` fills one connection's transaction (the caller commits or rolls back) with what the hot
read paths walk: municipality organisations with their persons (varied fictitious names, consents with the
registration and referral_sharing purposes, a risk setting), provider organisations with offers, referrals in
every state with their `send` transition, contact agreements for the open ones, an audit trail and an outbox.
Rows are made by PostgreSQL (generate_series) in chunks, so a million persons take minutes, not hours.
Every person is fictitious.

The first municipality and the first provider are big (`big_share` of the persons and of the offers, like
Copenhagen or a national phone-friend service), the second municipality has a third of that share, and the
others share the rest evenly.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

GIVEN = ["Anne", "Kirsten", "Mette", "Hanne", "Helle", "Anna", "Susanne", "Lene", "Maria", "Marianne", "Lone",
         "Camilla", "Pia", "Louise", "Charlotte", "Bente", "Tina", "Gitte", "Inge", "Karen", "Peter", "Michael",
         "Jens", "Lars", "Thomas", "Henrik", "Søren", "Christian", "Martin", "Jan", "Morten", "Niels", "Anders",
         "Rasmus", "Jesper", "Mads", "Per", "Hans", "Mikkel", "Ole", "Frederik", "Emil", "Kasper", "Jakob",
         "Ida", "Freja", "Sofie", "Emma", "Alma", "Clara"]
FAMILY = ["Nielsen", "Jensen", "Hansen", "Andersen", "Pedersen", "Christensen", "Larsen", "Sørensen", "Rasmussen",
          "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Christiansen", "Poulsen", "Johansen",
          "Møller", "Mortensen", "Knudsen", "Jakobsen", "Mikkelsen", "Olesen", "Frederiksen", "Laursen", "Henriksen",
          "Lund", "Schmidt", "Eriksen", "Holm", "Kristiansen", "Clausen", "Simonsen", "Svendsen", "Andreasen",
          "Iversen", "Jeppesen", "Vestergaard", "Mogensen", "Nissen", "Lauridsen", "Jepsen", "Kjær", "Bak",
          "Dalgaard", "Bech", "Skov", "Brandt", "Østergaard"]
RISK = ["out_of_home_placement", "crisis_centre", "residential_institution", "social_housing_facility",
        "nursing_home", "disability_at_home", "relative_of_seriously_ill", "homelessness", "imprisonment"]
# referral status by (roll % 100): the shares of a living system
STATUS_SQL = """CASE WHEN roll < 20 THEN 'sent' WHEN roll < 30 THEN 'declined' WHEN roll < 45 THEN 'accepted'
    WHEN roll < 65 THEN 'started' WHEN roll < 85 THEN 'completed' WHEN roll < 92 THEN 'ended_early'
    ELSE 'withdrawn' END"""
HOT_TABLES = ["organisation", "offer", "person", "person_risk_setting", "consent", "consent_purpose",
              "consent_recipient", "referral", "referral_transition", "contact_agreement", "audit_event",
              "audit_event_person", "outbox_event"]


def _arr(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


@dataclass(frozen=True)
class Dataset:
    """What the loader made: the organisation ids in creation order (index 0 = the first)."""

    municipalities: list[uuid.UUID]
    providers: list[uuid.UUID]


def _organisations(conn: Any, tag: str, municipalities: int, providers: int) -> Dataset:
    munis = [uuid.UUID(str(r[0])) for r in conn.execute(text("""
        INSERT INTO organisation (id, name, kind, municipality_code, is_national, created_at, updated_at)
        SELECT gen_random_uuid(), :tag || ' kommune ' || code, 'municipality', code, false, now(), now()
        FROM (SELECT code FROM municipality ORDER BY code LIMIT :n) m RETURNING id"""),
        {"tag": tag, "n": municipalities})]
    provs = [uuid.UUID(str(r[0])) for r in conn.execute(text("""
        INSERT INTO organisation (id, name, kind, municipality_code, is_national, created_at, updated_at)
        SELECT gen_random_uuid(), :tag || ' forening ' || g, 'civil_society',
               (SELECT code FROM municipality ORDER BY code OFFSET (g % 98) LIMIT 1), false, now(), now()
        FROM generate_series(1, :n) g RETURNING id"""), {"tag": tag, "n": providers})]
    return Dataset(munis, provs)


def load(conn: Any, *, persons: int, municipalities: int = 98, providers: int = 100, offers: int = 1000,
         referrals_per_person: int = 3, big_share: float = 0.1, chunk: int = 50_000, tag: str = "Speed",
         outbox: bool = True, on_chunk: Callable[[int], None] | None = None) -> Dataset:
    """Fill the hot tables. `on_chunk(done)` is called after each chunk of persons (e.g. to commit).

    Foreign-key triggers are off while it loads (`session_replication_role = replica`, as a restore does; the
    rows are consistent by construction), which needs a superuser such as the local `postgres`."""
    _replica(conn, True)
    data = _organisations(conn, tag, municipalities, providers)
    conn.execute(text("CREATE TEMP TABLE speed_org (i int PRIMARY KEY, id uuid) ON COMMIT PRESERVE ROWS"))
    conn.execute(text("INSERT INTO speed_org SELECT i - 1, id FROM unnest(CAST(:ids AS uuid[])) "
                      "WITH ORDINALITY AS t(id, i)"), {"ids": data.municipalities})
    conn.execute(text("CREATE TEMP TABLE speed_offer (i int PRIMARY KEY, id uuid, org uuid) "
                      "ON COMMIT PRESERVE ROWS"))
    conn.execute(text("""
        WITH p AS (SELECT i - 1 AS i, id FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS t(id, i)),
        src AS (SELECT g, gen_random_uuid() AS id,
                       (SELECT id FROM p WHERE p.i = CASE WHEN g < :n * :big THEN 0 ELSE g % :np END) AS org
                FROM generate_series(0, :n - 1) g),
        ins AS (INSERT INTO offer (id, organisation_id, title, description, category, mode, nationwide,
                                   confidential_location, capacity, seats_taken, cost_free, status, version,
                                   published_at, created_at, updated_at)
                SELECT id, org, 'Tilbud ' || g, 'Syntetisk tilbud', 'phone_friend', 'phone', true, false, NULL, 0,
                       true, 'published', 1, now(), now(), now() FROM src)
        INSERT INTO speed_offer SELECT g, id, org FROM src"""),
                 {"ids": data.providers, "np": providers, "n": offers, "big": big_share})
    for first in range(0, persons, chunk):
        last = min(first + chunk, persons) - 1
        _persons_chunk(conn, first, last, municipalities, offers, referrals_per_person, round(1 / big_share), outbox)
        if on_chunk:
            on_chunk(last + 1)
            _replica(conn, True)
    conn.execute(text("DROP TABLE speed_org"))
    conn.execute(text("DROP TABLE speed_offer"))
    _replica(conn, False)
    return data


def _replica(conn: Any, on: bool) -> None:
    conn.execute(text(f"SET LOCAL session_replication_role = {'replica' if on else 'origin'}"))


def _persons_chunk(conn: Any, first: int, last: int, municipalities: int, offers: int, per: int, big: int,
                   outbox: bool) -> None:
    params = {"first": first, "last": last, "nm": municipalities, "offers": offers, "per": per, "big": big}
    statements = [
        """CREATE TEMP TABLE speed_chunk AS
           SELECT g, gen_random_uuid() AS id, gen_random_uuid() AS consent_id, o.id AS org,
                  (SELECT municipality_code FROM organisation WHERE id = o.id) AS municipality,
                  now() - (g % 1000) * interval '1 hour' - (g % 7) * interval '1 second' AS created
                      FROM generate_series(CAST(:first AS int), CAST(:last AS int)) g
           JOIN speed_org o ON o.i = CASE WHEN g % :big = 0 THEN 0 WHEN g % (3 * :big) = 1 THEN 1 ELSE g % :nm END""",
        f"""INSERT INTO person (id, organisation_id, status, given_name, family_name, birth_year, municipality_code,
                               loneliness_latest_total, loneliness_latest_at, version, created_at, updated_at)
           SELECT id, org, 'active', ({_arr(GIVEN)})[1 + abs(hashint4(g)) % {len(GIVEN)}],
                  ({_arr(FAMILY)})[1 + abs(hashint4(g + 1)) % {len(FAMILY)}], 1930 + g % 80, municipality,
                  3 + g % 7, created, 1, created, created FROM speed_chunk""",
        f"""INSERT INTO person_risk_setting (person_id, risk_setting_code)
           SELECT id, ({_arr(RISK)})[1 + g % 9] FROM speed_chunk""",
        """INSERT INTO consent (id, person_id, data_categories, given_by, method, consent_text_version, recorded_by,
                               given_at, created_at)
           SELECT consent_id, id, '["contact_details"]', 'self', 'written', 'speed', org, created, created
           FROM speed_chunk""",
        """INSERT INTO consent_purpose (consent_id, purpose)
           SELECT consent_id, p FROM speed_chunk, unnest(ARRAY['registration', 'referral_sharing']) p""",
        """INSERT INTO consent_recipient (id, consent_id, organisation_kind)
           SELECT gen_random_uuid(), consent_id, 'civil_society' FROM speed_chunk""",
        """CREATE TEMP TABLE speed_ref AS
           SELECT gen_random_uuid() AS rid, c.id AS person, c.org, c.created + r.k * interval '1 day' AS sent,
                  b.id AS offer, b.org AS provider, (c.g * 7 + r.k * 31) % 100 AS roll
           FROM speed_chunk c CROSS JOIN generate_series(1, CAST(:per AS int)) r(k)
           JOIN speed_offer b ON b.i = (c.g * 31 + r.k * 17) % :offers""",
        f"""INSERT INTO referral (id, person_id, offer_id, referring_organisation_id, provider_organisation_id,
                                 created_by, shared_categories, status, holds_seat, sent_at, updated_at, version)
           SELECT rid, person, offer, org, provider, org, '[]', {STATUS_SQL}, roll BETWEEN 30 AND 64, sent, sent, 1
           FROM speed_ref""",
        """INSERT INTO referral_transition (referral_id, action, from_status, to_status, referring_organisation_id,
                                            provider_organisation_id, actor_organisation_id, occurred_at)
           SELECT rid, 'send', NULL, 'sent', org, provider, org, sent FROM speed_ref ORDER BY sent""",
        """INSERT INTO contact_agreement (id, referral_id, provider_organisation_id, channel, cadence,
                                          next_contact_at, updated_by, updated_at)
           SELECT gen_random_uuid(), rid, provider, 'phone', 'weekly',
                  now() + ((roll % 21) - 10) * interval '1 day' + (roll % 7) * interval '1 hour', provider, sent
           FROM speed_ref WHERE roll BETWEEN 30 AND 64""",
        """WITH ev AS (
               INSERT INTO audit_event (occurred_at, actor_type, actor_id, organisation_id, action, subject_type,
                                        subject_id, purpose, outcome, actor_role)
               SELECT created, 'user', org::text, org, 'person.read', 'person', id::text, 'casework', 'success',
                      'caseworker' FROM speed_chunk RETURNING id, subject_id)
           INSERT INTO audit_event_person (event_id, person_id) SELECT id, CAST(subject_id AS uuid) FROM ev""",
        """INSERT INTO outbox_event (id, type, organisation_id, subject, payload, occurred_at)
           SELECT gen_random_uuid(), 'referral.created', provider, 'referral/' || rid, '{}', sent
           FROM speed_ref ORDER BY sent""" if outbox else "",
        "DROP TABLE speed_ref",
        "DROP TABLE speed_chunk",
    ]
    for statement in filter(None, statements):
        conn.execute(text(statement), params)


def analyze(conn: Any) -> None:
    """Planner statistics for the hot tables (inside the caller's transaction, like the data)."""
    for table in HOT_TABLES:
        conn.execute(text(f"ANALYZE {table}"))


def add_persons(conn: Any, organisation_id: uuid.UUID, count: int) -> None:
    """`count` more registered persons (consent, risk setting, no referrals) for one organisation."""
    _replica(conn, True)
    statements = [
        """CREATE TEMP TABLE speed_more AS
           SELECT g, gen_random_uuid() AS id, gen_random_uuid() AS consent_id, CAST(:org AS uuid) AS org,
                  (SELECT municipality_code FROM organisation WHERE id = :org) AS municipality,
                  now() - (g % 1000) * interval '1 hour' AS created
           FROM generate_series(1000000000, 1000000000 + :n - 1) g""",
        f"""INSERT INTO person (id, organisation_id, status, given_name, family_name, birth_year, municipality_code,
                               version, created_at, updated_at)
           SELECT id, org, 'active', ({_arr(GIVEN)})[1 + abs(hashint4(g)) % {len(GIVEN)}],
                  ({_arr(FAMILY)})[1 + abs(hashint4(g + 1)) % {len(FAMILY)}], 1930 + g % 80, municipality, 1,
                  created, created FROM speed_more""",
        f"""INSERT INTO person_risk_setting (person_id, risk_setting_code)
           SELECT id, ({_arr(RISK)})[1 + g % 9] FROM speed_more""",
        """INSERT INTO consent (id, person_id, data_categories, given_by, method, consent_text_version, recorded_by,
                               given_at, created_at)
           SELECT consent_id, id, '["contact_details"]', 'self', 'written', 'speed', org, created, created
           FROM speed_more""",
        """INSERT INTO consent_purpose (consent_id, purpose) SELECT consent_id, 'registration' FROM speed_more""",
        "DROP TABLE speed_more",
    ]
    for statement in statements:
        conn.execute(text(statement), {"org": organisation_id, "n": count})
    _replica(conn, False)
