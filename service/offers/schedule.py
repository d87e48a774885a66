"""When an offer meets: a structured recurrence with iCalendar RRULE semantics, or "by agreement".

Stored as JSON on the offer (it is displayed, never filtered on); `rrule()` gives the equivalent RFC 5545
RRULE and every rule is checked by parsing it with dateutil and asking for an occurrence inside the
validity window, so a rule that can never happen is refused.
"""

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from dateutil.rrule import rrulestr
from pydantic import Field, model_validator

from service.core.dto import InputModel


class Weekday(StrEnum):
    MO = "MO"
    TU = "TU"
    WE = "WE"
    TH = "TH"
    FR = "FR"
    SA = "SA"
    SU = "SU"


WEEK_ORDER = list(Weekday)


class Frequency(StrEnum):
    weekly = "weekly"
    monthly = "monthly"


class Schedule(InputModel):
    by_agreement: bool = Field(default=False, description="Times are agreed with each participant.")
    freq: Frequency | None = None
    interval: int = Field(default=1, ge=1, le=12, description="Every n weeks/months.")
    weekdays: list[Weekday] = Field(default_factory=list, max_length=7)
    week_of_month: int | None = Field(default=None, ge=-1, le=5,
                                      description="Monthly: 1–5, or -1 for the last (with weekdays).")
    month_day: int | None = Field(default=None, ge=1, le=31, description="Monthly: day of the month.")
    start_time: time | None = None
    end_time: time | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    notes: str | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _check(self) -> "Schedule":
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        if len(set(self.weekdays)) != len(self.weekdays):
            raise ValueError("weekdays are repeated")
        self.weekdays = sorted(self.weekdays, key=WEEK_ORDER.index)
        recurrence = (self.freq, self.weekdays, self.week_of_month, self.month_day, self.start_time, self.end_time)
        if self.by_agreement:
            if any(v for v in recurrence):
                raise ValueError("a schedule by agreement has no frequency, weekdays or times")
            return self
        if self.freq is None:
            raise ValueError("freq is required unless by_agreement is true")
        if self.start_time is None or self.end_time is None:
            raise ValueError("start_time and end_time are required")
        if self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time")
        if self.freq == Frequency.weekly:
            if not self.weekdays:
                raise ValueError("a weekly schedule needs at least one weekday")
            if self.week_of_month is not None or self.month_day is not None:
                raise ValueError("week_of_month and month_day belong to monthly schedules")
        else:
            by_weekday = bool(self.weekdays) and self.week_of_month not in (None, 0)
            if by_weekday == (self.month_day is not None) or (self.weekdays and not by_weekday):
                raise ValueError("a monthly schedule needs either weekdays with week_of_month, or month_day")
        start = datetime.combine(self.valid_from or date(2000, 1, 1), self.start_time)
        rule = rrulestr(self.rrule() or "", dtstart=start)
        if rule.after(start, inc=True) is None:
            raise ValueError("the schedule has no occurrence between valid_from and valid_to")
        return self

    def rrule(self) -> str | None:
        """The RFC 5545 RRULE (without DTSTART: the times are start_time/end_time from valid_from)."""
        if self.by_agreement or self.freq is None:
            return None
        parts = [f"FREQ={self.freq.upper()}", f"INTERVAL={self.interval}"]
        if self.freq == Frequency.weekly:
            parts.append("BYDAY=" + ",".join(self.weekdays))
        elif self.month_day is not None:
            parts.append(f"BYMONTHDAY={self.month_day}")
        else:
            parts.append("BYDAY=" + ",".join(f"{self.week_of_month}{d}" for d in self.weekdays))
        if self.valid_to:
            parts.append(f"UNTIL={self.valid_to:%Y%m%d}T235959")
        parts.append("WKST=MO")
        return ";".join(parts)

    def to_storage(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=True) or {"by_agreement": False}


def load(data: dict[str, Any] | None) -> Schedule | None:
    return Schedule.model_validate(data) if data else None
