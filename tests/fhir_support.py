"""Helpers for the FHIR door's tests: every resource it produces is validated with `fhir.resources`."""

from typing import Any

from fhir.resources.R4B import get_fhir_model_class

FHIR_JSON = "application/fhir+json"


def valid(doc: dict[str, Any]) -> dict[str, Any]:
    """Validate a resource (and, in a Bundle, every entry) with the R4B models; return it."""
    get_fhir_model_class(doc["resourceType"]).model_validate(doc)
    for entry in doc.get("entry", []):
        valid(entry["resource"])
    return doc


def fhir(resp: Any, status: int = 200) -> dict[str, Any]:
    """The validated body of a FHIR response with the expected status and media type."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(FHIR_JSON), resp.headers["content-type"]
    return valid(resp.json())


def issue_code(resp: Any, status: int) -> str:
    body = fhir(resp, status)
    assert body["resourceType"] == "OperationOutcome"
    return str(body["issue"][0]["code"])


def resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    return [e["resource"] for e in bundle.get("entry", [])]


def next_link(bundle: dict[str, Any]) -> str | None:
    return next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
