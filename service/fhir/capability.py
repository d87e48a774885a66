"""The CapabilityStatement, built from the same search-parameter sets the routes enforce (so it cannot
promise a parameter the server would refuse, or hide one it honours)."""

from typing import Any

from service.fhir import reads

_TYPES = {"_id": "token", "patient": "reference", "subject": "reference", "status": "token",
          "_lastUpdated": "date", "name": "string"}
_COMMON = [{"name": "_count", "type": "number", "documentation": "Page size, 1 to 200 (default 50)."}]
RELEASE = "2026-11-23"


def _resource(kind: str, params: frozenset[str], interactions: tuple[str, ...] = ("read", "search-type"),
              doc: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": kind, "interaction": [{"code": i} for i in interactions],
        "searchParam": [{"name": p, "type": _TYPES[p]} for p in sorted(params)] + _COMMON,
    }
    if doc:
        out["documentation"] = doc
    if "update" in interactions:
        out["versioning"] = "versioned-update"
        out["updateCreate"] = False
        out["conditionalUpdate"] = False
    return out


def statement(base: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": RELEASE, "kind": "instance",
        "fhirVersion": "4.0.1", "format": ["json"], "patchFormat": ["application/json-patch+json"],
        "publisher": "Tværs",
        "implementation": {"description": "Tværs FHIR R4 door: closed-loop referrals (SDOH Clinical Care "
                                          "Task-based pattern), consents and the offers directory",
                           "url": f"{base}/fhir/R4"},
        "software": {"name": "Tværs", "version": "0.1.0"},
        "rest": [{
            "mode": "server",
            "documentation": "Bearer tokens from /api/v1/auth/token. The same access rules and audit as REST "
                             "and GraphQL. Unknown search parameters are refused (400).",
            "security": {"service": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "OAuth"}]}]},
            "resource": [
                _resource("ServiceRequest", reads.REFERRAL_SEARCH, doc="A referral to an offer."),
                _resource("Task", reads.TASK_SEARCH, ("read", "search-type", "update", "patch"),
                          "The referral's fulfilment: the provider writes its status; the referrer cancels."),
                _resource("Consent", reads.CONSENT_SEARCH, doc="patient is required in a search."),
                _resource("Patient", reads.PATIENT_SEARCH,
                          doc="The holding organisation's view (CPR only with persons:read_cpr), or a "
                              "provider's consent-gated summary."),
                _resource("Organization", reads.ORGANIZATION_SEARCH),
                _resource("HealthcareService", reads.SERVICE_SEARCH, doc="An offer of the directory."),
            ],
        }],
    }
