from pydantic import Field

from service.core.dto import OutputModel


class MunicipalityRead(OutputModel):
    code: str
    name: str
    region_code: str
    region_name: str
    region_iso: str


class MinistryRead(OutputModel):
    code: str
    name: str


class RiskSettingRead(OutputModel):
    code: str
    label_da: str
    label_en: str
    responsible_ministry: str = Field(description="The responsible ministry's current name (display).")
    responsible_ministry_code: str = Field(description="The responsible ministry's stable code (key).")
    sensitivity: str


class CodeLabel(OutputModel):
    code: str
    label_da: str
    label_en: str


class VocabularyRead(OutputModel):
    name: str = Field(description="The code list, e.g. offer_category, reason_code, psychosocial_element.")
    description: str
    codes: list[CodeLabel]
