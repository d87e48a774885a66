"""GraphQL errors as clients see them and as the server logs them — neither may carry personal data.

Operation text names people (search criteria, new persons), and coercion messages quote rejected values,
so nothing here prints the source excerpt, the variables or an unexpected exception's message.
"""

import logging
import re
import traceback
from typing import Any

import strawberry
from graphql import GraphQLError
from pydantic import ValidationError
from strawberry.types import ExecutionContext

from service.core.errors import DomainError, Unprocessable, field_errors, is_unstorable, unstorable_value
from service.core.settings import get_settings

log = logging.getLogger("tvaers.graphql")

# graphql-core and Strawberry's scalars quote the rejected input after these phrases ("found: {…}",
# "non-integer value: …", "Value cannot represent a UUID: "…"."); any double-quoted literal is a value too
# (names of fields, types and variables are single-quoted).
_ECHOED_VALUE = re.compile(
    r"(got invalid value|\bValue(?= ')|found:?|represent [^:]*value:|cannot represent an? [^:]*:) .*?"
    r"(?=; | at '| does not exist|\. [A-Za-z]|$)", re.DOTALL)
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
# "Did you mean …?" lists names of the schema near what was sent; production does not answer them.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def redacted_message(err: GraphQLError) -> str:
    message = _QUOTED.sub("<redacted>", _ECHOED_VALUE.sub(r"\1 <redacted>", err.message))
    return message if get_settings().graphql_shows_suggestions else _SUGGESTION.sub("", message)


def as_domain_error(original: BaseException | None) -> DomainError | None:
    """Client errors raised inside query resolvers, as REST would answer them (never a 500)."""
    if isinstance(original, DomainError):
        return original
    if isinstance(original, ValidationError):
        return Unprocessable("The input did not pass validation; see errors.",
                             errors=field_errors(list(original.errors())))
    if is_unstorable(original):
        return unstorable_value()
    return None


def _unexpected(err: GraphQLError) -> BaseException | None:
    original = err.original_error
    if original is None or isinstance(original, GraphQLError) or as_domain_error(original) is not None:
        return None
    return original


def client_error(err: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = {"message": redacted_message(err)}
    if err.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in err.locations]
    if err.path:
        out["path"] = err.path
    if (domain := as_domain_error(err.original_error)) is not None:
        # The detail, not str(exception): Pydantic and driver messages quote the rejected input.
        problem = domain.to_problem()
        out["message"] = domain.detail
        out["extensions"] = {"status": domain.status, "type": problem["type"]}
        if problem.get("errors"):
            out["extensions"]["errors"] = problem["errors"]
    elif _unexpected(err) is not None:
        out["message"] = "Internal error."
        out["extensions"] = {"status": 500}
    return out


class RedactingSchema(strawberry.Schema):
    """Strawberry's default error logging prints the operation excerpt; this one never does."""

    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        for err in errors:
            original = _unexpected(err)
            path = ".".join(str(p) for p in err.path or [])
            if original is None:
                domain = as_domain_error(err.original_error)
                message = domain.detail if domain is not None else redacted_message(err)
                log.info("graphql operation refused at %s: %s", path or "-", message)
            else:
                # Frames only: an exception's message (SQL parameters, values) may hold personal data.
                frames = "".join(traceback.format_tb(original.__traceback__))
                log.error("graphql resolver failed at %s: %s\n%s", path or "-", type(original).__name__, frames)
