"""Tværs read models as FHIR R4 resources (plain JSON dicts; tests validate each with `fhir.resources`).

The referral loop follows the HL7 SDOH Clinical Care IG's Task-based exchange: a referral is a
`ServiceRequest` (what was asked, of whom, for whom) and a `Task` (intent order, code fulfill, focus the
ServiceRequest) whose status is the loop's state; both carry the referral's id. The provider moves the Task;
the referrer withdraws by cancelling it. Codes of our own live under CODE_BASE.
"""

import uuid
from datetime import datetime
from typing import Any

from service.offers.dto import OfferRead
from service.organisations.dto import OrganisationRead
from service.persons.dto import ConsentRead, PersonRead
from service.referrals.dto import ReferralRead, SharedPerson
from service.referrals.workflow import ReferralStatus

S = ReferralStatus
CODE_BASE = "https://tvaers.dk/fhir"
CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"  # the Danish CPR number (DK Core)
CVR_SYSTEM = f"{CODE_BASE}/NamingSystem/cvr"
REFERRAL_STATUS = f"{CODE_BASE}/CodeSystem/referral-status"
REASON_SYSTEM = f"{CODE_BASE}/CodeSystem/referral-reason"
OUTCOME_SYSTEM = f"{CODE_BASE}/CodeSystem/referral-outcome"
OUTPUT_TYPE = f"{CODE_BASE}/CodeSystem/task-output"
PURPOSE_SYSTEM = f"{CODE_BASE}/CodeSystem/consent-purpose"
CATEGORY_SYSTEM = f"{CODE_BASE}/CodeSystem/data-category"
OFFER_CATEGORY = f"{CODE_BASE}/CodeSystem/offer-category"
ORG_KIND = f"{CODE_BASE}/CodeSystem/organisation-kind"
AGE_GROUP_EXT = f"{CODE_BASE}/StructureDefinition/age-group"

# Referral status → Task.status (http://hl7.org/fhir/task-status).
TASK_STATUS: dict[str, str] = {S.sent: "requested", S.accepted: "accepted", S.declined: "rejected",
                               S.started: "in-progress", S.completed: "completed", S.ended_early: "failed",
                               S.withdrawn: "cancelled", S.expired: "cancelled"}
# Referral status → ServiceRequest.status (http://hl7.org/fhir/request-status).
REQUEST_STATUS: dict[str, str] = {S.sent: "active", S.accepted: "active", S.started: "active",
                                  S.completed: "completed", S.declined: "revoked", S.ended_early: "revoked",
                                  S.withdrawn: "revoked", S.expired: "revoked"}


def referral_statuses(mapping: dict[str, str], fhir_status: str) -> list[str]:
    """The referral statuses shown as `fhir_status` (empty when none is)."""
    return sorted(k for k, v in mapping.items() if v == fhir_status)


