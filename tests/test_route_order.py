"""The REST inclusions are ordered by traffic (service/api.py), not by domain; that is safe only while no route's
literal path is taken by an earlier route's parameter. Every published operation is requested at its own path
(parameters filled with a UUID) without a token, and the request event must name that operation's own template:
had a reordering let `/referrals/{referral_id}` swallow `/referrals/events`, the event would name the former."""

import logging
import re

from service.main import create_app


def _operations() -> list[tuple[str, str]]:
    paths = create_app().openapi()["paths"]
    return [(method.upper(), path) for path, item in paths.items() for method in item
            if method in {"get", "post", "put", "patch", "delete"}]


def test_every_operation_is_answered_by_its_own_route(client, caplog):
    operations = _operations()
    assert len(operations) > 80, "the published contract lists the API"
    caplog.set_level(logging.INFO, logger="tvaers.request")
    wrong = []
    for method, template in operations:
        caplog.clear()
        concrete = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000001", template)
        status = client.request(method, concrete).status_code
        events = [r for r in caplog.records if r.name == "tvaers.request"]
        assert len(events) == 1, (method, template)
        route = getattr(events[0], "route", None)
        if route != template or status == 405:
            wrong.append((method, template, route, status))
    assert not wrong, wrong
