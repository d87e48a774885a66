"""Reference data (municipalities, risk settings, ministries, code lists): the readers return read models; the
`check_*` and `resolve_ministry` helpers are for the other domains' services."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.core.errors import Unprocessable
from service.core.pagination import PageParams, check_limit, decode_cursor, encode_cursor, keyset_page
from service.reference.dto import MinistryRead, MunicipalityRead, RiskSettingRead, VocabularyRead
from service.reference.models import Ministry, Municipality, RiskSetting
from service.reference.vocabulary import Vocabulary, vocabularies


def vocabulary_read(v: Vocabulary) -> VocabularyRead:
    return VocabularyRead.model_validate({
        "name": v.name, "description": v.description,
        "codes": [{"code": c, "label_da": v.label(c, "da"), "label_en": v.label(c, "en")} for c in v.codes()]})


def list_vocabularies(names: Iterable[str] | None = None) -> list[VocabularyRead]:
    """Every code list with its Danish and English labels (static: no statement), optionally only `names`."""
    wanted = set(names) if names else None
    return [vocabulary_read(v) for v in vocabularies() if wanted is None or v.name in wanted]


def page_vocabularies(names: Iterable[str] | None, page: PageParams) -> tuple[list[VocabularyRead], str | None]:
    """A page of `list_vocabularies` (ordered by name; the cursor is the last name)."""
    items = list_vocabularies(names)
    check_limit(page.limit)
    if page.cursor:
        after = decode_cursor(page.cursor, 1)[0]
        items = [v for v in items if v.name > after]
    more = len(items) > page.limit
    items = items[:page.limit]
    return items, encode_cursor([items[-1].name]) if more else None


def list_municipalities(session: Session, region_code: str | None = None) -> list[MunicipalityRead]:
    stmt = select(Municipality).order_by(Municipality.code)
    if region_code:
        stmt = stmt.where(Municipality.region_code == region_code)
    return [MunicipalityRead.model_validate(m) for m in session.scalars(stmt)]


def list_risk_settings(session: Session) -> list[RiskSettingRead]:
    """The risk settings with their responsible ministry's code and current name (one join)."""
    rows = session.execute(select(RiskSetting, Ministry.name)
                           .join(Ministry, col(Ministry.code) == col(RiskSetting.responsible_ministry_code))
                           .order_by(col(RiskSetting.sort_order)))
    return [RiskSettingRead.model_validate({**setting.model_dump(), "responsible_ministry": name})
            for setting, name in rows]


def list_ministries(session: Session) -> list[MinistryRead]:
    rows = session.scalars(select(Ministry).order_by(col(Ministry.sort_order)))
    return [MinistryRead.model_validate(m) for m in rows]


def resolve_ministry(session: Session, *, code: str | None, name: str | None,
                     field: str = "responsible_ministry") -> Ministry | None:
    """The ministry named by its stable code or (for older clients) its current name; both must agree.
    None when neither is given; 422 for an unknown one. Names are matched against the reference data
    only — never against organisation names, which are not authoritative."""
    if code is None and name is None:
        return None
    by_code = session.get(Ministry, code) if code is not None else None
    by_name = session.scalar(select(Ministry).where(col(Ministry.name) == name)) if name is not None else None
    unknown = [f for f, given, found in ((f"{field}_code", code, by_code), (field, name, by_name))
               if given is not None and found is None]
    if unknown:
        raise Unprocessable("Unknown ministry.", errors=[
            {"field": f, "message": "not a ministry of the reference data", "code": "unknown_code"} for f in unknown])
    if by_code is not None and by_name is not None and by_code.code != by_name.code:
        raise Unprocessable("The ministry code and name disagree.", errors=[
            {"field": field, "message": "names another ministry than the code", "code": "ministry_mismatch"}])
    return by_code or by_name


def page_municipalities(session: Session, region_code: str | None,
                        page: PageParams) -> tuple[list[MunicipalityRead], str | None]:
    stmt = select(Municipality)
    if region_code:
        stmt = stmt.where(col(Municipality.region_code) == region_code)
    rows, cursor = keyset_page(session, stmt, [col(Municipality.code)], page)
    return [MunicipalityRead.model_validate(m) for m in rows], cursor


def page_risk_settings(session: Session, page: PageParams) -> tuple[list[RiskSettingRead], str | None]:
    """A page of risk settings with their responsible ministry's code and current name."""
    rows, cursor = keyset_page(session, select(RiskSetting), [col(RiskSetting.sort_order), col(RiskSetting.code)],
                               page)
    names: dict[str, str] = dict(session.execute(select(Ministry.code, Ministry.name)).all())  # type: ignore[arg-type]
    return [RiskSettingRead.model_validate({**r.model_dump(), "responsible_ministry": names.get(
        r.responsible_ministry_code)}) for r in rows], cursor


def page_ministries(session: Session, page: PageParams) -> tuple[list[MinistryRead], str | None]:
    rows, cursor = keyset_page(session, select(Ministry), [col(Ministry.sort_order), col(Ministry.code)], page)
    return [MinistryRead.model_validate(m) for m in rows], cursor


def _check_known(session: Session, column: Any, codes: Iterable[str], field: str, label: str) -> None:
    wanted = set(codes)
    if not wanted:
        return
    known = set(session.scalars(select(column).where(column.in_(wanted)).distinct()))
    unknown = sorted(wanted - known)
    if unknown:
        raise Unprocessable(
            f"Unknown {label}: {', '.join(unknown)}.",
            errors=[{"field": field, "message": f"unknown {label} {c}", "code": "unknown_code"} for c in unknown],
        )


def check_municipality_codes(session: Session, codes: Iterable[str], field: str = "municipality_code") -> None:
    _check_known(session, Municipality.code, codes, field, "municipality code")


def check_risk_setting_codes(session: Session, codes: Iterable[str], field: str = "risk_settings") -> None:
    _check_known(session, RiskSetting.code, codes, field, "risk setting")


def check_region_codes(session: Session, codes: Iterable[str], field: str = "region") -> None:
    _check_known(session, Municipality.region_code, codes, field, "region code")
