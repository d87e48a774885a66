import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field
from stdnum.dk import cvr as stdnum_cvr
from stdnum.exceptions import ValidationError as StdnumError

from service.core.dto import InputModel, OutputModel
from service.organisations.models import OrganisationKind


def _valid_cvr(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(stdnum_cvr.validate(value))
    except StdnumError as exc:
        raise ValueError("CVR must be 8 digits with a valid modulus-11 check") from exc


CVR = Annotated[str, Field(min_length=8, max_length=11), AfterValidator(_valid_cvr)]
MunicipalityCode = Annotated[str, Field(pattern=r"^\d{4}$")]
Postcode = Annotated[str, Field(pattern=r"^\d{4}$")]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9 ]{8,20}$")]
MinistryCode = Annotated[str, Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]*$",
                                    description="Which ministry this organisation is (`/reference/ministries`); "
                                                "ministry organisations only; set by a system administrator.")]


class OrganisationCreate(InputModel):
    name: str = Field(min_length=2, max_length=200)
    kind: OrganisationKind
    cvr: CVR | None = None
    municipality_code: MunicipalityCode
    email: EmailStr | None = None
    phone: Phone | None = None
    website: str | None = Field(default=None, max_length=300, pattern=r"^https?://")
    address: str | None = Field(default=None, max_length=200)
    postcode: Postcode | None = None
    city: str | None = Field(default=None, max_length=80)
    is_national: bool = False
    ministry_code: MinistryCode | None = None


class OrganisationUpdate(InputModel):
    name: str | None = Field(default=None, min_length=2, max_length=200)
    kind: OrganisationKind | None = None
    cvr: CVR | None = None
    municipality_code: MunicipalityCode | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    website: str | None = Field(default=None, max_length=300, pattern=r"^https?://")
    address: str | None = Field(default=None, max_length=200)
    postcode: Postcode | None = None
    city: str | None = Field(default=None, max_length=80)
    is_national: bool | None = None
    ministry_code: MinistryCode | None = None


class OrganisationRead(OutputModel):
    id: uuid.UUID
    name: str
    kind: OrganisationKind
    cvr: str | None
    municipality_code: str
    email: str | None
    phone: str | None
    website: str | None
    address: str | None
    postcode: str | None
    city: str | None
    is_national: bool
    ministry_code: str | None
    created_at: datetime
    updated_at: datetime
