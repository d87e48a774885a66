"""referrals, transitions, contact agreements and contact log, events

Revision ID: 0005_referrals
Revises: 0004_mapping
Create Date: 2026-11-22
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.core.types

revision: str = "0005_referrals"
down_revision: str | Sequence[str] | None = "0004_mapping"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
