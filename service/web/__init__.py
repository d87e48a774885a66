"""The HTTP edge shared by every door: the request session (the edge owns the transaction), the principal of
the bearer token, RFC 9457 problem handlers, paging and NUL-free parameters, Idempotency-Key, If-Match, and
admission. `service/core/` holds the pure rules these translate; no domain service imports this package."""
