"""Typed error payloads: mutations return `X | Problem` instead of failing the whole response."""

import dataclasses
import functools
from collections.abc import Callable
from enum import Enum
from typing import Any, ParamSpec, TypeVar

import strawberry
from pydantic import BaseModel, ValidationError

from schema.context import Info
from service.core.errors import PROBLEM_BASE, DomainError, NotFound, field_errors

T = TypeVar("T")
P = ParamSpec("P")
M = TypeVar("M", bound=BaseModel)


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


def attempt(info: Info | None, action: Callable[[], T]) -> T | Problem:
    """Run a domain call; a refusal becomes a Problem. With `info`, the request is marked failed (rolled back)."""
    try:
        return action()
    except (DomainError, ValidationError) as exc:
        if info is not None:
            info.context.failed = True
        return to_problem(exc)


def _problems(resolver: Callable[P, T], roll_back: bool) -> Callable[P, T | Problem]:
    @functools.wraps(resolver)
    def run(*args: P.args, **kwargs: P.kwargs) -> T | Problem:
        info: Any = kwargs["info"] if roll_back else None
        return attempt(info, lambda: resolver(*args, **kwargs))
    return run


def mutation_result(resolver: Callable[P, T]) -> Callable[P, T | Problem]:
    """A mutation resolver whose refusals answer its typed `Problem` (and roll the request back): write the
    resolver as the happy path, under `@strawberry.mutation`."""
    return _problems(resolver, roll_back=True)


def query_result(resolver: Callable[P, T]) -> Callable[P, T | Problem]:
    """A query field with a typed `Problem`: the refusal is answered and the transaction kept, so the audit
    event of the refused read is committed (nothing else was written)."""
    return _problems(resolver, roll_back=False)


def null_if_not_found(resolver: Callable[P, T]) -> Callable[P, T | None]:
    """A query resolver that answers another organisation's object with null, as REST answers 404."""

    @functools.wraps(resolver)
    def run(*args: P.args, **kwargs: P.kwargs) -> T | None:
        return or_none(lambda: resolver(*args, **kwargs))
    return run


def plain(value: Any) -> Any:
    """Strawberry input → plain data: UNSET members are left out at every level, enums become their values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if getattr(value, f.name) is not strawberry.UNSET}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if v is not strawberry.UNSET}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def parse(model: type[M], data: Any) -> M:
    """Strawberry input (or a dict of arguments) → the domain's Pydantic input model (extra fields forbidden
    there too). The one conversion from GraphQL input to the domain; an input derived from another model
    (`schema/derive.py: input_type`) is a programming error, not the client's."""
    derived_from = getattr(type(data), "__input_model__", None)
    if derived_from is not None and derived_from is not model:
        raise TypeError(f"{type(data).__name__} is derived from {derived_from.__name__}, not {model.__name__}")
    return model.model_validate(plain(data))


def or_none(action: Callable[[], T]) -> T | None:
    """Query fields answer another organisation's object with null, as REST answers 404."""
    try:
        return action()
    except NotFound:
        return None
