"""GraphQL types derived from the domain's read models: one mechanism, no field copied by hand.

    @read_type(PersonSummaryRead, description="…")
    class PersonSummary(ReadType[PersonSummaryRead]):
        @strawberry.field
        async def consents(self, root: strawberry.Parent[PersonSummaryRead], info: Info) -> list[Consent]: …

Every field of the read model becomes a GraphQL field of the same name, type and description, in the model's
order; the class body adds resolver fields (dataloaders) and, rarely, overrides a field's GraphQL type with an
annotation (say a `str` the contract publishes as an enum). `exclude=` leaves fields out.

Resolvers return the read models themselves (`Person.from_read(read)` is a typed no-op), so a list item is a
plain object: every plain field resolves by attribute lookup with no per-field resolver, and nothing is
copied. `is_type_of` accepts the read model, which is how `Person | Problem` unions tell the types apart.

Type mapping: `X | None`, `list[X]` and `Annotated[X, …]` carry over; a nested read model becomes its derived
type (derive the inner type first); an enum becomes its GraphQL enum when one is registered with
`strawberry.enum` (else its values as `String`); a `Literal` of strings is a `String`; a dict is `JSON`.
"""

import types
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar, Union, get_args, get_origin

import strawberry
from graphql import GraphQLObjectType, GraphQLSchema
from pydantic import BaseModel
from strawberry.scalars import JSON
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.enum import has_enum_definition
from strawberry.types.field import StrawberryField

import schema.enums  # noqa: F401  (the GraphQL enums are registered before any type is derived)

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
C = TypeVar("C", bound=type)

# read model → its derived GraphQL type (for nested read models)
DERIVED: dict[type[BaseModel], type] = {}


class ReadType(Generic[M]):
    """Base of a derived type: typed casts from the read model, and the union membership test."""

    __read_model__: ClassVar[type[BaseModel]]

    @classmethod
    def from_read(cls: type[T], read: Any) -> T:
        """The read model *is* the GraphQL value (resolved by attribute); this only tells mypy."""
        return read  # type: ignore[no-any-return]

    @classmethod
    def from_reads(cls: type[T], reads: Iterable[Any]) -> list[T]:
        return list(reads)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, (cls, cls.__read_model__))


def graphql_annotation(annotation: Any) -> Any:
    """The GraphQL-side annotation for a read model field's annotation (see the module docstring)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return graphql_annotation(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) != 1:
            raise TypeError(f"cannot derive a GraphQL type for the union {annotation!r}")
        inner = graphql_annotation(members[0])
        return inner | None if len(members) < len(get_args(annotation)) else inner
    if origin is list:
        return list[graphql_annotation(get_args(annotation)[0])]  # type: ignore[misc]
    if origin is Literal:
        return str
    if origin is dict or annotation is dict or annotation is Any:
        return JSON
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in DERIVED:
            raise TypeError(f"derive a GraphQL type for {annotation.__name__} before the types that nest it")
        return DERIVED[annotation]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation if has_enum_definition(annotation) else str
    return annotation


def read_type(model: type[BaseModel], *, name: str | None = None, description: str | None = None,
              exclude: Iterable[str] = (), descriptions: Mapping[str, str | None] | None = None) -> Callable[[C], C]:
    """Make the decorated class the Strawberry type of `model` (see the module docstring). `descriptions`
    replaces a field's description from the model where the GraphQL contract words it differently (None: none)."""
    skip = set(exclude)
    described = dict(descriptions or {})

    def derive(cls: C) -> C:
        own = dict(cls.__dict__.get("__annotations__", {}))
        annotations: dict[str, Any] = {}
        for field_name, info in model.model_fields.items():
            if field_name in skip:
                continue
            if field_name in own:  # an override: the class body decides the GraphQL type
                annotations[field_name] = own.pop(field_name)
            elif field_name in cls.__dict__:  # a resolver of the same name replaces the plain field
                continue
            else:
                annotations[field_name] = graphql_annotation(info.annotation)
            field_description = described.get(field_name, info.description)
            if field_description and field_name not in cls.__dict__:
                setattr(cls, field_name, strawberry.field(description=field_description))
        annotations.update(own)
        cls.__annotations__ = annotations
        cls.__read_model__ = model  # type: ignore[attr-defined]
        derived = strawberry.type(cls, name=name, description=description)
        DERIVED.setdefault(model, derived)
        return derived

    return derive


def _attribute(name: str) -> Callable[..., Any]:
    def resolve(source: Any, _info: Any, **_: Any) -> Any:
        return getattr(source, name)
    return resolve


def resolve_plain_fields_directly(schema: GraphQLSchema) -> None:
    """Every field without a resolver becomes one attribute lookup on its source (the read model), instead of
    Strawberry's three-call default chain: a list of 50 items × 26 fields pays this per field."""
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if (isinstance(field, StrawberryField) and field.is_basic_field and not field.extensions
                    and getattr(graphql_field.resolve, "__name__", "") == "_get_basic_result"):
                graphql_field.resolve = _attribute(field.python_name)
