"""The role → permission table. REST and GraphQL both ask `require(principal, permission)`."""

from enum import StrEnum


class Role(StrEnum):
    system_admin = "system_admin"
    org_admin = "org_admin"
    caseworker = "caseworker"
    coordinator = "coordinator"
    analyst = "analyst"


class Permission(StrEnum):
    organisations_create = "organisations:create"
    organisations_update_any = "organisations:update_any"
    organisations_update_own = "organisations:update_own"
    users_manage_any = "users:manage_any"
    users_manage_own = "users:manage_own"
    audit_read_own = "audit:read_own"
    audit_read_any = "audit:read_any"
    persons_manage = "persons:manage"
    persons_read_cpr = "persons:read_cpr"
    offers_manage = "offers:manage"
    referrals_send = "referrals:send"
    referrals_receive = "referrals:receive"
    contacts_manage = "contacts:manage"
    reports_read = "reports:read"
    mapping_submit = "mapping:submit"
    action_plan_manage = "action_plan:manage"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.system_admin: frozenset({
        P.organisations_create, P.organisations_update_any, P.organisations_update_own,
        P.users_manage_any, P.users_manage_own, P.audit_read_any, P.audit_read_own,
    }),
    Role.org_admin: frozenset({
        P.organisations_update_own, P.users_manage_own, P.audit_read_own, P.persons_manage,
        P.persons_read_cpr, P.offers_manage, P.referrals_send, P.referrals_receive, P.contacts_manage,
        P.reports_read, P.mapping_submit,
    }),
    Role.caseworker: frozenset({P.persons_manage, P.referrals_send, P.mapping_submit}),
    Role.coordinator: frozenset({P.offers_manage, P.referrals_receive, P.contacts_manage, P.mapping_submit}),
    Role.analyst: frozenset({P.reports_read, P.action_plan_manage}),
}


def permissions_for(role: Role | str) -> frozenset[Permission]:
    return ROLE_PERMISSIONS.get(Role(role), frozenset())
