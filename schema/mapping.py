"""GraphQL for the Recommendation 4 mapping: barrier entries and action-plan measures."""

import uuid
from datetime import date, datetime
from typing import Annotated

import strawberry

from schema.context import Info
from schema.errors import Problem, attempt, or_none, parse
from schema.pagination import Connection, page_args
from service.action_plan import service as action_plan
from service.action_plan.dto import MeasureCreate, MeasureRead, MeasureUpdate
from service.action_plan.models import Indicator as IndicatorEnum
from service.action_plan.models import MeasureStatus as MeasureStatusEnum
from service.mapping import service as mapping
from service.mapping.dto import MappingEntryCreate
from service.mapping.models import BarrierType as BarrierTypeEnum
from service.mapping.models import MappingEntry as MappingEntryModel

BarrierType = strawberry.enum(BarrierTypeEnum, name="BarrierType")
ActionPlanMeasureStatus = strawberry.enum(MeasureStatusEnum, name="ActionPlanMeasureStatus")
ActionPlanIndicator = strawberry.enum(IndicatorEnum, name="ActionPlanIndicator",
                                      description="A measure of the Recommendation 4 report.")


@strawberry.type(description="A barrier an organisation sees for a risk setting, and the change it proposes.")
class MappingEntry:
    id: uuid.UUID
    risk_setting: str
    municipality_code: str
    barrier_type: BarrierType  # type: ignore[valid-type]
    description: str
    proposed_change: str
    responsible_ministry_code: str
    responsible_ministry: str = strawberry.field(description="The ministry's name when the entry was submitted.")
    organisation_id: uuid.UUID
    submitted_by: uuid.UUID
    created_at: datetime

    @classmethod
    def from_model(cls, e: MappingEntryModel) -> "MappingEntry":
        return cls(id=e.id, risk_setting=e.risk_setting, municipality_code=e.municipality_code,
                   barrier_type=BarrierTypeEnum(e.barrier_type), description=e.description,
                   proposed_change=e.proposed_change, responsible_ministry_code=e.responsible_ministry_code,
                   responsible_ministry=e.responsible_ministry,
                   organisation_id=e.organisation_id, submitted_by=e.submitted_by, created_at=e.created_at)


@strawberry.type(description="An action-plan measure; `version` is what updateActionPlanMeasure expects.")
class ActionPlanMeasure:
    id: uuid.UUID
    title: str
    description: str
    risk_settings: list[str]
    responsible_ministry_code: str
    responsible_ministry: str = strawberry.field(description="The ministry's name when it was last set.")
    status: ActionPlanMeasureStatus  # type: ignore[valid-type]
    start_date: date
    end_date: date | None
    indicators: list[ActionPlanIndicator]  # type: ignore[valid-type]
    organisation_id: uuid.UUID
    created_by: uuid.UUID
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_read(cls, m: MeasureRead) -> "ActionPlanMeasure":
        return cls(id=m.id, title=m.title, description=m.description, risk_settings=m.risk_settings,
                   responsible_ministry_code=m.responsible_ministry_code,
                   responsible_ministry=m.responsible_ministry, status=m.status, start_date=m.start_date,
                   end_date=m.end_date, indicators=list(m.indicators), organisation_id=m.organisation_id,
                   created_by=m.created_by, version=m.version, created_at=m.created_at, updated_at=m.updated_at)


@strawberry.input
class MappingEntryFilter:
    risk_setting: str | None = None
    municipality_code: str | None = None
    barrier_type: BarrierType | None = None  # type: ignore[valid-type]


@strawberry.input
class MappingEntryCreateInput:
    risk_setting: str
    municipality_code: str
    barrier_type: BarrierType  # type: ignore[valid-type]
    description: str
    proposed_change: str
    responsible_ministry_code: str | None = strawberry.UNSET
    responsible_ministry: str | None = strawberry.field(
        default=strawberry.UNSET, description="Deprecated: the ministry's name; use responsibleMinistryCode.")


@strawberry.input
class ActionPlanMeasureFilter:
    status: ActionPlanMeasureStatus | None = None  # type: ignore[valid-type]
    risk_setting: str | None = None
    responsible_ministry_code: str | None = None
    responsible_ministry: str | None = None
    indicator: ActionPlanIndicator | None = None  # type: ignore[valid-type]


