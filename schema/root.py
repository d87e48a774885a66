"""Assembles the schema from one Query/Mutation pair per domain module."""

from functools import lru_cache

from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.tools import merge_types

from schema import (
    contacts,
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
from schema.derive import resolve_plain_fields_directly
from schema.door import install as install_door
from schema.error_logging import RedactingSchema
from schema.execution import PlainValueExecutionContext
from service.core.settings import get_settings

DOMAINS = [reference, organisations, users, offers, persons, mapping, reports, referrals, lifecycle]
DOMAINS.append(webhooks)
DOMAINS.append(contacts)
DOMAINS.append(transfers)


def _merged(kind: str) -> type:
    # A read-only domain (reports) has no Mutation class.
    types = (getattr(m, kind, None) for m in DOMAINS)
    parts = tuple(t for t in types if t is not None and t.__strawberry_definition__.fields)
    return merge_types(kind, parts)


@lru_cache
def build_schema(production: bool | None = None) -> RedactingSchema:
    settings = get_settings()
    production = settings.is_production if production is None else production
    # The depth and alias rules are built once: a limiter built per request makes new rule classes, which miss
    # the validation cache (keyed by the rules) and validate every document again on every request.
    rules = [*QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
             *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules]
    # Factories, not instances: Strawberry builds fresh extensions per request (passing instances is deprecated).
    extensions: list = [
        # The endpoint refuses oversized documents before this (schema/limits.py); the token limit here also
        # bounds a document executed some other way.
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        lambda: AddValidationRules(rules),
    ]
    if production:
        extensions.append(DisableIntrospection)
    schema = RedactingSchema(query=_merged("Query"), mutation=_merged("Mutation"), extensions=extensions,
                             execution_context_class=PlainValueExecutionContext)
    resolve_plain_fields_directly(schema._schema)
    install_door(schema._schema)  # the access table's permission check, on exactly the fields it names
    return schema
