"""hot indexes: every list page and feed is a keyset walk on one index per organisation (issue #14)

- persons page: (organisation_id, created_at, id); name search: one GIN index on (organisation_id, given_name,
  family_name), the names as trigrams (PostgreSQL extensions `pg_trgm` and `btree_gin`, created here; on SQLite
  it is a plain index and the search filters the organisation's rows);
- referral sent list / provider inbox: (referring|provider_organisation_id, sent_at, id);
- event feed: (referring|provider_organisation_id, id) on referral_transition; (organisation_id, seq) on the
  outbox;
- contact due list: (provider_organisation_id, next_contact_at, id);
- audit trail: (organisation_id, id) and (subject_id, id).

The single-column indexes that are now a prefix of one of these are dropped (one index less per insert).
On a large existing PostgreSQL database the CREATE INDEX statements lock writes to the table while they run.

Revision ID: 0015_hot_indexes
Revises: 0013_webhook_secrets
Create Date: 2026-11-23
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0015_hot_indexes"
down_revision: str | Sequence[str] | None = "0016_contact_rhythm"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (new index, table, columns)
_KEYSET = [
    ("ix_person_organisation_created_id", "person", ["organisation_id", "created_at", "id"]),
    ("ix_referral_referrer_sent_id", "referral", ["referring_organisation_id", "sent_at", "id"]),
    ("ix_referral_provider_sent_id", "referral", ["provider_organisation_id", "sent_at", "id"]),
    ("ix_referral_transition_referrer_id", "referral_transition", ["referring_organisation_id", "id"]),
    ("ix_referral_transition_provider_id", "referral_transition", ["provider_organisation_id", "id"]),
    ("ix_contact_agreement_provider_next_id", "contact_agreement",
     ["provider_organisation_id", "next_contact_at", "id"]),
    ("ix_audit_event_organisation_id_id", "audit_event", ["organisation_id", "id"]),
    ("ix_audit_event_subject_id_id", "audit_event", ["subject_id", "id"]),
    ("ix_outbox_event_organisation_seq", "outbox_event", ["organisation_id", "seq"]),
]
# (old single-column index, table, column): each is the first column of a new index above
_REDUNDANT = [
    ("ix_person_organisation_id", "person", "organisation_id"),
    ("ix_referral_transition_referring_organisation_id", "referral_transition", "referring_organisation_id"),
    ("ix_referral_transition_provider_organisation_id", "referral_transition", "provider_organisation_id"),
    ("ix_contact_agreement_provider_organisation_id", "contact_agreement", "provider_organisation_id"),
    ("ix_audit_event_organisation_id", "audit_event", "organisation_id"),
    ("ix_audit_event_subject_id", "audit_event", "subject_id"),
    ("ix_outbox_event_organisation_id", "outbox_event", "organisation_id"),
]
_NAMES = "ix_person_organisation_names_trgm"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    for name, table, columns in _KEYSET:
        op.create_index(name, table, columns)
    op.create_index(_NAMES, "person", ["organisation_id", "given_name", "family_name"], postgresql_using="gin",
                    postgresql_ops={"given_name": "gin_trgm_ops", "family_name": "gin_trgm_ops"})
    for name, table, _column in _REDUNDANT:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, column in _REDUNDANT:
        op.create_index(name, table, [column])
    op.drop_index(_NAMES, table_name="person")
    for name, table, _columns in _KEYSET:
        op.drop_index(name, table_name=table)
    # pg_trgm and btree_gin stay installed: other objects of the database may use it
