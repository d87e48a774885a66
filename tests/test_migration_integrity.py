"""Upgrading a database written by earlier versions (0007_integrity): duplicate registrations made before the
database enforced the rule are refused with the ids to resolve — not guessed at — and copies that erasures
used to leave behind (stored responses, withdrawal reasons) are removed. On a throwaway SQLite file."""

import json
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from service.migrations import upgrade
from service.persons.duplicates import name_key

BEFORE = "0005_referrals"


def _hex(value: uuid.UUID) -> str:
    return value.hex  # how SQLAlchemy's Uuid type stores a UUID on SQLite


def test_upgrade_refuses_old_duplicates_and_forgets_what_erasures_left(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, BEFORE)
    org, twin_a, twin_b, erased = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisation (id, name, kind, municipality_code, is_national, created_at, "
                          "updated_at) VALUES (:id, 'Kommune', 'municipality', '0101', 0, '2026-01-01', "
                          "'2026-01-01')"), {"id": _hex(org)})
        insert_person = text(
            "INSERT INTO person (id, organisation_id, status, given_name, family_name, birth_date, cpr_hash, "
            "birth_year, municipality_code, version, created_at, updated_at) VALUES (:id, :org, :status, :g, 'Eks', "
            ":born, :h, 1990, '0101', 1, '2026-01-01', '2026-01-01')")
        for pid, status, given, born, cpr_hash in (
                (twin_a, "active", "Karen", "1990-01-01", "a" * 64), (twin_b, "active", "Anden", None, "a" * 64),
                (erased, "erased", None, None, None)):
            conn.execute(insert_person, {"id": _hex(pid), "org": _hex(org), "status": status, "g": given,
                                         "born": born, "h": cpr_hash})
        conn.execute(text("INSERT INTO consent (id, person_id, data_categories, given_by, method, "
                          "consent_text_version, recorded_by, given_at, withdrawal_reason, created_at) VALUES "
                          "(:id, :p, '[]', 'self', 'written', 'v1', :p, '2026-01-01', 'Gammel grund', '2026-01-01')"),
                     {"id": _hex(uuid.uuid4()), "p": _hex(erased)})
        conn.execute(text("INSERT INTO idempotency_record (principal_key, key, request_path, request_hash, "
                          "status_code, response_body, created_at) VALUES ('user:x', 'k', '/api/v1/referrals', "
                          "'h', 201, :body, '2026-01-01')"),
                     {"body": json.dumps({"person_id": str(erased), "person": {"given_name": "Gammel"}})})
    engine.dispose()

    with pytest.raises(RuntimeError) as refused:
        upgrade(url)
    assert str(twin_a) in str(refused.value) and str(twin_b) in str(refused.value)
    assert "Eks" not in str(refused.value)  # ids to resolve, no personal data

    with create_engine(url).begin() as conn:  # the caseworkers resolve it: the second record is erased
        conn.execute(text("UPDATE person SET status = 'erased', cpr_hash = NULL WHERE id = :id"),
                     {"id": _hex(twin_b)})
    upgrade(url)
    with create_engine(url).connect() as conn:
        assert conn.execute(text("SELECT name_key FROM person WHERE id = :id"), {"id": _hex(twin_a)}).scalar() \
            == name_key("Karen", "Eks", date(1990, 1, 1))
        body, about = conn.execute(text("SELECT response_body, person_id FROM idempotency_record")).one()
        assert body is None and about == _hex(erased)
        assert conn.execute(text("SELECT withdrawal_reason FROM consent")).scalar() is None
        indexes = {row[1] for row in conn.execute(text("PRAGMA index_list('person')"))}
        assert {"uq_person_organisation_cpr_hash_active", "uq_person_organisation_name_key_active"} <= indexes
