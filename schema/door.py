"""The GraphQL door: every field with a row in the access table (`service/access.py`) is checked before it
resolves — before its arguments become the domain's Pydantic input — with the same `authorize` as REST.

A refused mutation answers its typed `Problem` (nothing was written); a refused root query field answers a
GraphQL error with the REST status; a refused nested field answers null where its type allows it.
"""

from collections.abc import Callable
from typing import Any

from graphql import GraphQLNonNull, GraphQLResolveInfo
from strawberry.extensions import SchemaExtension

from schema.errors import to_problem
from service.access import GRAPHQL
from service.core.errors import DomainError
from service.door import authorize

ROOTS = ("Query", "Mutation")


def _subject(subject_type: str, arguments: dict[str, Any]) -> Any:
    head, *rest = subject_type.split("_")
    return arguments.get(head + "".join(w.title() for w in rest) + "Id", arguments.get("id"))


class AccessTableDoor(SchemaExtension):
    def resolve(self, _next: Callable[..., Any], root: Any, info: GraphQLResolveInfo, *args: Any,
                **kwargs: Any) -> Any:
        access = GRAPHQL.get(f"{info.parent_type.name}.{info.field_name}")
        if access is None or access.is_public:
            return _next(root, info, *args, **kwargs)
        context = info.context
        try:
            authorize(context.session, context.principal, access,
                      _subject(access.audit.subject_type, kwargs) if access.audit else None)
        except DomainError as exc:
            if info.parent_type.name == "Mutation":
                context.failed = True
                return to_problem(exc)
            if info.parent_type.name not in ROOTS and not isinstance(info.return_type, GraphQLNonNull):
                return None
            raise
        return _next(root, info, *args, **kwargs)
