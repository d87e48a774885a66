"""Who may do what: every operation of every door, in one table.

Each row is one operation — a REST route (method + path template), its GraphQL twin where there is one,
or a GraphQL field of its own (a query or mutation field, or a nested field with a resolver) — with:

- `needs`: the permissions of which the caller must hold at least one (`service/core/permissions.py`), or
  PUBLIC (anyone, no token) or AUTHENTICATED (any valid token). The doors check this *first*, before the
  body or the input is validated: anonymous → 401, without the permission → 403 (`service/door.py` for
  REST, `schema/door.py` for GraphQL). Refused attempts on personal data (rows with `audit`) are audited.
- `rule`: which objects the caller then reaches. Object rules are applied in SQL by the domain services
  (`service/<domain>/policy.py`), the same for every door; an object the rule hides is a 404 (GraphQL: null).
- `why`: one line of reason.

`tests/test_access_table.py` asserts that this table covers every route of the app and every root and
resolver field of the GraphQL schema, and nothing else, so an operation without a row fails the build; the
README's "Who may do what" section is rendered from it (`tvaers access-table --write-readme`).
"""

from dataclasses import dataclass
from enum import StrEnum

from service.core.permissions import Permission as P

PUBLIC = "public"
AUTHENTICATED = "authenticated"


class Rule(StrEnum):
    """The object rules. Each names the policy function that applies it."""

    none = "—"  # no object: a service endpoint or reference data
    public = "public"
    directory = "directory: every organisation"
    credentials = "the credentials presented"
    self = "the caller itself"
    own_organisation = "own organisation"  # system_admin: every organisation where the permission says *_any
    accounts = "own organisation's accounts within role reach (users/policy)"
    offers_readable = "published, or own organisation's (offers/policy.readable_clause)"
    offer_provider = "provider organisation only (offers/policy.ensure_can_manage)"
    persons_own = "own organisation's persons (persons/policy.visible_persons)"
    referral_party = "referring organisation, or provider while the consent covers it (referrals/policy)"
    consented_provider = "provider organisation while the consent covers it (referrals/policy)"
    report_scope = "ministry_code / is_national / municipality scope (reports/policy)"
    mapping_scope = "ministry_code scope, else own organisation (mapping/policy)"
    public_sector = "every measure (public-sector plans)"
    recording_ministry = "the recording ministry organisation (action_plan/policy)"
    audit_scope = "own organisation's events; system_admin: all"
    own_webhooks = "own organisation's endpoints and events (webhooks/policy)"
    transfer_party = "the sending or the receiving organisation (persons/transfer.visible_transfers)"
    transfer_receiver = "the receiving organisation; the sender is refused (persons/transfer)"
    patient_view = ("own organisation's persons in full (persons/policy); a provider: the consent-gated summary "
                    "of a person referred to it (referrals/policy)")


@dataclass(frozen=True)
class Audited:
    """A refused attempt is audited as `action` (outcome denied). The subject is the path parameter
    `<subject_type>_id` (REST) or the argument `<subjectType>Id`, else `id` (GraphQL), when present."""

    action: str
    purpose: str
    subject_type: str


@dataclass(frozen=True)
class Access:
    needs: tuple[P, ...] | str
    rule: Rule
    why: str
    audit: Audited | None = None

    @property
    def is_public(self) -> bool:
        return self.needs == PUBLIC


@dataclass(frozen=True)
class Operation:
    rest: tuple[str, str] | None
    graphql: str | None
    access: Access


def _op(rest: str | None, graphql: str | None, needs: P | tuple[P, ...] | str, rule: Rule, why: str,
        audit: Audited | None = None) -> Operation:
    method, _, path = rest.partition(" ") if rest else ("", "", "")
    # A Permission is a str too (StrEnum): wrap it first, so it is never mistaken for PUBLIC/AUTHENTICATED.
    declared = (needs,) if isinstance(needs, P) else needs
    return Operation((method, path) if rest else None, graphql, Access(declared, rule, why, audit))


