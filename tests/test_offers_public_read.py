"""The public offer read (REST, GraphQL and HSDS) names the provider, says who the offer is for, how to join and
how to get there, and lists the next meetings computed from the schedule in Danish local time."""

from datetime import UTC, date, datetime

from service.offers.schedule import next_occurrences
from tests.offers_support import make_offer

__all__ = ["make_offer"]

TEXTS = {"eligibility": "Voksne over 60, der bor alene", "intake": "Ring til Grethe på 12345678 og aftal et besøg",
         "transport_notes": "Bus 5C til Nørrebros Runddel; handicapparkering ved døren"}


def test_rest_read_has_provider_texts_and_next_occurrences(client, make_org, make_offer):
    org = make_org(kind="civil_society", name="Røde Kors Nørrebro")
    offer = make_offer(org, **TEXTS, schedule={"freq": "weekly", "weekdays": ["TH"], "start_time": "17:30",
                                               "end_time": "19:30", "valid_from": "2026-01-01"})
    read = client.get(f"/api/v1/offers/{offer.id}").json()  # anonymous: the directory is public
    assert read["provider_name"] == "Røde Kors Nørrebro"
    assert {k: read[k] for k in TEXTS} == TEXTS
    upcoming = read["next_occurrences"]
    assert len(upcoming) == 5
    starts = [datetime.fromisoformat(o["starts_at"]) for o in upcoming]
    assert all(s.weekday() == 3 and (s.hour, s.minute) == (17, 30) for s in starts)
    assert all(s > datetime.now(UTC) for s in starts) and starts == sorted(starts)
    assert datetime.fromisoformat(upcoming[0]["ends_at"]) - starts[0] == (starts[0].replace(hour=19) - starts[0])
    listed = client.get("/api/v1/offers").json()["items"][0]
    assert listed["provider_name"] == "Røde Kors Nørrebro" and listed["next_occurrences"] == upcoming


def test_by_agreement_has_no_occurrences_and_dst_keeps_the_wall_clock():
    assert next_occurrences({"by_agreement": True}, date(2026, 1, 1), datetime(2026, 3, 1, tzinfo=UTC)) == []
    weekly = {"freq": "weekly", "weekdays": ["SU"], "start_time": "10:00", "end_time": "11:00"}
    around_dst = next_occurrences(weekly, date(2026, 3, 1), datetime(2026, 3, 20, tzinfo=UTC), count=3)
    # 29 March 2026: Denmark moves to summer time; the meeting stays at 10:00 local (09:00 → 08:00 UTC).
    assert [s.strftime("%d %H:%M %z") for s, _ in around_dst] == ["22 10:00 +0100", "29 10:00 +0200",
                                                                     "05 10:00 +0200"]
    every_other = {**weekly, "interval": 2, "valid_from": "2026-03-01"}
    dates = [s.date() for s, _ in next_occurrences(every_other, date(2026, 1, 1), datetime(2026, 3, 2, tzinfo=UTC),
                                                   count=2)]
    assert dates == [date(2026, 3, 15), date(2026, 3, 29)]  # counted from valid_from, every read alike
    ended = {**weekly, "valid_to": "2026-01-31"}
    assert next_occurrences(ended, date(2026, 1, 1), datetime(2026, 3, 1, tzinfo=UTC)) == []


def test_graphql_and_hsds_carry_the_same(client, gql, make_org, make_offer):
    org = make_org(kind="civil_society", name="Mødestedet")
    offer = make_offer(org, **TEXTS, latitude=55.69, longitude=12.55)
    data = gql("""query($id: UUID!) { offer(id: $id) { providerName eligibility intake transportNotes
                   nextOccurrences { startsAt endsAt } } }""", {"id": str(offer.id)})["data"]["offer"]
    assert data["providerName"] == "Mødestedet" and data["intake"] == TEXTS["intake"]
    assert data["transportNotes"] == TEXTS["transport_notes"] and len(data["nextOccurrences"]) == 5
    hsds = client.get(f"/api/v1/hsds/services/{offer.id}").json()
    assert hsds["organization"]["name"] == "Mødestedet"
    assert hsds["eligibility_description"].startswith(TEXTS["eligibility"])
    assert hsds["application_process"] == TEXTS["intake"]
    assert hsds["service_at_locations"][0]["location"]["transportation"] == TEXTS["transport_notes"]
    assert hsds["schedules"][0]["description"].startswith("Næste gange: ")
