"""FHIR search parameters and `Bundle` (searchset) pages.

Each resource type declares the parameters it honours; any other parameter is a 400 OperationOutcome (a
client is never answered as if a filter had applied when it did not). Pages are keyset pages of the domain
services: `_count` is their size (max 200) and the `next` link carries the opaque cursor as `_cursor`.
`_lastUpdated` takes the FHIR prefixes eq/gt/ge/lt/le with date or dateTime precision.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from service.core.dto import safe_name
from service.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageParams
from service.fhir.errors import BadSearch

COMMON = frozenset({"_count", "_cursor", "_format"})
FORMATS = frozenset({"json", "application/json", "application/fhir+json"})
_DATE = re.compile(r"^(eq|gt|ge|lt|le)?(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$")


@dataclass(frozen=True)
class Search:
    params: dict[str, str]
    page: PageParams

    def get(self, name: str) -> str | None:
        return self.params.get(name)

    def uuid(self, name: str, prefix: str | None = None) -> uuid.UUID | None:
        """A reference search value: `<id>` or `<prefix>/<id>`."""
        value = self.params.get(name)
        if value is None:
            return None
        if prefix and value.startswith(f"{prefix}/"):
            value = value[len(prefix) + 1:]
        try:
            return uuid.UUID(value)
        except ValueError as exc:
            raise BadSearch(f"{name} must be a resource id.", errors=[_err(name, "not an id")]) from exc


def _err(name: str, message: str) -> dict[str, str]:
    return {"field": safe_name(name), "message": message, "code": "invalid_search"}



def parse(request: Request, allowed: frozenset[str]) -> Search:
    """The search parameters, each given once, all declared for the resource type."""
    items = request.query_params.multi_items()
    names = [k for k, _ in items]
    unknown = sorted({n for n in names if n not in allowed | COMMON})
    if unknown:
        raise BadSearch("Unsupported search parameter(s); see the CapabilityStatement at /fhir/R4/metadata.",
                        errors=[_err(n, "not supported") for n in unknown[:10]])
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise BadSearch("Give each search parameter once.", errors=[_err(n, "repeated") for n in repeated])
    params = dict(items)
    if "_format" in params and params["_format"] not in FORMATS:
        raise BadSearch("Only JSON is served.", errors=[_err("_format", "unsupported format")])
    count = DEFAULT_LIMIT
    if "_count" in params:
        raw = params["_count"]
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise BadSearch(f"_count must be between 1 and {MAX_LIMIT}.", errors=[_err("_count", "out of range")])
        count = int(raw)
    cursor = params.get("_cursor")
    if cursor is not None and len(cursor) > 512:
        raise BadSearch("_cursor is not valid.", errors=[_err("_cursor", "not a cursor")])
    return Search(params, PageParams(limit=count, cursor=cursor))


def last_updated(value: str | None) -> tuple[datetime | None, datetime | None]:
    """`_lastUpdated` as [from, before) bounds (either may be None)."""
    if value is None:
        return None, None
    m = _DATE.match(value)
    if m is None:
        raise BadSearch("_lastUpdated must be [eq|gt|ge|lt|le]YYYY-MM-DD or a dateTime with a time zone.",
                        errors=[_err("_lastUpdated", "not a date")])
    prefix, day, clock, seconds = m.group(1) or "eq", m.group(2), m.group(3), m.group(4)
    try:
        if clock is None:
            lo = datetime.fromisoformat(day).replace(tzinfo=UTC)
            hi = lo + timedelta(days=1)
        else:
            lo = datetime.fromisoformat(day + clock.replace("Z", "+00:00")).astimezone(UTC)
            hi = lo + (timedelta(seconds=1) if seconds else timedelta(minutes=1))
    except ValueError as exc:
        raise BadSearch("_lastUpdated is not a valid date.", errors=[_err("_lastUpdated", "not a date")]) from exc
    return {"eq": (lo, hi), "gt": (hi, None), "ge": (lo, None), "lt": (None, lo), "le": (None, hi)}[prefix]


def bundle(request: Request, search: Search, resources: list[dict[str, Any]], cursor: str | None) -> dict[str, Any]:
    """A searchset Bundle with `self` and, when there is more, `next` links."""
    base = str(request.base_url).rstrip("/")
    path = request.url.path
    own = {k: v for k, v in search.params.items() if k != "_cursor"}

    def link(extra: dict[str, str]) -> str:
        query = urlencode({**own, **extra})
        return f"{base}{path}?{query}" if query else f"{base}{path}"

    links = [{"relation": "self", "url": link({"_cursor": search.page.cursor} if search.page.cursor else {})}]
    if cursor:
        links.append({"relation": "next", "url": link({"_cursor": cursor})})
    return {
        "resourceType": "Bundle", "type": "searchset", "link": links,
        "entry": [{"fullUrl": f"{base}/fhir/R4/{r['resourceType']}/{r['id']}", "resource": r,
                   "search": {"mode": "match"}} for r in resources],
    }
