"""`rec4Report`: the same report, protected by the same disclosure control, as typed GraphQL."""

from datetime import date
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from schema.context import Info
from schema.derive import input_type
from schema.errors import Problem, parse, query_result
from service.reports import render, service
from service.reports.dto import Rec4Params


@input_type(Rec4Params)
class Rec4ReportInput:
    offer_category: list[str] | None  # published as text before it was derived (the DTO's enum)


@strawberry.type
class DimensionValue:
    dimension: str
    code: str | None = strawberry.field(description="null on a margin: all categories of the dimension")
    label: str


@strawberry.type
class MeasureValue:
    measure: str
    value: float | None
    suppressed: bool


@strawberry.type
class ReportRow:
    key: list[DimensionValue]
    values: list[MeasureValue]


@strawberry.type
class Rec4Report:
    period_from: date
    period_to: date
    group_by: list[str]
    scope: str
    threshold: int
    measures: list[str]
    not_applicable: list[str]
    cells: list[ReportRow]
    margins: list[ReportRow]
    totals: ReportRow
    barriers: JSON
    action_plan: JSON
    freshness: JSON = strawberry.field(description=(
        "How fresh the facts are: source (live, summary or mixed), as_of and max_staleness_seconds"))


def _row(entry: dict) -> ReportRow:  # type: ignore[type-arg]
    return ReportRow(
        key=[DimensionValue(dimension=d, code=c, label=entry["labels"][d]) for d, c in entry["key"].items()],
        values=[MeasureValue(measure=m, value=v["value"], suppressed=v["suppressed"])
                for m, v in entry["values"].items()])


Rec4ReportResult = Annotated[Rec4Report | Problem, strawberry.union("Rec4ReportResult")]


@strawberry.type
class Query:
    @strawberry.field(description="The Recommendation 4 mapping report (aggregates only).")
    @query_result
    def rec4_report(self, info: Info, input: Rec4ReportInput) -> Rec4ReportResult:
        principal = info.context.require_principal()  # authorize before validating the input
        params = parse(Rec4Params, input)
        doc = render.document(service.rec4(info.context.session, principal, params, fmt="graphql"))
        return Rec4Report(
            period_from=params.period_from, period_to=params.period_to, group_by=doc["group_by"],
            scope=doc["scope"], threshold=doc["disclosure"]["threshold"],
            measures=[m["name"] for m in doc["measures"]], not_applicable=doc["not_applicable"],
            cells=[_row(e) for e in doc["cells"]], margins=[_row(e) for e in doc["margins"]],
            totals=_row(doc["totals"]), barriers=doc["barriers"], action_plan=doc["action_plan"],
            freshness=doc["freshness"])
