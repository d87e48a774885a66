"""GraphQL execution without the per-field tax on plain values (issue #14).

graphql-core executes every field of every list item the same way: a resolve-info object, argument coercion,
two awaitable checks, then `complete_value`. For a page of 50 persons × 26 fields that machinery is most of the
request. A plain field of a read model needs none of it: its value is an attribute of the item and its result is
the leaf type's `serialize` of that value. `derive.resolve_plain_fields_directly` marks such fields (no
arguments, no field extensions, a scalar or enum or a list of non-null ones) with `PlainField`; this execution
context answers them by attribute lookup and `serialize` directly.

Anything unusual goes the standard way, so errors stay exactly graphql-core's (message, path, location): a
null for a non-null field, a value `serialize` refuses, a field node with directives (`@stream`) or arguments,
a schema with field middleware (a Strawberry extension's `resolve` hook would see every field).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLList, GraphQLNonNull, GraphQLOutputType, Undefined, is_leaf_type
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

PLAIN = "tvaers_plain_field"  # the attribute of a field's resolver that holds its PlainField


@dataclass(frozen=True)
class PlainField:
    attribute: str
    serialize: Callable[[Any], Any]
    non_null: bool
    is_list: bool
    # a value of exactly this Python type is its own serialisation (String: str, Boolean: bool)
    identity: type | None = None


_IDENTITY = {"String": str, "Boolean": bool}


def plain_field(attribute: str, graphql_type: GraphQLOutputType) -> PlainField | None:
    """The fast-path description of a field of this type, or None when the type is not a plain value."""
    non_null = isinstance(graphql_type, GraphQLNonNull)
    inner = graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type
    if is_leaf_type(inner):
        return PlainField(attribute, inner.serialize, non_null, False,  # type: ignore[union-attr]
                          _IDENTITY.get(inner.name))  # type: ignore[union-attr]
    if isinstance(inner, GraphQLList) and isinstance(inner.of_type, GraphQLNonNull) \
            and is_leaf_type(inner.of_type.of_type):
        leaf = inner.of_type.of_type
        return PlainField(attribute, leaf.serialize, non_null, True, _IDENTITY.get(leaf.name))
    return None


class PlainValueExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Strawberry hands every request a middleware manager, empty unless an extension resolves per field
        self._plain_allowed = not getattr(self.middleware_manager, "middlewares", ())

    def execute_fields(self, parent_type: Any, source_value: Any, path: Any, grouped_field_set: Any,
                       position_context: Any) -> Any:
        """The plain fields of an object answered in one pass (not even a response path is built for them); the
        others by graphql-core; the result in the selection's order."""
        if not self._plain_allowed:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        fields = parent_type.fields
        plain_values: dict[str, Any] = {}
        others = {}
        for response_name, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            field_def = fields.get(node.name.value)
            plain = getattr(field_def.resolve, PLAIN, None) if field_def is not None else None
            if plain is not None and not node.arguments and not node.directives:
                value = _plain_value(plain, source_value)
                if value is not Undefined:
                    plain_values[response_name] = value
                    continue
            others[response_name] = field_details_list
        if not others:
            return plain_values
        rest = super().execute_fields(parent_type, source_value, path, others, position_context)
        order = list(grouped_field_set)

        def merged(results: dict[str, Any]) -> dict[str, Any]:
            return {name: plain_values[name] if name in plain_values else results[name]
                    for name in order if name in plain_values or name in results}

        if self.is_awaitable(rest):
            async def awaited() -> dict[str, Any]:
                return merged(await rest)
            return awaited()
        return merged(rest)

    def execute_field(self, parent_type: Any, source: Any, field_details_list: Any, path: Any,
                      position_context: Any) -> Any:
        node = field_details_list[0].node
        field_def = parent_type.fields.get(node.name.value)
        plain: PlainField | None = getattr(field_def.resolve, PLAIN, None) if field_def is not None else None
        if plain is not None and self._plain_allowed and not node.arguments and not node.directives:
            value = _plain_value(plain, source)
            if value is not Undefined:
                return value
        return super().execute_field(parent_type, source, field_details_list, path, position_context)


def _plain_value(plain: PlainField, source: Any) -> Any:
    """The serialised value, or Undefined when the standard path must decide (and report any error)."""
    try:
        value = getattr(source, plain.attribute)
        if value is None:
            return Undefined if plain.non_null else None
        if not plain.is_list:
            if type(value) is plain.identity:
                return value
            out = plain.serialize(value)
            return Undefined if out is None else out
        if not isinstance(value, list | tuple):
            return Undefined
        identity, serialize = plain.identity, plain.serialize
        items = [item if type(item) is identity else serialize(item) for item in value]
        return Undefined if any(item is None or item is Undefined for item in items) else items
    except Exception:  # noqa: BLE001 - the standard path raises the located GraphQL error
        return Undefined
