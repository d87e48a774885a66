import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from service.core.types import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    """Who did what to which subject, why, and with what outcome. Append-only: no code path changes a
    content column; the sealer (service.audit.chain) fills the three seal columns once."""

    __tablename__ = "audit_event"
    # the organisation's trail and a subject's trail, newest or oldest first by id (migration 0015)
    __table_args__ = (Index("ix_audit_event_organisation_id_id", "organisation_id", "id"),
                      Index("ix_audit_event_subject_id_id", "subject_id", "id"))

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    occurred_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False,
                                                                           index=True))
    actor_type: str = Field(max_length=20)  # user | client | anonymous | system
    actor_id: str | None = Field(default=None, max_length=64)
    organisation_id: uuid.UUID | None = Field(default=None)
    action: str = Field(max_length=60, index=True)
    subject_type: str | None = Field(default=None, max_length=40)
    subject_id: str | None = Field(default=None, max_length=64)
    criterion: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    purpose: str = Field(max_length=60)
    outcome: str = Field(max_length=20)  # success | denied | failure
    reason: str | None = Field(default=None, max_length=120)
    # the actor's role when the event happened (the access log names it; roles change later)
    actor_role: str | None = Field(default=None, max_length=20)
    # Tamper evidence, written once by the sealer: position in the chain, the previous link and this link.
    seal_seq: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                                nullable=True, unique=True))
    prev_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    chain_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))


class AuditEventPerson(SQLModel, table=True):
    """The data subjects an audit event concerns (one for a read, many for a list or search), so a person's
    access log (GDPR art. 15) is one indexed query. No foreign key to `person`: the trail outlives the row."""

    __tablename__ = "audit_event_person"
    __table_args__ = (Index("ix_audit_event_person_person_event", "person_id", "event_id"),)

    event_id: int = Field(sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                           ForeignKey("audit_event.id"), primary_key=True))
    person_id: uuid.UUID = Field(primary_key=True)


class AuditChainHead(SQLModel, table=True):
    """The one row that serialises sealers and remembers the chain's ends, signed with the audit key:
    the sealed head (last sealed event) and the retention anchor (last event deleted by retention)."""

    __tablename__ = "audit_chain_head"

    id: int = Field(default=1, primary_key=True)
    sealed_seq: int = Field(default=0, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                        nullable=False, default=0))
    sealed_hash: str = Field(default="", max_length=64)
    anchor_seq: int = Field(default=0, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                        nullable=False, default=0))
    anchor_hash: str = Field(default="", max_length=64)
    signature: str = Field(default="", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
