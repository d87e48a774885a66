"""Demo data for development: organisations of several kinds in four municipalities, one user per role."""

from collections.abc import Callable

from sqlalchemy import select

from service.core.db import new_session
from service.core.permissions import Role
from service.core.security import hash_secret
from service.organisations.models import Organisation, OrganisationKind
from service.users.models import User

DEMO_PASSWORD = "tvaers-demo-2026"

# (name, kind, municipality, cvr)
DEMO_ORGANISATIONS = [
    ("Københavns Kommune", OrganisationKind.municipality, "0101", "29000018"),
    ("Aarhus Kommune", OrganisationKind.municipality, "0751", "29000026"),
    ("Odense Kommune", OrganisationKind.municipality, "0461", "29000034"),
    ("Skovbakkeskolen", OrganisationKind.school, "0751", None),
    ("Plejehjemmet Ådalen", OrganisationKind.care_home, "0461", None),
    ("Krisecenter Nord", OrganisationKind.crisis_centre, "0101", None),
    ("Røde Kors Telefonvenner", OrganisationKind.civil_society, "0101", "29000042"),
    ("Social- og Indenrigsministeriet", OrganisationKind.ministry, "0101", "29000050"),
    ("Sundheds- og Ældreministeriet", OrganisationKind.ministry, "0101", "29000069"),
    ("Aalborg Herberg", OrganisationKind.shelter, "0851", None),
]

# Which ministry each demo ministry organisation is (reference data `ministry.code`); in production a system
# administrator sets this, as scope keys on the code and never on a name.
DEMO_MINISTRY_CODES = {"Social- og Indenrigsministeriet": "social_affairs", "Sundheds- og Ældreministeriet": "health"}

# (username, role, organisation name)
DEMO_USERS = [
    ("demo-admin", Role.system_admin, "Københavns Kommune"),
    ("demo-orgadmin", Role.org_admin, "Københavns Kommune"),
    ("demo-caseworker", Role.caseworker, "Københavns Kommune"),
    ("demo-caseworker-aarhus", Role.caseworker, "Aarhus Kommune"),
    ("demo-coordinator", Role.coordinator, "Røde Kors Telefonvenner"),
    ("demo-analyst", Role.analyst, "Social- og Indenrigsministeriet"),
]


SEED_STEPS = ("organisations and users", "offers", "persons", "referrals")


def seed(on_step: Callable[[str], None] = lambda _step: None) -> bool:
    """Idempotent: returns False when the demo data is already there. `on_step` reports each of SEED_STEPS."""
    from service.offers.demo import seed_offers
    from service.persons.demo import seed_persons
    from service.referrals.demo import seed_referrals

    with new_session() as session:
        if session.scalar(select(User.id).where(User.username == DEMO_USERS[0][0])) is not None:
            return False
        orgs: dict[str, Organisation] = {}
        for name, kind, municipality, cvr in DEMO_ORGANISATIONS:
            org = session.scalar(select(Organisation).where(Organisation.name == name))
            if org is None:
                org = Organisation(name=name, kind=kind, municipality_code=municipality, cvr=cvr,
                                   is_national=name == "Social- og Indenrigsministeriet",
                                   ministry_code=DEMO_MINISTRY_CODES.get(name))
                session.add(org)
            orgs[name] = org
        session.flush()
        password_hash = hash_secret(DEMO_PASSWORD)
        for username, role, org_name in DEMO_USERS:
            session.add(User(username=username, password_hash=password_hash, role=role,
                             organisation_id=orgs[org_name].id))
        on_step(SEED_STEPS[0])
        for step, fill in zip(SEED_STEPS[1:], (seed_offers, seed_persons, seed_referrals), strict=True):
            fill(session, orgs)
            on_step(step)
        session.commit()
    return True


PLATFORM_ORGANISATION = "Tværs platformsdrift"


def create_system_admin(username: str, password: str) -> str:
    if len(password) < 12:
        raise ValueError("the password must be at least 12 characters")
    with new_session() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise ValueError("that username is taken")
        org = session.scalar(select(Organisation).where(Organisation.name == PLATFORM_ORGANISATION))
        if org is None:
            org = Organisation(name=PLATFORM_ORGANISATION, kind=OrganisationKind.ministry, municipality_code="0101")
            session.add(org)
            session.flush()
        user = User(username=username, password_hash=hash_secret(password), role=Role.system_admin,
                    organisation_id=org.id)
        session.add(user)
        session.commit()
        return str(user.id)
