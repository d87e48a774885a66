from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from strawberry.types import Info as StrawberryInfo

if TYPE_CHECKING:
    from schema.loaders import Loaders
from service.core.errors import Unauthorized
from service.core.principal import Principal


@dataclass
class Context:
    session: Any  # the request's database session, handed to the services as is
    principal: Principal | None
    headers: dict[str, str] = field(default_factory=dict)
    # Set when a mutation returned a typed error: the edge then rolls the transaction back.
    failed: bool = False

    @cached_property
    def loaders(self) -> "Loaders":
        """The request's dataloaders (typed; created on first use, never shared between requests)."""
        from schema.loaders import Loaders  # the services load after the schema modules (import order)

        return Loaders(self.session, self.principal)

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise Unauthorized("Authentication required: send a bearer token.")
        return self.principal


Info = StrawberryInfo[Context, None]
