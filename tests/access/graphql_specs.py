"""How the matrix calls each GraphQL operation of the published schema: a document with `%(name)s` holes filled
from the owner's objects (tests/access/world.py `params`), and — for a nested field — the parent operation
whose rule applies first and a `pick` that finds the nested value in the answer (None: refused or hidden).

Inputs are type-valid, so the door and the object rule decide; a domain-level refusal (a Problem 409/412/422)
counts as "through".
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

P = "... on Problem { status }"


@dataclass(frozen=True)
class GqlSpec:
    doc: str
    has_object: bool = False
    parent: str | None = None  # nested: the operation that yields the parent object
    pick: Callable[[dict[str, Any]], Any] | None = None
    provider_doc: str | None = None  # what the referral's provider sends instead
    object_owner: str = "owner"  # "provider": the object belongs to the referral's provider (its offer)
    own_list: bool = False  # observed through a list of the caller's own persons (A and A2 have one each)
    parent_open: bool = False  # the parent is a published offer: readable by anyone


def _dig(*path: Any) -> Callable[[dict[str, Any]], Any]:
    def pick(data: dict[str, Any]) -> Any:
        value: Any = data
        for step in path:
            if value is None:
                return None
            # "*": the first item of a list (None when empty)
            value = (value[0] if value else None) if step == "*" else value.get(step)
        return value
    return pick


ID = '"%(offer_id)s"'
Q = {
    "Query.municipalities": GqlSpec("{ municipalities { code } }"),
    "Query.riskSettings": GqlSpec("{ riskSettings { code } }"),
    "Query.ministries": GqlSpec("{ ministries { code } }"),
    "Query.vocabularies": GqlSpec("{ vocabularies { name codes { code labelDa labelEn } } }"),
    "Query.viewer": GqlSpec("{ viewer { __typename } }"),
    "Query.organisations": GqlSpec("{ organisations { items { id } } }"),
    "Query.organisation": GqlSpec('{ organisation(id: "%(org_id)s") { id } }', True),
    "Query.users": GqlSpec("{ users { items { id } } }"),
    "Query.user": GqlSpec('{ user(id: "%(user_id)s") { id } }', True),
    "Query.offers": GqlSpec("{ offers { items { id } } }"),
    "Query.offer": GqlSpec('{ offer(id: "%(offer_id)s") { id } }', True),
    "Query.persons": GqlSpec("{ persons { items { id } } }"),
    "Query.person": GqlSpec('{ person(id: "%(person_id)s") { id } }', True),
    "Query.personAccessLog": GqlSpec('{ personAccessLog(personId: "%(person_id)s") { items { action } } }', True),
    "Query.personExport": GqlSpec('{ personExport(personId: "%(person_id)s") }', True),
    "Query.mappingEntries": GqlSpec("{ mappingEntries { items { id } } }"),
    "Query.actionPlanMeasures": GqlSpec("{ actionPlanMeasures { items { id } } }"),
    "Query.actionPlanMeasure": GqlSpec('{ actionPlanMeasure(id: "%(measure_id)s") { id } }', True),
    "Query.rec4Report": GqlSpec('{ rec4Report(input: {periodFrom: "2026-01-01", periodTo: "2026-12-31"}) '
                                "{ __typename " + P + " } }"),
    "Query.referrals": GqlSpec("{ referrals { items { id } } }"),
    "Query.referral": GqlSpec('{ referral(id: "%(referral_id)s") { id } }', True),
    "Query.events": GqlSpec("{ events { items { id } } }"),
    "Query.contactsDue": GqlSpec("{ contactsDue { items { referralId } } }"),
    "Query.contactAgreement": GqlSpec('{ contactAgreement(referralId: "%(referral_id)s") { id } }', True),
    "Query.contactLog": GqlSpec('{ contactLog(referralId: "%(referral_id)s") { items { id } } }', True),
    "Query.contactSummary": GqlSpec('{ contactSummary(referralId: "%(referral_id)s") { calls } }', True),
    "Query.contactElements": GqlSpec('{ contactElements(referralId: "%(referral_id)s") { contacts } }', True),
    "Query.parkedTopics": GqlSpec('{ parkedTopics(referralId: "%(referral_id)s") { items { id } } }', True),
    "Query.followUps": GqlSpec('{ followUps(referralId: "%(referral_id)s") { items { id } } }', True),
    "Query.followUpsDue": GqlSpec("{ followUpsDue { items { id } } }"),
    "Query.referralGoals": GqlSpec('{ referralGoals(referralId: "%(referral_id)s") { items { id } } }', True),
    "Query.webhookEndpoints": GqlSpec("{ webhookEndpoints { items { id } } }"),
    "Query.webhookEndpoint": GqlSpec('{ webhookEndpoint(id: "%(endpoint_id)s") { id } }', True),
    "Query.webhookDeliveries": GqlSpec('{ webhookDeliveries(endpointId: "%(endpoint_id)s") { items { id } } }', True),
    "Query.webhookEvents": GqlSpec("{ webhookEvents { items { id } } }"),
    "Query.personLinks": GqlSpec('{ personLinks(personId: "%(person_id)s") { items { id } } }', True),
    "Query.personTransfers": GqlSpec("{ personTransfers { items { id } } }"),
    "Query.personTransfer": GqlSpec('{ personTransfer(id: "%(transfer_id)s") { id } }', True),
}

M = {
    "Mutation.createOrganisation": GqlSpec('mutation { createOrganisation(input: {name: "X", kind: school, '
                                           'municipalityCode: "0101"}) { __typename ' + P + " } }"),
    "Mutation.updateOrganisation": GqlSpec('mutation { updateOrganisation(id: "%(org_id)s", input: '
                                           '{email: "kontakt@example.org"}) { __typename ' + P + " } }", True),
    "Mutation.createUser": GqlSpec('mutation { createUser(input: {username: "!", password: "kort", '
                                   'organisationId: "%(org_id)s", role: caseworker}) { __typename ' + P + " } }"),
    "Mutation.updateUser": GqlSpec('mutation { updateUser(id: "%(user_id)s", input: {active: true}) '
                                   "{ __typename " + P + " } }", True),
    "Mutation.createApiClient": GqlSpec('mutation { createApiClient(input: {name: "", organisationId: '
                                        '"%(org_id)s", role: caseworker}) { __typename ' + P + " } }"),
    "Mutation.updateApiClient": GqlSpec('mutation { updateApiClient(id: "%(client_pk)s", input: {name: "Ny"}) '
                                        "{ __typename " + P + " } }", True),
    "Mutation.createOffer": GqlSpec('mutation { createOffer(input: {title: "", description: "", '
                                    "category: phone_friend, mode: phone}) { __typename " + P + " } }"),
    # JSON carries no file: past the role check the door answers 422 (the real upload: test_offers_import_graphql)
    "Mutation.importOffers": GqlSpec('mutation { importOffers(file: "title") { __typename ' + P + " } }"),
    "Mutation.updateOffer": GqlSpec('mutation { updateOffer(id: "%(offer_id)s", version: 1, input: '
                                    '{title: "Ny titel"}) { __typename ' + P + " } }", True),
    "Mutation.changeOfferStatus": GqlSpec('mutation { changeOfferStatus(id: "%(offer_id)s", status: published) '
                                          "{ __typename " + P + " } }", True),
    "Mutation.createPerson": GqlSpec('mutation { createPerson(input: {givenName: "", familyName: "", '
                                     'municipalityCode: "x", riskSettings: [], consent: {purposes: [], '
                                     'givenBy: self, method: written, consentTextVersion: ""}}) '
                                     "{ __typename " + P + " } }"),
    "Mutation.updatePerson": GqlSpec('mutation { updatePerson(id: "%(person_id)s", version: 1, input: '
                                     '{interests: ["strik"]}) { __typename ' + P + " } }", True),
    "Mutation.giveConsent": GqlSpec('mutation { giveConsent(personId: "%(person_id)s", input: {purposes: '
                                    '[outcome_followup], givenBy: self, method: written, consentTextVersion: '
                                    '"2026-1"}) { __typename ' + P + " } }", True),
    "Mutation.withdrawConsent": GqlSpec('mutation { withdrawConsent(personId: "%(person_id)s", consentId: '
                                        '"%(consent_id)s", purposes: [contact]) { __typename ' + P + " } }", True),
    "Mutation.recordLonelinessMeasurement": GqlSpec(
        'mutation { recordLonelinessMeasurement(personId: "%(person_id)s", input: {item1: 2, item2: 3, item3: 2, '
        "context: intake}) { __typename " + P + " } }", True),
    "Mutation.createMappingEntry": GqlSpec('mutation { createMappingEntry(input: {riskSetting: "", '
                                           'municipalityCode: "", barrierType: other, description: "", '
                                           'proposedChange: ""}) { __typename ' + P + " } }"),
    "Mutation.createActionPlanMeasure": GqlSpec('mutation { createActionPlanMeasure(input: {title: "", '
                                                'description: "", riskSettings: [], startDate: "2026-01-01"}) '
                                                "{ __typename " + P + " } }"),
    "Mutation.updateActionPlanMeasure": GqlSpec('mutation { updateActionPlanMeasure(id: "%(measure_id)s", '
                                                'version: 1, input: {title: "Nyt navn"}) { __typename ' + P + " } }",
                                                True),
    "Mutation.createReferral": GqlSpec('mutation { createReferral(input: {personId: "%(person_id)s", offerId: '
                                       '"%(offer_id)s"}) { __typename ' + P + " } }", True),
    "Mutation.transitionReferral": GqlSpec(
        'mutation { transitionReferral(id: "%(referral_id)s", input: {action: withdraw}) { __typename ' + P + " } }",
        True, provider_doc='mutation { transitionReferral(id: "%(referral_id)s", input: {action: start}) '
                           "{ __typename " + P + " } }"),
    "Mutation.setContactAgreement": GqlSpec(
        'mutation { setContactAgreement(referralId: "%(referral_id)s", input: {channel: phone, cadence: weekly}) '
        "{ __typename " + P + " } }", True),
    "Mutation.logContact": GqlSpec(
        'mutation { logContact(referralId: "%(referral_id)s", input: {contactedAt: "2026-01-05T10:00:00Z", '
        "durationMinutes: 20, channel: phone}) { __typename " + P + " } }", True),
    "Mutation.closeContactAgreement": GqlSpec(
        'mutation { closeContactAgreement(referralId: "%(referral_id)s", input: {ending: person_declined}) '
        "{ __typename " + P + " } }", True),
    "Mutation.recordFollowUpMeasurement": GqlSpec(
        'mutation { recordFollowUpMeasurement(referralId: "%(referral_id)s", input: {followUpId: '
        '"00000000-0000-4000-8000-000000000000", item1: 2, item2: 2, item3: 1}) { __typename ' + P + " } }", True),
    "Mutation.addReferralGoal": GqlSpec(
        'mutation { addReferralGoal(referralId: "%(referral_id)s", input: {text: "Komme ud"}) '
        "{ __typename " + P + " } }", True),
    "Mutation.assessReferralGoals": GqlSpec(
        'mutation { assessReferralGoals(referralId: "%(referral_id)s", input: [{goalId: '
        '"00000000-0000-4000-8000-000000000000", reached: true}]) { __typename ' + P + " } }", True),
    "Mutation.linkDuplicatePerson": GqlSpec('mutation { linkDuplicatePerson(personId: "%(person_id)s", '
                                            'otherPersonId: "%(twin_id)s") { __typename ' + P + " } }", True),
    "Mutation.mergePersons": GqlSpec('mutation { mergePersons(personId: "%(person_id)s", duplicatePersonId: '
                                     '"%(twin_id)s") { __typename ' + P + " } }", True),
    "Mutation.requestPersonTransfer": GqlSpec('mutation { requestPersonTransfer(personId: "%(person_id)s", '
                                              'toOrganisationId: "%(org_c)s") { __typename ' + P + " } }", True),
    "Mutation.acceptPersonTransfer": GqlSpec('mutation { acceptPersonTransfer(id: "%(transfer_id)s") '
                                             "{ __typename " + P + " } }", True),
    "Mutation.cancelPersonTransfer": GqlSpec('mutation { cancelPersonTransfer(id: "%(transfer_id)s") '
                                             "{ __typename " + P + " } }", True),
    # a loopback target: refused (422) after the door without resolving any name
    "Mutation.createWebhookEndpoint": GqlSpec('mutation { createWebhookEndpoint(input: {url: "https://127.0.0.1/h", '
                                              "eventTypes: [referral_sent]}) { __typename " + P + " } }"),
    "Mutation.updateWebhookEndpoint": GqlSpec('mutation { updateWebhookEndpoint(id: "%(endpoint_id)s", input: '
                                              '{description: "Matrix"}) { __typename ' + P + " } }", True),
    "Mutation.deleteWebhookEndpoint": GqlSpec('mutation { deleteWebhookEndpoint(id: "%(endpoint_id)s") '
                                              "{ __typename " + P + " } }", True),
    "Mutation.rotateWebhookSecret": GqlSpec('mutation { rotateWebhookSecret(id: "%(endpoint_id)s", overlapHours: 1) '
                                            "{ __typename " + P + " } }", True),
    "Mutation.redeliverWebhook": GqlSpec('mutation { redeliverWebhook(endpointId: "%(endpoint_id)s", deliveryId: '
                                         '"%(delivery_id)s") { __typename ' + P + " } }", True),
}

PERSON = '{ person(id: "%(person_id)s") { id NESTED } }'
REFERRAL = '{ referral(id: "%(referral_id)s") { id NESTED } }'
NESTED = {
    "Viewer.organisation": GqlSpec("{ viewer { organisation { id } } }", parent="Query.viewer",
                                   pick=_dig("viewer", "organisation")),
    "User.organisation": GqlSpec('{ user(id: "%(user_id)s") { organisation { id } } }', True, "Query.user",
                                 _dig("user", "organisation")),
    "Offer.organisation": GqlSpec('{ offer(id: "%(service_id)s") { organisation { id } } }', True, "Query.offer",
                                  _dig("offer", "organisation"), parent_open=True),
    "Offer.providerName": GqlSpec('{ offer(id: "%(service_id)s") { providerName } }', True, "Query.offer",
                                  _dig("offer", "providerName"), parent_open=True),
    "Person.consents": GqlSpec(PERSON.replace("NESTED", "consents { id }"), True, "Query.person",
                               _dig("person", "consents")),
    "Person.lonelinessMeasurements": GqlSpec(PERSON.replace("NESTED", "lonelinessMeasurements { items { total } }"),
                                             True, "Query.person", _dig("person", "lonelinessMeasurements")),
    "PersonSummary.consents": GqlSpec("{ persons { items { consents { id } } } }", parent="Query.persons",
                                      pick=_dig("persons", "items", "*", "consents"), own_list=True),
    "PersonSummary.lonelinessMeasurements": GqlSpec(
        "{ persons { items { lonelinessMeasurements { items { total } } } } }", parent="Query.persons",
        pick=_dig("persons", "items", "*", "lonelinessMeasurements"), own_list=True),
    "Referral.person": GqlSpec(REFERRAL.replace("NESTED", "person { givenName }"), True, "Query.referral",
                               _dig("referral", "person")),
    "Referral.offer": GqlSpec(REFERRAL.replace("NESTED", "offer { id status }"), True, "Query.referral",
                              _dig("referral", "offer"), object_owner="provider"),
    "Referral.referringOrganisation": GqlSpec(REFERRAL.replace("NESTED", "referringOrganisation { id }"), True,
                                              "Query.referral", _dig("referral", "referringOrganisation")),
    "Referral.providerOrganisation": GqlSpec(REFERRAL.replace("NESTED", "providerOrganisation { id }"), True,
                                             "Query.referral", _dig("referral", "providerOrganisation")),
    "Referral.history": GqlSpec(REFERRAL.replace("NESTED", "history { action }"), True, "Query.referral",
                                _dig("referral", "history")),
}

GRAPHQL: dict[str, GqlSpec] = {**Q, **M, **NESTED}
