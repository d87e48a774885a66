"""Possible duplicates (Danish spellings, day and month swapped), confirmed links and merges with their audit
trail, and a canary scan after a merge. Fictitious people only."""

import os
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from service.audit.models import AuditEvent
from service.persons.models import Consent, LonelinessMeasurement, Person, PersonLink
from service.persons.similar import fold_name, fuzzy_key
from service.referrals.models import Referral
from tests.offers_support import make_offer  # noqa: F401  (fixture)
from tests.persons_helpers import counts, create_person, events, person_body
from tests.referrals_support import World, sharing_consent, world_fixture  # noqa: F401  (fixture)
from tests.test_erasure_canary import scan

EXAMPLES = int(os.environ.get("TVAERS_HYPOTHESIS_EXAMPLES", "60"))


def _post(client: Any, actor: Any, **over: Any) -> Any:
    return client.post("/api/v1/persons", json=person_body(**over), headers=actor.headers)


@pytest.mark.parametrize("first,second", [
    ({"given_name": "Karen", "family_name": "Sørensen"}, {"given_name": "Karen", "family_name": "Soerensen"}),
    ({"given_name": "Åse", "family_name": "Ærø"}, {"given_name": "Aase", "family_name": "Aeroe"}),
    ({"given_name": "Karen", "family_name": "Aagaard"}, {"given_name": "karen", "family_name": "Ågaard"}),
    ({"given_name": "Anne-Marie", "family_name": "Holm"}, {"given_name": "Anne Marie", "family_name": "Holm"}),
    ({"given_name": "Karen", "family_name": "Holm", "birth_date": "1950-03-04"},
     {"given_name": "Karen", "family_name": "Holm", "birth_date": "1950-04-03"}),
])
def test_a_possible_duplicate_is_answered_with_its_candidates_and_nothing_is_written(client, make_user, db,
                                                                                      first, second):
    caseworker = make_user("caseworker")
    existing = create_person(client, caseworker, **first)
    before = counts(db)
    resp = _post(client, caseworker, **second)
    assert resp.status_code == 409, resp.text
    problem = resp.json()
    assert problem["type"].endswith("/possible-duplicate")
    assert problem["candidate_ids"] == [existing["id"]]
    assert problem["errors"][0]["code"] == "possible_duplicate"
    for value in (*first.values(), *second.values()):  # no name or birth date in the answer
        assert str(value) not in resp.text
    assert counts(db) == before
    refused = events(db, "person.create", outcome="refused")
    assert refused and refused[-1].reason == "possible_duplicate" and refused[-1].criterion == {"candidates": 1}


def test_confirming_registers_and_records_the_decision_so_the_pair_is_not_flagged_again(client, make_user, db):
    caseworker = make_user("caseworker")
    existing = create_person(client, caseworker, family_name="Sørensen")
    created = _post(client, caseworker, family_name="Soerensen", confirm_not_duplicate=True)
    assert created.status_code == 201, created.text
    link = db.scalar(select(PersonLink).where(PersonLink.person_id == uuid.UUID(created.json()["id"])))
    assert link is not None and link.kind == "not_duplicate" and str(link.other_person_id) == existing["id"]
    listed = client.get(f"/api/v1/persons/{existing['id']}/links", headers=caseworker.headers)
    assert [entry["kind"] for entry in listed.json()["items"]] == ["not_duplicate"]
    # a third spelling is still flagged, naming both
    third = _post(client, caseworker, family_name="Sö-rensen")
    assert third.status_code == 409
    assert set(third.json()["candidate_ids"]) == {existing["id"], created.json()["id"]}


def test_another_organisations_persons_are_never_candidates(client, make_user, make_org):
    mine, theirs = make_user("caseworker"), make_user("caseworker", make_org(name="Anden Kommune"))
    create_person(client, theirs, family_name="Sørensen")
    resp = _post(client, mine, family_name="Soerensen")
    assert resp.status_code == 201, resp.text


def test_erased_persons_are_not_candidates(client, make_user):
    caseworker = make_user("caseworker")
    gone = create_person(client, caseworker, family_name="Sørensen")
    consent = client.get(f"/api/v1/persons/{gone['id']}/consents", headers=caseworker.headers).json()["items"][0]
    assert client.post(f"/api/v1/persons/{gone['id']}/consents/{consent['id']}/withdraw", json={},
                       headers=caseworker.headers).status_code == 200
    assert _post(client, caseworker, family_name="Soerensen").status_code == 201


