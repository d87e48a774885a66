"""The offer directory's code lists with Danish and English labels (served by /reference/vocabularies; the HSDS
export and the spreadsheet import use the same words)."""

from service.offers.models import OfferCategory, OfferMode, OfferStatus
from service.offers.schedule import Frequency, Weekday
from service.reference.vocabulary import register_vocabulary

C, M, S = OfferCategory, OfferMode, OfferStatus

CATEGORIES = register_vocabulary("offer_category", {
    C.phone_friend: ("Telefonven", "Phone friend"),
    C.visiting_friend: ("Besøgsven", "Visiting friend"),
    C.walk_and_talk: ("Gå-og-snak", "Walk and talk"),
    C.shared_meal: ("Fællesspisning", "Shared meal"),
    C.activity_group: ("Aktivitetsgruppe", "Activity group"),
    C.culture: ("Kultur", "Culture"),
    C.sport_outdoor: ("Idræt og friluftsliv", "Sport and outdoor life"),
    C.digital_community: ("Digitalt fællesskab", "Digital community"),
    C.peer_support_group: ("Samtalegruppe for ligestillede", "Peer support group"),
    C.relatives_group: ("Pårørendegruppe", "Group for relatives"),
    C.mentoring: ("Mentorordning", "Mentoring"),
    C.intergenerational: ("På tværs af generationer", "Intergenerational"),
    C.counselling: ("Rådgivning", "Counselling"),
    C.other: ("Andet", "Other"),
}, enum=OfferCategory, description="What kind of community an offer is.")

MODES = register_vocabulary("offer_mode", {
    M.in_person: ("Fremmøde", "In person"),
    M.phone: ("Telefon", "Phone"),
    M.online: ("Online", "Online"),
    M.hybrid: ("Fremmøde og online", "In person and online"),
}, enum=OfferMode, description="How people take part.", aliases={"fysisk": "in_person", "hybrid": "hybrid"})

STATUSES = register_vocabulary("offer_status", {
    S.draft: ("Kladde", "Draft"),
    S.published: ("Offentliggjort", "Published"),
    S.paused: ("Sat på pause", "Paused"),
    S.closed: ("Lukket", "Closed"),
}, enum=OfferStatus, description="An offer's lifecycle.", aliases={"udgivet": "published", "aktiv": "published"})

FREQUENCIES = register_vocabulary("schedule_frequency", {
    Frequency.weekly: ("Ugentlig", "Weekly"),
    Frequency.monthly: ("Månedlig", "Monthly"),
}, enum=Frequency, description="How often an offer meets (with the interval: every n weeks or months).",
    aliases={"hver_uge": "weekly", "hver_maaned": "monthly"})

WEEKDAYS = register_vocabulary("weekday", {
    Weekday.MO: ("Mandag", "Monday"), Weekday.TU: ("Tirsdag", "Tuesday"), Weekday.WE: ("Onsdag", "Wednesday"),
    Weekday.TH: ("Torsdag", "Thursday"), Weekday.FR: ("Fredag", "Friday"), Weekday.SA: ("Lørdag", "Saturday"),
    Weekday.SU: ("Søndag", "Sunday"),
}, enum=Weekday, description="Days of the week (iCalendar codes).", aliases={
    "man": "MO", "tir": "TU", "ons": "WE", "tor": "TH", "tors": "TH", "fre": "FR", "loer": "SA", "soen": "SU",
    "mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU"})
