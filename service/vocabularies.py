"""One vocabulary: the Danish and English labels of every code list the API speaks, for the domains that the
reference domain must not import (the offer directory registers its own in service/offers/labels.py).

Imported once by the application (service/wiring.py); `GET /api/v1/reference/vocabularies` and GraphQL
`vocabularies` serve the registry. Labels are keyed by enum member, so a code whose spelling changes keeps its
labels. tests/test_vocabulary.py enumerates every enum used by a DTO and fails if one has no vocabulary here or
a code lacks a label in either language — add a new code list here with both labels.
"""

from service.action_plan.models import Indicator, MeasureStatus
from service.core.permissions import Role
from service.events.types import EventType
from service.mapping.models import BarrierType
from service.offers import labels as offer_labels  # noqa: F401  (registers the directory's lists)
from service.organisations.models import OrganisationKind
from service.persons.models import (
    ConsentGivenBy,
    ConsentMethod,
    ConsentPurpose,
    DataCategory,
    DisabilityType,
    Gender,
    MeasurementContext,
    MeasurementForm,
    PersonStatus,
)
from service.reference.vocabulary import register_vocabulary
from service.referrals.due import DueWindow
from service.referrals.models import (
    AgreementEnding,
    Cadence,
    ContactChannel,
    ContactOutcome,
    GoalCategory,
    Outcome,
    PsychosocialElement,
    ReasonCode,
    ReferralStatus,
    TopicState,
)
from service.referrals.workflow import Action
from service.reports.dimensions import Dimension

R, A, RC, E = ReferralStatus, Action, ReasonCode, PsychosocialElement

