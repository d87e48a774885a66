"""Demo persons (fictitious names, CPR-less or with obviously fake numbers) for the demo caseworkers."""

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.permissions import Role, permissions_for
from service.core.principal import Principal
from service.core.types import utcnow
from service.organisations.models import Organisation
from service.persons import measurements, service
from service.persons.dto import ConsentCreate, MeasurementCreate, PersonCreate
from service.users.models import User

_CONSENT = {"given_by": "self", "method": "written", "consent_text_version": "demo-2026-1",
            "evidence_reference": "Samtykkeblanket i journal"}

# (caseworker username, person fields, extra consent purposes, T-ILS answers (intake, follow-up))
DEMO_PERSONS: list[tuple[str, dict[str, Any], list[str], list[tuple[int, int, int]]]] = [
    ("demo-caseworker", {"given_name": "Ella", "family_name": "Eksempelsen", "birth_year": 1941,
                         "municipality_code": "0101", "gender": "female", "risk_settings": [{"code": "nursing_home"}],
                         "interests": ["havearbejde", "kortspil"], "accessibility_needs": ["hearing_loop"]},
     ["contact", "outcome_followup"], [(3, 3, 2), (2, 2, 2)]),
    ("demo-caseworker", {"given_name": "Bo", "family_name": "Testesen", "birth_date": "1987-03-14",
                         "municipality_code": "0101", "phone": "+45 00 00 00 01",
                         "risk_settings": [{"code": "disability_at_home", "disability_types": ["mental"]},
                                           {"code": "homelessness"}],
                         "interests": ["fodbold"]},
     [], [(3, 3, 3)]),
    ("demo-caseworker-aarhus", {"given_name": "Nora", "family_name": "Prøvesen", "birth_year": 2009,
                                "municipality_code": "0751", "risk_settings": [{"code": "out_of_home_placement"}],
                                "interests": ["musik", "gaming"], "accessibility_needs": ["quiet_space"]},
     ["contact"], [(2, 3, 2)]),
]


def seed_persons(session: Session, orgs: dict[str, Organisation]) -> None:
    session.flush()
    for username, fields, purposes, answers in DEMO_PERSONS:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            continue
        role = Role(user.role)
        principal = Principal(kind="user", id=user.id, organisation_id=user.organisation_id, role=role,
                              name=user.username, permissions=permissions_for(role))
        consent = ConsentCreate.model_validate({**_CONSENT, "purposes": ["registration", *purposes]})
        person = service.create(session, principal, PersonCreate.model_validate({**fields, "consent": consent}))
        for i, (a, b, c) in enumerate(answers):
            measurements.record_measurement(session, principal, person.id, MeasurementCreate(
                item1=a, item2=b, item3=c, context="intake" if i == 0 else "follow_up",
                measured_at=utcnow() - timedelta(days=90 * (len(answers) - i))))
