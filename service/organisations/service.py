"""The organisation directory's verbs: read (one, many, a page), create, update — each returns `OrganisationRead`
under the read rule of `policy.py`; the ORM rows stay in here."""

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.audit.service import record
from service.core.errors import Conflict, NotFound
from service.core.pagination import PageParams, keyset_page
from service.core.principal import Principal
from service.core.types import utcnow
from service.organisations import policy
from service.organisations.dto import OrganisationCreate, OrganisationRead, OrganisationUpdate
from service.organisations.models import Organisation
from service.reference.service import check_municipality_codes, resolve_ministry


def _get(session: Session, org_id: uuid.UUID) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("Organisation not found.")
    return org


def read_many(session: Session, principal: Principal | None,
              org_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OrganisationRead]:
    """The batch reader (GraphQL's dataloaders): the organisations among `org_ids` the read rule lets the
    caller see, in one statement whatever the count. Missing ids are simply absent."""
    ids = set(org_ids)
    if not ids:
        return {}
    rows = session.scalars(select(Organisation).where(Organisation.id.in_(ids),  # type: ignore[attr-defined]
                                                      policy.readable_clause(principal)))
    return {o.id: OrganisationRead.model_validate(o) for o in rows}


def read(session: Session, principal: Principal | None, org_id: uuid.UUID) -> OrganisationRead:
    """One organisation under the read rule, else 404."""
    org = read_many(session, principal, [org_id]).get(org_id)
    if org is None:
        raise NotFound("Organisation not found.")
    return org


def list_organisations(
    session: Session, principal: Principal | None, params: PageParams, *, kind: str | None = None,
    municipality_code: str | None = None, q: str | None = None,
) -> tuple[list[OrganisationRead], str | None]:
    """The directory under the read rule, by name."""
    stmt = select(Organisation).where(policy.readable_clause(principal))
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    if municipality_code:
        stmt = stmt.where(Organisation.municipality_code == municipality_code)
    if q:
        stmt = stmt.where(func.lower(Organisation.name).contains(q.lower(), autoescape=True))
    rows, cursor = keyset_page(session, stmt, [Organisation.name, Organisation.id], params)
    return [OrganisationRead.model_validate(o) for o in rows], cursor


def _check_unique_cvr(session: Session, cvr: str | None, own_id: uuid.UUID | None = None) -> None:
    if cvr is None:
        return
    existing = session.scalar(select(Organisation.id).where(Organisation.cvr == cvr))
    if existing is not None and existing != own_id:
        raise Conflict("An organisation with this CVR number already exists.", existing_id=str(existing))


def _check_ministry(session: Session, kind: str, ministry_code: str | None) -> None:
    policy.check_ministry_link(kind, ministry_code)
    resolve_ministry(session, code=ministry_code, name=None, field="ministry")


def create(session: Session, principal: Principal, data: OrganisationCreate) -> OrganisationRead:
    policy.ensure_can_create(principal)
    check_municipality_codes(session, [data.municipality_code])
    _check_ministry(session, data.kind, data.ministry_code)
    _check_unique_cvr(session, data.cvr)
    org = Organisation(**data.model_dump())
    session.add(org)
    session.flush()
    record(session, principal, "organisation.create", purpose="administration",
           subject_type="organisation", subject_id=org.id)
    return OrganisationRead.model_validate(org)


def update(session: Session, principal: Principal, org_id: uuid.UUID,
           data: OrganisationUpdate) -> OrganisationRead:
    org = _get(session, org_id)
    changes = data.model_dump(exclude_unset=True)
    policy.ensure_can_update(principal, org, changes)
    if "municipality_code" in changes:
        check_municipality_codes(session, [changes["municipality_code"]])
    if {"kind", "ministry_code"} & set(changes):
        _check_ministry(session, changes.get("kind", org.kind), changes.get("ministry_code", org.ministry_code))
    if changes.get("cvr"):
        _check_unique_cvr(session, changes["cvr"], org.id)
    for field, value in changes.items():
        setattr(org, field, value)
    org.updated_at = utcnow()
    session.add(org)
    session.flush()
    record(session, principal, "organisation.update", purpose="administration", subject_type="organisation",
           subject_id=org.id, criterion={"fields": sorted(changes)})
    return OrganisationRead.model_validate(org)
