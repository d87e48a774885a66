"""bench/graphql_vs_rest.py runs for real on a tiny page: both doors answer the same persons, and the ratio and
the statement counts are printed from the same run."""

from bench.graphql_vs_rest import compare
from tests.test_persons_graphql import _seed


def test_graphql_vs_rest_compares_the_same_page(client, make_user, db, engine):
    actor = make_user("caseworker")
    _seed(db, actor.organisation_id, actor.id, 60)
    result = compare(client, actor.headers, rounds=2, requests=1, engine=engine)
    assert result["rest"] > 0 and result["graphql"] > 0 and result["ratio"] > 0
    assert result["statements"]["graphql"] <= result["statements"]["rest"]
