"""The `If-Match` header: `"3"` or `W/"3"` names version 3; anything else names no version of ours (412)."""

from service.core.versions import NO_VERSION, etag

__all__ = ["etag", "parse_if_match"]


def parse_if_match(header: str | None) -> int | None:
    """`"3"` or `W/"3"` (or a list of them) → the version named; None when absent."""
    if header is None or not header.strip():
        return None
    for candidate in header.split(","):
        tag = candidate.strip().removeprefix("W/")
        if len(tag) > 2 and tag[0] == tag[-1] == '"' and tag[1:-1].isdigit() and len(tag) <= 11:
            return int(tag[1:-1])
    return NO_VERSION
