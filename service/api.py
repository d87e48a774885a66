"""Every REST router under /api/v1, in one list."""

from fastapi import APIRouter, Depends

from service.action_plan.router import router as action_plan_router
from service.audit.router import router as audit_router
from service.auth.router import router as auth_router
from service.door import rest_door
from service.mapping.router import router as mapping_router
from service.offers.hsds_router import router as hsds_router
from service.offers.router import router as offers_router
from service.organisations.router import router as organisations_router
from service.persons.lifecycle_router import router as person_lifecycle_router
from service.persons.moves_router import router as person_moves_router
from service.persons.router import router as persons_router
from service.reference.router import router as reference_router
from service.referrals.export_router import router as person_export_router
from service.referrals.rhythm_router import follow_ups_router
from service.referrals.rhythm_router import router as rhythm_router
from service.referrals.router import contacts_router, events_router
from service.referrals.router import router as referrals_router
from service.reports.router import router as reports_router
from service.users.router import clients_router, users_router
from service.webhooks.router import router as webhooks_router

# Every operation is checked against the access table (service/access.py) before its body is validated.
# Order: the router tries the inclusions in order (twice per level: to choose, then to dispatch), so the
# everyday work of a caseworker and a provider (persons, referrals) comes first and a persons page is matched
# after a handful of routes instead of a hundred. No two inclusions' paths overlap (a literal segment of one
# never matches a parameter of an earlier one), so the order changes which route answers nothing:
# tests/test_route_order.py asserts every route still answers its own path.
api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(rest_door)])
for router in (persons_router, person_lifecycle_router, person_moves_router, person_export_router):
    api_router.include_router(router)
for router in (referrals_router, rhythm_router, contacts_router, follow_ups_router, events_router):
    api_router.include_router(router)
for router in (offers_router, hsds_router, reports_router):
    api_router.include_router(router)
for router in (auth_router, reference_router, organisations_router, users_router, clients_router, audit_router):
    api_router.include_router(router)
for router in (mapping_router, action_plan_router, webhooks_router):
    api_router.include_router(router)