# Audit purposes, as the services record them.
CASEWORK, CONSENT, DATA_PROTECTION = "casework", "consent_management", "data_protection"
REFERRALS = "referral_coordination"

ACCOUNT_ADMINS = (P.users_manage_any, P.users_manage_own)
REFERRAL_ROLES = (P.referrals_send, P.referrals_receive, P.contacts_manage)
V1 = "/api/v1"
FHIR = "/fhir/R4"
PROVIDER_ROLES = (P.referrals_receive, P.contacts_manage)

OPERATIONS: tuple[Operation, ...] = (
    # --- platform, documentation and reference data --------------------------------------------------------
    _op("GET /healthz", None, PUBLIC, Rule.none, "liveness probe"),
    _op("GET /readyz", None, PUBLIC, Rule.none, "readiness probe (database and migrations)"),
    _op("GET /openapi.json", None, PUBLIC, Rule.none, "the published REST contract"),
    _op("GET /docs", None, PUBLIC, Rule.none, "Swagger UI"),
    _op("GET /docs/oauth2-redirect", None, PUBLIC, Rule.none, "Swagger UI sign-in"),
    _op("GET /redoc", None, PUBLIC, Rule.none, "ReDoc"),
    _op("GET /metrics", None, PUBLIC, Rule.none,
        "Prometheus metrics, no personal data (route templates only); keep it off the public internet"),
    _op("POST /graphql", None, PUBLIC, Rule.none, "every GraphQL field below has its own row"),
    _op("GET /graphql", None, PUBLIC, Rule.none, "GraphiQL (off in production)"),
    _op(f"POST {V1}/auth/token", None, PUBLIC, Rule.credentials, "password or client_credentials grant"),
    _op(f"GET {V1}/reference/municipalities", "Query.municipalities", PUBLIC, Rule.public, "code list"),
    _op(f"GET {V1}/reference/risk-settings", "Query.riskSettings", PUBLIC, Rule.public, "code list"),
    _op(f"GET {V1}/reference/ministries", "Query.ministries", PUBLIC, Rule.public, "code list"),
    _op(f"GET {V1}/reference/vocabularies", "Query.vocabularies", PUBLIC, Rule.public,
        "every code list with Danish and English labels"),
    _op(None, "Query.viewer", PUBLIC, Rule.self, "who am I (null without a token)"),
    _op(None, "Viewer.organisation", AUTHENTICATED, Rule.self, "the caller's own organisation"),
    # --- organisations ---------------------------------------------------------------------------------------
    _op(f"GET {V1}/organisations", "Query.organisations", AUTHENTICATED, Rule.directory,
        "partners find each other; no personal data"),
    _op(f"GET {V1}/organisations/{{org_id}}", "Query.organisation", AUTHENTICATED, Rule.directory,
        "partners find each other; no personal data"),
    _op(f"POST {V1}/organisations", "Mutation.createOrganisation", P.organisations_create, Rule.none,
        "kind, municipality and ministry define scope: platform operators only"),
    _op(f"PATCH {V1}/organisations/{{org_id}}", "Mutation.updateOrganisation",
        (P.organisations_update_any, P.organisations_update_own), Rule.own_organisation,
        "org_admin edits its own contact details; scope fields (kind, municipality, national, ministry) "
        "only system_admin"),
    # --- accounts -----------------------------------------------------------------------------------------------
    _op(f"GET {V1}/users", "Query.users", ACCOUNT_ADMINS, Rule.accounts, "account administration"),
    _op(f"GET {V1}/users/{{user_id}}", "Query.user", ACCOUNT_ADMINS, Rule.accounts, "account administration"),
    _op(f"POST {V1}/users", "Mutation.createUser", ACCOUNT_ADMINS, Rule.accounts,
        "nobody grants a role beyond their reach; API clients never manage accounts"),
    _op(f"PATCH {V1}/users/{{user_id}}", "Mutation.updateUser", ACCOUNT_ADMINS, Rule.accounts,
        "password, role or activation change ends the account's sessions"),
    _op(None, "User.organisation", AUTHENTICATED, Rule.directory, "the account's organisation"),
    _op(f"GET {V1}/api-clients", None, ACCOUNT_ADMINS, Rule.accounts, "partner-system administration"),
    _op(f"GET {V1}/api-clients/{{client_pk}}", None, ACCOUNT_ADMINS, Rule.accounts,
        "partner-system administration"),
    _op(f"POST {V1}/api-clients", "Mutation.createApiClient", ACCOUNT_ADMINS, Rule.accounts,
        "the secret is shown once"),
    _op(f"PATCH {V1}/api-clients/{{client_pk}}", "Mutation.updateApiClient", ACCOUNT_ADMINS, Rule.accounts,
        "secret rotation, role or activation change ends the client's sessions"),
    _op(f"GET {V1}/audit-events", None, (P.audit_read_any, P.audit_read_own), Rule.audit_scope,
        "accountability of the organisation's own staff"),
    # --- offers directory --------------------------------------------------------------------------------------
    _op(f"GET {V1}/offers", "Query.offers", PUBLIC, Rule.offers_readable,
        "published offers are public; confidential locations need a grant"),
    _op(f"GET {V1}/offers/{{offer_id}}", "Query.offer", PUBLIC, Rule.offers_readable,
        "published offers are public; confidential locations need a grant"),
    _op(f"POST {V1}/offers", "Mutation.createOffer", P.offers_manage, Rule.own_organisation,
        "providers post their own offers"),
    _op(f"POST {V1}/offers/import", "Mutation.importOffers", P.offers_manage, Rule.own_organisation,
        "bulk CSV, all rows or none"),
    _op(f"PATCH {V1}/offers/{{offer_id}}", "Mutation.updateOffer", P.offers_manage, Rule.offer_provider,
        "only the provider changes its offer"),
    _op(f"POST {V1}/offers/{{offer_id}}/status", "Mutation.changeOfferStatus", P.offers_manage,
        Rule.offer_provider, "only the provider publishes, pauses or closes"),
    _op(None, "Offer.organisation", AUTHENTICATED, Rule.directory, "the provider (null without a token)"),
    _op(None, "Offer.providerName", PUBLIC, Rule.public, "the provider's name is public"),
    _op(f"GET {V1}/hsds/services", None, PUBLIC, Rule.public, "HSDS 3.0 export of published offers"),
    _op(f"GET {V1}/hsds/services/{{service_id}}", None, PUBLIC, Rule.public, "HSDS 3.0 export"),
    _op(f"GET {V1}/hsds/organizations", None, PUBLIC, Rule.public, "HSDS 3.0 export of providers"),
    _op(f"GET {V1}/hsds/organizations/{{organization_id}}", None, PUBLIC, Rule.public, "HSDS 3.0 export"),
    _op(f"GET {V1}/hsds/", None, PUBLIC, Rule.public, "HSDS 3.0 API information"),
    _op(f"GET {V1}/hsds/taxonomies", None, PUBLIC, Rule.public, "HSDS 3.0: the Tværs vocabularies"),
    _op(f"GET {V1}/hsds/taxonomies/{{taxonomy_id}}", None, PUBLIC, Rule.public, "HSDS 3.0 taxonomy"),
    _op(f"GET {V1}/hsds/taxonomy_terms", None, PUBLIC, Rule.public, "HSDS 3.0 taxonomy terms"),
    _op(f"GET {V1}/hsds/taxonomy_terms/{{term_id}}", None, PUBLIC, Rule.public, "HSDS 3.0 taxonomy term"),
    _op(f"GET {V1}/hsds/service_at_locations", None, PUBLIC, Rule.public,
        "HSDS 3.0: published offers at public locations"),
    _op(f"GET {V1}/hsds/service_at_locations/{{service_at_location_id}}", None, PUBLIC, Rule.public,
        "HSDS 3.0 service at location"),
    # --- persons (special-category personal data) -------------------------------------------------------------
    _op(f"GET {V1}/persons", "Query.persons", P.persons_manage, Rule.persons_own,
        "caseworkers work with their own organisation's persons",
        Audited("person.search", CASEWORK, "person")),
    _op(f"POST {V1}/persons/search", None, P.persons_manage, Rule.persons_own,
        "search by name or CPR stays inside the organisation", Audited("person.search", CASEWORK, "person")),
    _op(f"POST {V1}/persons", "Mutation.createPerson", P.persons_manage, Rule.persons_own,
        "registration needs a registration consent", Audited("person.create", CASEWORK, "person")),
    _op(f"GET {V1}/persons/{{person_id}}", "Query.person", AUTHENTICATED, Rule.persons_own,
        "whoever may not see the person gets 404 (null), audited; CPR in full only with persons:read_cpr",
        Audited("person.read", CASEWORK, "person")),
    _op(f"PATCH {V1}/persons/{{person_id}}", "Mutation.updatePerson", P.persons_manage, Rule.persons_own,
        "changes need an active registration consent", Audited("person.update", CASEWORK, "person")),
    _op(f"GET {V1}/persons/{{person_id}}/consents", None, P.persons_manage, Rule.persons_own,
        "consent history", Audited("consent.list", CONSENT, "person")),
    _op(f"POST {V1}/persons/{{person_id}}/consents", "Mutation.giveConsent", P.persons_manage, Rule.persons_own,
        "consent is recorded by the organisation holding the person", Audited("consent.give", CONSENT, "person")),
    _op(f"POST {V1}/persons/{{person_id}}/consents/{{consent_id}}/withdraw", "Mutation.withdrawConsent",
        P.persons_manage, Rule.persons_own, "withdrawing the last registration consent erases the person",
        Audited("consent.withdraw", CONSENT, "person")),
    _op(f"GET {V1}/persons/{{person_id}}/loneliness-measurements", None, P.persons_manage, Rule.persons_own,
        "T-ILS history", Audited("measurement.list", CASEWORK, "person")),
    _op(f"POST {V1}/persons/{{person_id}}/loneliness-measurements", "Mutation.recordLonelinessMeasurement",
        P.persons_manage, Rule.persons_own, "T-ILS at intake and follow-up",
        Audited("measurement.record", CASEWORK, "person")),
    _op(f"GET {V1}/persons/{{person_id}}/access-log", "Query.personAccessLog", P.persons_manage, Rule.persons_own,
        "GDPR art. 15: who consulted or changed the person's data, from every organisation",
        Audited("person.access_log", DATA_PROTECTION, "person")),
    _op(f"GET {V1}/persons/{{person_id}}/export", "Query.personExport", P.persons_manage, Rule.persons_own,
        "GDPR art. 15(3)/20: everything held about the person, for the controlling organisation",
        Audited("person.export", DATA_PROTECTION, "person")),
    _op(f"POST {V1}/persons/{{person_id}}/consents/{{consent_id}}/documents", None, P.persons_manage,
        Rule.persons_own, "the signed consent form, stored encrypted",
        Audited("consent_document.upload", CONSENT, "person")),
    _op(f"GET {V1}/persons/{{person_id}}/consents/{{consent_id}}/documents", None, P.persons_manage,
        Rule.persons_own, "the consent's documents (metadata)", Audited("consent_document.list", CONSENT, "person")),
    _op(f"GET {V1}/persons/{{person_id}}/consents/{{consent_id}}/documents/{{document_id}}", None,
        P.persons_manage, Rule.persons_own, "download, audited",
        Audited("consent_document.download", CONSENT, "person")),
    _op(f"GET {V1}/persons/{{person_id}}/links", "Query.personLinks", P.persons_manage, Rule.persons_own,
        "duplicate decisions about the person", Audited("person.links", CASEWORK, "person")),
    _op(f"POST {V1}/persons/{{person_id}}/links", "Mutation.linkDuplicatePerson", P.persons_manage,
        Rule.persons_own, "both persons must be the organisation's own", Audited("person.link", CASEWORK, "person")),
    _op(f"POST {V1}/persons/{{person_id}}/merge", "Mutation.mergePersons", P.persons_manage, Rule.persons_own,
        "a linked duplicate of the organisation's own; the duplicate is erased",
        Audited("person.merge", CASEWORK, "person")),
    _op(f"POST {V1}/persons/{{person_id}}/transfers", "Mutation.requestPersonTransfer", P.persons_manage,
        Rule.persons_own, "the holding organisation asks another to take over",
        Audited("person.transfer_request", CASEWORK, "person")),
    _op(f"GET {V1}/person-transfers", "Query.personTransfers", P.persons_manage, Rule.transfer_party,
        "transfers the organisation sends or receives", Audited("person.transfer_list", CASEWORK, "person")),
    _op(f"GET {V1}/person-transfers/{{transfer_id}}", "Query.personTransfer", P.persons_manage,
        Rule.transfer_party, "the receiver sees only what the consent permits until it accepts",
        Audited("person.transfer_read", CASEWORK, "transfer")),
    _op(f"POST {V1}/person-transfers/{{transfer_id}}/accept", "Mutation.acceptPersonTransfer", P.persons_manage,
        Rule.transfer_receiver, "consents move only where they name the receiver",
        Audited("person.transfer_accept", CASEWORK, "transfer")),
    _op(f"POST {V1}/person-transfers/{{transfer_id}}/cancel", "Mutation.cancelPersonTransfer", P.persons_manage,
        Rule.transfer_party, "the sender cancels, the receiver declines, while pending",
        Audited("person.transfer_cancel", CASEWORK, "transfer")),
    _op(None, "Person.consents", P.persons_manage, Rule.persons_own, "inside a visible person only"),
    _op(None, "Person.lonelinessMeasurements", P.persons_manage, Rule.persons_own, "inside a visible person only"),
    _op(None, "PersonSummary.consents", P.persons_manage, Rule.persons_own, "inside a visible person only"),
    _op(None, "PersonSummary.lonelinessMeasurements", P.persons_manage, Rule.persons_own,
        "inside a visible person only"),
    # --- referrals and contacts (personal data, consent-gated for the provider) -------------------------------
    _op(f"GET {V1}/referrals", "Query.referrals", REFERRAL_ROLES, Rule.referral_party,
        "the closed loop: sent and received referrals", Audited("referral.list", REFERRALS, "referral")),
    _op(f"POST {V1}/referrals", "Mutation.createReferral", P.referrals_send, Rule.persons_own,
        "refer own persons, with a referral_sharing consent naming the provider",
        Audited("referral.create", REFERRALS, "referral")),
    _op(f"GET {V1}/referrals/{{referral_id}}", "Query.referral", REFERRAL_ROLES, Rule.referral_party,
        "the provider sees a consent-gated summary only", Audited("referral.read", REFERRALS, "referral")),
    _op(f"POST {V1}/referrals/{{referral_id}}/transitions", "Mutation.transitionReferral",
        (P.referrals_send, P.referrals_receive), Rule.referral_party,
        "each side takes its own transitions (referrals/workflow)", Audited("referral.transition", REFERRALS,
                                                                           "referral")),
    _op(None, "Referral.person", REFERRAL_ROLES, Rule.referral_party, "the consent-gated summary"),
    _op(None, "Referral.offer", REFERRAL_ROLES, Rule.offers_readable, "the offer, under the offer read rule"),
    _op(None, "Referral.referringOrganisation", REFERRAL_ROLES, Rule.directory, "party to the referral"),
    _op(None, "Referral.providerOrganisation", REFERRAL_ROLES, Rule.directory, "party to the referral"),
    _op(None, "Referral.history", REFERRAL_ROLES, Rule.referral_party, "transitions of a visible referral"),
    _op(f"GET {V1}/events", "Query.events", REFERRAL_ROLES, Rule.referral_party,
        "polling feed: ids and statuses only", Audited("referral.events", REFERRALS, "referral")),
    _op(f"GET {V1}/referrals/{{referral_id}}/contact-agreement", "Query.contactAgreement", P.contacts_manage,
        Rule.consented_provider, "the provider keeps the phone agreement",
        Audited("contact_agreement.read", REFERRALS, "referral")),
    _op(f"PUT {V1}/referrals/{{referral_id}}/contact-agreement", "Mutation.setContactAgreement",
        P.contacts_manage, Rule.consented_provider, "accepted or started referrals only",
        Audited("contact_agreement.set", REFERRALS, "referral")),
    _op(f"GET {V1}/referrals/{{referral_id}}/contacts", "Query.contactLog", P.contacts_manage,
        Rule.consented_provider, "the provider's contact log", Audited("contact_log.list", REFERRALS, "referral")),
    _op(f"POST {V1}/referrals/{{referral_id}}/contacts", "Mutation.logContact", P.contacts_manage,
        Rule.consented_provider, "accepted or started referrals only",
        Audited("contact_log.write", REFERRALS, "referral")),
    _op(f"GET {V1}/contacts/due", "Query.contactsDue", P.contacts_manage, Rule.consented_provider,
        "the provider's agenda", Audited("contact.due", REFERRALS, "referral")),
    # the contact rhythm: endings, parked topics, the five elements, the referrer's summary, follow-ups, goals
    _op(f"POST {V1}/referrals/{{referral_id}}/contact-agreement/close", "Mutation.closeContactAgreement",
        P.contacts_manage, Rule.consented_provider, "the provider ends the agreement well",
        Audited("contact_agreement.close", REFERRALS, "referral")),
    _op(f"GET {V1}/referrals/{{referral_id}}/parked-topics", "Query.parkedTopics", P.contacts_manage,
        Rule.consented_provider, "topics live until resolved", Audited("parked_topic.list", REFERRALS, "referral")),
    _op(f"GET {V1}/referrals/{{referral_id}}/contact-elements", "Query.contactElements", P.contacts_manage,
        Rule.consented_provider, "the five elements over time", Audited("contact_elements.read", REFERRALS,
                                                                         "referral")),
    _op(f"GET {V1}/referrals/{{referral_id}}/contact-summary", "Query.contactSummary", REFERRAL_ROLES,
        Rule.referral_party, "counts, not content; the referrer only while the consent covers the provider",
        Audited("contact_summary.read", REFERRALS, "referral")),
    _op(f"GET {V1}/referrals/{{referral_id}}/follow-ups", "Query.followUps", REFERRAL_ROLES, Rule.referral_party,
        "the T-ILS total for the referrer only", Audited("follow_up.list", REFERRALS, "referral")),
    _op(f"POST {V1}/referrals/{{referral_id}}/follow-up-measurements", "Mutation.recordFollowUpMeasurement",
        REFERRAL_ROLES, Rule.referral_party, "either party, with an outcome_followup consent",
        Audited("follow_up.record", REFERRALS, "referral")),
    _op(f"GET {V1}/follow-ups/due", "Query.followUpsDue", P.referrals_send, Rule.referral_party,
        "the referring organisation's follow-ups", Audited("follow_up.due", REFERRALS, "referral")),
    _op(f"GET {V1}/referrals/{{referral_id}}/goals", "Query.referralGoals", REFERRAL_ROLES, Rule.referral_party,
        "goals agreed with the person", Audited("referral_goal.list", REFERRALS, "referral")),
    _op(f"POST {V1}/referrals/{{referral_id}}/goals", "Mutation.addReferralGoal", REFERRAL_ROLES,
        Rule.referral_party, "while the referral is open", Audited("referral_goal.add", REFERRALS, "referral")),
    _op(f"POST {V1}/referrals/{{referral_id}}/goals/assessment", "Mutation.assessReferralGoals", REFERRAL_ROLES,
        Rule.referral_party, "once the referral has ended", Audited("referral_goal.assess", REFERRALS, "referral")),
    # --- Recommendation 4: mapping, action plan, report (aggregates; never a person) -------------------------
    _op(f"GET {V1}/mapping-entries", "Query.mappingEntries", (P.mapping_submit, P.reports_read),
        Rule.mapping_scope, "ministries read their settings' barriers; others their own entries"),
    _op(f"POST {V1}/mapping-entries", "Mutation.createMappingEntry", P.mapping_submit, Rule.own_organisation,
        "organisations near people report barriers; ministries read"),
    _op(f"GET {V1}/action-plan/measures", "Query.actionPlanMeasures", (P.action_plan_manage, P.reports_read),
        Rule.public_sector, "public-sector plans, for report readers"),
    _op(f"GET {V1}/action-plan/measures/{{measure_id}}", "Query.actionPlanMeasure",
        (P.action_plan_manage, P.reports_read), Rule.public_sector, "public-sector plans, for report readers"),
    _op(f"POST {V1}/action-plan/measures", "Mutation.createActionPlanMeasure", P.action_plan_manage,
        Rule.recording_ministry, "ministries record measures"),
    _op(f"PATCH {V1}/action-plan/measures/{{measure_id}}", "Mutation.updateActionPlanMeasure",
        P.action_plan_manage, Rule.recording_ministry, "only the recording ministry edits"),
    # --- webhooks (thin events: ids only; the receiver reads details with its own token) ---------------------
    _op(f"GET {V1}/webhooks", "Query.webhookEndpoints", P.webhooks_manage, Rule.own_webhooks,
        "the organisation's integrations"),
    _op(f"POST {V1}/webhooks", "Mutation.createWebhookEndpoint", P.webhooks_manage, Rule.own_webhooks,
        "the signing secret is shown once; targets checked (https, no private addresses)"),
    _op(f"GET {V1}/webhooks/events", "Query.webhookEvents", P.webhooks_manage, Rule.own_webhooks,
        "the event feed: every event told to the organisation, e.g. an endpoint disabled after a day of failures"),
    _op(f"GET {V1}/webhooks/{{endpoint_id}}", "Query.webhookEndpoint", P.webhooks_manage, Rule.own_webhooks,
        "never the secret"),
    _op(f"PATCH {V1}/webhooks/{{endpoint_id}}", "Mutation.updateWebhookEndpoint", P.webhooks_manage,
        Rule.own_webhooks, "URL, event types, description, enabled"),
    _op(f"DELETE {V1}/webhooks/{{endpoint_id}}", "Mutation.deleteWebhookEndpoint", P.webhooks_manage,
        Rule.own_webhooks, "with its deliveries and log"),
    _op(f"POST {V1}/webhooks/{{endpoint_id}}/rotate-secret", "Mutation.rotateWebhookSecret", P.webhooks_manage,
        Rule.own_webhooks, "new secret shown once; both sign during the overlap"),
    _op(f"GET {V1}/webhooks/{{endpoint_id}}/deliveries", "Query.webhookDeliveries", P.webhooks_manage,
        Rule.own_webhooks, "delivery state per event; no response bodies"),
    _op(f"GET {V1}/webhooks/{{endpoint_id}}/attempts", None, P.webhooks_manage, Rule.own_webhooks,
        "the delivery log: status code and latency per attempt"),
    _op(f"POST {V1}/webhooks/{{endpoint_id}}/deliveries/{{delivery_id}}/redeliver", "Mutation.redeliverWebhook",
        P.webhooks_manage, Rule.own_webhooks, "same webhook-id, a new retry window"),
    _op(f"GET {V1}/reports/rec4", "Query.rec4Report", P.reports_read, Rule.report_scope,
        "aggregates with disclosure control, within the ministry's or municipality's scope"),
    # --- FHIR R4 door (service/fhir): the same services, rules and audit as the rows above ---------------------
    _op(f"GET {FHIR}/metadata", None, PUBLIC, Rule.none, "CapabilityStatement"),
    _op(f"GET {FHIR}/ServiceRequest", None, REFERRAL_ROLES, Rule.referral_party, "referrals as FHIR",
        Audited("referral.list", REFERRALS, "referral")),
    _op(f"GET {FHIR}/ServiceRequest/{{referral_id}}", None, REFERRAL_ROLES, Rule.referral_party,
        "a referral as FHIR", Audited("referral.read", REFERRALS, "referral")),
    _op(f"GET {FHIR}/Task", None, REFERRAL_ROLES, Rule.referral_party, "the loop's status and outcome",
        Audited("referral.list", REFERRALS, "referral")),
    _op(f"GET {FHIR}/Task/{{referral_id}}", None, REFERRAL_ROLES, Rule.referral_party,
        "the loop's status and outcome", Audited("referral.read", REFERRALS, "referral")),
    _op(f"PUT {FHIR}/Task/{{referral_id}}", None, (P.referrals_send, P.referrals_receive), Rule.referral_party,
        "a new Task status is a referral transition (referrals/workflow)",
        Audited("referral.transition", REFERRALS, "referral")),
    _op(f"PATCH {FHIR}/Task/{{referral_id}}", None, (P.referrals_send, P.referrals_receive),
        Rule.referral_party, "JSON Patch of the Task status, a referral transition",
        Audited("referral.transition", REFERRALS, "referral")),
    _op(f"GET {FHIR}/Consent", None, P.persons_manage, Rule.persons_own, "consent history of one person",
        Audited("consent.list", CONSENT, "person")),
    _op(f"GET {FHIR}/Consent/{{consent_id}}", None, P.persons_manage, Rule.persons_own, "one consent",
        Audited("consent.read", CONSENT, "consent")),
    _op(f"GET {FHIR}/Patient", None, (P.persons_manage, *PROVIDER_ROLES), Rule.patient_view,
        "persons without CPR; a provider only by _id", Audited("person.search", CASEWORK, "person")),
    _op(f"GET {FHIR}/Patient/{{person_id}}", None, (P.persons_manage, *PROVIDER_ROLES), Rule.patient_view,
        "CPR only with persons:read_cpr", Audited("person.read", CASEWORK, "person")),
    _op(f"GET {FHIR}/Organization", None, AUTHENTICATED, Rule.directory, "partners find each other"),
    _op(f"GET {FHIR}/Organization/{{org_id}}", None, AUTHENTICATED, Rule.directory, "partners find each other"),
    _op(f"GET {FHIR}/HealthcareService", None, PUBLIC, Rule.offers_readable, "offers as FHIR"),
    _op(f"GET {FHIR}/HealthcareService/{{offer_id}}", None, PUBLIC, Rule.offers_readable, "an offer as FHIR"),
)


