"""GraphQL types derived from the domain's models: one mechanism, no field copied by hand — output types from
the read models (`@read_type`), input types from the Pydantic input models (`@input_type`, at the end).

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
`strawberry.enum` (else its values as `String`); a `Literal` of strings, an e-mail address and a URL are a
`String`; a dict is `JSON`.

Inputs, the other way round:

    @input_type(PersonCreate)
    class PersonCreateInput:
        confirm_not_duplicate: bool = False  # an override: published as `Boolean! = false`

Every field of the input model becomes an input field with the model's type and description: the fields the
model requires first, then the optional ones, each in the model's order. An optional field is nullable with no
published default, so a field the client leaves out stays out (`UNSET`) and the model's own default applies —
an update changes only what was sent. `published_defaults=True` publishes the model's defaults instead (filters
and value objects whose defaults are part of the contract). The resolver turns the input into the model with
`schema.errors.parse(Model, input)`, the one conversion: the model's validation, bounds and `extra="forbid"`
apply exactly as on REST, and nothing is checked twice.
"""

import types
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar, Union, get_args, get_origin

import strawberry
from graphql import GraphQLObjectType, GraphQLSchema
from pydantic import AnyUrl, BaseModel, EmailStr, SecretStr
from strawberry.scalars import JSON
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.enum import has_enum_definition
from strawberry.types.field import StrawberryField

import schema.enums  # noqa: F401  (the GraphQL enums are registered before any type is derived)
from schema.execution import PLAIN, plain_field

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
C = TypeVar("C", bound=type)

# read model → its derived GraphQL type (for nested read models)
DERIVED: dict[type[BaseModel], type] = {}
# input model → its derived GraphQL input (for nested input models)
DERIVED_INPUTS: dict[type[BaseModel], type] = {}


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


def graphql_annotation(annotation: Any, derived: Mapping[type[BaseModel], type] = DERIVED) -> Any:
    """The GraphQL-side annotation for a model field's annotation (see the module docstring); a nested model
    becomes its type in `derived` (the output types, or DERIVED_INPUTS for inputs)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return graphql_annotation(get_args(annotation)[0], derived)
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) != 1:
            raise TypeError(f"cannot derive a GraphQL type for the union {annotation!r}")
        inner = graphql_annotation(members[0], derived)
        return inner | None if len(members) < len(get_args(annotation)) else inner
    if origin is list:
        return list[graphql_annotation(get_args(annotation)[0], derived)]  # type: ignore[misc]
    if origin is Literal:
        return str
    if origin is dict or annotation is dict or annotation is Any:
        return JSON
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in derived:
            raise TypeError(f"derive a GraphQL type for {annotation.__name__} before the types that nest it")
        return derived[annotation]
    if annotation is EmailStr or isinstance(annotation, type) and issubclass(annotation, (AnyUrl, SecretStr)):
        return str  # validated by the model; published as text
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


def _input_field(name: str, info: Any, own: dict[str, Any], cls: type,
                 published_defaults: bool, description: str | None) -> tuple[Any, Any]:
    """(annotation, strawberry field) of one input field (see the module docstring)."""
    overridden = name in own
    annotation = own.pop(name) if overridden else graphql_annotation(info.annotation, DERIVED_INPUTS)
    if name in cls.__dict__:  # a default given in the class body wins (with the model's description)
        given = cls.__dict__[name]
        if isinstance(given, StrawberryField):
            return annotation, given
        return annotation, strawberry.field(default=given, description=description)
    if info.is_required():
        return annotation, strawberry.field(description=description)
    if published_defaults:
        default = info.get_default(call_default_factory=True)
        if default is None and not overridden:
            annotation = annotation | None
        if isinstance(default, (list, dict)):
            return annotation, strawberry.field(default_factory=lambda d=default: type(d)(d),  # type: ignore[misc]
                                                description=description)
        return annotation, strawberry.field(default=default, description=description)
    if not overridden:
        annotation = annotation | None
    return annotation, strawberry.field(default=strawberry.UNSET, description=description)


def input_type(model: type[BaseModel], *, name: str | None = None, description: str | None = None,
               exclude: Iterable[str] = (), descriptions: Mapping[str, str | None] | None = None,
               published_defaults: bool = False) -> Callable[[C], C]:
    """Make the decorated class the Strawberry input of `model` (see the module docstring); the class body
    overrides a field's GraphQL type (an annotation) or publishes its default (a value)."""
    skip = set(exclude)
    described = dict(descriptions or {})

    def derive(cls: C) -> C:
        own = dict(cls.__dict__.get("__annotations__", {}))
        fields = [(n, f) for n, f in model.model_fields.items() if n not in skip]
        ordered = [(n, f) for n, f in fields if f.is_required()] + [(n, f) for n, f in fields if not f.is_required()]
        annotations: dict[str, Any] = {}
        for field_name, info in ordered:
            annotation, field = _input_field(field_name, info, own, cls, published_defaults,
                                             described.get(field_name, info.description))
            annotations[field_name] = annotation
            setattr(cls, field_name, field)
        if own:
            raise TypeError(f"{cls.__name__} annotates {sorted(own)}, which {model.__name__} does not have")
        cls.__annotations__ = annotations
        cls.__input_model__ = model  # type: ignore[attr-defined]
        derived = strawberry.input(cls, name=name, description=description)
        DERIVED_INPUTS.setdefault(model, derived)
        return derived

    return derive


def _attribute(name: str) -> Callable[..., Any]:
    def resolve(source: Any, _info: Any, **_: Any) -> Any:
        return getattr(source, name)
    return resolve


def resolve_plain_fields_directly(schema: GraphQLSchema) -> None:
    """Every field without a resolver becomes one attribute lookup on its source (the read model), instead of
    Strawberry's three-call default chain: a list of 50 items × 26 fields pays this per field. A field whose
    value is plain (a scalar, an enum, a list of them) is marked for `execution.PlainValueExecutionContext`."""
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if (isinstance(field, StrawberryField) and field.is_basic_field and not field.extensions
                    and getattr(graphql_field.resolve, "__name__", "") == "_get_basic_result"):
                graphql_field.resolve = _attribute(field.python_name)
                # a plain value: schema/execution.py answers it without graphql-core's per-field machinery
                setattr(graphql_field.resolve, PLAIN, plain_field(field.python_name, graphql_field.type))
