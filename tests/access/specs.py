"""How the matrix calls each published operation. Every operation of the contracts needs an entry here (a new
operation without one fails `test_every_published_operation_has_an_expectation`); its expected access comes
from service/access.py (tests/access/expect.py), not from here.

REST: a body that is valid for the object (so an allowed caller gets through to the object rule and a hidden
object answers 404 rather than 422). Creates without an object are sent `{}`: allowed callers get their 422
(validation comes after authorization), refused ones 401/403.
GraphQL: a document with `$id`-style variables filled from the owner's objects.
"""

import json
from dataclasses import dataclass
from typing import Any

from tests.access.world import PDF


@dataclass(frozen=True)
class RestSpec:
    body: Any = None
    content_type: str | None = None  # a raw body of this media type instead of JSON
    query: dict[str, str] | None = None
    provider_body: Any = None  # what the referral's provider sends instead (its side of a transition)
    # A body or query that names the owner's object: a world parameter (tests/access/world.py) holds the body,
    # query values are templates filled like the path, and `has_object` says the object rule then applies.
    body_param: str | None = None
    provider_body_param: str | None = None
    has_object: bool | None = None  # None: whether the path names an object
    search_by_id: bool = False  # a FHIR search by `_id`: an empty Bundle is how it hides the object (a 404)


CONTACT = {"contacted_at": "2026-01-05T10:00:00Z", "duration_minutes": 20, "channel": "phone"}
AGREEMENT = {"channel": "phone", "cadence": "weekly", "weekday": 2, "time_of_day": "10:00"}
V1 = "/api/v1"
FHIR = "/fhir/R4"
FHIR_JSON = "application/fhir+json"
JSON = "application/json"
PATCH_JSON = "application/json-patch+json"
HOOK = f"{V1}/webhooks/{{endpoint_id}}"


def _json_patch(status: str) -> bytes:
    return json.dumps([{"op": "replace", "path": "/status", "value": status}]).encode()


