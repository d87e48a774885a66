"""Cross-domain reactions are wired in one explicit place (`service.wiring.wire()`), never by importing a module:
importing every domain registers nothing; `wire()` registers each reaction once, in order — and hands the web
edge its token check and refusal audit (unwired, the edge refuses to serve)."""

import subprocess
import sys

PROBE = """
import importlib, pkgutil, service
for m in pkgutil.walk_packages(service.__path__, 'service.'):
    if m.name not in ('service.server', 'service.cli', 'service.__main__'):
        importlib.import_module(m.name)
from service.events import subscribed
from service.offers.policy import _LOCATION_GRANTS
from service.persons.consents import on_consent_withdrawn
from service.events.offers import _AUDIENCES
from service.audit.service import _SUBJECT_PERSONS
from service.persons.keys import _KEYED_STORES
from service.web import edge_hooks
def edge():
    try:
        hooks = edge_hooks.edge_hooks()
    except RuntimeError:
        return None
    return hooks.verify_token.__module__ + '.' + hooks.verify_token.__name__
def names():
    return ([f.__module__ + '.' + f.__name__ for f in on_consent_withdrawn],
            [g.__name__ for g in _LOCATION_GRANTS], [h.__name__ for h in subscribed()],
            [a.__module__ + '.' + a.__name__ for a in _AUDIENCES],
            {k: f.__module__ + '.' + f.__name__ for k, f in _SUBJECT_PERSONS.items()},
            [s.name for s in _KEYED_STORES], edge())
print(names())
from service.wiring import wire
wire(); wire()
print(names())
"""


def test_importing_registers_nothing_and_wire_registers_each_reaction_once_in_order():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    before, after = out.stdout.strip().splitlines()[-2:]
    assert before == "([], ['_provider_grant'], [], [], {}, [], None)"
    assert after == ("(['service.referrals.transitions.on_consent_ended', "
                     "'service.persons.documents.on_consent_ended', 'service.referrals.audiences.consent_ended'], "
                     "['_provider_grant', 'accepted_referral_grant'], ['on_events', 'fan_out'], "
                     "['service.referrals.audiences.open_referrers'], "
                     "{'referral': 'service.referrals.audiences.person_of'}, ['webhook_secrets'], "
                     "'service.auth.tokens.principal_from_token')")
