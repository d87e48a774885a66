"""personal-data lifecycle: access-log subjects and roles, sealed audit chain, key ids, narrowed consents,
consent documents

Revision ID: 0008_lifecycle
Revises: 0005_referrals
Create Date: 2026-11-23
"""
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.core.types

revision: str = "0008_lifecycle"
down_revision: str | Sequence[str] | None = "0006_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BATCH = 1000


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sealed_seq", BIGINT, nullable=False),
        sa.Column("sealed_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("anchor_seq", BIGINT, nullable=False),
        sa.Column("anchor_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("updated_at", service.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.create_table(
        "audit_event_person",
        sa.Column("event_id", BIGINT, nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["audit_event.id"],
                                name=op.f("fk_audit_event_person_event_id_audit_event")),
        sa.PrimaryKeyConstraint("event_id", "person_id", name=op.f("pk_audit_event_person")),
    )
    with op.batch_alter_table("audit_event_person", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_person_person_event", ["person_id", "event_id"], unique=False)

    op.create_table(
        "consent_document",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=False),
        sa.Column("uploaded_at", service.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["consent_id"], ["consent.id"], name=op.f("fk_consent_document_consent_id_consent")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_consent_document_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_document")),
    )
    with op.batch_alter_table("consent_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_document_consent_id"), ["consent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_document_key_id"), ["key_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_document_person_id"), ["person_id"], unique=False)

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column("seal_seq", BIGINT, nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("chain_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_audit_event_seal_seq"), ["seal_seq"])

    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaces_consent_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_consent_replaces_consent_id"), ["replaces_consent_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_consent_replaces_consent_id_consent"), "consent",
                                    ["replaces_consent_id"], ["id"])

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cpr_key_id", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.create_index(batch_op.f("ix_person_cpr_key_id"), ["cpr_key_id"], unique=False)

    _backfill()


def _backfill() -> None:
    """CPR stored so far was made with the settings' single key pair, which the key ring calls `k1`.
    Audit events get their data subjects where derivable (a person subject, a referral's person, a
    `person_id` criterion) and the actor's role as it is now (the role at the time was not recorded)."""
    bind = op.get_bind()
    person = sa.table("person", sa.column("cpr_key_id", sa.String), sa.column("cpr_encrypted", sa.String))
    bind.execute(person.update().where(person.c.cpr_encrypted.is_not(None)).values(cpr_key_id="k1"))
    event = sa.table("audit_event", sa.column("id", BIGINT), sa.column("actor_type", sa.String),
                     sa.column("actor_id", sa.String), sa.column("actor_role", sa.String),
                     sa.column("subject_type", sa.String), sa.column("subject_id", sa.String),
                     sa.column("criterion", sa.JSON))
    link = sa.table("audit_event_person", sa.column("event_id", BIGINT), sa.column("person_id", sa.Uuid))
    referral = sa.table("referral", sa.column("id", sa.Uuid), sa.column("person_id", sa.Uuid))
    for table in ("app_user", "api_client"):
        account = sa.table(table, sa.column("id", sa.Uuid), sa.column("role", sa.String))
        kind = "user" if table == "app_user" else "client"
        for account_id, role in bind.execute(sa.select(account.c.id, account.c.role)).all():
            bind.execute(event.update().where(event.c.actor_type == kind, event.c.actor_id == str(account_id))
                         .values(actor_role=role))
    last = 0
    while True:
        rows = bind.execute(sa.select(event.c.id, event.c.subject_type, event.c.subject_id, event.c.criterion)
                            .where(event.c.id > last).order_by(event.c.id).limit(BATCH)).all()
        if not rows:
            break
        last = rows[-1].id
        links: set[tuple[int, uuid.UUID]] = set()
        referral_ids: dict[int, uuid.UUID] = {}
        for row in rows:
            subject = _uuid(row.subject_id)
            if row.subject_type == "person" and subject:
                links.add((row.id, subject))
            elif row.subject_type == "referral" and subject:
                referral_ids[row.id] = subject
            named = _uuid((row.criterion or {}).get("person_id")) if isinstance(row.criterion, dict) else None
            if named:
                links.add((row.id, named))
        if referral_ids:
            persons = dict(bind.execute(sa.select(referral.c.id, referral.c.person_id)
                                        .where(referral.c.id.in_(set(referral_ids.values())))).tuples().all())
            links |= {(eid, persons[rid]) for eid, rid in referral_ids.items() if rid in persons}
        if links:
            bind.execute(link.insert(), [{"event_id": e, "person_id": p} for e, p in sorted(links)])


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_cpr_key_id"))
        batch_op.drop_column("cpr_key_id")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_consent_replaces_consent_id_consent"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_consent_replaces_consent_id"))
        batch_op.drop_column("replaces_consent_id")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_event_seal_seq"), type_="unique")
        batch_op.drop_column("chain_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seal_seq")
        batch_op.drop_column("actor_role")
    with op.batch_alter_table("consent_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_document_person_id"))
        batch_op.drop_index(batch_op.f("ix_consent_document_key_id"))
        batch_op.drop_index(batch_op.f("ix_consent_document_consent_id"))
    op.drop_table("consent_document")
    with op.batch_alter_table("audit_event_person", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_person_person_event")
    op.drop_table("audit_event_person")
    op.drop_table("audit_chain_head")
