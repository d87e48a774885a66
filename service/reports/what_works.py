"""Recommendation 5, "what works": the T-ILS change from intake to follow-up per offer category, pooled over a
rolling window of calendar years and over every municipality in the caller's scope, so the figure reaches
publishable numbers at realistic volumes. The number followed up is cell-key protected; the mean and its 95 %
confidence interval (Student's t) are shown only when that number is at least the threshold."""

import math
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from service.reports import sql, summary
from service.reports.cellkey import CELL_KEY, FROM_CELL_KEYS, WITHHELD, perturb

WINDOW_YEARS = 3
# two-sided 95 % quantiles of Student's t by degrees of freedom; beyond 30 the normal 1.96 is close enough
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
         11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
         20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048,
         29: 2.045, 30: 2.042}


def window(period_to: date) -> tuple[date, date]:
    return date(period_to.year - WINDOW_YEARS + 1, 1, 1), period_to


def interval(n: int, total: float, squares: float) -> tuple[float, float, float]:
    """Mean and 95 % confidence interval of n values from their sum and sum of squares."""
    mean = total / n
    variance = max(0.0, (squares - n * mean * mean) / (n - 1))
    half = T_975.get(n - 1, 1.96) * math.sqrt(variance / n)
    return mean, mean - half, mean + half


def pooled_query(q: sql.Query) -> sql.Query:
    """The report's query pooled over the window, by offer category: the caller's scope (municipalities, risk
    settings) and person filters still apply; quarters do not."""
    start, end = window(q.period_to)
    filters = {k: v for k, v in q.filters.items() if k in ("municipality", "region", "risk_setting", "age_group",
                                                            "offer_category")}
    return replace(q, period_from=start, period_to=end, group_by=("offer_category",), filters=filters)


def what_works(session: Session, q: sql.Query, categories: tuple[str, ...], threshold: int,
               reader: summary.Reader | None = None) -> dict[str, Any]:
    start, end = window(q.period_to)
    pooled = pooled_query(q)
    raw = summary.tils(reader or summary.Reader(session, None), pooled)
    rows = []
    for category in categories:
        key = (category,)
        n = int(raw["persons_followed_up"].get(key) or 0)
        shown = perturb(n, int(raw["ck_persons_followed_up"].get(key) or 0), threshold)
        row: dict[str, Any] = {"offer_category": category,
                               "persons_followed_up": {"value": shown, "suppressed": False, "protection": CELL_KEY}}
        if n >= threshold and shown >= threshold:
            mean, low, high = interval(n, float(raw["tils_change_sum"].get(key) or 0),
                                       float(raw["tils_change_sumsq"].get(key) or 0))
            row["tils_change"] = {"value": round(mean, 2), "ci95": [round(low, 2), round(high, 2)],
                                  "suppressed": False, "protection": FROM_CELL_KEYS}
        else:
            row["tils_change"] = {"value": None, "ci95": None, "suppressed": n > 0,
                                  "protection": WITHHELD if n > 0 else CELL_KEY}
        rows.append(row)
    return {"window": {"from": start.isoformat(), "to": end.isoformat(), "years": WINDOW_YEARS},
            "pooling": "every municipality and risk setting in the report's scope and filters, over the window",
            "categories": rows}
