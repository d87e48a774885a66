from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import ValidationError

from service.core.errors import NotAcceptable, Unprocessable, field_errors
from service.reports import render, service
from service.reports.dto import Rec4Params
from service.web.principal import CurrentPrincipal
from service.web.session import SessionDep

router = APIRouter(prefix="/reports", tags=["reports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8", "xlsx": XLSX}


_BY_MEDIA = {"application/json": "json", "text/csv": "csv", XLSX: "xlsx",
             "*/*": "json", "application/*": "json", "text/*": "csv"}


def _format(request: Request, explicit: str | None) -> str:
    """`format=` wins; otherwise the most preferred Accept media type we can produce (JSON when none is sent)."""
    if explicit:
        return explicit
    accept = request.headers.get("accept", "").strip()
    if not accept:
        return "json"
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept.split(",")):
        media, *params = (part.strip() for part in item.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if media.lower() in _BY_MEDIA and weight > 0:
            ranked.append((-weight, position, _BY_MEDIA[media.lower()]))
    if not ranked:
        raise NotAcceptable("This report is available as application/json, text/csv or " + XLSX + ".")
    return min(ranked)[2]


def _split(values: list[str] | None) -> list[str]:
    """Accept both `?group_by=a&group_by=b` and `?group_by=a,b`."""
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


@router.get("/rec4", responses={200: {"content": {"text/csv": {}, XLSX: {}}},
                               406: {"description": "No acceptable format (see `format=`)"}})
def rec4_report(
    request: Request, session: SessionDep, principal: CurrentPrincipal,
    period_from: date, period_to: date,
    group_by: Annotated[list[str] | None, Query()] = None,
    risk_setting: Annotated[list[str] | None, Query()] = None,
    municipality: Annotated[list[str] | None, Query()] = None,
    region: Annotated[list[str] | None, Query()] = None,
    age_group: Annotated[list[str] | None, Query()] = None,
    offer_category: Annotated[list[str] | None, Query()] = None,
    quarter: Annotated[list[str] | None, Query()] = None,
    lang: Literal["en", "da"] = "en",
    include_action_plan: bool = False,
    format: Literal["json", "csv", "xlsx"] | None = None,
) -> Response:
    """The Recommendation 4 mapping report: aggregates only, with disclosure control (see README)."""
    try:
        params = Rec4Params(period_from=period_from, period_to=period_to, group_by=_split(group_by),
                            risk_setting=_split(risk_setting), municipality=_split(municipality),
                            region=_split(region), age_group=_split(age_group),
                            offer_category=_split(offer_category), quarter=_split(quarter), lang=lang,
                            include_action_plan=include_action_plan)
    except ValidationError as exc:
        raise Unprocessable("The report parameters are not valid; see errors.",
                            errors=field_errors(list(exc.errors()))) from exc
    fmt = _format(request, format)
    if fmt == "json":
        return Response(render.rec4_json(session, principal, params), media_type="application/json")
    report = service.rec4(session, principal, params, fmt=fmt)
    if fmt == "csv":
        return StreamingResponse(render.iter_csv(report), media_type=MEDIA["csv"],
                        headers={"Content-Disposition": 'attachment; filename="rec4.csv"'})
    return Response(render.to_xlsx(report), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="rec4.xlsx"'})
