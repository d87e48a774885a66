from service.core.dto import OutputModel


class MunicipalityRead(OutputModel):
    code: str
    name: str
    region_code: str
    region_name: str
    region_iso: str


class RiskSettingRead(OutputModel):
    code: str
    label_da: str
    label_en: str
    responsible_ministry: str
    sensitivity: str
