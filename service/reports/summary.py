"""The report's fast path: report facts kept in `report_summary`, refreshed with bounded staleness (issue #13).

Every SQL family of the report (persons, referrals, follow-ups, offers, barriers) returns *raw facts*: true
counts, their cell keys (sums of record keys), sums and medians — before disclosure control. The fast path keeps
each family's facts in one `report_summary` row, keyed by the *effective* query (period, grouping, filters and the
caller's scope after policy, so a municipality's administrator can only ever be served facts computed for their
own municipality). A row younger than `report_summary_max_age_seconds` is served as it is; an older or missing
one is computed live by the same SQL and stored in the request's transaction. The Cell Key Method is applied to
the served facts on every request, so the same cell keeps the same noise whichever path produced it.

Why a refresh with bounded staleness and not facts kept exact by every writing transaction: "at risk in the
period" depends on consent being active *at request time* (a consent can lapse with no write at all), unmet need
depends on the period asked for, and medians do not add up — an exact incremental table would have to be keyed by
every period and every grouping. The staleness is bounded (the setting), stated in every response (`freshness`)
and tested; `tvaers reports refresh` (cron, more often than the bound) keeps the national tables warm.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.types import utcnow
from service.reports import sql, sql_offers
from service.reports.models import ReportSummary

Tables = dict[str, dict[sql.Key, Any]]
# Bump when a family's SQL changes meaning or the stored form changes: rows of an older version are never served.
FACTS_VERSION = 2


def summary_key(family: str, q: sql.Query, extra: tuple[str, ...] = ()) -> str:
    """The effective query, normalised (filter and scope order do not change the facts; grouping order does)."""
    normal = {"v": FACTS_VERSION, "family": family, "from": q.period_from.isoformat(),
              "to": q.period_to.isoformat(), "group_by": list(q.group_by),
              "filters": {k: sorted(v) for k, v in sorted(q.filters.items()) if v},
              "risk_scope": None if q.risk_scope is None else sorted(q.risk_scope), "extra": list(extra)}
    return hashlib.sha256(json.dumps(normal, sort_keys=True).encode()).hexdigest()


def _encode(tables: Tables) -> dict[str, Any]:
    """Columns, not pairs: every key once (`keys`), then each table either as values aligned with `keys` (when it
    has exactly those keys, as the measures of one SQL family do) or as [key index, value] pairs. A national
    table by risk setting × municipality holds ~40,000 values: as pairs, parsing built a list and a key per value
    and took most of a served request (issue #13)."""
    keys = list(dict.fromkeys(k for table in tables.values() for k in table))
    index = {k: i for i, k in enumerate(keys)}
    aligned, pairs = {}, {}
    for name, table in tables.items():
        if len(table) == len(keys):
            aligned[name] = [table[k] for k in keys]
        else:
            pairs[name] = [[index[k], v] for k, v in table.items()]
    return {"keys": [list(k) for k in keys], "aligned": aligned, "pairs": pairs}


def _decode(payload: dict[str, Any]) -> Tables:
    keys = [tuple(k) for k in payload["keys"]]
    tables: Tables = {name: dict(zip(keys, values, strict=True)) for name, values in payload["aligned"].items()}
    tables.update({name: {keys[i]: v for i, v in rows} for name, rows in payload["pairs"].items()})
    return tables


@dataclass
class Reader:
    """Reads a family's facts through the summary (or live when `max_age` is None) and remembers how fresh
    the facts it served were, for the response."""

    session: Session
    max_age: timedelta | None
    now: datetime = field(default_factory=utcnow)
    as_of: datetime | None = None  # the oldest facts served
    sources: set[str] = field(default_factory=set)
    _prefetched: dict[str, Any] = field(default_factory=dict)
    _jit_off: bool = False
    _computed: dict[str, Tables] = field(default_factory=dict)

    def prefetch(self, wanted: list[tuple[str, sql.Query, tuple[str, ...]]]) -> None:
        """Read every (family, query, extra) a request will need in ONE indexed statement (key IN ...), so the
        fast path costs one summary read, not one per family; keys not found are computed live by `get`."""
        if self.max_age is None or not wanted:
            return
        keys = [summary_key(family, q, extra) for family, q, extra in wanted]
        rows = self.session.execute(select(ReportSummary.key, ReportSummary.computed_at, ReportSummary.payload)
                                    .where(col(ReportSummary.key).in_(keys)))
        found = {row.key: row for row in rows}
        self._prefetched.update({key: found.get(key) for key in keys})

    def get(self, family: str, q: sql.Query, compute: Callable[[], Tables], extra: tuple[str, ...] = ()) -> Tables:
        if self.max_age is None:
            return self._served(self._live(compute), "live", self.now)
        key = summary_key(family, q, extra)
        if key in self._computed:  # computed live earlier in this request (the report and "what works" share one)
            return self._served(self._computed[key], "live", self.now)
        if key in self._prefetched:
            row = self._prefetched.pop(key)
        else:
            row = self.session.execute(select(ReportSummary.computed_at, ReportSummary.payload)
                                       .where(col(ReportSummary.key) == key)).first()
        if row is not None and row.computed_at >= self.now - self.max_age:
            return self._served(_decode(row.payload), "summary", row.computed_at)
        tables = self._computed[key] = self._live(compute)
        _upsert(self.session, key, family, self.now, _encode(tables))
        return self._served(tables, "live", self.now)

    def _live(self, compute: Callable[[], Tables]) -> Tables:
        """Compute a family with the report's SQL. On PostgreSQL without JIT for the rest of the transaction: the
        report's plans are large and their estimated cost high, so PostgreSQL compiled them with LLVM — measured on
        the generator's data, 5.9 s of JIT compilation for one municipality's 0.5 s of work (issue #13)."""
        if not self._jit_off and self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SET LOCAL jit = off"))
            self._jit_off = True
        return compute()

    def _served(self, tables: Tables, source: str, as_of: datetime) -> Tables:
        self.sources.add(source)
        self.as_of = as_of if self.as_of is None else min(self.as_of, as_of)
        return tables

    def freshness(self) -> dict[str, Any]:
        source = "live" if self.sources <= {"live"} else "summary" if self.sources == {"summary"} else "mixed"
        return {"source": source, "as_of": (self.as_of or self.now).isoformat(),
                "max_staleness_seconds": None if self.max_age is None else int(self.max_age.total_seconds())}


def _upsert(session: Session, key: str, family: str, now: datetime, payload: dict[str, Any]) -> None:
    """Insert or replace; two requests computing the same facts at once both succeed (the later one wins)."""
    values = {"key": key, "family": family, "computed_at": now, "payload": payload}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ReportSummary).values(**values)
    session.execute(stmt.on_conflict_do_update(index_elements=["key"],
                                               set_={"computed_at": now, "payload": payload}))


