"""report facts: Cell Key Method record keys, the stored T-ILS change of a follow-up

- `person.record_key`, `referral.record_key`: random integers in [0, 2^20), drawn once (backfilled here with
  the database's random generator), that the reports' disclosure control sums into cell keys.
- `loneliness_measurement.tils_change`: follow-up total minus the latest intake total at or before it,
  backfilled for existing follow-ups; new ones store it when recorded.

Revision ID: 0009_report_facts
Revises: 0007_integrity
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_report_facts"
down_revision: str | Sequence[str] | None = "0012_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MODULUS = 1 << 20


def upgrade() -> None:
    for table in ("person", "referral"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("record_key", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("loneliness_measurement") as batch:
        batch.add_column(sa.Column("tils_change", sa.Integer(), nullable=True))
    random = (f"CAST(floor(random() * {MODULUS}) AS INTEGER)" if op.get_bind().dialect.name == "postgresql"
              else f"(abs(random()) % {MODULUS})")
    for table in ("person", "referral"):
        op.execute(f"UPDATE {table} SET record_key = {random}")  # noqa: S608 - constants only
    op.execute("""
        UPDATE loneliness_measurement SET tils_change = total - (
            SELECT i.total FROM loneliness_measurement i
            WHERE i.person_id = loneliness_measurement.person_id AND i.context = 'intake'
              AND i.measured_at <= loneliness_measurement.measured_at
            ORDER BY i.measured_at DESC LIMIT 1)
        WHERE context = 'follow_up'
    """)


def downgrade() -> None:
    with op.batch_alter_table("loneliness_measurement") as batch:
        batch.drop_column("tils_change")
    for table in ("referral", "person"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("record_key")
