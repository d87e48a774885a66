from typing import Annotated

from fastapi import APIRouter, Form
from pydantic import BaseModel

from service.auth import service
from service.web.session import SessionDep

router = APIRouter(prefix="/auth", tags=["auth"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


@router.post("/token", response_model=TokenResponse, responses={
    401: {"description": "The credentials were not accepted"},
    429: {"description": "Too many wrong passwords for this account; see the Retry-After header"}})
def token(
    session: SessionDep,
    grant_type: Annotated[str, Form(max_length=40)],
    username: Annotated[str | None, Form(max_length=150)] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=256)] = None,
    scope: Annotated[str | None, Form(max_length=500)] = None,
) -> TokenResponse:
    """OAuth2 token endpoint: `password` for people, `client_credentials` for partner systems."""
    access_token, expires_in = service.grant(session, grant_type, username=username, password=password,
                                             client_id=client_id, client_secret=client_secret)
    return TokenResponse(access_token=access_token, expires_in=expires_in)
