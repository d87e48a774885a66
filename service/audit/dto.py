import uuid
from datetime import datetime
from typing import Any

from service.core.dto import OutputModel


class AuditEventRead(OutputModel):
    id: int
    occurred_at: datetime
    actor_type: str
    actor_id: str | None
    organisation_id: uuid.UUID | None
    action: str
    subject_type: str | None
    subject_id: str | None
    criterion: dict[str, Any] | None
    purpose: str
    outcome: str
    reason: str | None
