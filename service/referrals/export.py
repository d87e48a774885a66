"""Subject-access export (GDPR art. 15(3) copy, art. 20 portability): everything held about one person as one
machine-readable JSON document, for the organisation that holds the person. Audited (`person.export`).

Contents: the profile (CPR masked unless the caller holds persons:read_cpr, as on every read), every consent
with its history (withdrawn, expired, narrowed successors) and the metadata of attached documents (the
documents themselves are downloaded one by one), the T-ILS measurements, every referral with its history
and outcome, contact agreement and contact log (also what the provider recorded), the duplicate decisions about
the person (link ids, kinds, dates and the other record's id — never the other record's data) and its transfers
between organisations (ids, dates, states, organisations), and the access log.
A constant number of statements, whatever the person's history.

It lives in referrals, the latest domain whose data it collects: referrals may read persons, persons reads no
referral (the doors are `referrals/export_router.py` and `schema/lifecycle.py`).
"""

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from service.audit.service import record
from service.core.dto import OutputModel
from service.core.types import utcnow
from service.offers.models import Offer
from service.organisations.models import Organisation
from service.persons import guards, reads
from service.persons.access_log import AccessLogEntry, all_entries
from service.persons.documents import DocumentRead, documents_for_persons
from service.persons.dto import ConsentRead, MeasurementRead, PersonRead
from service.persons.links_dto import PersonLinkRead
from service.persons.models import LonelinessMeasurement, PersonLink, PersonTransfer
from service.referrals.contacts import _agreement_read, log_read
from service.referrals.dto import ContactAgreementRead, ContactLogRead, TransitionRead
from service.referrals.models import ContactAgreement, ContactLogEntry, Referral, ReferralTransition

FORMAT = "tvaers-subject-access-export/1"


class ExportedReferral(OutputModel):
    id: uuid.UUID
    offer_id: uuid.UUID
    offer_title: str | None
    provider_organisation_id: uuid.UUID
    provider_organisation_name: str | None
    referring_organisation_id: uuid.UUID
    message: str | None
    shared_categories: list[str]
    status: str
    reason_code: str | None
    outcome: str | None
    sent_at: datetime
    accepted_at: datetime | None
    started_at: datetime | None
    closed_at: datetime | None
    history: list[TransitionRead]
    contact_agreement: ContactAgreementRead | None
    contact_log: list[ContactLogRead]


class Controller(OutputModel):
    organisation_id: uuid.UUID
    organisation_name: str | None


class ExportedTransfer(OutputModel):
    id: uuid.UUID
    status: str
    from_organisation_id: uuid.UUID
    from_organisation_name: str | None
    to_organisation_id: uuid.UUID
    to_organisation_name: str | None
    requested_at: datetime
    decided_at: datetime | None
    carried_consent_ids: list[uuid.UUID]
    ended_consent_ids: list[uuid.UUID]


class SubjectAccessExport(OutputModel):
    format: str
    generated_at: datetime
    controller: Controller
    person: PersonRead
    consents: list[ConsentRead]
    consent_documents: list[DocumentRead]
    loneliness_measurements: list[MeasurementRead]
    referrals: list[ExportedReferral]
    links: list[PersonLinkRead] = Field(description="Duplicate decisions naming the person (either side).")
    transfers: list[ExportedTransfer] = Field(description="Moves of the person between organisations.")
    access_log: list[AccessLogEntry]


def _links(session: Session, person_id: uuid.UUID) -> list[PersonLinkRead]:
    rows = session.scalars(select(PersonLink).where(or_(col(PersonLink.person_id) == person_id,
                                                        col(PersonLink.other_person_id) == person_id))
                           .order_by(col(PersonLink.created_at), col(PersonLink.id)))
    return [PersonLinkRead.model_validate(link) for link in rows]


def _transfers(session: Session, person_id: uuid.UUID) -> list[ExportedTransfer]:
    rows = list(session.scalars(select(PersonTransfer).where(col(PersonTransfer.person_id) == person_id)
                                .order_by(col(PersonTransfer.requested_at), col(PersonTransfer.id))))
    if not rows:
        return []
    names: dict[uuid.UUID, str] = dict(session.execute(select(Organisation.id, Organisation.name).where(
        col(Organisation.id).in_({o for t in rows for o in (t.from_organisation_id, t.to_organisation_id)}))).all())
    return [ExportedTransfer(
        id=t.id, status=t.status, from_organisation_id=t.from_organisation_id,
        from_organisation_name=names.get(t.from_organisation_id), to_organisation_id=t.to_organisation_id,
        to_organisation_name=names.get(t.to_organisation_id), requested_at=t.requested_at, decided_at=t.decided_at,
        carried_consent_ids=[uuid.UUID(i) for i in t.carried_consent_ids or []],
        ended_consent_ids=[uuid.UUID(i) for i in t.ended_consent_ids or []]) for t in rows]


