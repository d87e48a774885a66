"""A real HTTP receiver on a loopback port (a server thread), and the canary scan of every outbox payload."""

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import event

from service.events.models import OutboxEvent


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each request with the next status of `script` (then `default`), records what it got."""

    url: str = ""
    script: list[int] = field(default_factory=list)
    default: int = 200
    delay: float = 0.0  # seconds before answering (a slow receiver keeps two workers busy at once)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Received) -> int:
        with self.lock:
            self.received.append(request)
            return self.script.pop(0) if self.script else self.default


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = receiver.answer(Received({k.lower(): v for k, v in self.headers.items()}, body))
            if receiver.delay:
                threading.Event().wait(receiver.delay)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    return receiver, server


# --- canary: no personal value in any payload the suite produces -----------------------------------------

PAYLOADS: list[dict[str, Any]] = []
PERSON_VALUES: set[str] = set()
_PERSON_FIELDS = ("given_name", "family_name", "phone", "email", "notes")


def install() -> None:
    """Collect every outbox payload and every personal value written anywhere in the suite (rolled back or not)."""
    from service.persons.models import Person
    from service.referrals.models import ContactLogEntry, Referral

    @event.listens_for(OutboxEvent, "before_insert")
    def _payload(_mapper: Any, _conn: Any, row: OutboxEvent) -> None:
        PAYLOADS.append(dict(row.payload))

    def _values(*names: str) -> Any:
        def collect(_mapper: Any, _conn: Any, row: Any) -> None:
            for name in names:
                value = getattr(row, name, None)
                if isinstance(value, str) and len(value.strip()) >= 4:
                    PERSON_VALUES.add(value.strip())
        return collect

    for model, names in ((Person, _PERSON_FIELDS), (Referral, ("message",)), (ContactLogEntry, ("note",))):
        event.listen(model, "before_insert", _values(*names))
        event.listen(model, "before_update", _values(*names))


ENVELOPE = {"id", "type", "timestamp", "organisation_id", "data"}
ID_KEYS = {"referral_id", "offer_id", "consent_id", "person_id", "measure_id", "endpoint_id", "caseworker_id"}
# A personal value that could be confused with a fragment of a UUID or a timestamp proves nothing either way.
_STRUCTURAL = set("0123456789abcdef-:.tz+ ")


def _uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def leaks() -> list[str]:
    """Event types whose payload is not the thin envelope of ids, or holds a personal value (never the value)."""
    from service.events import EventType

    values = [v.lower() for v in PERSON_VALUES if not set(v.lower()) <= _STRUCTURAL]
    found = []
    for payload in PAYLOADS:
        data = payload.get("data")
        thin = (set(payload) == ENVELOPE and payload["type"] in set(EventType) and isinstance(data, dict)
                and set(data) <= ID_KEYS and all(_uuid(v) for v in data.values())
                and _uuid(payload["id"]) and _uuid(payload["organisation_id"]))
        text = " ".join(str(v) for v in (payload.get("id"), payload.get("organisation_id"), payload.get("timestamp"),
                                         *(data.values() if isinstance(data, dict) else [data]))).lower()
        if not thin or any(v in text for v in values):
            found.append(str(payload.get("type")))
    return found
