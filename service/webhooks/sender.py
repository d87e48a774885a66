"""One signed POST (Standard Webhooks headers) to the checked address; status and latency, never the body."""

import http.client
import json
import secrets
import socket
import ssl
import time
from base64 import b64encode
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

from service.webhooks.targets import BlockedTarget, check_url, resolve

MAX_RESPONSE_READ = 64 * 1024  # read (and drop) at most this much, so the connection closes cleanly


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ + base64 of 32 random bytes."""
    return "whsec_" + b64encode(secrets.token_bytes(32)).decode()


def signature(secrets_: list[str], message_id: str, at: datetime, body: str) -> str:
    """Space-separated `v1,…` signatures, one per secret (both during a rotation's overlap)."""
    return " ".join(Webhook(s).sign(message_id, at, body) for s in secrets_)


@dataclass(frozen=True)
class Result:
    status_code: int | None
    latency_ms: int
    outcome: str  # success | http_error | timeout | connection_error | blocked_target

    @property
    def ok(self) -> bool:
        return self.outcome == "success"


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to the checked address, with SNI and certificate check for the URL's host name."""

    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, payload: dict[str, Any], message_id: str, secrets_: list[str], at: datetime,
         timeout: float) -> Result:
    started = time.perf_counter()

    def done(status: int | None, outcome: str) -> Result:
        return Result(status, int((time.perf_counter() - started) * 1000), outcome)

    try:
        scheme, host, port = check_url(url)
        address = str(resolve(host, port)[0])
    except BlockedTarget:
        return done(None, "blocked_target")
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Host": parts.netloc, "Content-Type": "application/json", "User-Agent": "tvaers-webhooks/1",
               "webhook-id": message_id, "webhook-timestamp": str(int(at.timestamp())),
               "webhook-signature": signature(secrets_, message_id, at, body)}
    conn: http.client.HTTPConnection = (_PinnedHTTPS(address, host, port, timeout) if scheme == "https"
                                        else http.client.HTTPConnection(address, port, timeout=timeout))
    try:
        conn.request("POST", target, body=body.encode(), headers=headers)
        response = conn.getresponse()  # a redirect is an answer like any other non-2xx: not followed
        response.read(MAX_RESPONSE_READ)
        status = response.status
    except TimeoutError:
        return done(None, "timeout")
    except (OSError, http.client.HTTPException):
        return done(None, "connection_error")
    finally:
        conn.close()
    return done(status, "success" if 200 <= status < 300 else "http_error")
