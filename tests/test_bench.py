"""The benchmark tools run for real on a tiny dataset (PostgreSQL only, like the benchmark itself)."""

from sqlalchemy import func, select, text

from bench.generate import generate
from service.offers.models import Offer
from service.persons.models import Person
from service.referrals.models import Referral
from tests.conftest import postgres_only


@postgres_only
def test_generator_fills_every_municipality_and_the_report_runs(committed, capsys):
    generate(persons=600, offers=120, referrals_per_person=3, chunk=250)
    assert committed.scalar(select(func.count()).select_from(Person)) == 600
    assert committed.scalar(select(func.count()).select_from(Referral)) == 1800
    assert committed.scalar(select(func.count()).select_from(Offer)) == 120
    assert committed.scalar(select(func.count(func.distinct(Person.municipality_code)))) == 98
    assert "generated in" in capsys.readouterr().out
    # written with the rows as the service writes them: record keys, and the change against the latest intake
    assert committed.scalar(select(func.count(func.distinct(Referral.record_key)))) > 1000
    assert committed.scalar(select(func.count(func.distinct(Person.record_key)))) > 400
    wrong = committed.scalar(text("""
        SELECT count(*) FROM loneliness_measurement f WHERE f.context = 'follow_up' AND f.tils_change IS DISTINCT FROM
            f.total - (SELECT i.total FROM loneliness_measurement i WHERE i.person_id = f.person_id
                       AND i.context = 'intake' AND i.measured_at <= f.measured_at
                       ORDER BY i.measured_at DESC LIMIT 1)"""))
    assert wrong == 0
    assert committed.scalar(text("SELECT count(*) FROM loneliness_measurement WHERE context = 'follow_up'")) > 0
    import sys

    from bench.rec4 import main

    sys.argv = ["rec4", "--runs", "2", "--few"]
    main()
    out = capsys.readouterr().out
    assert "national, by risk_setting" in out and " ms" in out
