"""Finding offers the way people type: Danish letters fold both ways, relevance ranks the list when `q` is
given, and the distance filter (`near` + `within_km`) keeps nationwide offers and never locates a hidden one."""

from hypothesis import given, settings
from hypothesis import strategies as st

from service.core.folding import fold
from service.offers.search import KM_PER_DEGREE, mid_cos
from tests.offers_support import CONFIDENTIAL, make_offer

__all__ = ["make_offer"]

# Copenhagen City Hall; Roskilde is ~30 km west, Aarhus ~155 km north-west.
CPH = (55.6761, 12.5683)
ROSKILDE = (55.6415, 12.0803)
AARHUS = (56.1567, 10.2108)
DANISH_PAIRS = [("æ", "ae"), ("ø", "oe"), ("å", "aa"), ("Æ", "AE"), ("Ø", "OE"), ("Å", "AA")]


def _titles(client, query: str, actor=None) -> list[str]:
    resp = client.get(f"/api/v1/offers?{query}", headers=actor.headers if actor else {})
    assert resp.status_code == 200, resp.text
    return [o["title"] for o in resp.json()["items"]]


def test_danish_letters_fold_both_ways(client, make_org, make_offer):
    org = make_org(kind="civil_society")
    make_offer(org, title="Læsevenner for ældre", city="Århus", municipality_codes=["0751"])
    make_offer(org, title="Aarhus Strikkeklub", city="Aarhus", municipality_codes=["0751"])
    make_offer(org, title="Soeren og Maries gaardcafe", description="Kaffe i gården", municipality_codes=["0101"])
    assert _titles(client, "q=laese") == ["Læsevenner for ældre"]
    assert _titles(client, "q=LÆSE") == ["Læsevenner for ældre"]
    assert set(_titles(client, "q=Århus")) == {"Læsevenner for ældre", "Aarhus Strikkeklub"}
    assert set(_titles(client, "q=aarhus")) == {"Læsevenner for ældre", "Aarhus Strikkeklub"}
    assert _titles(client, "q=Søren") == ["Soeren og Maries gaardcafe"]
    assert _titles(client, "q=gårdcafé") == ["Soeren og Maries gaardcafe"]
    assert _titles(client, "q=ældre%20læse") == ["Læsevenner for ældre"]  # every word, any order
    assert _titles(client, "q=%25%25") == []  # LIKE wildcards are text, and punctuation-only matches nothing


