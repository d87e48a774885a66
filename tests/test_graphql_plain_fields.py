"""schema/execution.py answers plain fields without graphql-core's per-field machinery. Whatever the values —
valid, null where null is not allowed, out of range, of the wrong type — the response (data, errors, their paths)
must be exactly what graphql-core's standard execution gives: Hypothesis generates the items, the same document
runs with and without the fast path, and the two responses are compared."""

import enum
import uuid
from datetime import datetime
from typing import Any

import strawberry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.derive import resolve_plain_fields_directly
from schema.execution import PLAIN, PlainValueExecutionContext


@strawberry.enum
class Colour(enum.Enum):
    red = "red"
    blue = "blue"


@strawberry.type
class Item:
    text: str
    maybe_text: str | None
    number: int
    flag: bool
    ident: strawberry.ID
    when: datetime | None
    colour: Colour
    words: list[str]
    maybe_words: list[str] | None


@strawberry.type
class Query:
    @strawberry.field
    def items(self, info: strawberry.Info) -> list[Item]:
        return info.context["items"]


def _schema(fast: bool) -> strawberry.Schema:
    schema = strawberry.Schema(query=Query, execution_context_class=PlainValueExecutionContext if fast
                               else StrawberryGraphQLCoreExecutionContext)
    resolve_plain_fields_directly(schema._schema)
    return schema


FAST, STANDARD = _schema(True), _schema(False)
DOCUMENT = ("{ items { text maybeText number flag ident when colour words maybeWords "
            "alias: text ... on Item { flag } } }")

# Every attribute of a row takes a right value, and at most one of them (chosen at random) a wrong one: a non-null
# error aborts the rest of its object, so one wrong value per row keeps the others observable. List items too.
item = st.one_of(st.text(max_size=3), st.none(), st.integers(), st.booleans(), st.floats())
wrong = st.one_of(st.none(), st.text(max_size=5), st.integers(-2**40, 2**40), st.booleans(), st.floats(),
                  st.just(Colour.red), st.lists(item, max_size=3), st.just({"k": 1}), st.datetimes(), st.uuids())
right = {
    "text": st.text(max_size=8), "maybe_text": st.one_of(st.none(), st.text(max_size=8)),
    "number": st.integers(-2**31, 2**31 - 1), "flag": st.booleans(), "ident": st.one_of(st.uuids(), st.text()),
    "when": st.one_of(st.none(), st.datetimes()), "colour": st.sampled_from(Colour),
    "words": st.lists(st.text(max_size=3), max_size=3),
    "maybe_words": st.one_of(st.none(), st.lists(st.text(max_size=3), max_size=3)),
}


@st.composite
def rows(draw: Any) -> dict[str, Any]:
    row = draw(st.fixed_dictionaries(right))
    spoiled = draw(st.sampled_from([None, *right]))
    if spoiled is not None:
        row[spoiled] = draw(wrong)
    return row


class Row:
    def __init__(self, **attributes: Any) -> None:
        self.__dict__.update(attributes)


def _run(schema: strawberry.Schema, items: list[Row]) -> tuple[Any, Any]:
    result = schema.execute_sync(DOCUMENT, context_value={"items": items})
    errors = sorted((e.message, tuple(e.path or ()), tuple((loc.line, loc.column) for loc in e.locations or ()))
                    for e in result.errors or [])
    return result.data, errors


def test_the_plain_fields_are_marked():
    item = FAST._schema.type_map["Item"]
    assert all(getattr(f.resolve, PLAIN, None) is not None for f in item.fields.values())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rows(), max_size=4))
def test_fast_path_answers_exactly_as_graphql_core(rows):
    items = [Row(**row) for row in rows]
    assert _run(FAST, items) == _run(STANDARD, items)


def test_a_valid_page_is_answered_without_the_standard_field_path(monkeypatch):
    calls = []
    original = StrawberryGraphQLCoreExecutionContext.execute_field

    def counting(self: Any, *args: Any) -> Any:
        calls.append(args[2][0].node.name.value)
        return original(self, *args)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_field", counting)
    item = Row(text="a", maybe_text=None, number=1, flag=True, ident=uuid.uuid4(), when=None, colour=Colour.red,
               words=["x"], maybe_words=None)
    data, errors = _run(FAST, [item] * 50)
    assert not errors and len(data["items"]) == 50 and data["items"][0]["ident"] == str(item.ident)
    assert calls == ["items"]  # only the root field went the standard way
