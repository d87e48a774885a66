"""The benchmark tools run for real on a tiny dataset (PostgreSQL only, like the benchmark itself)."""

from sqlalchemy import func, select

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
    import sys

    from bench.rec4 import main

    sys.argv = ["rec4", "--runs", "2", "--few"]
    main()
    out = capsys.readouterr().out
    assert "national, by risk_setting" in out and " ms" in out
