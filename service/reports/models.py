"""The report's fast path: one row of raw facts per (SQL family, effective query); see service.reports.summary."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from service.core.types import UTCDateTime, utcnow


class ReportSummary(SQLModel, table=True):
    """Aggregates only (true counts, sums of record keys, sums, medians): no row names a person."""

    __tablename__ = "report_summary"

    key: str = Field(primary_key=True, max_length=64)  # sha256 of the normalised effective query
    family: str = Field(max_length=32)
    computed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False,
                                                                         index=True))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
