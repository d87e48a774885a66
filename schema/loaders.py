"""The request's dataloaders, as one typed object (`info.context.loaders`) over the services' batch readers:
a constant number of SQL statements per batch, whatever the page size.

A loader never queries a model itself. Each one calls a batch reader its domain service offers, which applies
the domain's read rule (`policy.py`) in SQL and audits what it shows, as the REST route for the same data does —
so a nested field cannot reach past the rule its root field went through. Loaders are built on first use and
live for one request, so a request never sees another's cache.
"""

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from service.core.errors import Unauthorized
from service.core.principal import Principal
from service.offers import service as offers
from service.offers.dto import OfferRead
from service.organisations import service as organisations
from service.organisations.dto import OrganisationRead
from service.persons import reads as persons
from service.persons.dto import ConsentRead, MeasurementRead
from service.referrals import reads as referrals
from service.referrals.dto import SharedPerson, TransitionRead

K = TypeVar("K")
V = TypeVar("V")
Reader = Callable[[Any, Any, Iterable[K]], Mapping[K, Any]]


class Loaders:
    def __init__(self, session: Any, principal: Principal | None) -> None:
        self.session = session
        self.principal = principal

    def _principal(self, authenticated: bool) -> Principal | None:
        if authenticated and self.principal is None:
            raise Unauthorized("Authentication required: send a bearer token.")
        return self.principal

    def batched(self, reader: Reader[K], *, missing: Callable[[], Any] = lambda: None,
                authenticated: bool = True) -> DataLoader[K, Any]:
        """A loader over `reader(session, principal, keys)` (read models by key); absent keys resolve to
        `missing()`."""

        async def load(keys: Sequence[K]) -> list[Any]:
            found = reader(self.session, self._principal(authenticated), keys)
            return [found[k] if k in found else missing() for k in keys]
        return DataLoader(load_fn=load)

    @cached_property
    def organisation(self) -> DataLoader[uuid.UUID, OrganisationRead | None]:
        return self.batched(organisations.read_many, authenticated=False)

    @cached_property
    def offer_provider_name(self) -> DataLoader[uuid.UUID, str | None]:
        """Offer id → provider name, under the offer read rule (public with a published offer)."""
        return self.batched(offers.provider_names, authenticated=False)

    @cached_property
    def offer(self) -> DataLoader[uuid.UUID, OfferRead | None]:
        return self.batched(offers.read_many, authenticated=False)

    @cached_property
    def person_consents(self) -> DataLoader[uuid.UUID, list[ConsentRead]]:
        return self.batched(persons.read_consents, missing=list)

    @cached_property
    def person_measurements(self) -> DataLoader[uuid.UUID, list[MeasurementRead]]:
        return self.batched(persons.measurements_for_persons, missing=list)

    @cached_property
    def referral_person(self) -> DataLoader[uuid.UUID, SharedPerson | None]:
        return self.batched(referrals.shared_persons_of)

    @cached_property
    def referral_history(self) -> DataLoader[uuid.UUID, list[TransitionRead]]:
        return self.batched(referrals.histories, missing=list)
