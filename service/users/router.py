import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from service.core.pagination import Page, PageParams
from service.core.permissions import Role
from service.users import service
from service.users.dto import (
    ApiClientCreate,
    ApiClientRead,
    ApiClientUpdate,
    ApiClientWithSecret,
    UserCreate,
    UserRead,
    UserUpdate,
)
from service.web.parameters import page_params
from service.web.principal import CurrentPrincipal
from service.web.session import SessionDep

users_router = APIRouter(prefix="/users", tags=["users"])
clients_router = APIRouter(prefix="/api-clients", tags=["api-clients"])


@users_router.get("", response_model=Page[UserRead])
def list_users(session: SessionDep, principal: CurrentPrincipal, page: Annotated[PageParams, Depends(page_params)],
               organisation_id: uuid.UUID | None = None, role: Role | None = None,
               active: bool | None = None) -> dict:
    items, cursor = service.list_users(session, principal, page, organisation_id=organisation_id, role=role,
                                       active=active)
    return {"items": items, "next_cursor": cursor}


@users_router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(session: SessionDep, principal: CurrentPrincipal, body: UserCreate) -> object:
    return service.create_user(session, principal, body)


@users_router.get("/{user_id}", response_model=UserRead)
def get_user(session: SessionDep, principal: CurrentPrincipal, user_id: uuid.UUID) -> object:
    return service.get_user(session, principal, user_id)


@users_router.patch("/{user_id}", response_model=UserRead)
def update_user(session: SessionDep, principal: CurrentPrincipal, user_id: uuid.UUID, body: UserUpdate) -> object:
    return service.update_user(session, principal, user_id, body)


@clients_router.get("", response_model=Page[ApiClientRead])
def list_clients(session: SessionDep, principal: CurrentPrincipal,
                 page: Annotated[PageParams, Depends(page_params)], organisation_id: uuid.UUID | None = None) -> dict:
    items, cursor = service.list_clients(session, principal, page, organisation_id=organisation_id)
    return {"items": items, "next_cursor": cursor}


@clients_router.post("", response_model=ApiClientWithSecret, status_code=status.HTTP_201_CREATED)
def create_client(session: SessionDep, principal: CurrentPrincipal, body: ApiClientCreate) -> object:
    return service.create_client(session, principal, body)


@clients_router.get("/{client_pk}", response_model=ApiClientRead)
def get_client(session: SessionDep, principal: CurrentPrincipal, client_pk: uuid.UUID) -> object:
    return service.get_client(session, principal, client_pk)


@clients_router.patch("/{client_pk}", response_model=ApiClientWithSecret)
def update_client(session: SessionDep, principal: CurrentPrincipal, client_pk: uuid.UUID,
                  body: ApiClientUpdate) -> object:
    return service.update_client(session, principal, client_pk, body)
