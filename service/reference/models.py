from sqlmodel import Field, SQLModel


class Municipality(SQLModel, table=True):
    __tablename__ = "municipality"

    code: str = Field(primary_key=True, max_length=4)
    name: str = Field(max_length=80)
    region_code: str = Field(max_length=4)
    region_name: str = Field(max_length=80)
    region_iso: str = Field(max_length=8)


class Ministry(SQLModel, table=True):
    """A ministry, keyed by a stable code. Names change with governments (they are data, shown to people);
    every scope rule — reports, mapping, action plan — keys on the code, never on a name."""

    __tablename__ = "ministry"

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=120, unique=True)
    sort_order: int


class RiskSetting(SQLModel, table=True):
    """The nine Recommendation 4 settings. Ministry responsibility is data, not code."""

    __tablename__ = "risk_setting"

    code: str = Field(primary_key=True, max_length=40)
    label_da: str = Field(max_length=120)
    label_en: str = Field(max_length=120)
    responsible_ministry_code: str = Field(foreign_key="ministry.code", max_length=40, index=True)
    # ordinary | gdpr_art9 (health, disability) | gdpr_art10 (criminal offences)
    sensitivity: str = Field(max_length=20)
    sort_order: int
