import strawberry

from schema.context import Info
from service.reference import service
from service.reference.models import Municipality as MunicipalityModel
from service.reference.models import RiskSetting as RiskSettingModel


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


@strawberry.type
class RiskSetting:
    code: str
    label_da: str
    label_en: str
    responsible_ministry: str
    sensitivity: str

    @classmethod
    def from_model(cls, m: RiskSettingModel) -> "RiskSetting":
        return cls(code=m.code, label_da=m.label_da, label_en=m.label_en,
                   responsible_ministry=m.responsible_ministry, sensitivity=m.sensitivity)


@strawberry.type
class Query:
    @strawberry.field(description="The 98 Danish municipalities.")
    def municipalities(self, info: Info, region_code: str | None = None) -> list[Municipality]:
        return [Municipality.from_model(m) for m in service.list_municipalities(info.context.session, region_code)]

    @strawberry.field(description="The nine Recommendation 4 risk settings.")
    def risk_settings(self, info: Info) -> list[RiskSetting]:
        return [RiskSetting.from_model(r) for r in service.list_risk_settings(info.context.session)]


@strawberry.type
class Mutation:
    pass
