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
from strawberry.types import ExecutionContext

from service.core.errors import DomainError

log = logging.getLogger("tvaers.graphql")

# graphql-core quotes the rejected input after these phrases ("found: {…}", "non-integer value: …").
_ECHOED_VALUE = re.compile(
    r"(got invalid value|\bValue(?= ')|found:?|represent [^:]*value:) .*?(?=; | at '| does not exist|$)", re.DOTALL)


def redacted_message(err: GraphQLError) -> str:
    return _ECHOED_VALUE.sub(r"\1 <redacted>", err.message)


def _unexpected(err: GraphQLError) -> BaseException | None:
    original = err.original_error
    if original is None or isinstance(original, (GraphQLError, DomainError)):
        return None
    return original


def client_error(err: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = {"message": redacted_message(err)}
    if err.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in err.locations]
    if err.path:
        out["path"] = err.path
    if isinstance(err.original_error, DomainError):
        out["extensions"] = {"status": err.original_error.status, "type": err.original_error.to_problem()["type"]}
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
                log.info("graphql operation refused at %s: %s", path or "-", redacted_message(err))
            else:
                # Frames only: an exception's message (SQL parameters, values) may hold personal data.
                frames = "".join(traceback.format_tb(original.__traceback__))
                log.error("graphql resolver failed at %s: %s\n%s", path or "-", type(original).__name__, frames)
