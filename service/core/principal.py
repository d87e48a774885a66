"""The acting principal: who (a user or an API client), of which organisation, with which permissions. Resolved
from the bearer token at the edge (`service.web.principal`, `service.auth.tokens`)."""

import uuid
from dataclasses import dataclass, field

from service.core.errors import Forbidden
from service.core.permissions import Permission, Role


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" | "client"
    id: uuid.UUID
    organisation_id: uuid.UUID
    role: Role
    name: str
    permissions: frozenset[Permission] = field(default_factory=frozenset)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def require(principal: Principal, permission: Permission) -> None:
    if not principal.can(permission):
        raise Forbidden("Your role does not allow this action.")