CREATE = """mutation($input: PersonCreateInput!) { createPerson(input: $input) {
  __typename ... on Person { id } ... on Problem { status type candidateIds } } }"""


def test_graphql_answers_the_same_problem_and_accepts_the_confirmation(client, make_user, gql):
    caseworker = make_user("caseworker")
    existing = create_person(client, caseworker, given_name="Åse")
    variables = {"input": {"givenName": "Aase", "familyName": "Eksempel", "birthDate": "1990-01-01",
                           "municipalityCode": "0101", "riskSettings": [{"code": "nursing_home"}],
                           "consent": {"purposes": ["registration"], "givenBy": "self", "method": "written",
                                       "consentTextVersion": "2026-1"}}}
    problem = gql(CREATE, variables, caseworker)["data"]["createPerson"]
    assert problem["status"] == 409 and problem["candidateIds"] == [existing["id"]]
    variables["input"]["confirmNotDuplicate"] = True
    assert gql(CREATE, variables, caseworker)["data"]["createPerson"]["__typename"] == "Person"


# --- the rule as a property: generated spellings are found, unrelated persons are not ---------------------------

_VARIANTS = {"æ": ["ae", "Æ", "AE"], "ø": ["oe", "Ø", "OE"], "å": ["aa", "Å", "AA"], "é": ["e"]}
names = st.text(alphabet="abdefghiklmnoprstuvyæøåé", min_size=2, max_size=12)
births = st.dates(min_value=date(1920, 1, 1), max_value=date(2015, 12, 31))


def _respell(name: str, choices: list[int]) -> str:
    """A variant a caseworker might type: Danish letters spelled out or capitalised, case and hyphens changed."""
    out = []
    for ch, pick in zip(name, choices + [0] * len(name), strict=False):
        options = [ch, ch.upper(), *_VARIANTS.get(ch, [])]
        out.append(options[pick % len(options)])
    return "-".join(["".join(out)[:1], "".join(out)[1:]]) if choices and choices[0] % 5 == 4 else "".join(out)


def _transposed(born: date) -> date:
    try:
        return born.replace(month=born.day, day=born.month)
    except ValueError:
        return born


@settings(max_examples=EXAMPLES * 5, deadline=None)
@given(given_name=names, family=names, born=births, choices=st.lists(st.integers(0, 9), max_size=12),
       swap=st.booleans())
def test_generated_spellings_share_the_key(given_name, family, born, choices, swap):
    variant_born = _transposed(born) if swap else born
    assert fuzzy_key(_respell(given_name, choices), _respell(family, choices[::-1]), variant_born) == \
        fuzzy_key(given_name, family, born)


@settings(max_examples=EXAMPLES * 5, deadline=None)
@given(a=names, b=names, born=births, other_born=births)
def test_unrelated_persons_do_not_share_the_key(a, b, born, other_born):
    """A different family name, or a birth date that is not the same day with day and month swapped, differs."""
    if fold_name(a) != fold_name(b):
        assert fuzzy_key("Karen", a, born) != fuzzy_key("Karen", b, born)
    if other_born not in (born, _transposed(born)):
        assert fuzzy_key("Karen", a, born) != fuzzy_key("Karen", a, other_born)


