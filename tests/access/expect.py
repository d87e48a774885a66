"""The expected outcome of one (operation, caller, object) case, derived from the operation's row in the access
table (`service/access.py`: `needs` and `rule`) and the ownership/consent rule that row names — never from
what the service answers.

Outcomes: 401 (no token), 403 (no needed permission, or the wrong side of a visible object), 404 (the object
rule hides the object), or OK (through the door and the object rule: 2xx, or a semantic 409/412/422/428).
"""

from service.access import AUTHENTICATED, PUBLIC, Access, Rule
from service.core.permissions import Permission as P
from tests.access.world import Actor, World

OK = "ok"

# Rules that reach every object of their kind once the door let the caller through.
OPEN_RULES = {Rule.none, Rule.public, Rule.directory, Rule.credentials, Rule.self, Rule.public_sector,
              Rule.audit_scope}
# "own organisation" rules, and the permission that widens each to every organisation (system_admin).
OWN_RULES = {Rule.own_organisation: P.organisations_update_any, Rule.accounts: P.users_manage_any,
             Rule.offers_readable: None, Rule.offer_provider: None, Rule.persons_own: None,
             Rule.own_webhooks: None}  # webhooks: strictly the organisation's own, system_admin included


def _door(access: Access, actor: Actor) -> int | None:
    if access.needs == PUBLIC:
        return None
    if actor.org is None:
        return 401
    if access.needs == AUTHENTICATED:
        return None
    return None if actor.permissions & set(access.needs) else 403


def expected(access: Access, actor: Actor, owner: str, world: World, *, has_object: bool,
             side: str = "read") -> int | str:
    """`side`: for referral rules, what the caller does — "read" (any party role) or "act" (a transition)."""
    refused = _door(access, actor)
    if refused is not None:
        return refused
    kind = world.kinds[actor.org] if actor.org else None
    if access.rule == Rule.report_scope:  # a ministry's analysts, a municipality's administrators
        return OK if (actor.role, kind) in {("analyst", "ministry"), ("org_admin", "municipality")} else 403
    if access.rule == Rule.mapping_scope:  # an analyst reads its ministry's settings; others their own entries
        return 403 if actor.role == "analyst" and kind != "ministry" else OK
    if not has_object or access.rule in OPEN_RULES:
        return OK
    return _on_object(access.rule, actor, owner, world, kind, side)


def _on_object(rule: Rule, actor: Actor, owner: str, world: World, kind: str | None, side: str) -> int | str:
    """The rules that depend on whose object it is (an existing object of `owner`)."""
    same = actor.org == owner
    if rule in OWN_RULES:
        if rule == Rule.persons_own:  # full person data: own organisation *and* persons:manage
            return OK if same and P.persons_manage in actor.permissions else 404
        widened = OWN_RULES[rule]
        return OK if same or (widened is not None and widened in actor.permissions) else 404
    if rule == Rule.patient_view:  # the holder in full; the consented provider its summary; anyone else 404
        if same and P.persons_manage in actor.permissions:
            return OK
        provider_roles = {P.referrals_receive, P.contacts_manage}
        return OK if actor.org == world.provider_of[owner] and actor.permissions & provider_roles else 404
    if rule in (Rule.transfer_party, Rule.transfer_receiver):  # the owner's person is being moved to C
        if actor.org == "C":
            return OK
        if same:
            return OK if rule == Rule.transfer_party else 403
        return 404
    if rule == Rule.recording_ministry:
        if kind != "ministry":
            return 403
        return OK if actor.org == "MIN" else 404
    provider = world.provider_of[owner]
    if rule == Rule.referral_party:
        if same:  # the referrer: reads and acts with referrals:send
            return OK if P.referrals_send in actor.permissions else 403
        if actor.org == provider:  # the consented provider
            needed = {P.referrals_receive} if side == "act" else {P.referrals_receive, P.contacts_manage}
            return OK if actor.permissions & needed else 403
        return 404
    if rule == Rule.consented_provider:
        if actor.org == provider:
            return OK if P.contacts_manage in actor.permissions else 403
        return 403 if same else 404  # the referrer sees the referral but does not keep the contacts
    raise AssertionError(f"no expectation derived for rule {rule!r}")
