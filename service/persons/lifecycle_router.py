"""REST for the personal-data lifecycle of one person: the access log and the signed consent documents (the
subject-access export, which also holds the referrals, is `referrals/export_router.py`). Only the organisation
that holds the person; everything here is audited."""

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse

from service.core.pagination import Page, PageParams
from service.core.settings import get_settings
from service.persons import access_log, documents
from service.web.parameters import page_params
from service.web.principal import CurrentPrincipal
from service.web.session import SessionDep

router = APIRouter(prefix="/persons", tags=["persons"])

CSV = "text/csv; charset=utf-8"


def _wants_csv(request: Request, fmt: str | None) -> bool:
    if fmt:
        return fmt == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


@router.get("/{person_id}/access-log", response_model=Page[access_log.AccessLogEntry],
            responses={200: {"content": {"text/csv": {}}}})
def get_access_log(session: SessionDep, principal: CurrentPrincipal, person_id: uuid.UUID, request: Request,
                   page: Annotated[PageParams, Depends(page_params)],
                   period_from: Annotated[date | None, Query(description="First day (Copenhagen), inclusive")] = None,
                   period_to: Annotated[date | None, Query(description="Last day (Copenhagen), inclusive")] = None,
                   format: Annotated[Literal["json", "csv"] | None, Query(
                       description="Default: by Accept (text/csv), else JSON")] = None) -> object:
    """Every consultation and change of the person's data by any organisation (GDPR art. 15; CJEU C-579/21):
    when, which organisation, which role, why, with what outcome. Oldest first, cursor pages; CSV pages carry
    the next cursor in a `Link: <…>; rel="next"` header. Reading the log is audited and appears in it."""
    csv = _wants_csv(request, format)
    entries, cursor = access_log.access_log(session, principal, person_id, page, period_from=period_from,
                                            period_to=period_to, fmt="csv" if csv else "json")
    headers = {"Cache-Control": "no-store"}
    if cursor:
        headers["Link"] = f'<{request.url.include_query_params(cursor=cursor)}>; rel="next"'
    if csv:
        return Response(access_log.to_csv(entries), media_type=CSV, headers=headers)
    body = Page[access_log.AccessLogEntry](items=entries, next_cursor=cursor).model_dump(mode="json")
    return JSONResponse(body, headers=headers)


async def _document_body(request: Request) -> bytes:
    """The raw body, refused as soon as it passes the size limit (never buffered beyond it)."""
    limit = get_settings().consent_document_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise documents.ContentTooLarge(f"A consent document may be at most {limit} bytes.")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise documents.ContentTooLarge(f"A consent document may be at most {limit} bytes.")
    return bytes(data)


_BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.post("/{person_id}/consents/{consent_id}/documents", response_model=documents.DocumentRead,
             status_code=status.HTTP_201_CREATED,
             openapi_extra={"requestBody": {"required": True, "content": {t: _BINARY for t in documents.ALLOWED}}})
def upload_document(principal: CurrentPrincipal, session: SessionDep, person_id: uuid.UUID, consent_id: uuid.UUID,
                    request: Request, body: Annotated[bytes, Depends(_document_body)]) -> object:
    """Attach the signed consent form: the body is the file, `Content-Type` application/pdf, image/png or
    image/jpeg (the content must match; else 415), at most TVAERS_CONSENT_DOCUMENT_MAX_BYTES (else 413)."""
    return documents.upload(session, principal, person_id, consent_id, request.headers.get("content-type"), body,
                            get_settings().consent_document_max_bytes)


@router.get("/{person_id}/consents/{consent_id}/documents", response_model=Page[documents.DocumentRead])
def list_documents(session: SessionDep, principal: CurrentPrincipal, person_id: uuid.UUID, consent_id: uuid.UUID,
                   page: Annotated[PageParams, Depends(page_params)]) -> dict:
    """The consent's documents (metadata), oldest upload first."""
    items, cursor = documents.list_documents(session, principal, person_id, consent_id, page)
    return {"items": items, "next_cursor": cursor}


@router.get("/{person_id}/consents/{consent_id}/documents/{document_id}",
            responses={200: {"content": {t: _BINARY for t in documents.ALLOWED}}})
def download_document(session: SessionDep, principal: CurrentPrincipal, person_id: uuid.UUID,
                      consent_id: uuid.UUID, document_id: uuid.UUID) -> Response:
    """The document as uploaded (decrypted), as an attachment."""
    content, media_type, filename = documents.download(session, principal, person_id, consent_id, document_id)
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})
