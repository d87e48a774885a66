"""Base classes for request bodies: unknown fields are an error, strings are trimmed and NUL-free."""

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from service.core.errors import Unprocessable

NUL_MESSAGE = "must not contain NUL characters"


def contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return any(contains_nul(v) for v in value)
    return False


def refuse_nul(named_values: Iterable[tuple[str, Any]]) -> None:
    """For values that bypass InputModel (query/path parameters, GraphQL filter arguments)."""
    if bad := sorted({name for name, value in named_values if contains_nul(value)}):
        raise Unprocessable("The request did not pass validation; see errors.",
                            errors=[{"field": name, "message": NUL_MESSAGE, "code": "nul_character"}
                                    for name in bad])


_PARAMETER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,39}$")


def safe_name(name: str) -> str:
    """An unknown query parameter's name, for an error: repeated only when it looks like a name (a "name" made
    of data, say a CPR number, is not echoed)."""
    return name if _PARAMETER_NAME.match(name) else "(parameter)"


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold U+0000; refusing it here keeps both databases answering alike (422).
        if contains_nul(value):
            raise ValueError(NUL_MESSAGE)
        return value


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
