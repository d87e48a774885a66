"""Reads and searches of the FHIR door, each one call into the domain services (their policy, their audit):
nothing here queries a table itself."""

import uuid
from typing import Any

from sqlalchemy.orm import Session

from service.core.errors import NotFound
from service.core.principal import Principal
from service.fhir import resources
from service.fhir.errors import BadSearch
from service.fhir.search import Search, last_updated
from service.offers import service as offers
from service.organisations import service as organisations
from service.persons import consents
from service.persons import policy as person_policy
from service.persons import service as persons
from service.persons.dto import PersonRead
from service.referrals import service as referrals
from service.referrals.dto import ReferralRead

Page = tuple[list[dict[str, Any]], str | None]

REFERRAL_SEARCH = frozenset({"_id", "patient", "subject", "status", "_lastUpdated"})
TASK_SEARCH = frozenset({"_id", "patient", "status", "_lastUpdated"})
CONSENT_SEARCH = frozenset({"patient"})
PATIENT_SEARCH = frozenset({"_id"})
ORGANIZATION_SEARCH = frozenset({"_id", "name"})
SERVICE_SEARCH = frozenset({"_id", "name"})


def parse_id(value: str, what: str) -> uuid.UUID:
    """A logical id that is not one of ours names nothing: 404 (never echoed)."""
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(f"{what} not found.") from exc


def _status_filter(search: Search, mapping: dict[str, str], names: set[str]) -> tuple[str, ...] | None:
    value = search.get("status")
    if value is None:
        return None
    wanted = value.split(",")
    if any(w not in names for w in wanted):
        raise BadSearch("status is not one of this resource's status codes.",
                        errors=[{"field": "status", "message": "unknown code", "code": "invalid_search"}])
    return tuple(sorted({s for w in wanted for s in resources.referral_statuses(mapping, w)}))


def _referrals(session: Session, principal: Principal, search: Search, mapping: dict[str, str]) -> tuple[
        list[ReferralRead], str | None]:
    person = search.uuid("patient", "Patient") or search.uuid("subject", "Patient")
    one = search.uuid("_id")
    updated_from, updated_before = last_updated(search.get("_lastUpdated"))
    filters = referrals.ReferralFilters(
        person_id=person, statuses=_status_filter(search, mapping, set(mapping.values())),
        referral_ids=(one,) if one else None, updated_from=updated_from, updated_before=updated_before)
    return referrals.list_referrals(session, principal, search.page, filters, with_person=False)


def search_service_requests(session: Session, principal: Principal, search: Search) -> Page:
    rows, cursor = _referrals(session, principal, search, resources.REQUEST_STATUS)
    return [resources.service_request(r) for r in rows], cursor


def search_tasks(session: Session, principal: Principal, search: Search) -> Page:
    rows, cursor = _referrals(session, principal, search, resources.TASK_STATUS)
    return [resources.task(r) for r in rows], cursor


def referral(session: Session, principal: Principal, referral_id: str) -> ReferralRead:
    return referrals.get_brief(session, principal, parse_id(referral_id, "Resource"))


def consent(session: Session, principal: Principal, consent_id: str) -> dict[str, Any]:
    read = consents.get_consent(session, principal, parse_id(consent_id, "Consent"))
    return resources.consent(read, principal.organisation_id)


def search_consents(session: Session, principal: Principal, search: Search) -> Page:
    person = search.uuid("patient", "Patient")
    if person is None:
        raise BadSearch("Consent searches need patient (the consents of one person).",
                        errors=[{"field": "patient", "message": "required", "code": "invalid_search"}])
    reads, cursor = consents.list_consents(session, principal, person, search.page)
    return [resources.consent(c, principal.organisation_id) for c in reads], cursor


def patient(session: Session, principal: Principal, person_id: str) -> dict[str, Any]:
    """The holding organisation's Patient, or a provider's consent-gated summary (`referrals.read_person`)."""
    person = referrals.read_person(session, principal, parse_id(person_id, "Patient"))
    return resources.patient(person) if isinstance(person, PersonRead) else resources.shared_patient(person)


def search_patients(session: Session, principal: Principal, search: Search) -> Page:
    one = search.get("_id")
    if one is not None:
        try:
            return [patient(session, principal, one)], None
        except NotFound:  # a search finds nothing rather than failing; the refusal is audited all the same
            return [], None
    if not person_policy.can_manage(principal):
        raise BadSearch("Search a referred person by _id.",
                        errors=[{"field": "_id", "message": "required for your role", "code": "invalid_search"}])
    found, cursor = persons.list_persons(session, principal, search.page)
    out = []
    for summary in found:  # list models never carry a CPR number, masked or not
        out.append(resources.patient(PersonRead(**summary.model_dump(), cpr=None, cpr_masked=True)))
    return out, cursor


def organization(session: Session, principal: Principal, org_id: str) -> dict[str, Any]:
    return resources.organization(organisations.read(session, principal, parse_id(org_id, "Organization")))


def search_organizations(session: Session, principal: Principal, search: Search) -> Page:
    if (one := search.get("_id")) is not None:
        try:
            return [organization(session, principal, one)], None
        except NotFound:
            return [], None
    name = search.get("name")
    if name is not None and not 1 <= len(name) <= 100:
        raise BadSearch("name must be 1 to 100 characters.",
                        errors=[{"field": "name", "message": "length", "code": "invalid_search"}])
    rows, cursor = organisations.list_organisations(session, principal, search.page, q=name)
    return [resources.organization(o) for o in rows], cursor


def healthcare_service(session: Session, principal: Principal | None, offer_id: str) -> dict[str, Any]:
    return resources.healthcare_service(offers.get(session, principal, parse_id(offer_id, "HealthcareService")))


def search_healthcare_services(session: Session, principal: Principal | None, search: Search) -> Page:
    if (one := search.get("_id")) is not None:
        try:
            return [healthcare_service(session, principal, one)], None
        except NotFound:
            return [], None
    name = search.get("name")
    if name is not None and not 2 <= len(name) <= 100:
        raise BadSearch("name must be 2 to 100 characters.",
                        errors=[{"field": "name", "message": "length", "code": "invalid_search"}])
    rows, cursor = offers.list_offers(session, principal, search.page, offers.OfferFilters(q=name))
    return [resources.healthcare_service(o) for o in rows], cursor
