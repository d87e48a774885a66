"""report summary: the report's fast path keeps each SQL family's raw facts per effective query

`report_summary` (service.reports.summary): aggregates only, refreshed with bounded staleness.

Revision ID: 0014_report_summary
Revises: 0013_webhook_secrets
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from service.core.types import UTCDateTime

revision: str = "0014_report_summary"
down_revision: str | Sequence[str] | None = "0018_person_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_summary",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("family", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("computed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(op.f("ix_report_summary_computed_at"), "report_summary", ["computed_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_report_summary_computed_at"), table_name="report_summary")
    op.drop_table("report_summary")
