"""Assembles the schema from one Query/Mutation pair per domain module."""

from functools import lru_cache

from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.tools import merge_types

from schema import (
    lifecycle,
    mapping,
    offers,
    organisations,
    persons,
    reference,
    referrals,
    reports,
    transfers,
    users,
    webhooks,
)
from schema.door import AccessTableDoor
from schema.error_logging import RedactingSchema
from service.core.settings import get_settings

DOMAINS = [reference, organisations, users, offers, persons, mapping, reports, referrals, lifecycle]
DOMAINS.append(webhooks)
DOMAINS.append(transfers)


def _merged(kind: str) -> type:
    parts = tuple(getattr(m, kind) for m in DOMAINS if getattr(m, kind).__strawberry_definition__.fields)
    return merge_types(kind, parts)


@lru_cache
def build_schema(production: bool | None = None) -> RedactingSchema:
    settings = get_settings()
    production = settings.is_production if production is None else production
    # Factories, not instances: Strawberry builds fresh extensions per request (passing instances is deprecated).
    extensions: list = [
        # The endpoint refuses oversized documents before this (schema/limits.py); the token limit here also
        # bounds a document executed some other way.
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        lambda: QueryDepthLimiter(max_depth=settings.graphql_max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases),
        AccessTableDoor,  # the access table's permission check, before any field resolves
    ]
    if production:
        extensions.append(DisableIntrospection)
    return RedactingSchema(query=_merged("Query"), mutation=_merged("Mutation"), extensions=extensions)
