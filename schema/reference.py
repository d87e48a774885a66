from typing import Any

import strawberry

from schema.context import Info
from service.reference import service
from service.reference.models import Ministry as MinistryModel
from service.reference.models import Municipality as MunicipalityModel


@strawberry.type
class Municipality:
    code: str
    name: str
    region_code: str
    region_name: str
    region_iso: str

    @classmethod
    def from_model(cls, m: MunicipalityModel) -> "Municipality":
        return cls(code=m.code, name=m.name, region_code=m.region_code, region_name=m.region_name,
                   region_iso=m.region_iso)


@strawberry.type(description="A ministry: a stable code (the key of every scope rule) and its current name.")
class Ministry:
    code: str
    name: str

    @classmethod
    def from_model(cls, m: MinistryModel) -> "Ministry":
        return cls(code=m.code, name=m.name)


@strawberry.type
class RiskSetting:
    code: str
    label_da: str
    label_en: str
    responsible_ministry: str = strawberry.field(description="The responsible ministry's current name.")
    responsible_ministry_code: str = strawberry.field(description="The responsible ministry's stable code.")
    sensitivity: str

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> "RiskSetting":
        return cls(code=r["code"], label_da=r["label_da"], label_en=r["label_en"],
                   responsible_ministry=r["responsible_ministry"],
                   responsible_ministry_code=r["responsible_ministry_code"], sensitivity=r["sensitivity"])


@strawberry.type(description="A code and its Danish and English labels.")
class CodeLabel:
    code: str
    label_da: str
    label_en: str


@strawberry.type(description="A code list of the API (offer categories, reasons, outcomes, elements, …).")
class Vocabulary:
    name: str
    description: str
    codes: list[CodeLabel]

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> "Vocabulary":
        return cls(name=r["name"], description=r["description"], codes=[CodeLabel(**c) for c in r["codes"]])


@strawberry.type
class Query:
    @strawberry.field(description="Every code list with Danish and English labels (optionally only `names`).")
    def vocabularies(self, names: list[str] | None = None) -> list[Vocabulary]:
        if names is not None and (len(names) > 40 or any(len(n) > 40 for n in names)):
            return []  # bounded like the REST parameter; no code list has such a name
        return [Vocabulary.from_row(r) for r in service.list_vocabularies(names)]


    @strawberry.field(description="The 98 Danish municipalities.")
    def municipalities(self, info: Info, region_code: str | None = None) -> list[Municipality]:
        return [Municipality.from_model(m) for m in service.list_municipalities(info.context.session, region_code)]

    @strawberry.field(description="The nine Recommendation 4 risk settings.")
    def risk_settings(self, info: Info) -> list[RiskSetting]:
        return [RiskSetting.from_row(r) for r in service.list_risk_settings(info.context.session)]

    @strawberry.field(description="The ministries responsible for Recommendation 4 risk settings.")
    def ministries(self, info: Info) -> list[Ministry]:
        return [Ministry.from_model(m) for m in service.list_ministries(info.context.session)]


@strawberry.type
class Mutation:
    pass
