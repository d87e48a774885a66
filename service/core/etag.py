"""Optimistic concurrency: strong ETags `"<version>"` on reads, `If-Match` required on writes.

Strong, because RFC 9110 compares If-Match strongly (a weak ETag never matches); a `W/` prefix sent by a
client is tolerated. Missing If-Match → 428; a stale or unparseable one → 412 with the current ETag.
"""

from service.core.errors import PreconditionFailed, PreconditionRequired

NO_VERSION = -1  # what an If-Match that names no version of ours parses to: never current, so 412


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(header: str | None) -> int | None:
    """`"3"` or `W/"3"` (or a list of them) → the version named; None when absent."""
    if header is None or not header.strip():
        return None
    for candidate in header.split(","):
        tag = candidate.strip().removeprefix("W/")
        if len(tag) > 2 and tag[0] == tag[-1] == '"' and tag[1:-1].isdigit() and len(tag) <= 11:
            return int(tag[1:-1])
    return NO_VERSION


def check_version(what: str, current: int, expected: int | None) -> None:
    if expected is None:
        raise PreconditionRequired(f"Send If-Match with the {what}'s ETag from your last read (GraphQL: version).",
                                   current_version=current)
    if expected != current:
        raise PreconditionFailed(f"The {what} was changed since you read it; read it again.",
                                 headers={"ETag": etag(current)}, current_version=current)
