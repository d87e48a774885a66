"""directory: external ids for re-import, intake texts, folded search columns

- `offer.external_id` (unique per provider, `uq_offer_organisation_id_external_id`): the CSV/XLSX import
  upserts on it.
- `offer.eligibility`, `offer.intake`, `offer.transport_notes`: public texts of the offer read.
- `offer.title_folded`, `offer.search_text`, `offer.address_folded`: Danish-folded copies for the search
  (service/core/folding.py); existing rows are filled here with the same Python function.

Revision ID: 0017_directory
Revises: 0013_webhook_secrets
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017_directory"
down_revision: str | Sequence[str] | None = "0013_webhook_secrets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_offer = sa.table("offer", sa.column("id", sa.Uuid()), sa.column("title", sa.String),
                  sa.column("description", sa.String), sa.column("city", sa.String), sa.column("address", sa.String), sa.column("title_folded", sa.String),
                  sa.column("search_text", sa.Text), sa.column("address_folded", sa.String))


def upgrade() -> None:
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column("eligibility", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))
        batch_op.add_column(sa.Column("intake", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))
        batch_op.add_column(sa.Column("transport_notes", sqlmodel.sql.sqltypes.AutoString(length=500),
                                      nullable=True))
        batch_op.add_column(sa.Column("title_folded", sqlmodel.sql.sqltypes.AutoString(length=400),
                                      server_default="", nullable=False))
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("address_folded", sqlmodel.sql.sqltypes.AutoString(length=400),
                                      nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_offer_organisation_id_external_id"),
                                          ["organisation_id", "external_id"])
    from service.core.folding import fold, search_text

    bind = op.get_bind()
    rows = bind.execute(sa.select(_offer.c.id, _offer.c.title, _offer.c.description, _offer.c.city,
                                  _offer.c.address)).all()
    update = _offer.update().where(_offer.c.id == sa.bindparam("b_id")).values(
        title_folded=sa.bindparam("b_title"), search_text=sa.bindparam("b_text"),
        address_folded=sa.bindparam("b_address"))
    for start in range(0, len(rows), 5000):  # one executemany per batch, not a statement per offer
        bind.execute(update, [{"b_id": offer_id, "b_title": fold(title),
                               "b_text": search_text(title, city, description), "b_address": fold(address) or None}
                              for offer_id, title, description, city, address in rows[start:start + 5000]])


def downgrade() -> None:
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_offer_organisation_id_external_id"), type_="unique")
        for column in ("address_folded", "search_text", "title_folded", "transport_notes", "intake", "eligibility",
                       "external_id"):
            batch_op.drop_column(column)