REST: dict[tuple[str, str], RestSpec] = {
    ("GET", "/healthz"): RestSpec(), ("GET", "/readyz"): RestSpec(),
    ("POST", "/graphql"): RestSpec(body={"query": "{ __typename }"}),
    ("POST", f"{V1}/auth/token"): RestSpec(body={}),
    ("GET", f"{V1}/reference/ministries"): RestSpec(), ("GET", f"{V1}/reference/municipalities"): RestSpec(),
    ("GET", f"{V1}/reference/risk-settings"): RestSpec(), ("GET", f"{V1}/reference/vocabularies"): RestSpec(),
    ("GET", f"{V1}/organisations"): RestSpec(), ("GET", f"{V1}/organisations/{{org_id}}"): RestSpec(),
    ("POST", f"{V1}/organisations"): RestSpec(body={}),
    ("PATCH", f"{V1}/organisations/{{org_id}}"): RestSpec(body={"email": "kontakt@example.org"}),
    ("GET", f"{V1}/users"): RestSpec(), ("GET", f"{V1}/users/{{user_id}}"): RestSpec(),
    ("POST", f"{V1}/users"): RestSpec(body={}),
    ("PATCH", f"{V1}/users/{{user_id}}"): RestSpec(body={"active": True}),
    ("GET", f"{V1}/api-clients"): RestSpec(), ("GET", f"{V1}/api-clients/{{client_pk}}"): RestSpec(),
    ("POST", f"{V1}/api-clients"): RestSpec(body={}),
    ("PATCH", f"{V1}/api-clients/{{client_pk}}"): RestSpec(body={"name": "Partner omdøbt"}),
    ("GET", f"{V1}/audit-events"): RestSpec(),
    ("GET", f"{V1}/offers"): RestSpec(), ("GET", f"{V1}/offers/{{offer_id}}"): RestSpec(),
    ("POST", f"{V1}/offers"): RestSpec(body={}),
    ("POST", f"{V1}/offers/import"): RestSpec(body=b"title\n", content_type="text/csv"),
    ("PATCH", f"{V1}/offers/{{offer_id}}"): RestSpec(body={"title": "Ny titel"}),
    ("POST", f"{V1}/offers/{{offer_id}}/status"): RestSpec(body={"status": "published"}),
    ("GET", f"{V1}/hsds/services"): RestSpec(), ("GET", f"{V1}/hsds/services/{{service_id}}"): RestSpec(),
    ("GET", f"{V1}/hsds/organizations"): RestSpec(),
    ("GET", f"{V1}/hsds/organizations/{{organization_id}}"): RestSpec(),
    ("GET", f"{V1}/persons"): RestSpec(), ("POST", f"{V1}/persons"): RestSpec(body={}),
    ("POST", f"{V1}/persons/search"): RestSpec(body={"name": "Karen"}),
    ("GET", f"{V1}/persons/{{person_id}}"): RestSpec(),
    ("PATCH", f"{V1}/persons/{{person_id}}"): RestSpec(body={"interests": ["strik"]}),
    ("GET", f"{V1}/persons/{{person_id}}/access-log"): RestSpec(),
    ("GET", f"{V1}/persons/{{person_id}}/export"): RestSpec(),
    ("GET", f"{V1}/persons/{{person_id}}/consents"): RestSpec(),
    ("POST", f"{V1}/persons/{{person_id}}/consents"): RestSpec(body={
        "purposes": ["outcome_followup"], "given_by": "self", "method": "written", "consent_text_version": "2026-1"}),
    ("POST", f"{V1}/persons/{{person_id}}/consents/{{consent_id}}/withdraw"): RestSpec(body={"purposes": ["contact"]}),
    ("GET", f"{V1}/persons/{{person_id}}/consents/{{consent_id}}/documents"): RestSpec(),
    ("POST", f"{V1}/persons/{{person_id}}/consents/{{consent_id}}/documents"): RestSpec(
        body=PDF, content_type="application/pdf"),
    ("GET", f"{V1}/persons/{{person_id}}/consents/{{consent_id}}/documents/{{document_id}}"): RestSpec(),
    ("GET", f"{V1}/persons/{{person_id}}/loneliness-measurements"): RestSpec(),
    ("POST", f"{V1}/persons/{{person_id}}/loneliness-measurements"): RestSpec(body={
        "item1": 2, "item2": 3, "item3": 2, "context": "intake"}),
    ("GET", f"{V1}/persons/{{person_id}}/links"): RestSpec(),
    ("POST", f"{V1}/persons/{{person_id}}/links"): RestSpec(body_param="link_body", content_type=JSON),
    ("POST", f"{V1}/persons/{{person_id}}/merge"): RestSpec(body_param="merge_body", content_type=JSON),
    ("POST", f"{V1}/persons/{{person_id}}/transfers"): RestSpec(body_param="transfer_body", content_type=JSON),
    ("GET", f"{V1}/person-transfers"): RestSpec(),
    ("GET", f"{V1}/person-transfers/{{transfer_id}}"): RestSpec(),
    ("POST", f"{V1}/person-transfers/{{transfer_id}}/accept"): RestSpec(body={}),
    ("POST", f"{V1}/person-transfers/{{transfer_id}}/cancel"): RestSpec(),
    ("GET", f"{V1}/referrals"): RestSpec(), ("POST", f"{V1}/referrals"): RestSpec(body={}),
    ("GET", f"{V1}/referrals/{{referral_id}}"): RestSpec(),
    ("POST", f"{V1}/referrals/{{referral_id}}/transitions"): RestSpec(body={"action": "withdraw"},
                                                                      provider_body={"action": "start"}),
    ("GET", f"{V1}/referrals/{{referral_id}}/contact-agreement"): RestSpec(),
    ("PUT", f"{V1}/referrals/{{referral_id}}/contact-agreement"): RestSpec(body=AGREEMENT),
    ("GET", f"{V1}/referrals/{{referral_id}}/contacts"): RestSpec(),
    ("POST", f"{V1}/referrals/{{referral_id}}/contacts"): RestSpec(body=CONTACT),
    ("GET", f"{V1}/events"): RestSpec(), ("GET", f"{V1}/contacts/due"): RestSpec(),
    ("POST", f"{V1}/referrals/{{referral_id}}/contact-agreement/close"): RestSpec(body={"ending": "person_declined"}),
    ("GET", f"{V1}/referrals/{{referral_id}}/parked-topics"): RestSpec(),
    ("GET", f"{V1}/referrals/{{referral_id}}/contact-elements"): RestSpec(),
    ("GET", f"{V1}/referrals/{{referral_id}}/contact-summary"): RestSpec(),
    ("GET", f"{V1}/referrals/{{referral_id}}/follow-ups"): RestSpec(),
    # an unknown follow-up point is a 422 (a body reference), so allowed callers pass the door and the rule
    ("POST", f"{V1}/referrals/{{referral_id}}/follow-up-measurements"): RestSpec(body={
        "follow_up_id": "00000000-0000-4000-8000-000000000000", "item1": 2, "item2": 2, "item3": 1}),
    ("GET", f"{V1}/follow-ups/due"): RestSpec(),
    ("GET", f"{V1}/referrals/{{referral_id}}/goals"): RestSpec(),
    ("POST", f"{V1}/referrals/{{referral_id}}/goals"): RestSpec(body={"text": "Komme ud en gang om ugen"}),
    ("POST", f"{V1}/referrals/{{referral_id}}/goals/assessment"): RestSpec(body={
        "goals": [{"goal_id": "00000000-0000-4000-8000-000000000000", "reached": True}]}),
    ("GET", f"{V1}/mapping-entries"): RestSpec(), ("POST", f"{V1}/mapping-entries"): RestSpec(body={}),
    ("GET", f"{V1}/action-plan/measures"): RestSpec(), ("POST", f"{V1}/action-plan/measures"): RestSpec(body={}),
    ("GET", f"{V1}/action-plan/measures/{{measure_id}}"): RestSpec(),
    ("PATCH", f"{V1}/action-plan/measures/{{measure_id}}"): RestSpec(body={"title": "Nyt navn"}),
    ("GET", f"{V1}/reports/rec4"): RestSpec(query={"period_from": "2026-01-01", "period_to": "2026-12-31"}),
    # HSDS 3.0 (public)
    ("GET", f"{V1}/hsds/"): RestSpec(), ("GET", f"{V1}/hsds/taxonomies"): RestSpec(),
    ("GET", f"{V1}/hsds/taxonomies/{{taxonomy_id}}"): RestSpec(), ("GET", f"{V1}/hsds/taxonomy_terms"): RestSpec(),
    ("GET", f"{V1}/hsds/taxonomy_terms/{{term_id}}"): RestSpec(),
    ("GET", f"{V1}/hsds/service_at_locations"): RestSpec(),
    ("GET", f"{V1}/hsds/service_at_locations/{{service_at_location_id}}"): RestSpec(),
    # webhooks: the owner's endpoint and one of its queued deliveries
    ("GET", f"{V1}/webhooks"): RestSpec(), ("POST", f"{V1}/webhooks"): RestSpec(body={}),
    ("GET", f"{V1}/webhooks/events"): RestSpec(), ("GET", HOOK): RestSpec(),
    ("PATCH", HOOK): RestSpec(body={"description": "Matrix"}), ("DELETE", HOOK): RestSpec(),
    ("POST", f"{HOOK}/rotate-secret"): RestSpec(body={"overlap_hours": 1}),
    ("GET", f"{HOOK}/deliveries"): RestSpec(), ("GET", f"{HOOK}/attempts"): RestSpec(),
    ("POST", f"{HOOK}/deliveries/{{delivery_id}}/redeliver"): RestSpec(),
    # FHIR R4: refusals are OperationOutcomes with the same 401/403/404
    ("GET", f"{FHIR}/metadata"): RestSpec(),
    ("GET", f"{FHIR}/ServiceRequest"): RestSpec(), ("GET", f"{FHIR}/ServiceRequest/{{referral_id}}"): RestSpec(),
    ("GET", f"{FHIR}/Task"): RestSpec(), ("GET", f"{FHIR}/Task/{{referral_id}}"): RestSpec(),
    ("PUT", f"{FHIR}/Task/{{referral_id}}"): RestSpec(content_type=FHIR_JSON, body_param="task_cancel",
                                                     provider_body_param="task_start"),
    ("PATCH", f"{FHIR}/Task/{{referral_id}}"): RestSpec(body=_json_patch("cancelled"), content_type=PATCH_JSON,
                                                       provider_body=_json_patch("in-progress")),
    ("GET", f"{FHIR}/Consent"): RestSpec(query={"patient": "{person_id}"}, has_object=True),
    ("GET", f"{FHIR}/Consent/{{consent_id}}"): RestSpec(),
    # a search by _id finds nothing rather than refusing (the refusal is audited all the same)
    ("GET", f"{FHIR}/Patient"): RestSpec(query={"_id": "{person_id}"}, has_object=True, search_by_id=True),
    ("GET", f"{FHIR}/Patient/{{person_id}}"): RestSpec(),
    ("GET", f"{FHIR}/Organization"): RestSpec(), ("GET", f"{FHIR}/Organization/{{org_id}}"): RestSpec(),
    ("GET", f"{FHIR}/HealthcareService"): RestSpec(), ("GET", f"{FHIR}/HealthcareService/{{offer_id}}"): RestSpec(),
}
