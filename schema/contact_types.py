"""GraphQL types shared by the contact agreement (schema/referrals.py) and the contact rhythm (schema/contacts.py)."""

import uuid
from datetime import datetime

import strawberry

from service.referrals.dto import ParkedTopicRead


@strawberry.type(description="A topic parked at the end of a call: open → taken_up → resolved.")
class ParkedTopic:
    id: uuid.UUID
    text: str
    state: str
    parked_at: datetime
    parked_in_entry_id: uuid.UUID
    taken_up_at: datetime | None
    taken_up_in_entry_id: uuid.UUID | None
    resolved_at: datetime | None
    resolved_in_entry_id: uuid.UUID | None

    @classmethod
    def from_read(cls, t: ParkedTopicRead) -> "ParkedTopic":
        return cls(**t.model_dump())
