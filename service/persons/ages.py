"""Age groups from the birth year: the one definition persons, reports and exports share.

The age is the age reached in the reference calendar year (`year - birth_year`), which is all an erased
(pseudonymous) person still has, so statistics stay comparable before and after erasure.
"""

from datetime import date
from typing import Any

from sqlalchemy import case

# (label, lowest age, highest age or None for open-ended)
AGE_GROUPS: tuple[tuple[str, int, int | None], ...] = (
    ("0-17", 0, 17),
    ("18-29", 18, 29),
    ("30-49", 30, 49),
    ("50-64", 50, 64),
    ("65-79", 65, 79),
    ("80+", 80, None),
)
AGE_GROUP_LABELS = tuple(label for label, _, _ in AGE_GROUPS)


def age_in_year(birth_year: int, year: int | None = None) -> int:
    return (year or date.today().year) - birth_year


def age_group(birth_year: int, year: int | None = None) -> str:
    age = max(age_in_year(birth_year, year), 0)
    for label, low, high in AGE_GROUPS:
        if age >= low and (high is None or age <= high):
            return label
    raise AssertionError("AGE_GROUPS covers every non-negative age")


def age_group_sql(birth_year_column: Any, year: int | None = None) -> Any:
    """The same grouping as a SQL CASE expression, for GROUP BY in reports."""
    ref = year or date.today().year
    whens = []
    for label, low, high in AGE_GROUPS:
        if high is not None:
            whens.append((birth_year_column >= ref - high, label))
        else:
            whens.append((birth_year_column <= ref - low, label))
    return case(*whens, else_=AGE_GROUP_LABELS[-1])
