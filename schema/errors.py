"""Typed error payloads: mutations return `X | Problem` instead of failing the whole response."""

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from pydantic import ValidationError

from schema.context import Info
from service.core.errors import PROBLEM_BASE, DomainError, NotFound, field_errors

T = TypeVar("T")


@strawberry.type
class FieldError:
    field: str | None
    message: str
    code: str


@strawberry.type(description="An RFC 9457-style problem: the operation was refused and nothing was written.")
class Problem:
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError]
    allowed_actions: list[str] = strawberry.field(
        default_factory=list, description="For a refused state change: the actions allowed now.")
    current_status: str | None = None
    candidate_ids: list[str] = strawberry.field(
        default_factory=list, description="For a possible duplicate registration: the persons it may duplicate.")


def to_problem(exc: DomainError | ValidationError) -> Problem:
    if isinstance(exc, ValidationError):
        return Problem(type=PROBLEM_BASE + "validation-error", title="Unprocessable content", status=422,
                       detail="The input did not pass validation; see errors.",
                       errors=[FieldError(**e) for e in field_errors(list(exc.errors()))])
    data = exc.to_problem()
    return Problem(type=data["type"], title=data["title"], status=data["status"], detail=data["detail"],
                   errors=[FieldError(field=e.get("field"), message=e.get("message", ""), code=e.get("code", ""))
                           for e in data.get("errors", [])],
                   allowed_actions=list(data.get("allowed_actions") or []), current_status=data.get("current_status"),
                   candidate_ids=list(data.get("candidate_ids") or []))


def attempt(info: Info, action: Callable[[], T]) -> T | Problem:
    """Run a mutation's domain call; a refusal becomes a Problem and marks the request failed."""
    try:
        return action()
    except (DomainError, ValidationError) as exc:
        info.context.failed = True
        return to_problem(exc)


def parse(model: type[Any], data: Any) -> Any:
    """Strawberry input → the domain's Pydantic input model (extra fields forbidden there too)."""
    payload = strawberry.asdict(data) if not isinstance(data, dict) else data
    return model.model_validate({k: v for k, v in payload.items() if v is not strawberry.UNSET})


def or_none(action: Callable[[], T]) -> T | None:
    """Query fields answer another organisation's object with null, as REST answers 404."""
    try:
        return action()
    except NotFound:
        return None
