"""inclusive-community offers

Revision ID: 0003_offers
Revises: 0002_persons
Create Date: 2026-11-22
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.core.types

revision: str = "0003_offers"
down_revision: str | Sequence[str] | None = "0002_persons"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
