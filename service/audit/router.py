from typing import Annotated

from fastapi import APIRouter, Depends, Query

from service.audit import service
from service.audit.dto import AuditEventRead
from service.core.pagination import Page, PageParams
from service.web.parameters import page_params
from service.web.principal import CurrentPrincipal
from service.web.session import SessionDep

router = APIRouter(prefix="/audit-events", tags=["audit"])


@router.get("", response_model=Page[AuditEventRead])
def list_audit_events(session: SessionDep, principal: CurrentPrincipal,
                      page: Annotated[PageParams, Depends(page_params)],
                      action: Annotated[str | None, Query(max_length=60)] = None,
                      subject_id: Annotated[str | None, Query(max_length=64)] = None) -> dict:
    """The audit trail: org_admins see their organisation's, system_admins everything."""
    items, cursor = service.list_events(session, principal, page, action=action, subject_id=subject_id)
    return {"items": items, "next_cursor": cursor}