register_vocabulary("referral_status", {
    R.sent: ("Sendt", "Sent"), R.accepted: ("Accepteret", "Accepted"), R.declined: ("Afvist", "Declined"),
    R.started: ("Startet", "Started"), R.completed: ("Afsluttet", "Completed"),
    R.ended_early: ("Afbrudt før tid", "Ended early"), R.withdrawn: ("Trukket tilbage", "Withdrawn"),
    R.expired: ("Udløbet", "Expired"),
}, enum=ReferralStatus, description="Where a referral is in its lifecycle.")
register_vocabulary("referral_action", {
    A.accept: ("Acceptér", "Accept"), A.decline: ("Afvis", "Decline"), A.start: ("Start", "Start"),
    A.complete: ("Afslut", "Complete"), A.end_early: ("Afbryd før tid", "End early"),
    A.withdraw: ("Træk tilbage", "Withdraw"), A.expire: ("Lad udløbe", "Expire"),
}, enum=Action, description="The changes a referral's parties can make (the workflow's actions).")
register_vocabulary("reason_code", {
    RC.no_capacity: ("Ingen ledige pladser", "No places available"),
    RC.not_eligible: ("Ikke i målgruppen", "Not eligible"),
    RC.not_reachable: ("Kunne ikke kontaktes", "Could not be reached"),
    RC.person_declined: ("Personen takkede nej", "The person declined"),
    RC.accessibility_barrier: ("Barriere for tilgængelighed", "Accessibility barrier"),
    RC.transport_barrier: ("Barriere for transport", "Transport barrier"),
    RC.language_barrier: ("Sprogbarriere", "Language barrier"),
    RC.digital_barrier: ("Digital barriere", "Digital barrier"),
    RC.consent_withdrawn: ("Samtykket er trukket tilbage", "Consent withdrawn"),
    RC.sla_expired: ("Svarfristen udløb", "Response time expired"),
    RC.other: ("Andet", "Other"),
}, enum=ReasonCode, description="Why a referral was declined, ended early, withdrawn or expired.")
register_vocabulary("referral_outcome", {
    Outcome.attended_regularly: ("Deltog fast", "Attended regularly"),
    Outcome.attended_some: ("Deltog af og til", "Attended some of the time"),
    Outcome.did_not_attend: ("Deltog ikke", "Did not attend"),
}, enum=Outcome, description="How a completed referral went.")
register_vocabulary("contact_channel", {
    ContactChannel.phone: ("Telefon", "Phone"), ContactChannel.visit: ("Besøg", "Visit"),
    ContactChannel.video: ("Video", "Video"), ContactChannel.meeting: ("Møde", "Meeting"),
}, enum=ContactChannel, description="How a volunteer and a person keep in touch.")
register_vocabulary("contact_cadence", {
    Cadence.weekly: ("Hver uge", "Weekly"), Cadence.every_other_week: ("Hver anden uge", "Every other week"),
    Cadence.monthly: ("Hver måned", "Monthly"), Cadence.by_agreement: ("Efter aftale", "By agreement"),
}, enum=Cadence, description="The rhythm of a contact agreement.")
register_vocabulary("psychosocial_element", {
    E.tryghed: ("Tryghed", "Safety"), E.ro: ("Ro", "Calm"), E.handlekraft: ("Handlekraft", "Self-efficacy"),
    E.faellesskab: ("Fællesskab", "Connectedness"), E.haab: ("Håb", "Hope"),
}, enum=PsychosocialElement, description="The five elements of psychosocial support (Red Cross guide).")
register_vocabulary("person_status", {
    PersonStatus.active: ("Aktiv", "Active"), PersonStatus.erased: ("Slettet", "Erased"),
}, enum=PersonStatus, description="A registration's state.")
register_vocabulary("gender", {
    Gender.female: ("Kvinde", "Female"), Gender.male: ("Mand", "Male"), Gender.other: ("Andet", "Other"),
}, enum=Gender, description="Gender, as the person states it.")
register_vocabulary("disability_type", {
    DisabilityType.physical: ("Fysisk", "Physical"), DisabilityType.mental: ("Psykisk", "Mental"),
    DisabilityType.cognitive: ("Kognitiv", "Cognitive"),
}, enum=DisabilityType, description="Kinds of disability (risk setting: disability at home).")
register_vocabulary("consent_purpose", {
    ConsentPurpose.registration: ("Registrering", "Registration"),
    ConsentPurpose.referral_sharing: ("Deling ved henvisning", "Sharing with a referral"),
    ConsentPurpose.contact: ("Kontakt", "Contact"),
    ConsentPurpose.outcome_followup: ("Opfølgning på resultat", "Outcome follow-up"),
    ConsentPurpose.research: ("Forskning", "Research"),
}, enum=ConsentPurpose, description="What a consent allows.")
register_vocabulary("data_category", {
    DataCategory.contact_details: ("Kontaktoplysninger", "Contact details"),
    DataCategory.risk_settings: ("Risikosituationer", "Risk settings"),
    DataCategory.accessibility_needs: ("Behov for tilgængelighed", "Accessibility needs"),
    DataCategory.interests: ("Interesser", "Interests"),
    DataCategory.loneliness_scores: ("Målinger af ensomhed", "Loneliness scores"),
}, enum=DataCategory, description="Kinds of personal data a consent covers.")
register_vocabulary("consent_given_by", {
    ConsentGivenBy.self: ("Personen selv", "The person"), ConsentGivenBy.guardian: ("Værge", "Guardian"),
    ConsentGivenBy.legal_representative: ("Retlig repræsentant", "Legal representative"),
}, enum=ConsentGivenBy, description="Who gave a consent.")
register_vocabulary("consent_method", {
    ConsentMethod.written: ("Skriftligt", "Written"), ConsentMethod.verbal: ("Mundtligt", "Verbal"),
    ConsentMethod.digital: ("Digitalt", "Digital"),
}, enum=ConsentMethod, description="How a consent was given.")
register_vocabulary("measurement_context", {
    MeasurementContext.intake: ("Ved start", "Intake"), MeasurementContext.follow_up: ("Opfølgning", "Follow-up"),
    MeasurementContext.ad_hoc: ("Løbende", "Ad hoc"),
}, enum=MeasurementContext, description="When a loneliness measurement (T-ILS) was taken.")
register_vocabulary("barrier_type", {
    BarrierType.capacity: ("Kapacitet", "Capacity"), BarrierType.accessibility: ("Tilgængelighed", "Accessibility"),
    BarrierType.transport: ("Transport", "Transport"), BarrierType.digital: ("Digitalt", "Digital"),
    BarrierType.stigma: ("Stigma", "Stigma"), BarrierType.staff_competences: ("Personalets kompetencer",
                                                                               "Staff competences"),
    BarrierType.information: ("Information", "Information"), BarrierType.economy: ("Økonomi", "Economy"),
    BarrierType.other: ("Andet", "Other"),
}, enum=BarrierType, description="What stands between people at risk and a community (mapping).")
register_vocabulary("indicator", {
    Indicator.persons_registered: ("Registrerede personer", "Persons registered"),
    Indicator.persons_severe_loneliness: ("Personer med svær ensomhed", "Persons with severe loneliness"),
    Indicator.offers_published: ("Offentliggjorte tilbud", "Offers published"),
    Indicator.places: ("Pladser", "Places"), Indicator.free_places: ("Ledige pladser", "Free places"),
    Indicator.referrals_sent: ("Sendte henvisninger", "Referrals sent"),
    Indicator.referrals_accepted: ("Accepterede henvisninger", "Referrals accepted"),
    Indicator.referrals_declined: ("Afviste henvisninger", "Referrals declined"),
    Indicator.referrals_completed: ("Afsluttede henvisninger", "Referrals completed"),
    Indicator.referrals_ended_early: ("Henvisninger afbrudt før tid", "Referrals ended early"),
    Indicator.acceptance_rate: ("Andel accepterede", "Acceptance rate"),
    Indicator.median_days_to_start: ("Median antal dage til start", "Median days to start"),
    Indicator.unmet_need: ("Udækket behov", "Unmet need"),
    Indicator.supply_demand_ratio: ("Forhold mellem udbud og efterspørgsel", "Supply-demand ratio"),
    Indicator.tils_change: ("Ændring i T-ILS", "Change in T-ILS"),
}, enum=Indicator, description="The Recommendation 4 report's measures an action-plan measure can follow.")
register_vocabulary("measure_status", {
    MeasureStatus.planned: ("Planlagt", "Planned"), MeasureStatus.active: ("I gang", "Active"),
    MeasureStatus.done: ("Gennemført", "Done"),
}, enum=MeasureStatus, description="An action-plan measure's state.")
register_vocabulary("organisation_kind", {
    OrganisationKind.school: ("Skole", "School"), OrganisationKind.care_home: ("Plejehjem", "Care home"),
    OrganisationKind.shelter: ("Herberg/forsorgshjem", "Shelter"),
    OrganisationKind.crisis_centre: ("Krisecenter", "Crisis centre"),
    OrganisationKind.residential_institution: ("Døgninstitution", "Residential institution"),
    OrganisationKind.social_housing_facility: ("Socialt botilbud", "Social housing facility"),
    OrganisationKind.prison_probation: ("Kriminalforsorgen", "Prison and probation service"),
    OrganisationKind.civil_society: ("Civilsamfundsorganisation", "Civil-society organisation"),
    OrganisationKind.municipality: ("Kommune", "Municipality"), OrganisationKind.region: ("Region", "Region"),
    OrganisationKind.ministry: ("Ministerium", "Ministry"),
}, enum=OrganisationKind, description="Kinds of organisation.")
register_vocabulary("report_dimension", {
    Dimension.risk_setting: ("Risikosituation", "Risk setting"), Dimension.municipality: ("Kommune", "Municipality"),
    Dimension.region: ("Region", "Region"), Dimension.age_group: ("Aldersgruppe", "Age group"),
    Dimension.offer_category: ("Tilbudskategori", "Offer category"), Dimension.quarter: ("Kvartal", "Quarter"),
}, enum=Dimension, description="What a Recommendation 4 report can be grouped by.")
register_vocabulary("event_type", {
    EventType.referral_sent: ("Henvisning sendt", "Referral sent"),
    EventType.referral_accepted: ("Henvisning accepteret", "Referral accepted"),
    EventType.referral_declined: ("Henvisning afvist", "Referral declined"),
    EventType.referral_started: ("Henvisning startet", "Referral started"),
    EventType.referral_completed: ("Henvisning afsluttet", "Referral completed"),
    EventType.referral_ended_early: ("Henvisning afbrudt før tid", "Referral ended early"),
    EventType.referral_withdrawn: ("Henvisning trukket tilbage", "Referral withdrawn"),
    EventType.referral_expired: ("Henvisning udløbet", "Referral expired"),
    EventType.contact_due: ("Kontakt forfalden", "Contact due"),
    EventType.contact_missed_alert: ("Advarsel om mistede kontakter", "Missed-contacts alert"),
    EventType.consent_withdrawn: ("Samtykke trukket tilbage", "Consent withdrawn"),
    EventType.consent_expired: ("Samtykke udløbet", "Consent expired"),
    EventType.offer_published: ("Tilbud offentliggjort", "Offer published"),
    EventType.offer_paused: ("Tilbud sat på pause", "Offer paused"),
    EventType.offer_closed: ("Tilbud lukket", "Offer closed"),
    EventType.offer_updated: ("Tilbud ændret", "Offer updated"),
    EventType.action_plan_measure_created: ("Handleplanstiltag oprettet", "Action-plan measure created"),
    EventType.action_plan_measure_updated: ("Handleplanstiltag ændret", "Action-plan measure updated"),
    EventType.webhook_endpoint_disabled: ("Webhook-modtager slået fra", "Webhook endpoint disabled"),
}, enum=EventType, description="Partner events (webhooks and the event feed).")
register_vocabulary("role", {
    Role.system_admin: ("Systemadministrator", "System administrator"),
    Role.org_admin: ("Organisationsadministrator", "Organisation administrator"),
    Role.caseworker: ("Sagsbehandler", "Caseworker"), Role.coordinator: ("Koordinator", "Coordinator"),
    Role.analyst: ("Analytiker", "Analyst"),
}, enum=Role, description="What a user may do.")

