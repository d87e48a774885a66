"""The HSDS 3.0 API (Open Referral) under `/api/v1/hsds`, as its OpenAPI defines it: `/`, `/services`,
`/services/{id}`, `/organizations`, `/organizations/{id}`, `/taxonomies`, `/taxonomy_terms` and
`/service_at_locations`, each with the spec's query parameters. A parameter the spec does not define for the
endpoint is a 400: a directory tool is never answered as if a filter it sent had applied.
"""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from service.core.dto import safe_name
from service.core.errors import BadRequest
from service.offers import hsds, hsds_api
from service.web.session import SessionDep

PAGING = frozenset({"page", "per_page", "format"})
SERVICES = PAGING | {"search", "taxonomy_term_id", "taxonomy_id", "organization_id", "modified_after", "minimal",
                     "full"}
SERVICE_AT_LOCATIONS = SERVICES - {"minimal"}
ORGANIZATIONS = PAGING | {"search", "full_service", "full"}
TAXONOMIES = PAGING | {"search"}
TAXONOMY_TERMS = PAGING | {"search", "taxonomy_id", "top_only", "parent_id"}


def strict(allowed: frozenset[str]) -> Callable[[Request], None]:
    """A dependency refusing parameters the spec does not define here, or repeats (never echoing them)."""
    def check(request: Request) -> None:
        names = [name for name, _ in request.query_params.multi_items()]
        unknown = sorted({n for n in names if n not in allowed})
        repeated = sorted({n for n in names if names.count(n) > 1 and n in allowed})
        if unknown or repeated:
            errors = [{"field": safe_name(n), "message": "not a parameter of this endpoint",
                       "code": "unknown_parameter"} for n in unknown[:10]]
            errors += [{"field": n, "message": "given more than once", "code": "repeated_parameter"} for n in repeated]
            raise BadRequest("Unsupported or repeated query parameter(s); see the HSDS 3.0 API reference.",
                             errors=errors)
        if request.query_params.get("format", "json") != "json":
            raise BadRequest("Only format=json is served.",
                             errors=[{"field": "format", "message": "unsupported", "code": "unsupported_format"}])
    return check


router = APIRouter(prefix="/hsds", tags=["hsds"])

PageNumber = Annotated[int, Query(ge=1, le=1_000_000, description="HSDS page number, from 1")]
PerPage = Annotated[int, Query(ge=1, le=hsds.MAX_PER_PAGE, description="Items per page (max 200)")]
Search = Annotated[str | None, Query(min_length=2, max_length=100, description="Full text search")]
Format = Annotated[str | None, Query(alias="format", description="json (the only format served)")]
TermId = Annotated[str | None, Query(max_length=64, description="Services with this taxonomy term")]
TaxonomyId = Annotated[str | None, Query(max_length=64, description="Services with any term of this taxonomy")]
OrgId = Annotated[str | None, Query(max_length=64, description="Services of this organization")]
ModifiedAfter = Annotated[datetime | None, Query(description="Modified on or after (date or datetime; UTC if no "
                                                             "zone)")]
Flag = Annotated[bool, Query()]


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@router.get("/", dependencies=[Depends(strict(frozenset()))])
def hsds_api_info(request: Request) -> dict[str, Any]:
    """Which HSDS version this API speaks, and where its OpenAPI is."""
    return hsds_api.api_info(str(request.base_url).rstrip("/"))


@router.get("/services", dependencies=[Depends(strict(SERVICES))])
def hsds_services(session: SessionDep, page: PageNumber = 1, per_page: PerPage = 50, search: Search = None,
                  taxonomy_term_id: TermId = None, taxonomy_id: TaxonomyId = None, organization_id: OrgId = None,
                  modified_after: ModifiedAfter = None, minimal: Flag = False, full: Flag = False,
                  format_: Format = None) -> dict[str, Any]:
    """Published offers as an HSDS 3.0 paginated list of services (`minimal`: id and last_modified only;
    `full`: fully nested)."""
    query = hsds_api.ServiceQuery(search=search, taxonomy_term_id=taxonomy_term_id, taxonomy_id=taxonomy_id,
                                  organization_id=organization_id, modified_after=_aware(modified_after))
    return hsds_api.list_services(session, query, page, per_page, minimal=minimal, full=full)


