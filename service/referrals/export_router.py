"""REST for the subject-access export of one person (`GET /persons/{id}/export`). Under /persons with the
person's other lifecycle operations, but a door of referrals: the document holds the person's referrals, and
persons imports no referral (`referrals/export.py`)."""

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from service.referrals import export
from service.web.principal import CurrentPrincipal
from service.web.session import SessionDep

router = APIRouter(prefix="/persons", tags=["persons"])


@router.get("/{person_id}/export", response_model=export.SubjectAccessExport)
def get_export(session: SessionDep, principal: CurrentPrincipal, person_id: uuid.UUID) -> object:
    """Everything held about the person as one JSON document (GDPR art. 15(3) and 20)."""
    document = export.export(session, principal, person_id)
    return JSONResponse(document.model_dump(mode="json"), headers={
        "Content-Disposition": f'attachment; filename="subject-access-{person_id}.json"',
        "Cache-Control": "no-store"})