def _index() -> tuple[dict[tuple[str, str], Access], dict[str, Access]]:
    rest: dict[tuple[str, str], Access] = {}
    graphql: dict[str, Access] = {}
    for op in OPERATIONS:
        for table, key in ((rest, op.rest), (graphql, op.graphql)):
            if key is None:
                continue
            if key in table:
                raise ValueError(f"declared twice in the access table: {key}")
            table[key] = op.access  # type: ignore[index]
    return rest, graphql


REST, GRAPHQL = _index()


def _who(access: Access) -> str:
    if isinstance(access.needs, str):
        return access.needs
    return " or ".join(f"`{p.value}`" for p in access.needs)


def render_markdown() -> str:
    """The table as Markdown, for the README."""
    lines = ["| REST | GraphQL | needs (any of) | objects | why |", "|---|---|---|---|---|"]
    for op in OPERATIONS:
        rest = f"`{op.rest[0]} {op.rest[1]}`" if op.rest else ""
        gql = f"`{op.graphql}`" if op.graphql else ""
        audited = " Refusals audited." if op.access.audit else ""
        lines.append(f"| {rest} | {gql} | {_who(op.access)} | {op.access.rule.value} | "
                     f"{op.access.why}.{audited} |")
    return "\n".join(lines) + "\n"


README_BEGIN = "<!-- access-table:begin — generated from service/access.py by `tvaers access-table --write-readme` -->"
README_END = "<!-- access-table:end -->"


def readme_with_table(readme: str) -> str:
    """The README text with the generated section replaced by the current table."""
    head, begin, rest = readme.partition(README_BEGIN)
    _, end, tail = rest.partition(README_END)
    if not begin or not end:
        raise ValueError("the README has no access-table markers")
    return f"{head}{README_BEGIN}\n{render_markdown()}{README_END}{tail}"
