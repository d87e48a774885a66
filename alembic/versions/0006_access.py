"""access: ministry codes as reference data, scope keyed on codes, credentials versions

- `ministry` (code, name): the three ministries of Recommendation 4. Scope rules key on the code; the
  name is data and may change with a government.
- `risk_setting.responsible_ministry_code` replaces the name column (the name now lives in `ministry`).
- `organisation.ministry_code`: which ministry an organisation is. Deliberately NOT derived from
  organisation names here: a name could have been self-edited to claim another ministry's scope. After
  upgrading, a system administrator sets `ministry_code` on each ministry organisation
  (`PATCH /api/v1/organisations/{id}`); until then its analysts see no ministry-scoped data.
- `mapping_entry` / `action_plan_measure.responsible_ministry_code`, backfilled from the stored name
  (which was validated against the reference data) or else from the risk setting's ministry.
- `app_user` / `api_client.credentials_version` (tokens carry it and die when it moves on) and
  `api_client.last_token_at` (wrong secrets are counted since the last token, like passwords).

Revision ID: 0006_access
Revises: 0005_referrals
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.core.types

revision: str = "0006_access"
down_revision: str | Sequence[str] | None = "0005_referrals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (code, name as of 2020, sort order) — DOMAIN.md. Rename a ministry by updating its name; never its code.
MINISTRIES = [
    ("social_affairs", "Social- og Indenrigsministeriet", 1),
    ("health", "Sundheds- og Ældreministeriet", 2),
    ("justice", "Justitsministeriet", 3),
]


def _add_ministry_code(table: str, column: str, *, nullable: bool, backfill: str | None = None) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column(column, sa.String(length=40), nullable=True))
    if backfill is not None:
        op.execute(f"UPDATE {table} SET {column} = {backfill}")
    with op.batch_alter_table(table, schema=None) as batch_op:
        if not nullable:
            batch_op.alter_column(column, existing_type=sa.String(length=40), nullable=False)
        batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)
        batch_op.create_foreign_key(batch_op.f(f"fk_{table}_{column}_ministry"), "ministry", [column], ["code"])


def upgrade() -> None:
    op.create_table(
        "ministry",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_ministry")),
        sa.UniqueConstraint("name", name=op.f("uq_ministry_name")),
    )
    ministry = sa.table("ministry", sa.column("code"), sa.column("name"), sa.column("sort_order"))
    op.bulk_insert(ministry, [{"code": c, "name": n, "sort_order": o} for c, n, o in MINISTRIES])

    by_name = "(SELECT ministry.code FROM ministry WHERE ministry.name = {0}.responsible_ministry)"
    _add_ministry_code("risk_setting", "responsible_ministry_code", nullable=False,
                       backfill=by_name.format("risk_setting"))
    with op.batch_alter_table("risk_setting", schema=None) as batch_op:
        batch_op.drop_column("responsible_ministry")

    _add_ministry_code("organisation", "ministry_code", nullable=True)

    _add_ministry_code("mapping_entry", "responsible_ministry_code", nullable=False, backfill=(
        f"COALESCE({by_name.format('mapping_entry')}, (SELECT risk_setting.responsible_ministry_code "
        "FROM risk_setting WHERE risk_setting.code = mapping_entry.risk_setting))"))
    _add_ministry_code("action_plan_measure", "responsible_ministry_code", nullable=False, backfill=(
        f"COALESCE({by_name.format('action_plan_measure')}, (SELECT min(risk_setting.responsible_ministry_code) "
        "FROM action_plan_measure_risk_setting JOIN risk_setting "
        "ON risk_setting.code = action_plan_measure_risk_setting.risk_setting "
        "WHERE action_plan_measure_risk_setting.measure_id = action_plan_measure.id))"))

    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credentials_version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("api_client", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credentials_version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("last_token_at", service.core.types.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_client", schema=None) as batch_op:
        batch_op.drop_column("last_token_at")
        batch_op.drop_column("credentials_version")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("credentials_version")
    for table, column in (("action_plan_measure", "responsible_ministry_code"),
                          ("mapping_entry", "responsible_ministry_code"), ("organisation", "ministry_code")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_{column}_ministry"), type_="foreignkey")
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
            batch_op.drop_column(column)
    with op.batch_alter_table("risk_setting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("responsible_ministry", sa.String(length=120), nullable=True))
    op.execute("UPDATE risk_setting SET responsible_ministry = (SELECT ministry.name FROM ministry "
               "WHERE ministry.code = risk_setting.responsible_ministry_code)")
    with op.batch_alter_table("risk_setting", schema=None) as batch_op:
        batch_op.alter_column("responsible_ministry", existing_type=sa.String(length=120), nullable=False)
        batch_op.drop_constraint(batch_op.f("fk_risk_setting_responsible_ministry_code_ministry"),
                                 type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_risk_setting_responsible_ministry_code"))
        batch_op.drop_column("responsible_ministry_code")
    op.drop_table("ministry")
