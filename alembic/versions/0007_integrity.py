"""integrity: duplicate registrations refused by the database, stored idempotent responses forgotten on erasure

- `person.name_key` (the name + birth-date identity, erased with the names) and two partial unique indexes:
  one active person per organisation and CPR hash, and per organisation and name key.
- `idempotency_record.person_id` / `forgotten_at`; `response_body` becomes nullable (null once forgotten).
- Copies that earlier versions left behind after an erasure are removed: stored responses about erased
  persons and the withdrawal reasons of their consents. (Audit rows are never changed; see the README.)

Revision ID: 0007_integrity
Revises: 0005_referrals
Create Date: 2026-11-23
"""
import json
import uuid
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.core.types
from service.persons.duplicates import name_key

revision: str = "0007_integrity"
down_revision: str | Sequence[str] | None = "0008_lifecycle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
person = sa.table("person", sa.column("id", sa.Uuid()), sa.column("organisation_id", sa.Uuid()),
                  sa.column("status", sa.String()), sa.column("given_name", sa.String()),
                  sa.column("family_name", sa.String()), sa.column("birth_date", sa.Date()),
                  sa.column("cpr_hash", sa.String()), sa.column("name_key", sa.String()))
record = sa.table("idempotency_record", sa.column("id", sa.Integer()), sa.column("response_body", sa.Text()),
                  sa.column("person_id", sa.Uuid()),
                  sa.column("forgotten_at", service.core.types.UTCDateTime(timezone=True)))
consent = sa.table("consent", sa.column("person_id", sa.Uuid()), sa.column("withdrawal_reason", sa.String()))


def _batches(conn: sa.Connection, stmt: sa.Select, key: sa.ColumnElement) -> Iterator[Sequence[sa.Row]]:
    """Rows in key order, BATCH at a time (keyset), so a large table is never held in memory at once."""
    last = None
    while rows := conn.execute((stmt if last is None else stmt.where(key > last)).order_by(key).limit(BATCH)).all():
        yield rows
        last = rows[-1][0]


def _backfill_name_keys(conn: sa.Connection) -> None:
    stmt = sa.select(person.c.id, person.c.given_name, person.c.family_name, person.c.birth_date).where(
        person.c.status == "active", person.c.birth_date.is_not(None))
    for rows in _batches(conn, stmt, person.c.id):
        for pid, given, family, born in rows:
            conn.execute(person.update().where(person.c.id == pid).values(name_key=name_key(given, family, born)))


def _refuse_existing_duplicates(conn: sa.Connection) -> None:
    """Duplicates registered before the database enforced the rule must be resolved by a person, not guessed."""
    clashes = []
    for column in (person.c.cpr_hash, person.c.name_key):
        groups = (sa.select(person.c.organisation_id, column).where(person.c.status == "active", column.is_not(None))
                  .group_by(person.c.organisation_id, column).having(sa.func.count() > 1).subquery())
        clashes += [str(i) for i in conn.scalars(
            sa.select(person.c.id).join(groups, (person.c.organisation_id == groups.c.organisation_id)
                                        & (column == groups.c[column.name]))
            .where(person.c.status == "active").order_by(person.c.id))]
    if clashes:
        raise RuntimeError(
            "Duplicate registrations exist (same organisation and CPR number, or same names and birth date); "
            "the database cannot enforce uniqueness until they are resolved. Keep one record of each person and "
            "withdraw the registration consent of the others (this erases them), then upgrade again. Person ids: "
            + ", ".join(sorted(set(clashes))))


def _forget_erased_copies(conn: sa.Connection) -> None:
    for rows in _batches(conn, sa.select(record.c.id, record.c.response_body), record.c.id):
        for rid, body in rows:
            try:
                about = json.loads(body).get("person_id") if body else None
                pid = uuid.UUID(about) if isinstance(about, str) else None
            except (ValueError, AttributeError):
                pid = None
            if pid is not None:
                conn.execute(record.update().where(record.c.id == rid).values(person_id=pid))
    erased = sa.select(person.c.id).where(person.c.status == "erased")
    conn.execute(record.update().where(record.c.person_id.in_(erased), record.c.response_body.is_not(None))
                 .values(response_body=None, forgotten_at=sa.func.current_timestamp()))
    conn.execute(consent.update().where(consent.c.person_id.in_(erased)).values(withdrawal_reason=None))


def upgrade() -> None:
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('forgotten_at', service.core.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column('response_body', existing_type=sa.TEXT(), nullable=True)
        batch_op.create_index(batch_op.f('ix_idempotency_record_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))

    conn = op.get_bind()
    _backfill_name_keys(conn)
    _forget_erased_copies(conn)
    _refuse_existing_duplicates(conn)
    where_cpr = sa.text("status = 'active' AND cpr_hash IS NOT NULL")
    where_name = sa.text("status = 'active' AND name_key IS NOT NULL")
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index('uq_person_organisation_cpr_hash_active', ['organisation_id', 'cpr_hash'], unique=True,
                              postgresql_where=where_cpr, sqlite_where=where_cpr)
        batch_op.create_index('uq_person_organisation_name_key_active', ['organisation_id', 'name_key'], unique=True,
                              postgresql_where=where_name, sqlite_where=where_name)


def downgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('uq_person_organisation_name_key_active')
        batch_op.drop_index('uq_person_organisation_cpr_hash_active')
        batch_op.drop_column('name_key')

    # Forgotten responses cannot come back; their rows go so the column can be NOT NULL again.
    op.execute("DELETE FROM idempotency_record WHERE response_body IS NULL")
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_record_person_id'))
        batch_op.alter_column('response_body', existing_type=sa.TEXT(), nullable=False)
        batch_op.drop_column('forgotten_at')
        batch_op.drop_column('person_id')
