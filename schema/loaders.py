"""Per-request dataloaders: one SQL statement per batch, whatever the page size."""

import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from strawberry.dataloader import DataLoader

from schema.context import Context
from service.organisations.models import Organisation

K = TypeVar("K")


def by_key(ctx: Context, model: Any, column: Any) -> DataLoader[Any, Any]:
    """Load rows of `model` whose `column` is in the batch; missing keys resolve to None."""

    async def load(keys: Sequence[Any]) -> list[Any]:
        rows = ctx.session.scalars(select(model).where(column.in_(set(keys)))).all()
        found = {getattr(r, column.key): r for r in rows}
        return [found.get(k) for k in keys]

    return DataLoader(load_fn=load)


def grouped_by(ctx: Context, model: Any, column: Any, order: Any) -> DataLoader[Any, list[Any]]:
    """Load lists of `model` rows grouped by `column` (e.g. a person's consents)."""

    async def load(keys: Sequence[Any]) -> list[list[Any]]:
        rows = ctx.session.scalars(select(model).where(column.in_(set(keys))).order_by(order)).all()
        groups: dict[Any, list[Any]] = {k: [] for k in keys}
        for r in rows:
            groups.setdefault(getattr(r, column.key), []).append(r)
        return [groups[k] for k in keys]

    return DataLoader(load_fn=load)


def organisation_loader(ctx: Context) -> DataLoader[uuid.UUID, Organisation | None]:
    return ctx.loader("organisation", lambda c: by_key(c, Organisation, Organisation.id))


def loader_factory(name: str, build: Callable[[Context], DataLoader[Any, Any]]) -> Callable[[Context], Any]:
    return lambda ctx: ctx.loader(name, build)
