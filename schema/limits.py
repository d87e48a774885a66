"""GraphQL limits that cost nothing: checked on the request before graphql-core validates or executes it.

Validation is the expensive step for a hostile document (every rule walks every field, fragments expanded;
about 0.2 ms per selected field here), so a document is refused by its size in bytes, then by graphql-core's
own token-counting parser (`max_tokens`, which aborts the parse early), then by the number of fields it selects
with fragments expanded — counted once per fragment, so fragment fan-out costs this check nothing either.
Refusals are problem+json (400) and never quote the document or a variable.
"""

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from service.core.errors import BadRequest, Unprocessable
from service.core.settings import Settings

TOO_MANY_TOKENS = "Document contains more than"  # graphql-core's message when `max_tokens` aborts the parse
# The GraphQL lexer's tokens, roughly (block strings, strings, comments, punctuators, numbers, names): a regular
# expression counts them ~10× faster than graphql-core's parser, so a document far over the limit never reaches it.
_TOKEN = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|#[^\n\r]*|\.\.\.|[!$&()\[\]{}:=@|]|-?\d[\w.+-]*'
                    r"|[_A-Za-z]\w*")


def _over_token_limit(query: str, limit: int) -> bool:
    count = 0
    for match in _TOKEN.finditer(query):
        if not match.group().startswith("#"):
            count += 1
            if count > limit:
                return True
    return False


class DocumentRefused(BadRequest):
    slug = "graphql-document-refused"


def refused(detail: str, code: str) -> DocumentRefused:
    return DocumentRefused(detail, errors=[{"field": "query", "message": detail, "code": code}])


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _valid_unicode(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800") came in through a JSON escape
        return False
    return True


def check_unicode(query: str, variables: Any, operation_name: str | None) -> None:
    """422 for text that is not Unicode (nothing downstream may see it: drivers and logs fail on it)."""
    for field, value in (("query", query), ("variables", variables), ("operationName", operation_name)):
        if not all(_valid_unicode(s) for s in _strings(value)):
            raise Unprocessable("The request contains text that is not valid Unicode (an unpaired surrogate).",
                                errors=[{"field": field, "message": "not valid Unicode", "code": "invalid_unicode"}])


def selection_count(document: DocumentNode, ceiling: int) -> int:
    """Fields selected by the document's operations with fragment spreads expanded; stops counting once past
    `ceiling`. Each fragment's size is computed once (memoised), so a spread costs O(1) however often used."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    sizes: dict[str, int] = {}
    visiting: set[str] = set()

    def of_set(selection_set: SelectionSetNode | None) -> int:
        total = 0
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                total += 1 + of_set(sel.selection_set)
            elif isinstance(sel, InlineFragmentNode):
                total += of_set(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                total += of_fragment(sel.name.value)
            if total > ceiling:
                break
        return total

    def of_fragment(name: str) -> int:
        if name not in sizes:
            if name in visiting or name not in fragments:
                return 0  # a cycle or an unknown fragment: validation reports it (cheaply, the doc is small)
            visiting.add(name)
            sizes[name] = min(of_set(fragments[name].selection_set), ceiling + 1)
            visiting.discard(name)
        return sizes[name]

    total = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += of_set(definition.selection_set)
            if total > ceiling:
                break
    return total


def check_document(query: str, settings: Settings) -> None:
    """Refuse an empty or oversized document before graphql-core spends anything on validating it.
    A syntax error is left to the normal GraphQL error response. A document that passed is remembered (bounded,
    like the parser cache), so a client's everyday operation is not parsed twice on every request."""
    if len(query) > settings.graphql_max_document_bytes:  # characters ≤ bytes: refuse before hashing it
        raise refused(f"The GraphQL document is larger than {settings.graphql_max_document_bytes} bytes.",
                      "document_too_large")
    _check_document(query, settings.graphql_max_document_bytes, settings.graphql_max_tokens,
                    settings.graphql_max_selections)


@lru_cache(maxsize=256)
def _check_document(query: str, max_bytes: int, max_tokens: int, max_selections: int) -> None:
    if not query.strip():
        raise BadRequest("Send a GraphQL document in `query`; it is empty.",
                         errors=[{"field": "query", "message": "empty", "code": "missing"}])
    if len(query.encode("utf-8")) > max_bytes:
        raise refused(f"The GraphQL document is larger than {max_bytes} bytes.",
                      "document_too_large")
    too_many_tokens = refused(f"The GraphQL document has more than {max_tokens} tokens.",
                              "too_many_tokens")
    if _over_token_limit(query, max_tokens):
        raise too_many_tokens
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLSyntaxError as exc:
        if TOO_MANY_TOKENS in exc.message:
            raise too_many_tokens from None
        return
    if selection_count(document, max_selections) > max_selections:
        raise refused(f"The GraphQL document selects more than {max_selections} fields "
                      "(fragments expanded).", "too_many_selections")

