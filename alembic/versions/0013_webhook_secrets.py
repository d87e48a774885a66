"""webhook secrets: the signing secrets are stored encrypted under the key ring

- `webhook_endpoint.secret` / `previous_secret` (plain text) become `secret_encrypted` /
  `previous_secret_encrypted` (AES-256-GCM under `TVAERS_CURRENT_KEY_ID`, see service.webhooks.secrets), and
  `secret_key_id` names the key of both, for `tvaers keys check|rotate`.
- Existing rows are encrypted here, so the migration needs the application's key ring: it runs in the same
  process and environment as the application (`tvaers db upgrade`). If the ring cannot be loaded, the upgrade
  refuses (naming no key material) before changing anything; configure the keys and run it again.
- The downgrade decrypts them back (it needs the keys as well).

Revision ID: 0013_webhook_secrets
Revises: 0009_report_facts
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013_webhook_secrets"
down_revision: str | Sequence[str] | None = "0009_report_facts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_endpoint = sa.table("webhook_endpoint", sa.column("id", sa.Uuid()), sa.column("secret", sa.String),
                     sa.column("previous_secret", sa.String), sa.column("secret_encrypted", sa.String),
                     sa.column("previous_secret_encrypted", sa.String), sa.column("secret_key_id", sa.String))


def _key_ring_or_refuse() -> None:
    from service.core.settings import get_settings

    try:
        get_settings().keys()
    except Exception as exc:  # settings validation: say what to do, never echo values
        raise RuntimeError("0013_webhook_secrets encrypts the stored webhook signing secrets with the key ring, "
                           "which could not be loaded from the settings (TVAERS_KEY_RING, TVAERS_CURRENT_KEY_ID, "
                           f"TVAERS_CPR_ENCRYPTION_KEY; {type(exc).__name__}); configure them and run the "
                           "upgrade again") from None


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_endpoint.c.id, _endpoint.c.secret, _endpoint.c.previous_secret)).all()
    if rows:
        _key_ring_or_refuse()
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret_encrypted", sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=True))
        batch_op.add_column(sa.Column("previous_secret_encrypted", sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=True))
        batch_op.add_column(sa.Column("secret_key_id", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    if rows:
        from service.webhooks.secrets import sealed

        for endpoint_id, secret, previous in rows:
            bind.execute(_endpoint.update().where(_endpoint.c.id == endpoint_id)
                         .values(**sealed(endpoint_id, secret, previous)))
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.alter_column("secret_encrypted", existing_type=sqlmodel.sql.sqltypes.AutoString(length=200),
                              nullable=False)
        batch_op.alter_column("secret_key_id", existing_type=sqlmodel.sql.sqltypes.AutoString(length=20),
                              nullable=False)
        batch_op.create_index(batch_op.f("ix_webhook_endpoint_secret_key_id"), ["secret_key_id"], unique=False)
        batch_op.drop_column("secret")
        batch_op.drop_column("previous_secret")


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_endpoint.c.id, _endpoint.c.secret_encrypted,
                                  _endpoint.c.previous_secret_encrypted)).all()
    if rows:
        _key_ring_or_refuse()
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column("previous_secret", sqlmodel.sql.sqltypes.AutoString(length=100),
                                      nullable=True))
    if rows:
        from service.webhooks.secrets import unseal

        for endpoint_id, token, previous in rows:
            bind.execute(_endpoint.update().where(_endpoint.c.id == endpoint_id).values(
                secret=unseal(endpoint_id, token), previous_secret=unseal(endpoint_id, previous) if previous else None))
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.alter_column("secret", existing_type=sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False)
        batch_op.drop_index(batch_op.f("ix_webhook_endpoint_secret_key_id"))
        batch_op.drop_column("secret_key_id")
        batch_op.drop_column("previous_secret_encrypted")
        batch_op.drop_column("secret_encrypted")
