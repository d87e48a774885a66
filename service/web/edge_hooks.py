"""What the web edge asks of the domains above it, handed in by `service.wiring.wire()` (never imported): the edge
sits below every domain's router, so importing `auth` or `audit` from here would be an import cycle.

- `verify_token(session, token) -> Principal`: the bearer token → the acting principal (`auth.tokens`);
- `keep_refusals(session, keep) -> bool`: the audit rows of refused attempts survive the request's rollback
  (`audit.service.restore_refusals`).

Unwired, both raise: a request must not run without its principal check or lose the audit of a refusal.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from service.core.principal import Principal


@dataclass(frozen=True)
class EdgeHooks:
    verify_token: Callable[[Session, str], Principal]
    keep_refusals: Callable[[Session, bool], bool]


_hooks: EdgeHooks | None = None


def register_edge_hooks(hooks: EdgeHooks) -> None:
    """Called by `service.wiring.wire()` only."""
    global _hooks
    _hooks = hooks


def edge_hooks() -> EdgeHooks:
    if _hooks is None:
        raise RuntimeError("service.wiring.wire() has not run: the web edge has no token check and no refusal audit")
    return _hooks
