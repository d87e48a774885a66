"""GraphQL for the Recommendation 4 mapping: barrier entries and action-plan measures (derived from their read
models)."""

import uuid
from typing import Annotated

import strawberry

from schema.context import Info
from schema.derive import ReadType, input_type, read_type
from schema.enums import BarrierType, Indicator, MeasureStatus
from schema.errors import Problem, mutation_result, null_if_not_found, parse
from schema.pagination import Connection, connection, page_args
from service.action_plan import service as action_plan
from service.action_plan.dto import MeasureCreate, MeasureRead, MeasureUpdate
from service.mapping import service as mapping
from service.mapping.dto import MappingEntryCreate, MappingEntryRead


@read_type(MappingEntryRead, name="MappingEntry",
           description="A barrier an organisation sees for a risk setting, and the change it proposes.")
class MappingEntry(ReadType[MappingEntryRead]):
    pass


@read_type(MeasureRead, name="ActionPlanMeasure",
           description="An action-plan measure; `version` is what updateActionPlanMeasure expects.")
class ActionPlanMeasure(ReadType[MeasureRead]):
    pass


@strawberry.input
class MappingEntryFilter:
    risk_setting: str | None = None
    municipality_code: str | None = None
    barrier_type: BarrierType | None = None


# The GraphQL wording names the camelCase field (the models' descriptions name REST's snake_case one).
_DEPRECATED_NAME = {"responsible_ministry": "Deprecated: the ministry's name; use responsibleMinistryCode."}


@input_type(MappingEntryCreate, descriptions=_DEPRECATED_NAME)
class MappingEntryCreateInput:
    pass


@strawberry.input
class ActionPlanMeasureFilter:
    status: MeasureStatus | None = None
    risk_setting: str | None = None
    responsible_ministry_code: str | None = None
    responsible_ministry: str | None = None
    indicator: Indicator | None = None


@input_type(MeasureCreate, descriptions=_DEPRECATED_NAME)
class ActionPlanMeasureCreateInput:
    pass


@input_type(MeasureUpdate, descriptions=_DEPRECATED_NAME)
class ActionPlanMeasureUpdateInput:
    pass


MappingEntryResult = Annotated[MappingEntry | Problem, strawberry.union("MappingEntryResult")]
ActionPlanMeasureResult = Annotated[ActionPlanMeasure | Problem, strawberry.union("ActionPlanMeasureResult")]


@strawberry.type
class Query:
    @strawberry.field(description="Analysts: their ministry's risk settings (all when national); others: own "
                                  "organisation's entries.")
    def mapping_entries(self, info: Info, filter: MappingEntryFilter | None = None, first: int | None = None,
                        after: str | None = None) -> Connection[MappingEntry]:
        principal = info.context.require_principal()
        f = filter or MappingEntryFilter()
        return connection(mapping.list_entries(info.context.session, principal, page_args(first, after),
                                               risk_setting=f.risk_setting, municipality_code=f.municipality_code,
                                               barrier_type=f.barrier_type))

    @strawberry.field(description="Every action-plan measure (analysts and org_admins).")
    def action_plan_measures(self, info: Info, filter: ActionPlanMeasureFilter | None = None,
                             first: int | None = None, after: str | None = None) -> Connection[ActionPlanMeasure]:
        principal = info.context.require_principal()
        f = filter or ActionPlanMeasureFilter()
        return connection(action_plan.list_measures(info.context.session, principal, page_args(first, after),
                                                    status=f.status, risk_setting=f.risk_setting,
                                                    responsible_ministry=f.responsible_ministry,
                                                    responsible_ministry_code=f.responsible_ministry_code,
                                                    indicator=f.indicator))

    @strawberry.field
    @null_if_not_found
    def action_plan_measure(self, info: Info, id: uuid.UUID) -> ActionPlanMeasure | None:
        return ActionPlanMeasure.from_read(action_plan.get(info.context.session, info.context.require_principal(),
                                                           id))


@strawberry.type
class Mutation:
    @strawberry.mutation
    @mutation_result
    def create_mapping_entry(self, info: Info, input: MappingEntryCreateInput) -> MappingEntryResult:
        return MappingEntry.from_read(mapping.create(info.context.session, info.context.require_principal(),
                                                     parse(MappingEntryCreate, input)))

    @strawberry.mutation
    @mutation_result
    def create_action_plan_measure(self, info: Info, input: ActionPlanMeasureCreateInput) -> ActionPlanMeasureResult:
        return ActionPlanMeasure.from_read(action_plan.create(info.context.session, info.context.require_principal(),
                                                              parse(MeasureCreate, input)))

    @strawberry.mutation(description="Change a measure of your own ministry; `version` is the version you read "
                                     "(stale → Problem 412).")
    @mutation_result
    def update_action_plan_measure(self, info: Info, id: uuid.UUID, version: int,
                                   input: ActionPlanMeasureUpdateInput) -> ActionPlanMeasureResult:
        return ActionPlanMeasure.from_read(action_plan.update(info.context.session, info.context.require_principal(),
                                                              id, parse(MeasureUpdate, input), version))
