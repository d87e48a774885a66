"""Operations over HTTP: offline docs pages, quiet readiness probe, request ids, JSON request events, /metrics."""

import json
import logging
import re
from html.parser import HTMLParser

import pytest

from service.docs_assets import STATIC_DIR
from service.observability import register_gauge

PAGES = [("/docs", {}), ("/redoc", {}), ("/graphql", {"accept": "text/html"})]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


@pytest.mark.parametrize("path, headers", PAGES)
def test_docs_pages_load_nothing_from_another_host(client, path, headers):
    resp = client.get(path, headers=headers)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    # No absolute URL anywhere in the page (scripts, styles, fonts, icons, inline configuration)
    # except the SVG namespace inside the inline icon.
    text = resp.text.replace("http://www.w3.org/2000/svg", "")
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), path
    links = _Links()
    links.feed(resp.text)
    assets = [u for u in links.urls if not u.startswith("data:")]
    assert assets, "the page loads its assets"
    for url in assets:
        assert url.startswith("/static/vendor/"), url
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 1000, url


def test_vendored_assets_ship_with_their_licences():
    vendor = STATIC_DIR / "vendor"
    for package in ("swagger-ui", "redoc", "graphiql", "react", "react-dom"):
        assert (vendor / package / "LICENSE").stat().st_size > 500, package
    assert "swagger-ui-dist" in (vendor / "VERSIONS").read_text()


def test_readiness_probe_writes_no_alembic_lines(client, caplog):
    caplog.set_level(logging.DEBUG)
    for _ in range(3):
        assert client.get("/readyz").status_code == 200
    assert not [r for r in caplog.records if r.name.startswith("alembic")]


def _request_events(caplog):
    return [r for r in caplog.records if r.name == "tvaers.request"]


def test_one_json_event_per_request_with_template_status_and_organisation_never_personal_data(
        client, make_user, caplog):
    from service.logging import _formatter

    caseworker = make_user("caseworker")
    caplog.set_level(logging.INFO)
    person = "00000000-0000-4000-8000-00000000abcd"
    client.get(f"/api/v1/persons/{person}", headers={**caseworker.headers, "X-Request-ID": "a" * 32})
    client.get("/api/v1/persons?name=Karen%20Eksempel&cpr=0101901234", headers=caseworker.headers)
    events = _request_events(caplog)
    assert len(events) == 2
    lines = [json.loads(_formatter("json").format(r)) for r in events]
    first, second = lines
    assert first["route"] == "/api/v1/persons/{person_id}" and first["status"] == 404
    assert first["method"] == "GET" and first["duration_ms"] >= 0 and first["request_id"] == "a" * 32
    assert first["organisation_id"] == str(caseworker.organisation_id) and first["level"] == "INFO"
    assert second["route"] == "/api/v1/persons" and second["status"] == 400
    everything = json.dumps(lines)
    for personal in ("Karen", "0101901234", person, caseworker.user.username, str(caseworker.id)):
        assert personal not in everything


def test_request_id_is_returned_and_only_a_uuid_is_accepted(client, caplog):
    caplog.set_level(logging.INFO)
    given = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
    assert client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given
    for planted in ("Karen Eksempel 0101901234", "x" * 5000, "<script>", ""):
        resp = client.get("/healthz", headers={"X-Request-ID": planted})
        returned = resp.headers["X-Request-ID"]
        assert returned != planted and re.fullmatch(r"[0-9a-f]{32}", returned)
    assert "Karen" not in caplog.text and "x" * 100 not in caplog.text
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert _request_events(caplog)[-1].correlation_id == generated


def _sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_count_requests_per_route_template_with_errors_latency_and_pool(client, make_user):
    caseworker = make_user("caseworker")
    before = client.get("/metrics").text
    base_404 = _sample(before, "http_requests_total", handler="/api/v1/persons/{person_id}", status="4xx") or 0
    for _ in range(3):
        client.get("/api/v1/persons/00000000-0000-4000-8000-000000000001", headers=caseworker.headers)
    client.get("/api/v1/reference/risk-settings")
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    text = resp.text
    assert _sample(text, "http_requests_total", handler="/api/v1/persons/{person_id}", status="4xx") == base_404 + 3
    assert _sample(text, "http_requests_total", handler="/api/v1/reference/risk-settings", status="2xx") >= 1
    assert _sample(text, "http_request_duration_seconds_count", handler="/api/v1/reference/risk-settings") >= 1
    assert "00000000-0000-4000-8000-000000000001" not in text  # templates, never concrete paths
    for gauge in ("tvaers_db_pool_size", "tvaers_db_pool_checked_out", "tvaers_db_pool_overflow"):
        assert _sample(text, gauge) is not None, gauge
    assert "/metrics" not in {m for m in re.findall(r'handler="([^"]+)"', text)}


def test_a_registered_gauge_is_published_and_a_failing_one_is_left_out(client):
    register_gauge("tvaers_test_outbox_backlog", "Test gauge", lambda: 7)
    register_gauge("tvaers_test_broken", "Raises", lambda: 1 / 0)
    try:
        text = client.get("/metrics").text
        assert _sample(text, "tvaers_test_outbox_backlog") == 7.0
        assert "tvaers_test_broken" not in text
    finally:
        from service import observability

        observability._GAUGES.pop("tvaers_test_outbox_backlog")
        observability._GAUGES.pop("tvaers_test_broken")


def test_shutdown_closes_the_pool(app, engine, caplog):
    from fastapi.testclient import TestClient

    caplog.set_level(logging.INFO)
    with TestClient(app) as c:
        assert c.get("/healthz").status_code == 200
    assert engine.pool.checkedout() == 0
    assert any(getattr(r, "event", None) == "shutdown" for r in caplog.records)