@pytest.mark.slow
@settings(max_examples=max(EXAMPLES // 4, 5), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(family=names, born=births, choices=st.lists(st.integers(0, 9), max_size=12), swap=st.booleans(),
       unrelated_shift=st.integers(1, 300))
def test_registration_flags_generated_variants_and_not_unrelated_persons(client, connection, make_user, family,
                                                                         born, choices, swap, unrelated_shift):
    savepoint = connection.begin_nested()
    try:
        caseworker = make_user("caseworker")
        first = _post(client, caseworker, family_name=family, birth_date=born.isoformat())
        assert first.status_code == 201, first.text
        variant_born = _transposed(born) if swap else born
        variant = _post(client, caseworker, family_name=_respell(family, choices),
                        birth_date=variant_born.isoformat())
        assert variant.status_code == 409, variant.text
        problem = variant.json()  # an exact duplicate (same case-folded spelling) is the stricter 409
        assert (problem.get("candidate_ids") or [problem.get("existing_id")]) == [first.json()["id"]]
        unrelated_born = born + timedelta(days=unrelated_shift)
        if unrelated_born == _transposed(born):
            unrelated_born += timedelta(days=1)
        unrelated = _post(client, caseworker, family_name=family + "sen", birth_date=unrelated_born.isoformat())
        assert unrelated.status_code == 201, unrelated.text
    finally:
        savepoint.rollback()


# --- link and merge ----------------------------------------------------------------------------------------------

def _two(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    kept = w.person(given_name="Qorvinaa", family_name="Blik-Kanarisen", birth_date="1931-03-04", cpr=None,
                    phone="+45 11 22 33 44", email=None)
    duplicate = create_person(
        w.client, w.caseworker, given_name="Qorvinå", family_name="Blikkanarissen", birth_date="1931-04-03",
        notes="Dubletnote-7731", interests=["Dubletstrik-7731"], email="dublet.7731@example.org",
        confirm_not_duplicate=True,
        consent=sharing_consent(recipients=[str(w.org_b.id)], purposes=["registration", "referral_sharing"],
                                representative_name="Værge Dublet-7731", given_by="guardian"))
    return kept, duplicate


def test_a_linked_duplicate_is_merged_consents_referrals_and_measurements_move_and_the_record_is_erased(w_dup):
    w, kept, duplicate = w_dup
    h = w.caseworker.headers
    referral = w.refer(duplicate, shared_categories=[])
    assert w.client.post(f"/api/v1/persons/{duplicate['id']}/loneliness-measurements", headers=h, json={
        "item1": 3, "item2": 3, "item3": 2, "context": "intake", "measured_at": "2026-01-05T10:00:00Z"}
    ).status_code == 201
    refused = w.client.post(f"/api/v1/persons/{kept['id']}/merge", headers=h,
                            json={"duplicate_person_id": duplicate["id"]})
    assert refused.status_code == 409 and refused.json()["errors"][0]["code"] == "not_linked"
    link = w.client.post(f"/api/v1/persons/{kept['id']}/links", headers=h, json={"other_person_id": duplicate["id"]})
    assert link.status_code == 201 and link.json()["kind"] == "duplicate"
    before_scan = scan(w.db, {"notes": "Dubletnote-7731", "interest": "Dubletstrik-7731"})
    assert {("person", "notes", "notes"), ("person", "interests", "interest")} <= before_scan
    merged = w.client.post(f"/api/v1/persons/{kept['id']}/merge", headers=h,
                           json={"duplicate_person_id": duplicate["id"]})
    assert merged.status_code == 200, merged.text
    assert merged.json()["moved"] == {"consent": 1, "referral": 1, "loneliness_measurement": 1}
    w.db.expire_all()
    kept_id, dup_id = uuid.UUID(kept["id"]), uuid.UUID(duplicate["id"])
    assert w.db.scalar(select(Referral.person_id).where(Referral.id == uuid.UUID(referral["id"]))) == kept_id
    assert {c.person_id for c in w.db.scalars(select(Consent).where(Consent.person_id.in_([kept_id, dup_id])))} \
        == {kept_id}
    assert w.db.scalar(select(LonelinessMeasurement.person_id)) == kept_id
    gone, survivor = w.db.get_one(Person, dup_id), w.db.get_one(Person, kept_id)
    assert gone.status == "erased" and gone.given_name is None and gone.name_key is None and gone.fuzzy_key is None
    assert survivor.email == "dublet.7731@example.org" and survivor.phone == "+45 11 22 33 44"
    assert survivor.loneliness_latest_total == 8
    # the provider still sees the referral, now of the kept person, under the moved consent
    assert w.client.get(f"/api/v1/referrals/{referral['id']}", headers=w.coordinator.headers).status_code == 200
    # the duplicate's own values are gone from every table (the e-mail moved on purpose)
    assert scan(w.db, {"notes": "Dubletnote-7731", "interest": "Dubletstrik-7731", "given": "Qorvinå",
                       "family": "Blikkanarissen", "born": "1931-04-03"}) == set()
    # audited on both persons, naming ids only
    merges = list(w.db.scalars(select(AuditEvent).where(AuditEvent.action == "person.merge")))
    assert {e.subject_id for e in merges} == {kept["id"], duplicate["id"]}
    log = w.client.get(f"/api/v1/persons/{kept['id']}/access-log", headers=h).json()["items"]
    assert "person.merge" in {e["action"] for e in log}
    again = w.client.post(f"/api/v1/persons/{kept['id']}/merge", headers=h,
                          json={"duplicate_person_id": duplicate["id"]})
    assert again.status_code == 409


@pytest.fixture(name="w_dup")
def w_dup_fixture(world: World) -> tuple[World, dict[str, Any], dict[str, Any]]:
    kept, duplicate = _two(world)
    return world, kept, duplicate


def test_only_the_organisations_own_persons_can_be_linked_or_merged(w_dup):
    w, kept, duplicate = w_dup
    stranger = create_person(w.client, w.outsider_caseworker, given_name="Fremmed")
    for path, body in (("links", {"other_person_id": stranger["id"]}),
                       ("merge", {"duplicate_person_id": stranger["id"]})):
        resp = w.client.post(f"/api/v1/persons/{kept['id']}/{path}", json=body, headers=w.caseworker.headers)
        assert resp.status_code == 404, resp.text
    resp = w.client.post(f"/api/v1/persons/{kept['id']}/links", json={"other_person_id": kept["id"]},
                         headers=w.caseworker.headers)
    assert resp.status_code == 422


LINK = """mutation($p: UUID!, $o: UUID!) { linkDuplicatePerson(personId: $p, otherPersonId: $o) {
  __typename ... on PersonLink { kind } ... on Problem { status } } }"""
MERGE = """mutation($p: UUID!, $o: UUID!) { mergePersons(personId: $p, duplicatePersonId: $o) {
  __typename ... on PersonMergeResult { movedRows movedTables } ... on Problem { status } } }"""


def test_graphql_links_and_merges(w_dup, gql):
    w, kept, duplicate = w_dup
    ids = {"p": kept["id"], "o": duplicate["id"]}
    assert gql(MERGE, ids, w.caseworker)["data"]["mergePersons"] == {"__typename": "Problem", "status": 409}
    assert gql(LINK, ids, w.caseworker)["data"]["linkDuplicatePerson"]["kind"] == "duplicate"
    links = gql('query($p: UUID!) { personLinks(personId: $p) { items { kind otherPersonId } } }', ids, w.caseworker)
    assert links["data"]["personLinks"]["items"][-1] == {"kind": "duplicate", "otherPersonId": duplicate["id"]}
    done = gql(MERGE, ids, w.caseworker)["data"]["mergePersons"]
    assert done["movedTables"] == ["consent"] and done["movedRows"] == 1


def test_a_change_of_name_or_birth_date_to_a_possible_duplicate_is_refused_unless_confirmed(client, make_user, db,
                                                                                           gql):
    caseworker = make_user("caseworker")
    existing = create_person(client, caseworker, given_name="Åse", family_name="Sørensen", birth_date="1941-05-03")
    other = create_person(client, caseworker, given_name="Ole", family_name="Holm", birth_date="1941-05-03")
    url, match = f"/api/v1/persons/{other['id']}", {**caseworker.headers, "If-Match": '"1"'}
    before = counts(db)
    for change in ({"given_name": "Aase", "family_name": "Soerensen"},
                   {"given_name": "Aase", "family_name": "Soerensen", "birth_date": "1941-03-05"}):
        refused = client.patch(url, json=change, headers=match)
        assert refused.status_code == 409 and refused.json()["type"].endswith("/possible-duplicate"), refused.text
        assert refused.json()["candidate_ids"] == [existing["id"]] and "Soerensen" not in refused.text
    assert counts(db) == before
    db.expire_all()
    assert db.get_one(Person, uuid.UUID(other["id"])).given_name == "Ole"
    assert events(db, "person.update", outcome="refused")[-1].reason == "possible_duplicate"
    # other fields change freely: the name is not looked at again
    assert client.patch(url, json={"notes": "flyttet"}, headers=match).status_code == 200
    # through GraphQL the same rule, and confirming records the decision
    mutation = """mutation($id: UUID!, $input: PersonUpdateInput!) { updatePerson(id: $id, version: 2,
      input: $input) {
      __typename ... on Problem { status type } } }"""
    answer = gql(mutation, {"id": other["id"], "input": {"givenName": "Aase", "familyName": "Soerensen"}},
                 caseworker)
    assert answer["data"]["updatePerson"]["status"] == 409, answer
    answer = gql(mutation, {"id": other["id"], "input": {"givenName": "Aase", "familyName": "Soerensen",
                                                         "confirmNotDuplicate": True}}, caseworker)
    assert answer["data"]["updatePerson"]["__typename"] == "Person", answer
    link = db.scalar(select(PersonLink).where(PersonLink.person_id == uuid.UUID(other["id"])))
    assert link is not None and link.kind == "not_duplicate" and str(link.other_person_id) == existing["id"]
    # the decided pair is not flagged again when the name changes once more
    assert client.patch(url, json={"given_name": "Åse"}, headers={**caseworker.headers, "If-Match": '"3"'}
                        ).status_code == 200
