"""Per-request dataloaders over the services' batch readers: a constant number of SQL statements per batch,
whatever the page size.

A loader never queries a model itself. Each one calls a batch reader its domain service offers, which applies
the domain's read rule (`policy.py`) in SQL and audits what it shows, as the REST route for the same data does —
so a nested field cannot reach past the rule its root field went through.
"""

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session
from strawberry.dataloader import DataLoader

from schema.context import Context
from service.core.principal import Principal
from service.offers import service as offers
from service.organisations import service as organisations
from service.organisations.models import Organisation
from service.persons import reads as persons
from service.referrals import reads as referrals

Reader = Callable[[Session, Any, Iterable[Any]], Mapping[Any, Any]]


def batched(ctx: Context, name: str, reader: Reader, missing: Callable[[], Any] = lambda: None,
            authenticated: bool = True) -> DataLoader[Any, Any]:
    """The request's loader `name` over `reader(session, principal, keys)`; absent keys resolve to `missing()`."""

    def build(c: Context) -> DataLoader[Any, Any]:
        async def load(keys: Sequence[Any]) -> list[Any]:
            principal: Principal | None = c.require_principal() if authenticated else c.principal
            found = reader(c.session, principal, keys)
            return [found[k] if k in found else missing() for k in keys]
        return DataLoader(load_fn=load)

    return ctx.loader(name, build)


def organisation_loader(ctx: Context) -> DataLoader[uuid.UUID, Organisation | None]:
    return batched(ctx, "organisation", organisations.read_many, authenticated=False)


def provider_name_loader(ctx: Context) -> DataLoader[uuid.UUID, str | None]:
    """Offer id → provider name, under the offer read rule (public with a published offer)."""
    return batched(ctx, "offer_provider_name", offers.provider_names, authenticated=False)


def offer_loader(ctx: Context) -> DataLoader[uuid.UUID, Any]:
    return batched(ctx, "offer", offers.read_many, authenticated=False)


def consents_loader(ctx: Context) -> DataLoader[uuid.UUID, list[Any]]:
    return batched(ctx, "person_consents", persons.read_consents, missing=list)


def measurements_loader(ctx: Context) -> DataLoader[uuid.UUID, list[Any]]:
    return batched(ctx, "person_measurements", persons.measurements_for_persons, missing=list)


def shared_person_loader(ctx: Context) -> DataLoader[uuid.UUID, Any]:
    return batched(ctx, "referral_person", referrals.shared_persons_of)


def history_loader(ctx: Context) -> DataLoader[uuid.UUID, list[Any]]:
    return batched(ctx, "referral_history", referrals.histories, missing=list)
