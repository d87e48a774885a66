"""The hot look-ups of possible duplicates and transfers are index-backed (EXPLAIN on both databases).

The statements are the ones the services run (`persons.similar.candidates`, the pending-transfer check of
`persons.transfer.request`, the receiver's inbox of `persons.transfer.list_transfers`), compiled with literal
values so the plan is the database's own. On PostgreSQL sequential scans are disabled for the EXPLAIN, so
"index-backed" means an index can serve the statement, whatever the (tiny) test tables would favour.
"""

import uuid

from sqlalchemy import select, text
from sqlmodel import col

from service.persons.models import PersonTransfer, TransferStatus
from service.persons.similar import candidates_statement
from tests.conftest import IS_POSTGRES

ORG, PERSON = uuid.UUID(int=1), uuid.UUID(int=2)


def _plan(db, stmt) -> str:
    sql = str(stmt.compile(db.get_bind(), compile_kwargs={"literal_binds": True}))
    if IS_POSTGRES:
        db.execute(text("SET LOCAL enable_seqscan = off"))
        return "\n".join(row[0] for row in db.execute(text("EXPLAIN " + sql)))
    return "\n".join(str(row[-1]) for row in db.execute(text("EXPLAIN QUERY PLAN " + sql)))


def test_the_possible_duplicate_look_up_uses_the_fuzzy_key_index(db):
    stmt = candidates_statement(ORG, "k" * 64)
    assert "ix_person_organisation_fuzzy_key" in _plan(db, stmt)


def test_the_pending_transfer_check_and_the_inbox_use_indexes(db):
    pending = select(PersonTransfer.id).where(col(PersonTransfer.person_id) == PERSON,
                                              col(PersonTransfer.status) == TransferStatus.pending)
    plan = _plan(db, pending)
    assert "uq_person_transfer_pending" in plan or "ix_person_transfer_person_id" in plan, plan
    inbox = select(PersonTransfer.id).where(col(PersonTransfer.to_organisation_id) == ORG)
    assert "ix_person_transfer_to_organisation_id" in _plan(db, inbox)
