"""Status-coded domain errors, each rendered as an RFC 9457 problem (`to_problem`); the handlers that answer
with them live at the edge (`service.web.problems`)."""

from typing import Any

from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://tvaers.dk/problems/"


class DomainError(Exception):
    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def to_problem(self) -> dict[str, Any]:
        return {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }


class BadRequest(DomainError):
    pass


class Unauthorized(DomainError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(DomainError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(DomainError):
    status, title, slug = 404, "Not found", "not-found"


class NotAcceptable(DomainError):
    status, title, slug = 406, "Not acceptable", "not-acceptable"


class Conflict(DomainError):
    status, title, slug = 409, "Conflict", "conflict"


class Gone(DomainError):
    status, title, slug = 410, "Gone", "gone"


class PreconditionFailed(DomainError):
    status, title, slug = 412, "Precondition failed", "precondition-failed"


class Unprocessable(DomainError):
    status, title, slug = 422, "Unprocessable content", "validation-error"


class PreconditionRequired(DomainError):
    status, title, slug = 428, "Precondition required", "precondition-required"


class TooManyRequests(DomainError):
    status, title, slug = 429, "Too many requests", "too-many-requests"


class ServiceUnavailable(DomainError):
    status, title, slug = 503, "Service unavailable", "service-busy"


RETRY_AFTER_SECONDS = 2
# SQLite: SQLITE_BUSY, SQLITE_LOCKED (primary result codes; extended codes keep them in the low byte).
_SQLITE_BUSY_CODES = {5, 6}
# PostgreSQL: transaction rollback (serialization failure, deadlock), lock_not_available (lock_timeout),
# query_canceled (statement_timeout), connection exceptions, and the server shutting down or starting up.
_PG_TRANSIENT_PREFIXES = ("40", "55P03", "57014", "08", "57P")


def is_transient(exc: BaseException | None) -> bool:
    """A database refusal that says "not now" (a lock not granted in time, a lost connection) rather than
    "never": the request was rolled back and may simply be retried."""
    if isinstance(exc, PoolTimeout | ServiceUnavailable):
        return True
    if not isinstance(exc, OperationalError):
        return False
    if exc.connection_invalidated:
        return True
    code = getattr(exc.orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_BUSY_CODES
    state = getattr(exc.orig, "sqlstate", None) or ""
    return state.startswith(_PG_TRANSIENT_PREFIXES)


def busy() -> ServiceUnavailable:
    return ServiceUnavailable("The database is busy with other changes; nothing was written. Retry shortly.",
                              headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def is_unstorable(exc: BaseException | None) -> bool:
    """The database could not store or compare a value (an out-of-range number, a NUL): the caller's fault."""
    return isinstance(exc, DataError)


def unstorable_value() -> Unprocessable:
    return Unprocessable("A value in the request cannot be stored or compared by the database "
                         "(for example an out-of-range number or a NUL character).")


def field_errors(errors: list[Any]) -> list[dict[str, Any]]:
    """Pydantic errors without the rejected input: it may be personal data."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "form")]
        out.append({"field": ".".join(loc) or None, "message": err.get("msg", "invalid"),
                    "code": err.get("type", "invalid")})
    return out