def _referrals(session: Session, person_id: uuid.UUID) -> list[ExportedReferral]:
    referrals = list(session.scalars(select(Referral).where(col(Referral.person_id) == person_id)
                                     .order_by(col(Referral.sent_at), col(Referral.id))))
    ids = [r.id for r in referrals]
    if not ids:
        return []
    titles: dict[uuid.UUID, str] = dict(session.execute(select(Offer.id, Offer.title).where(
        col(Offer.id).in_({r.offer_id for r in referrals}))).all())
    names: dict[uuid.UUID, str] = dict(session.execute(select(Organisation.id, Organisation.name).where(
        col(Organisation.id).in_({r.provider_organisation_id for r in referrals}))).all())
    history: dict[uuid.UUID, list[TransitionRead]] = {i: [] for i in ids}
    for t in session.scalars(select(ReferralTransition).where(col(ReferralTransition.referral_id).in_(ids))
                             .order_by(col(ReferralTransition.id))):
        history[t.referral_id].append(TransitionRead.model_validate(t, from_attributes=True))
    agreements = {a.referral_id: a for a in session.scalars(
        select(ContactAgreement).where(col(ContactAgreement.referral_id).in_(ids)))}
    logs: dict[uuid.UUID, list[ContactLogRead]] = {i: [] for i in ids}
    last_entries: dict[uuid.UUID, ContactLogEntry] = {}
    for e in session.scalars(select(ContactLogEntry).where(col(ContactLogEntry.referral_id).in_(ids))
                             .order_by(col(ContactLogEntry.contacted_at), col(ContactLogEntry.id))):
        logs[e.referral_id].append(log_read(e))
        last_entries[e.referral_id] = e
    return [ExportedReferral(
        id=r.id, offer_id=r.offer_id, offer_title=titles.get(r.offer_id),
        provider_organisation_id=r.provider_organisation_id,
        provider_organisation_name=names.get(r.provider_organisation_id),
        referring_organisation_id=r.referring_organisation_id, message=r.message,
        shared_categories=list(r.shared_categories or []), status=r.status, reason_code=r.reason_code,
        outcome=r.outcome, sent_at=r.sent_at, accepted_at=r.accepted_at, started_at=r.started_at,
        closed_at=r.closed_at, history=history[r.id],
        contact_agreement=(_agreement_read(session, agreements[r.id], last_entries.get(r.id))
                           if r.id in agreements else None),
        contact_log=logs[r.id]) for r in referrals]


def export(session: Session, principal: Any, person_id: uuid.UUID) -> SubjectAccessExport:
    guards.require_manage(session, principal, "person.export")
    person = guards.load(session, principal, person_id, "person.export")
    profile, _ = reads.detail(session, principal, person)
    measurements = session.scalars(select(LonelinessMeasurement)
                                   .where(col(LonelinessMeasurement.person_id) == person.id)
                                   .order_by(col(LonelinessMeasurement.measured_at), col(LonelinessMeasurement.id)))
    document = SubjectAccessExport(
        format=FORMAT, generated_at=utcnow(),
        controller=Controller(organisation_id=person.organisation_id, organisation_name=session.scalar(
            select(Organisation.name).where(col(Organisation.id) == person.organisation_id))),
        person=profile, consents=reads.consents_for_persons(session, [person.id])[person.id],
        consent_documents=documents_for_persons(session, [person.id])[person.id],
        loneliness_measurements=[reads.measurement_read(m) for m in measurements],
        referrals=_referrals(session, person.id), links=_links(session, person.id),
        transfers=_transfers(session, person.id), access_log=all_entries(session, person.id))
    record(session, principal, "person.export", purpose=guards.PURPOSE_DATA_PROTECTION, subject_type="person",
           subject_id=person.id, criterion={"referrals": len(document.referrals),
                                            "access_log_entries": len(document.access_log)})
    return document