def prune(session: Session, older_than: datetime) -> int:
    """Delete facts nobody may be served any more; returns how many rows went."""
    result: Any = session.execute(delete(ReportSummary).where(col(ReportSummary.computed_at) < older_than))
    return int(result.rowcount or 0)


# ---- the families --------------------------------------------------------------------------------------

def persons(reader: Reader, q: sql.Query) -> Tables:
    return reader.get("persons", q, lambda: sql.persons_measures(reader.session, q))


def referrals(reader: Reader, q: sql.Query) -> tuple[Tables, dict[sql.Key, float]]:
    def both() -> Tables:
        counts, medians = sql.referral_measures(reader.session, q)
        return {**counts, "median_days": medians}

    tables = dict(reader.get("referrals", q, both))
    medians = tables.pop("median_days")
    return tables, medians


def tils(reader: Reader, q: sql.Query) -> Tables:
    return reader.get("tils", q, lambda: sql.tils_measures(reader.session, q))


def offers(reader: Reader, q: sql.Query, quarters: tuple[str, ...]) -> Tables:
    return reader.get("offers", q, lambda: sql_offers.offer_measures(reader.session, q, quarters), extra=quarters)


def barriers(reader: Reader, q: sql.Query) -> Tables:
    return reader.get("barriers", q, lambda: sql_offers.referral_barriers(reader.session, q))
