from sqlmodel import Field, SQLModel


class Municipality(SQLModel, table=True):
    __tablename__ = "municipality"

    code: str = Field(primary_key=True, max_length=4)
    name: str = Field(max_length=80)
    region_code: str = Field(max_length=4)
    region_name: str = Field(max_length=80)
    region_iso: str = Field(max_length=8)


class RiskSetting(SQLModel, table=True):
    """The nine Recommendation 4 settings. Ministry responsibility is data, not code."""

    __tablename__ = "risk_setting"

    code: str = Field(primary_key=True, max_length=40)
    label_da: str = Field(max_length=120)
    label_en: str = Field(max_length=120)
    responsible_ministry: str = Field(max_length=120)
    # ordinary | gdpr_art9 (health, disability) | gdpr_art10 (criminal offences)
    sensitivity: str = Field(max_length=20)
    sort_order: int
