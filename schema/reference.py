"""Reference data over GraphQL (municipalities, ministries, risk settings, vocabularies), derived from the read
models."""

import strawberry

from schema.context import Info
from schema.derive import ReadType, read_type
from service.reference import service
from service.reference.dto import CodeLabel, MinistryRead, MunicipalityRead, RiskSettingRead, VocabularyRead


@read_type(MunicipalityRead, name="Municipality")
class Municipality(ReadType[MunicipalityRead]):
    pass


@read_type(MinistryRead, name="Ministry",
           description="A ministry: a stable code (the key of every scope rule) and its current name.")
class Ministry(ReadType[MinistryRead]):
    pass


@read_type(RiskSettingRead, name="RiskSetting", descriptions={
    "responsible_ministry": "The responsible ministry's current name.",
    "responsible_ministry_code": "The responsible ministry's stable code."})
class RiskSetting(ReadType[RiskSettingRead]):
    pass


@read_type(CodeLabel, name="CodeLabel", description="A code and its Danish and English labels.")
class CodeLabelType(ReadType[CodeLabel]):
    pass


@read_type(VocabularyRead, name="Vocabulary",
           description="A code list of the API (offer categories, reasons, outcomes, elements, …).")
class Vocabulary(ReadType[VocabularyRead]):
    pass


@strawberry.type
class Query:
    @strawberry.field(description="Every code list with Danish and English labels (optionally only `names`).")
    def vocabularies(self, names: list[str] | None = None) -> list[Vocabulary]:
        if names is not None and (len(names) > 40 or any(len(n) > 40 for n in names)):
            return []  # bounded like the REST parameter; no code list has such a name
        return Vocabulary.from_reads(service.list_vocabularies(names))

    @strawberry.field(description="The 98 Danish municipalities.")
    def municipalities(self, info: Info, region_code: str | None = None) -> list[Municipality]:
        return Municipality.from_reads(service.list_municipalities(info.context.session, region_code))

    @strawberry.field(description="The nine Recommendation 4 risk settings.")
    def risk_settings(self, info: Info) -> list[RiskSetting]:
        return RiskSetting.from_reads(service.list_risk_settings(info.context.session))

    @strawberry.field(description="The ministries responsible for Recommendation 4 risk settings.")
    def ministries(self, info: Info) -> list[Ministry]:
        return Ministry.from_reads(service.list_ministries(info.context.session))
