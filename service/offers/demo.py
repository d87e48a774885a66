"""Demo offers for `tvaers seed-demo` (development only)."""

from typing import Any

from sqlalchemy.orm import Session

from service.offers.dto import OfferCreate
from service.offers.service import add_offer
from service.organisations.models import Organisation

# (provider organisation name, offer fields)
DEMO_OFFERS: list[tuple[str, dict[str, Any]]] = [
    ("Røde Kors Telefonvenner", {
        "title": "Telefonvenner", "category": "phone_friend", "mode": "phone", "nationwide": True,
        "description": "En fast telefonven, der ringer hver anden uge på en aftalt dag og tid. "
                       "Samtalen slutter altid med en klar aftale om næste opkald.",
        "risk_settings": ["nursing_home", "disability_at_home", "relative_of_seriously_ill"], "min_age": 18,
        "languages": ["da", "en"], "accessibility": ["digital_assistance"], "capacity": 200,
        "schedule": {"by_agreement": True, "notes": "Fast dag og tid efter aftale"},
        "contact_phone": "+45 35 25 92 00", "website": "https://www.rodekors.dk", "status": "published",
    }),
    ("Aarhus Kommune", {
        "title": "Fællesspisning i Gellerup", "category": "shared_meal", "mode": "in_person",
        "description": "Vi laver mad sammen og spiser ved langbordet. Alle er velkomne, også hvis man er ny i byen.",
        "municipality_codes": ["0751"], "address": "Gudrunsvej 20", "postcode": "8220", "city": "Brabrand",
        "latitude": 56.1537, "longitude": 10.1349, "languages": ["da", "ar", "so"],
        "accessibility": ["wheelchair_access", "step_free", "accessible_toilet"], "capacity": 40,
        "risk_settings": ["social_housing_facility", "homelessness"], "cost_free": False, "cost_text": "20 kr.",
        "schedule": {"freq": "weekly", "weekdays": ["TH"], "start_time": "17:30", "end_time": "19:30"},
        "status": "published",
    }),
    ("Krisecenter Nord", {
        "title": "Samtalegruppe for kvinder på krisecenter", "category": "peer_support_group", "mode": "in_person",
        "description": "En lukket gruppe med faste deltagere og en erfaren gruppeleder. "
                       "Adressen oplyses ved henvisning.",
        "municipality_codes": ["0101", "0147"], "address": "Hemmelig Allé 1", "postcode": "2400",
        "city": "København", "confidential_location": True, "risk_settings": ["crisis_centre"], "min_age": 18,
        "languages": ["da", "en", "ar"], "accessibility": ["quiet_space", "interpreter"], "capacity": 8,
        "schedule": {"freq": "weekly", "interval": 2, "weekdays": ["TU"], "start_time": "10:00",
                     "end_time": "12:00"},
        "status": "published",
    }),
    ("Odense Kommune", {
        "title": "Gå-og-snak langs åen", "category": "walk_and_talk", "mode": "in_person",
        "description": "En rolig gåtur på en time med kaffe bagefter. Vi venter på hinanden.",
        "municipality_codes": ["0461"], "city": "Odense", "languages": ["da"],
        "accessibility": ["guide_dog_welcome"], "risk_settings": ["disability_at_home", "relative_of_seriously_ill"],
        "schedule": {"freq": "weekly", "weekdays": ["MO", "WE"], "start_time": "10:00", "end_time": "11:00"},
        "status": "published",
    }),
    ("Plejehjemmet Ådalen", {
        "title": "Læsevenner — elever og beboere", "category": "intergenerational", "mode": "in_person",
        "description": "Skoleelever læser højt for beboerne den første tirsdag i måneden.",
        "municipality_codes": ["0461"], "address": "Ådalsvej 5", "postcode": "5000", "city": "Odense",
        "risk_settings": ["nursing_home"], "accessibility": ["hearing_loop", "wheelchair_access"], "capacity": 12,
        "schedule": {"freq": "monthly", "weekdays": ["TU"], "week_of_month": 1, "start_time": "13:00",
                     "end_time": "14:30"},
        "status": "published",
    }),
    ("Røde Kors Telefonvenner", {
        "title": "Digitalt fællesskab for pårørende", "category": "relatives_group", "mode": "online",
        "nationwide": True, "description": "Et online mødested for pårørende til svært syge. Under opbygning.",
        "risk_settings": ["relative_of_seriously_ill"], "languages": ["da"], "status": "draft",
    }),
]


def seed_offers(session: Session, orgs: dict[str, Organisation]) -> None:
    for org_name, fields in DEMO_OFFERS:
        add_offer(session, orgs[org_name].id, OfferCreate.model_validate(fields))
