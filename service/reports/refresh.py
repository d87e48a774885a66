"""Keep the national report tables warm: recompute the facts of every accepted national grouping for a period and
store them in `report_summary`, then prune rows past the staleness bound. Run it from cron more often than
`TVAERS_REPORT_SUMMARY_MAX_AGE_SECONDS`, so a national analyst's request finds fresh facts.

    tvaers reports refresh --period-from 2024-01-01 --period-to 2026-12-31 [--max-dimensions 3]

It reads aggregates only (no person is read one by one) and writes no audit row: nobody is shown anything.
"""

import itertools
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy.orm import Session

from service.core.settings import get_settings
from service.reports import service as reports
from service.reports import summary
from service.reports.dimensions import MAX_GROUP_BY, Dimension, load_categories
from service.reports.dto import Rec4Params
from service.reports.policy import ReportScope
from service.reports.what_works import what_works

NATIONAL = ReportScope(None, None, "national: every risk setting")


def groupings(max_dimensions: int = MAX_GROUP_BY) -> list[tuple[str, ...]]:
    dims = [d.value for d in Dimension]
    return [g for n in range(max_dimensions + 1) for g in itertools.combinations(dims, n)]


def refresh(session: Session, period_from: date, period_to: date, group_bys: Sequence[tuple[str, ...]]) -> int:
    """Recompute and store the national facts of each grouping (whatever their age); returns rows pruned."""
    reader = summary.Reader(session, timedelta(0))  # nothing stored earlier than now counts as fresh
    threshold = get_settings().disclosure_threshold
    categories = load_categories(session, period_from, period_to)
    for group_by in group_bys:
        params = Rec4Params(period_from=period_from, period_to=period_to, group_by=list(group_by))
        q = reports._effective_query(session, params, NATIONAL)
        reports.compute(session, q, categories, threshold, reader)
        reports.barriers(session, q, threshold, reader)
        what_works(session, q, categories.values["offer_category"], threshold, reader)
    bound = get_settings().report_summary_max_age_seconds
    return summary.prune(session, reader.now - timedelta(seconds=bound)) if bound else 0
