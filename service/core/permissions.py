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
    webhooks_manage = "webhooks:manage"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.system_admin: frozenset({
        P.organisations_create, P.organisations_update_any, P.organisations_update_own,
        P.users_manage_any, P.users_manage_own, P.audit_read_any, P.audit_read_own,
    }),
    Role.org_admin: frozenset({
        P.organisations_update_own, P.users_manage_own, P.audit_read_own, P.persons_manage,
        P.persons_read_cpr, P.offers_manage, P.referrals_send, P.referrals_receive, P.contacts_manage,
        P.reports_read, P.mapping_submit, P.webhooks_manage,
    }),
    Role.caseworker: frozenset({P.persons_manage, P.referrals_send, P.mapping_submit}),
    Role.coordinator: frozenset({P.offers_manage, P.referrals_receive, P.contacts_manage, P.mapping_submit}),
    Role.analyst: frozenset({P.reports_read, P.action_plan_manage}),
}


# Machine principals (API clients) never manage accounts, whatever their role: a leaked partner-system
# secret must not be able to mint new credentials.
ACCOUNT_MANAGEMENT = frozenset({P.users_manage_any, P.users_manage_own})

# Which roles an account manager may grant (create with, or change to) — and therefore which existing
# accounts it may change at all. Nobody grants beyond their own reach: an org_admin runs its own
# organisation's staff (an analyst only in a ministry organisation, see users/policy); only a system
# administrator creates or changes system administrators. Roles not listed grant nothing.
ASSIGNABLE_ROLES: dict[Role, frozenset[Role]] = {
    Role.system_admin: frozenset(Role),
    Role.org_admin: frozenset({Role.org_admin, Role.caseworker, Role.coordinator, Role.analyst}),
}


def permissions_for(role: Role | str, kind: str = "user") -> frozenset[Permission]:
    granted = ROLE_PERMISSIONS.get(Role(role), frozenset())
    return granted - ACCOUNT_MANAGEMENT if kind == "client" else granted


def assignable_roles(role: Role | str) -> frozenset[Role]:
    return ASSIGNABLE_ROLES.get(Role(role), frozenset())