def instant(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def ref(resource: str, id_: uuid.UUID | str) -> dict[str, str]:
    return {"reference": f"{resource}/{id_}"}


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    c = {"system": system, "code": code}
    if display:
        c["display"] = display
    return {"coding": [c]}


def _meta(version: int, updated: datetime) -> dict[str, str]:
    return {"versionId": str(version), "lastUpdated": updated.isoformat()}


def _clean(doc: dict[str, Any]) -> dict[str, Any]:
    """FHIR forbids empty values: drop None, empty lists and empty objects."""
    return {k: v for k, v in doc.items() if v not in (None, [], {}, "")}


def service_request(r: ReferralRead) -> dict[str, Any]:
    return _clean({
        "resourceType": "ServiceRequest", "id": str(r.id), "meta": _meta(r.version, r.updated_at),
        "status": REQUEST_STATUS[r.status], "intent": "order",
        "code": {"coding": [{"system": f"{CODE_BASE}/CodeSystem/request-code", "code": "offer-referral",
                             "display": "Henvisning til fællesskabstilbud"}]},
        "subject": ref("Patient", r.person_id), "authoredOn": instant(r.sent_at),
        "requester": ref("Organization", r.referring_organisation_id),
        "performer": [ref("HealthcareService", r.offer_id), ref("Organization", r.provider_organisation_id)],
        "note": [{"text": r.message}] if r.message else [],
    })


def task(r: ReferralRead) -> dict[str, Any]:
    period = _clean({"start": instant(r.accepted_at or r.started_at), "end": instant(r.closed_at)})
    return _clean({
        "resourceType": "Task", "id": str(r.id), "meta": _meta(r.version, r.updated_at),
        "status": TASK_STATUS[r.status], "intent": "order",
        "businessStatus": coding(REFERRAL_STATUS, r.status),
        "statusReason": coding(REASON_SYSTEM, r.reason_code) if r.reason_code else None,
        "code": coding("http://hl7.org/fhir/CodeSystem/task-code", "fulfill"),
        "focus": ref("ServiceRequest", r.id), "for": ref("Patient", r.person_id),
        "authoredOn": instant(r.sent_at), "lastModified": instant(r.updated_at),
        "requester": ref("Organization", r.referring_organisation_id),
        "owner": ref("Organization", r.provider_organisation_id),
        "executionPeriod": period or None,
        "output": [{"type": coding(OUTPUT_TYPE, "outcome"),
                    "valueCodeableConcept": coding(OUTCOME_SYSTEM, r.outcome)}] if r.outcome else [],
    })


def consent(c: ConsentRead, organisation_id: uuid.UUID) -> dict[str, Any]:
    """Purposes, recipients (actors) and the period are provisions of one permit."""
    end = c.withdrawn_at or c.expires_at
    actors = [{"role": coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"),
               "reference": ref("Organization", o)} for o in c.recipient_organisation_ids]
    actors += [{"role": coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"),
                "reference": {"type": "Organization", "identifier": {"system": ORG_KIND, "value": k},
                              "display": f"Any organisation of kind {k}"}} for k in c.recipient_organisation_kinds]
    provision = _clean({
        "type": "permit", "period": _clean({"start": instant(c.given_at), "end": instant(end)}),
        "actor": actors,
        "purpose": [{"system": PURPOSE_SYSTEM, "code": p} for p in c.purposes],
        "code": [coding(CATEGORY_SYSTEM, d) for d in c.data_categories],
    })
    return _clean({
        "resourceType": "Consent", "id": str(c.id),
        "status": "active" if c.status == "active" else "inactive",
        "scope": coding("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy"),
        "category": [coding("http://loinc.org", "59284-0", "Patient Consent")],
        "patient": ref("Patient", c.person_id), "dateTime": instant(c.given_at),
        "organization": [ref("Organization", organisation_id)],
        "policyRule": coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN"),
        "sourceReference": ref("Consent", c.replaces_consent_id) if c.replaces_consent_id else None,
        "provision": provision,
    })


def _telecom(phone: str | None, email: str | None) -> list[dict[str, str]]:
    out = [{"system": "phone", "value": phone}] if phone else []
    return out + ([{"system": "email", "value": email}] if email else [])


def patient(p: PersonRead) -> dict[str, Any]:
    """The holding organisation's view; the CPR number only when the reader may see it in full."""
    identifier = [{"use": "official", "system": CPR_SYSTEM, "value": p.cpr.replace("-", "")}] \
        if p.cpr and not p.cpr_masked else []
    name = _clean({"family": p.family_name, "given": [p.given_name] if p.given_name else []})
    return _clean({
        "resourceType": "Patient", "id": str(p.id), "meta": _meta(p.version, p.updated_at),
        "active": p.registration_active, "identifier": identifier, "name": [name] if name else [],
        "gender": {"female": "female", "male": "male", "other": "other"}.get(p.gender or ""),
        "birthDate": p.birth_date.isoformat() if p.birth_date else None,
        "telecom": _telecom(p.phone, p.email),
        "address": [{"use": "home", "district": p.municipality_code, "country": "DK"}],
        "managingOrganization": ref("Organization", p.organisation_id),
        "communication": [{"language": coding("urn:ietf:bcp:47", p.preferred_language)}]
        if p.preferred_language else [],
    })


def shared_patient(s: SharedPerson) -> dict[str, Any]:
    """The provider's consent-gated summary: first name, age group, municipality and what the consent shares."""
    return _clean({
        "resourceType": "Patient", "id": str(s.id),
        "extension": [{"url": AGE_GROUP_EXT, "valueString": s.age_group}],
        "name": [{"given": [s.given_name]}] if s.given_name else [],
        "telecom": _telecom(s.phone, s.email),
        "address": [{"use": "home", "district": s.municipality_code, "country": "DK"}],
    })


def organization(o: OrganisationRead) -> dict[str, Any]:
    address = _clean({"line": [o.address] if o.address else [], "postalCode": o.postcode, "city": o.city,
                      "district": o.municipality_code, "country": "DK"})
    return _clean({
        "resourceType": "Organization", "id": str(o.id), "active": True, "name": o.name,
        "identifier": [{"system": CVR_SYSTEM, "value": o.cvr}] if o.cvr else [],
        "type": [coding(ORG_KIND, o.kind)],
        "telecom": _telecom(o.phone, o.email) + ([{"system": "url", "value": o.website}] if o.website else []),
        "address": [address],
    })


def healthcare_service(o: OfferRead) -> dict[str, Any]:
    """An offer; a confidential location is absent unless the reader may see it (the offers read rule)."""
    places = [{"display": f"{o.address}, {o.postcode} {o.city}"}] if o.address and o.postcode and o.city else []
    return _clean({
        "resourceType": "HealthcareService", "id": str(o.id), "meta": _meta(o.version, o.updated_at),
        "active": o.status == "published", "providedBy": ref("Organization", o.organisation_id),
        "category": [coding(OFFER_CATEGORY, o.category)], "name": o.title, "comment": o.description,
        "telecom": _telecom(o.contact_phone, o.contact_email)
        + ([{"system": "url", "value": o.website}] if o.website else []),
        "coverageArea": [{"display": "Danmark"}] if o.nationwide
        else [{"display": f"Kommunekode {c}"} for c in o.municipality_codes],
        "communication": [coding("urn:ietf:bcp:47", lang) for lang in o.languages],
        "extraDetails": places[0]["display"] if places else None,
        "availabilityExceptions": o.rrule,
        "eligibility": [{"comment": ", ".join(o.risk_settings)}] if o.risk_settings else [],
    })
