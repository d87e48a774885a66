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
    op.create_table('offer',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('min_age', sa.Integer(), nullable=True),
    sa.Column('max_age', sa.Integer(), nullable=True),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('nationwide', sa.Boolean(), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('postcode', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('city', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('confidential_location', sa.Boolean(), nullable=False),
    sa.Column('schedule', sa.JSON(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('seats_taken', sa.Integer(), nullable=False),
    sa.Column('cost_free', sa.Boolean(), nullable=False),
    sa.Column('cost_text', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('contact_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('contact_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('contact_phone', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('website', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('published_at', service.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', service.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', service.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_offer_capacity_not_negative')),
    sa.CheckConstraint('min_age <= max_age', name=op.f('ck_offer_age_range')),
    sa.CheckConstraint('seats_taken <= capacity', name=op.f('ck_offer_seats_within_capacity')),
    sa.CheckConstraint('seats_taken >= 0', name=op.f('ck_offer_seats_taken_not_negative')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_offer_mode'), ['mode'], unique=False)
        batch_op.create_index(batch_op.f('ix_offer_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offer_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_offer_title'), ['title'], unique=False)

    op.create_table('offer_accessibility',
    sa.Column('offer_id', sa.Uuid(), nullable=False),
    sa.Column('feature', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offer.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offer_id', 'feature')
    )
    with op.batch_alter_table('offer_accessibility', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_accessibility_feature'), ['feature'], unique=False)

    op.create_table('offer_language',
    sa.Column('offer_id', sa.Uuid(), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offer.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offer_id', 'language')
    )
    with op.batch_alter_table('offer_language', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_language_language'), ['language'], unique=False)

    op.create_table('offer_municipality',
    sa.Column('offer_id', sa.Uuid(), nullable=False),
    sa.Column('municipality_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'], ),
    sa.ForeignKeyConstraint(['offer_id'], ['offer.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offer_id', 'municipality_code')
    )
    with op.batch_alter_table('offer_municipality', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_municipality_municipality_code'), ['municipality_code'], unique=False)

    op.create_table('offer_risk_setting',
    sa.Column('offer_id', sa.Uuid(), nullable=False),
    sa.Column('risk_setting_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offer.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['risk_setting_code'], ['risk_setting.code'], ),
    sa.PrimaryKeyConstraint('offer_id', 'risk_setting_code')
    )
    with op.batch_alter_table('offer_risk_setting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_risk_setting_risk_setting_code'), ['risk_setting_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('offer_risk_setting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_risk_setting_risk_setting_code'))

    op.drop_table('offer_risk_setting')
    with op.batch_alter_table('offer_municipality', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_municipality_municipality_code'))

    op.drop_table('offer_municipality')
    with op.batch_alter_table('offer_language', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_language_language'))

    op.drop_table('offer_language')
    with op.batch_alter_table('offer_accessibility', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_accessibility_feature'))

    op.drop_table('offer_accessibility')
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_title'))
        batch_op.drop_index(batch_op.f('ix_offer_status'))
        batch_op.drop_index(batch_op.f('ix_offer_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_offer_mode'))
        batch_op.drop_index(batch_op.f('ix_offer_category'))

    op.drop_table('offer')