def test_relevance_ranks_when_q_is_given_and_pages_keep_the_order(client, make_org, make_offer):
    org = make_org(kind="civil_society")
    make_offer(org, title="Aftenhygge", description="Vi spiller kort og strikker", municipality_codes=["0101"])
    make_offer(org, title="Café Strik", municipality_codes=["0101"])
    make_offer(org, title="Strikkecafé", municipality_codes=["0101"])
    make_offer(org, title="Hyggestrik", municipality_codes=["0101"])
    expected = ["Strikkecafé", "Café Strik", "Hyggestrik", "Aftenhygge"]
    assert _titles(client, "q=strik") == expected
    seen, cursor = [], None
    while True:
        query = "q=strik&limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/api/v1/offers?{query}").json()
        seen += [o["title"] for o in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == expected
    assert _titles(client, "category=shared_meal") == sorted(_titles(client, "category=shared_meal"))


def test_distance_filter_keeps_nationwide_and_never_locates_a_hidden_offer(client, make_org, make_offer, make_user):
    provider = make_org(kind="civil_society")
    make_offer(provider, title="København", latitude=CPH[0], longitude=CPH[1])
    make_offer(provider, title="Roskilde", latitude=ROSKILDE[0], longitude=ROSKILDE[1], municipality_codes=["0265"])
    make_offer(provider, title="Aarhus", latitude=AARHUS[0], longitude=AARHUS[1], municipality_codes=["0751"])
    make_offer(provider, title="Telefon", mode="phone", nationwide=True, municipality_codes=[], address=None,
               postcode=None, city=None)
    make_offer(provider, title="Uden koordinater", latitude=None, longitude=None)
    make_offer(provider, **{**CONFIDENTIAL, "title": "Krisecenter", "latitude": 55.68, "longitude": 12.57})
    near = f"near={CPH[0]},{CPH[1]}"
    assert sorted(_titles(client, f"{near}&within_km=10")) == ["København", "Telefon"]
    assert sorted(_titles(client, f"{near}&within_km=40")) == ["København", "Roskilde", "Telefon"]
    assert sorted(_titles(client, f"{near}&within_km=200")) == ["Aarhus", "København", "Roskilde", "Telefon"]
    staff = make_user("coordinator", provider)
    assert "Krisecenter" in _titles(client, f"{near}&within_km=10", staff)  # the provider may see its location
    assert client.get(f"/api/v1/offers?{near}").status_code == 422
    assert client.get("/api/v1/offers?near=91,12&within_km=5").status_code == 422
    assert client.get(f"/api/v1/offers?{near}&within_km=0").status_code == 422


def test_distance_approximation_agrees_with_great_circle():
    import math

    def haversine(a, b):
        (la1, lo1), (la2, lo2) = (map(math.radians, a)), (map(math.radians, b))
        h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
        return 2 * 6371.0 * math.asin(math.sqrt(h))

    def approximate(a, b):
        dy = (b[0] - a[0]) * KM_PER_DEGREE
        dx = (b[1] - a[1]) * KM_PER_DEGREE * mid_cos(b[0], a[0])
        return math.hypot(dx, dy)

    skagen, gedser, esbjerg, bornholm = (57.7209, 10.5839), (54.5740, 11.9270), (55.4765, 8.4594), (55.1, 14.9)
    for a, b in ((CPH, ROSKILDE), (CPH, AARHUS), (skagen, gedser), (esbjerg, bornholm), (gedser, skagen)):
        assert abs(approximate(a, b) - haversine(a, b)) / haversine(a, b) < 0.001, (a, b)


def test_graphql_search_folds_and_filters_by_distance(gql, make_org, make_offer):
    org = make_org(kind="civil_society")
    make_offer(org, title="Læsevenner", latitude=CPH[0], longitude=CPH[1])
    make_offer(org, title="Læseklub Aarhus", latitude=AARHUS[0], longitude=AARHUS[1], municipality_codes=["0751"])
    query = """query($f: OfferFilter) { offers(filter: $f) { items { title providerName } } }"""
    data = gql(query, {"f": {"q": "laese", "near": {"latitude": CPH[0], "longitude": CPH[1]}, "withinKm": 20}})
    assert data["data"]["offers"]["items"] == [{"title": "Læsevenner", "providerName": org.name}]
    bad = gql(query, {"f": {"near": {"latitude": CPH[0], "longitude": CPH[1]}}})
    assert bad["data"] is None and bad["errors"][0]["extensions"]["status"] == 422


danish_words = st.text(alphabet="abdefghijklmnoprstuvyæøåÆØÅ", min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(danish_words)
def test_folding_is_symmetric_for_danish_words(word):
    """A word and its transliteration (æ→ae, ø→oe, å→aa) fold alike, in either case: searching either finds
    the other, because the search compares folded text with folded text."""
    spelled = word
    for letter, plain in DANISH_PAIRS:
        spelled = spelled.replace(letter, plain)
    assert fold(word) == fold(spelled) == fold(word.upper()) == fold(spelled.lower())
    assert fold(word) in fold(f"Klubben {spelled}sen") and fold(spelled) in fold(f"Klubben {word}sen")


def test_upgrade_fills_the_folded_columns_of_existing_offers(tmp_path):
    """0017_directory folds the texts of offers written before it, so they are found like new ones."""
    import uuid

    from sqlalchemy import create_engine, text

    from service.migrations import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0013_webhook_secrets")
    org, offer = uuid.uuid4().hex, uuid.uuid4().hex
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisation (id, name, kind, municipality_code, is_national, created_at, "
                          "updated_at) VALUES (:id, 'Forening', 'civil_society', '0101', 0, '2026-01-01', "
                          "'2026-01-01')"), {"id": org})
        conn.execute(text("INSERT INTO offer (id, organisation_id, title, description, category, mode, nationwide, "
                          "address, city, confidential_location, seats_taken, cost_free, status, version, created_at, "
                          "updated_at) VALUES (:id, :org, 'Læsevenner', 'Højtlæsning', 'culture', 'in_person', 0, "
                          "'Åboulevard 3', 'Århus', 0, 0, 1, 'published', 1, '2026-01-01', '2026-01-01')"),
                     {"id": offer, "org": org})
    engine.dispose()
    upgrade(url)
    with create_engine(url).connect() as conn:
        row = conn.execute(text("SELECT title_folded, search_text, address_folded, external_id FROM offer")).one()
    assert tuple(row) == ("laesevenner", "laesevenner | aarhus | hoejtlaesning", "aaboulevard 3", None)