@strawberry.input
class ActionPlanMeasureCreateInput:
    title: str
    description: str
    risk_settings: list[str]
    start_date: date
    end_date: date | None = strawberry.UNSET
    status: ActionPlanMeasureStatus | None = strawberry.UNSET  # type: ignore[valid-type]
    responsible_ministry_code: str | None = strawberry.UNSET
    responsible_ministry: str | None = strawberry.field(
        default=strawberry.UNSET, description="Deprecated: the ministry's name; use responsibleMinistryCode.")
    indicators: list[ActionPlanIndicator] | None = strawberry.UNSET  # type: ignore[valid-type]


@strawberry.input
class ActionPlanMeasureUpdateInput:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    risk_settings: list[str] | None = strawberry.UNSET
    start_date: date | None = strawberry.UNSET
    end_date: date | None = strawberry.UNSET
    status: ActionPlanMeasureStatus | None = strawberry.UNSET  # type: ignore[valid-type]
    responsible_ministry_code: str | None = strawberry.UNSET
    responsible_ministry: str | None = strawberry.field(
        default=strawberry.UNSET, description="Deprecated: the ministry's name; use responsibleMinistryCode.")
    indicators: list[ActionPlanIndicator] | None = strawberry.UNSET  # type: ignore[valid-type]


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
        items, cursor = mapping.list_entries(info.context.session, principal, page_args(first, after),
                                             risk_setting=f.risk_setting, municipality_code=f.municipality_code,
                                             barrier_type=f.barrier_type)
        return Connection(items=[MappingEntry.from_model(e) for e in items], next_cursor=cursor)

    @strawberry.field(description="Every action-plan measure (analysts and org_admins).")
    def action_plan_measures(self, info: Info, filter: ActionPlanMeasureFilter | None = None,
                             first: int | None = None, after: str | None = None) -> Connection[ActionPlanMeasure]:
        principal = info.context.require_principal()
        f = filter or ActionPlanMeasureFilter()
        items, cursor = action_plan.list_measures(info.context.session, principal, page_args(first, after),
                                                  status=f.status, risk_setting=f.risk_setting,
                                                  responsible_ministry=f.responsible_ministry,
                                                  responsible_ministry_code=f.responsible_ministry_code,
                                                  indicator=f.indicator)
        return Connection(items=[ActionPlanMeasure.from_read(m) for m in items], next_cursor=cursor)

    @strawberry.field
    def action_plan_measure(self, info: Info, id: uuid.UUID) -> ActionPlanMeasure | None:
        principal = info.context.require_principal()
        return or_none(lambda: ActionPlanMeasure.from_read(action_plan.get(info.context.session, principal, id)))


@strawberry.type
class Mutation:
    @strawberry.mutation
    def create_mapping_entry(self, info: Info, input: MappingEntryCreateInput) -> MappingEntryResult:
        def run() -> MappingEntry:
            principal = info.context.require_principal()
            entry = mapping.create(info.context.session, principal, parse(MappingEntryCreate, input))
            return MappingEntry.from_model(entry)
        return attempt(info, run)

    @strawberry.mutation
    def create_action_plan_measure(self, info: Info, input: ActionPlanMeasureCreateInput) -> ActionPlanMeasureResult:
        def run() -> ActionPlanMeasure:
            principal = info.context.require_principal()
            measure = action_plan.create(info.context.session, principal, parse(MeasureCreate, input))
            return ActionPlanMeasure.from_read(measure)
        return attempt(info, run)

    @strawberry.mutation(description="Change a measure of your own ministry; `version` is the version you read "
                                     "(stale → Problem 412).")
    def update_action_plan_measure(self, info: Info, id: uuid.UUID, version: int,
                                   input: ActionPlanMeasureUpdateInput) -> ActionPlanMeasureResult:
        def run() -> ActionPlanMeasure:
            principal = info.context.require_principal()
            measure = action_plan.update(info.context.session, principal, id, parse(MeasureUpdate, input), version)
            return ActionPlanMeasure.from_read(measure)
        return attempt(info, run)
