from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from strawberry.types import Info as StrawberryInfo

from service.core.errors import Unauthorized
from service.core.principal import Principal


@dataclass
class Context:
    session: Session
    principal: Principal | None
    headers: dict[str, str] = field(default_factory=dict)
    # Per-request dataloaders, created on first use so a request never sees another's cache.
    loaders: dict[str, Any] = field(default_factory=dict)
    # Set when a mutation returned a typed error: the edge then rolls the transaction back.
    failed: bool = False

    def loader(self, name: str, factory: Any) -> Any:
        if name not in self.loaders:
            self.loaders[name] = factory(self)
        return self.loaders[name]

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise Unauthorized("Authentication required: send a bearer token.")
        return self.principal


Info = StrawberryInfo[Context, None]
