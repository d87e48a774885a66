"""The GraphQL door: every field with a row in the access table (`service/access.py`) is checked before it
resolves — before its arguments become the domain's Pydantic input — with the same `authorize` as REST.

A refused mutation answers its typed `Problem` (nothing was written); a refused root query field answers a
GraphQL error with the REST status; a refused nested field answers null where its type allows it.

The check wraps the resolvers of exactly those fields once, when the schema is built — not a middleware that
runs on every field of every list item — so a plain field of a list item costs only its attribute lookup.
"""

from collections.abc import Callable
from typing import Any

from graphql import GraphQLNonNull, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema, default_field_resolver

from schema.errors import to_problem
from service.access import GRAPHQL, Access
from service.core.errors import DomainError
from service.door import authorize

ROOTS = ("Query", "Mutation")


def _subject(subject_type: str, arguments: dict[str, Any]) -> Any:
    head, *rest = subject_type.split("_")
    return arguments.get(head + "".join(w.title() for w in rest) + "Id", arguments.get("id"))


def _guarded(resolve: Callable[..., Any], access: Access, parent: str, nullable: bool) -> Callable[..., Any]:
    def guarded(root: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        context = info.context
        try:
            authorize(context.session, context.principal, access,
                      _subject(access.audit.subject_type, kwargs) if access.audit else None)
        except DomainError as exc:
            if parent == "Mutation":
                context.failed = True
                return to_problem(exc)
            if parent not in ROOTS and nullable:
                return None
            raise
        return resolve(root, info, **kwargs)
    return guarded


def install(schema: GraphQLSchema) -> None:
    """Wrap the resolver of every non-public field of the access table with its check (idempotent per schema)."""
    for key, access in GRAPHQL.items():
        if access.is_public:
            continue
        type_name, field_name = key.split(".", 1)
        graphql_type = schema.type_map.get(type_name)
        if not isinstance(graphql_type, GraphQLObjectType) or field_name not in graphql_type.fields:
            raise LookupError(f"the access table names {key}, which the schema does not have")
        field = graphql_type.fields[field_name]
        field.resolve = _guarded(field.resolve or default_field_resolver, access, type_name,
                                 not isinstance(field.type, GraphQLNonNull))
