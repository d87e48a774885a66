"""foundation: organisations, users, api clients, audit, reference data

Revision ID: 0001_foundation
Revises: 
Create Date: 2026-11-22
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.core.types

MUNICIPALITIES = [
    ('0101', 'København', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0147', 'Frederiksberg', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0151', 'Ballerup', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0153', 'Brøndby', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0155', 'Dragør', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0157', 'Gentofte', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0159', 'Gladsaxe', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0161', 'Glostrup', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0163', 'Herlev', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0165', 'Albertslund', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0167', 'Hvidovre', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0169', 'Høje-Taastrup', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0173', 'Lyngby-Taarbæk', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0175', 'Rødovre', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0183', 'Ishøj', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0185', 'Tårnby', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0187', 'Vallensbæk', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0190', 'Furesø', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0201', 'Allerød', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0210', 'Fredensborg', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0217', 'Helsingør', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0219', 'Hillerød', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0223', 'Hørsholm', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0230', 'Rudersdal', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0240', 'Egedal', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0250', 'Frederikssund', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0253', 'Greve', '1085', 'Region Sjælland', 'DK-85'),
    ('0259', 'Køge', '1085', 'Region Sjælland', 'DK-85'),
    ('0260', 'Halsnæs', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0265', 'Roskilde', '1085', 'Region Sjælland', 'DK-85'),
    ('0269', 'Solrød', '1085', 'Region Sjælland', 'DK-85'),
    ('0270', 'Gribskov', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0306', 'Odsherred', '1085', 'Region Sjælland', 'DK-85'),
    ('0316', 'Holbæk', '1085', 'Region Sjælland', 'DK-85'),
    ('0320', 'Faxe', '1085', 'Region Sjælland', 'DK-85'),
    ('0326', 'Kalundborg', '1085', 'Region Sjælland', 'DK-85'),
    ('0329', 'Ringsted', '1085', 'Region Sjælland', 'DK-85'),
    ('0330', 'Slagelse', '1085', 'Region Sjælland', 'DK-85'),
    ('0336', 'Stevns', '1085', 'Region Sjælland', 'DK-85'),
    ('0340', 'Sorø', '1085', 'Region Sjælland', 'DK-85'),
    ('0350', 'Lejre', '1085', 'Region Sjælland', 'DK-85'),
    ('0360', 'Lolland', '1085', 'Region Sjælland', 'DK-85'),
    ('0370', 'Næstved', '1085', 'Region Sjælland', 'DK-85'),
    ('0376', 'Guldborgsund', '1085', 'Region Sjælland', 'DK-85'),
    ('0390', 'Vordingborg', '1085', 'Region Sjælland', 'DK-85'),
    ('0400', 'Bornholm', '1084', 'Region Hovedstaden', 'DK-84'),
    ('0410', 'Middelfart', '1083', 'Region Syddanmark', 'DK-83'),
    ('0420', 'Assens', '1083', 'Region Syddanmark', 'DK-83'),
    ('0430', 'Faaborg-Midtfyn', '1083', 'Region Syddanmark', 'DK-83'),
    ('0440', 'Kerteminde', '1083', 'Region Syddanmark', 'DK-83'),
    ('0450', 'Nyborg', '1083', 'Region Syddanmark', 'DK-83'),
    ('0461', 'Odense', '1083', 'Region Syddanmark', 'DK-83'),
    ('0479', 'Svendborg', '1083', 'Region Syddanmark', 'DK-83'),
    ('0480', 'Nordfyns', '1083', 'Region Syddanmark', 'DK-83'),
    ('0482', 'Langeland', '1083', 'Region Syddanmark', 'DK-83'),
    ('0492', 'Ærø', '1083', 'Region Syddanmark', 'DK-83'),
    ('0510', 'Haderslev', '1083', 'Region Syddanmark', 'DK-83'),
    ('0530', 'Billund', '1083', 'Region Syddanmark', 'DK-83'),
    ('0540', 'Sønderborg', '1083', 'Region Syddanmark', 'DK-83'),
    ('0550', 'Tønder', '1083', 'Region Syddanmark', 'DK-83'),
    ('0561', 'Esbjerg', '1083', 'Region Syddanmark', 'DK-83'),
    ('0563', 'Fanø', '1083', 'Region Syddanmark', 'DK-83'),
    ('0573', 'Varde', '1083', 'Region Syddanmark', 'DK-83'),
    ('0575', 'Vejen', '1083', 'Region Syddanmark', 'DK-83'),
    ('0580', 'Aabenraa', '1083', 'Region Syddanmark', 'DK-83'),
    ('0607', 'Fredericia', '1083', 'Region Syddanmark', 'DK-83'),
    ('0615', 'Horsens', '1082', 'Region Midtjylland', 'DK-82'),
    ('0621', 'Kolding', '1083', 'Region Syddanmark', 'DK-83'),
    ('0630', 'Vejle', '1083', 'Region Syddanmark', 'DK-83'),
    ('0657', 'Herning', '1082', 'Region Midtjylland', 'DK-82'),
    ('0661', 'Holstebro', '1082', 'Region Midtjylland', 'DK-82'),
    ('0665', 'Lemvig', '1082', 'Region Midtjylland', 'DK-82'),
    ('0671', 'Struer', '1082', 'Region Midtjylland', 'DK-82'),
    ('0706', 'Syddjurs', '1082', 'Region Midtjylland', 'DK-82'),
    ('0707', 'Norddjurs', '1082', 'Region Midtjylland', 'DK-82'),
    ('0710', 'Favrskov', '1082', 'Region Midtjylland', 'DK-82'),
    ('0727', 'Odder', '1082', 'Region Midtjylland', 'DK-82'),
    ('0730', 'Randers', '1082', 'Region Midtjylland', 'DK-82'),
    ('0740', 'Silkeborg', '1082', 'Region Midtjylland', 'DK-82'),
    ('0741', 'Samsø', '1082', 'Region Midtjylland', 'DK-82'),
    ('0746', 'Skanderborg', '1082', 'Region Midtjylland', 'DK-82'),
    ('0751', 'Aarhus', '1082', 'Region Midtjylland', 'DK-82'),
    ('0756', 'Ikast-Brande', '1082', 'Region Midtjylland', 'DK-82'),
    ('0760', 'Ringkøbing-Skjern', '1082', 'Region Midtjylland', 'DK-82'),
    ('0766', 'Hedensted', '1082', 'Region Midtjylland', 'DK-82'),
    ('0773', 'Morsø', '1081', 'Region Nordjylland', 'DK-81'),
    ('0779', 'Skive', '1082', 'Region Midtjylland', 'DK-82'),
    ('0787', 'Thisted', '1081', 'Region Nordjylland', 'DK-81'),
    ('0791', 'Viborg', '1082', 'Region Midtjylland', 'DK-82'),
    ('0810', 'Brønderslev', '1081', 'Region Nordjylland', 'DK-81'),
    ('0813', 'Frederikshavn', '1081', 'Region Nordjylland', 'DK-81'),
    ('0820', 'Vesthimmerlands', '1081', 'Region Nordjylland', 'DK-81'),
    ('0825', 'Læsø', '1081', 'Region Nordjylland', 'DK-81'),
    ('0840', 'Rebild', '1081', 'Region Nordjylland', 'DK-81'),
    ('0846', 'Mariagerfjord', '1081', 'Region Nordjylland', 'DK-81'),
    ('0849', 'Jammerbugt', '1081', 'Region Nordjylland', 'DK-81'),
    ('0851', 'Aalborg', '1081', 'Region Nordjylland', 'DK-81'),
    ('0860', 'Hjørring', '1081', 'Region Nordjylland', 'DK-81'),
]

# Recommendation 4 settings (DOMAIN.md). Ministry names are the 2020 ones; change them with a migration.
RISK_SETTINGS = [
    ("out_of_home_placement", "anbringelse", "child or young person placed outside the home",
     "Social- og Indenrigsministeriet", "ordinary", 1),
    ("crisis_centre", "ophold på krisecenter", "stay at a crisis centre", "Social- og Indenrigsministeriet",
     "ordinary", 2),
    ("residential_institution", "døgninstitution", "residential (24-hour) institution",
     "Social- og Indenrigsministeriet", "ordinary", 3),
    ("social_housing_facility", "socialt botilbud", "social housing facility", "Social- og Indenrigsministeriet",
     "ordinary", 4),
    ("nursing_home", "plejehjem", "nursing home", "Sundheds- og Ældreministeriet", "gdpr_art9", 5),
    ("disability_at_home", "funktionsnedsættelse i eget hjem (fysisk, psykisk, kognitiv)",
     "physical, mental or cognitive disability, living at home", "Social- og Indenrigsministeriet", "gdpr_art9", 6),
    ("relative_of_seriously_ill", "pårørende til svært syge", "relative of a seriously ill person",
     "Sundheds- og Ældreministeriet", "gdpr_art9", 7),
    ("homelessness", "hjemløshed", "homelessness", "Social- og Indenrigsministeriet", "ordinary", 8),
    ("imprisonment", "fængselsophold", "imprisonment", "Justitsministeriet", "gdpr_art10", 9),
]

revision: str = '0001_foundation'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('audit_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('occurred_at', service.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('actor_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('organisation_id', sa.Uuid(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('subject_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('subject_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('criterion', sa.JSON(), nullable=True),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_subject_id'), ['subject_id'], unique=False)

    op.create_table('municipality',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('region_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('region_iso', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('risk_setting',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('label_da', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('label_en', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('responsible_ministry', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('sensitivity', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('organisation',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('cvr', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('municipality_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('website', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('postcode', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('city', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('is_national', sa.Boolean(), nullable=False),
    sa.Column('created_at', service.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', service.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cvr')
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_municipality_code'), ['municipality_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_name'), ['name'], unique=False)

    op.create_table('api_client',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', service.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', service.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_id')
    )
    with op.batch_alter_table('api_client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_client_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('app_user',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_login_at', service.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', service.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', service.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_organisation_id'), ['organisation_id'], unique=False)

    # ### end Alembic commands ###
    municipality = sa.table("municipality", *(sa.column(c) for c in (
        "code", "name", "region_code", "region_name", "region_iso")))
    op.bulk_insert(municipality, [dict(zip(("code", "name", "region_code", "region_name", "region_iso"), row,
                                           strict=True)) for row in MUNICIPALITIES])
    risk_setting = sa.table("risk_setting", *(sa.column(c) for c in (
        "code", "label_da", "label_en", "responsible_ministry", "sensitivity", "sort_order")))
    op.bulk_insert(risk_setting, [dict(zip(("code", "label_da", "label_en", "responsible_ministry", "sensitivity",
                                            "sort_order"), row, strict=True)) for row in RISK_SETTINGS])


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_organisation_id'))

    op.drop_table('app_user')
    with op.batch_alter_table('api_client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_client_organisation_id'))

    op.drop_table('api_client')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_name'))
        batch_op.drop_index(batch_op.f('ix_organisation_municipality_code'))
        batch_op.drop_index(batch_op.f('ix_organisation_kind'))

    op.drop_table('organisation')
    op.drop_table('risk_setting')
    op.drop_table('municipality')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_subject_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
    # ### end Alembic commands ###