@router.get("/services/{service_id}", dependencies=[Depends(strict(frozenset()))])
def hsds_service(session: SessionDep, service_id: uuid.UUID) -> dict[str, Any]:
    """One published offer as a full HSDS 3.0 service (confidential locations left out)."""
    return hsds.get_service(session, service_id)


@router.get("/organizations", dependencies=[Depends(strict(ORGANIZATIONS))])
def hsds_organizations(session: SessionDep, page: PageNumber = 1, per_page: PerPage = 50, search: Search = None,
                       full: Flag = False, full_service: Flag = False, format_: Format = None) -> dict[str, Any]:
    """Organisations with at least one published offer, as an HSDS 3.0 paginated list."""
    return hsds.list_organizations(session, page, per_page, search=search, full=full, full_service=full_service)


@router.get("/organizations/{organization_id}", dependencies=[Depends(strict(frozenset({"full_service"})))])
def hsds_organization(session: SessionDep, organization_id: uuid.UUID, full_service: Flag = False) -> dict[str, Any]:
    """One provider as a full HSDS 3.0 organization with its published services."""
    return hsds.get_organization(session, organization_id, full_service=full_service)


@router.get("/taxonomies", dependencies=[Depends(strict(TAXONOMIES))])
def hsds_taxonomies(page: PageNumber = 1, per_page: PerPage = 50, search: Search = None,
                    format_: Format = None) -> dict[str, Any]:
    """The four Tværs vocabularies the services' attributes use."""
    return hsds_api.list_taxonomies(search, page, per_page)


@router.get("/taxonomies/{taxonomy_id}", dependencies=[Depends(strict(frozenset()))])
def hsds_taxonomy(taxonomy_id: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
    return hsds_api.get_taxonomy(taxonomy_id)


@router.get("/taxonomy_terms", dependencies=[Depends(strict(TAXONOMY_TERMS))])
def hsds_taxonomy_terms(session: SessionDep, page: PageNumber = 1, per_page: PerPage = 50, search: Search = None,
                        taxonomy_id: TaxonomyId = None, top_only: bool | None = None,
                        parent_id: Annotated[str | None, Query(max_length=64)] = None,
                        format_: Format = None) -> dict[str, Any]:
    """Every term (the vocabularies are flat: all are top terms, none has a parent)."""
    return hsds_api.list_terms(session, search, taxonomy_id, top_only, parent_id, page, per_page)


@router.get("/taxonomy_terms/{term_id}", dependencies=[Depends(strict(frozenset()))])
def hsds_taxonomy_term(session: SessionDep, term_id: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
    return hsds_api.get_term(session, term_id)


@router.get("/service_at_locations", dependencies=[Depends(strict(SERVICE_AT_LOCATIONS))])
def hsds_service_at_locations(session: SessionDep, page: PageNumber = 1, per_page: PerPage = 50,
                              search: Search = None, taxonomy_term_id: TermId = None, taxonomy_id: TaxonomyId = None,
                              organization_id: OrgId = None, modified_after: ModifiedAfter = None,
                              full: Flag = False, format_: Format = None) -> dict[str, Any]:
    """Published offers at their public locations (a confidential location is never listed)."""
    query = hsds_api.ServiceQuery(search=search, taxonomy_term_id=taxonomy_term_id, taxonomy_id=taxonomy_id,
                                  organization_id=organization_id, modified_after=_aware(modified_after))
    return hsds_api.list_service_at_locations(session, query, page, per_page, full=full)


@router.get("/service_at_locations/{service_at_location_id}", dependencies=[Depends(strict(frozenset()))])
def hsds_service_at_location(session: SessionDep,
                             service_at_location_id: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
    return hsds_api.get_service_at_location(session, service_at_location_id)