# The phone-friend rhythm (Red Cross guide) and follow-up.
register_vocabulary("contact_outcome", {
    ContactOutcome.held: ("Samtale gennemført", "Call held"),
    ContactOutcome.no_answer: ("Intet svar", "No answer"),
    ContactOutcome.rescheduled: ("Flyttet", "Rescheduled"),
    ContactOutcome.ended_early: ("Afbrudt før tid", "Ended early"),
}, enum=ContactOutcome, description="How a planned contact went: a call held, or an attempt that keeps the agenda.")
register_vocabulary("parked_topic_state", {
    TopicState.open: ("Åben", "Open"), TopicState.taken_up: ("Taget op", "Taken up"),
    TopicState.resolved: ("Afsluttet", "Resolved"),
}, enum=TopicState, description="Where a parked topic (\"vend tilbage til det næste gang\") stands.")
register_vocabulary("agreement_ending", {
    AgreementEnding.planned_ending: ("Planlagt afslutning", "Planned ending"),
    AgreementEnding.moved_to_other_offer: ("Videre til et andet tilbud", "Moved to another offer"),
    AgreementEnding.person_declined: ("Personen ønskede at stoppe", "The person declined"),
    AgreementEnding.person_deceased: ("Personen er død", "The person died"),
    AgreementEnding.person_moved: ("Personen er flyttet", "The person moved"),
}, enum=AgreementEnding, description="How a contact agreement ended (round off and point forward).")
register_vocabulary("goal_category", {
    GoalCategory.social_contact: ("Social kontakt", "Social contact"),
    GoalCategory.activity: ("Aktivitet", "Activity"),
    GoalCategory.practical: ("Praktisk", "Practical"),
    GoalCategory.wellbeing: ("Trivsel", "Well-being"),
    GoalCategory.other: ("Andet", "Other"),
}, enum=GoalCategory, description="What a goal agreed with the person at referral is about.")
register_vocabulary("measurement_form", {
    MeasurementForm.full: ("Fuldt spørgeskema", "Full questionnaire"),
    MeasurementForm.phone_short: ("Kort telefonversion", "Short phone version"),
}, enum=MeasurementForm, description="How the three T-ILS items were asked (the same scale either way).")
register_vocabulary("due_window", {
    DueWindow.due: ("Forfalden nu", "Due now"), DueWindow.today: ("I dag", "Today"),
    DueWindow.this_week: ("Denne uge", "This week"), DueWindow.overdue: ("Overskredet", "Overdue"),
}, enum=DueWindow, description="Which contacts or follow-ups a due list shows, in Copenhagen time.")
