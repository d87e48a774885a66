"""A receiving provider (or the referrer, to cancel) moves the loop by writing the Task: `PUT` with the whole
Task or `PATCH` with a JSON Patch (RFC 6902, `jsonpatch`). The new `Task.status` names the referral
transition (`service/referrals/workflow.py`), carried out by the referrals service like any REST or GraphQL
transition — same sides, same 409 for an illegal move, same audit.

Only the loop may change: `status`, with `statusReason` (a reason code, to decline or end early) and
`output` (the outcome, to complete). Anything else differing from the current Task is a 422. `If-Match`
(W/"<versionId>") is optional as on the REST transition; a stale one is a 412. The referral is locked before
its version is compared, so two writers holding the same version cannot both win.
"""

import uuid
from typing import Any

import jsonpatch
from fhir.resources.R4B.task import Task
from pydantic import ValidationError
from sqlalchemy.orm import Session

from service.core.errors import BadRequest, Conflict, PreconditionFailed, Unprocessable, field_errors
from service.core.principal import Principal
from service.fhir import resources
from service.referrals import transitions
from service.referrals.dto import ReferralRead, TransitionRequest
from service.referrals.workflow import Action

# Task.status a client may write → the referral action it means.
STATUS_ACTIONS: dict[str, Action] = {"accepted": Action.accept, "rejected": Action.decline,
                                     "in-progress": Action.start, "completed": Action.complete,
                                     "failed": Action.end_early, "cancelled": Action.withdraw}
MUTABLE = frozenset({"status", "statusReason", "output", "businessStatus", "meta", "lastModified",
                     "executionPeriod", "text"})
TASK_STATUSES = frozenset({"draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
                           "in-progress", "on-hold", "failed", "completed", "entered-in-error"})
REASONED = frozenset({Action.decline, Action.end_early, Action.withdraw})
MAX_PATCH_OPERATIONS = 50


def _code(concept: Any, system: str) -> str | None:
    if not isinstance(concept, dict):
        return None
    for c in concept.get("coding") or []:
        if isinstance(c, dict) and c.get("system") == system and isinstance(c.get("code"), str):
            return str(c["code"])
    return None


def _outcome(doc: dict[str, Any]) -> str | None:
    for out in doc.get("output") or []:
        if isinstance(out, dict) and _code(out.get("type"), resources.OUTPUT_TYPE) == "outcome":
            return _code(out.get("valueCodeableConcept"), resources.OUTCOME_SYSTEM)
    return None


def _locked(session: Session, principal: Principal, referral_id: uuid.UUID, expected: int | None) -> ReferralRead:
    referral = transitions.locked(session, principal, referral_id)
    if expected is not None and expected != referral.version:
        raise PreconditionFailed("The Task was changed since you read it; read it again.",
                                 headers={"ETag": f'W/"{referral.version}"'}, current_version=referral.version)
    return referral


def _validated(doc: Any, referral_id: uuid.UUID) -> dict[str, Any]:
    if not isinstance(doc, dict) or doc.get("resourceType") != "Task":
        raise BadRequest("The body must be a Task resource.", errors=[
            {"field": "resourceType", "message": "must be Task", "code": "invalid_resource"}])
    if doc.get("id") != str(referral_id):
        raise BadRequest("The Task's id must be the id in the URL.", errors=[
            {"field": "id", "message": "does not match the URL", "code": "id_mismatch"}])
    if doc.get("status") not in TASK_STATUSES:  # the models take any code; the value set is required
        raise BadRequest("Task.status is not a code of http://hl7.org/fhir/task-status.", errors=[
            {"field": "status", "message": "not a task-status code", "code": "invalid_code"}])
    try:
        Task.model_validate(doc)
    except ValidationError as exc:
        raise BadRequest("The body is not a valid FHIR R4 Task.", errors=field_errors(list(exc.errors()))) from exc
    return doc


def apply(session: Session, principal: Principal, referral_id: uuid.UUID, wanted: dict[str, Any],
          expected: int | None) -> ReferralRead:
    """Make the referral's Task look like `wanted` (a validated Task), by one transition."""
    referral = _locked(session, principal, referral_id, expected)
    current = resources.task(referral)
    changed = sorted(k for k in set(current) | set(wanted) if k not in MUTABLE and current.get(k) != wanted.get(k))
    if changed:
        raise Unprocessable("Only the Task's status, statusReason and output may change.",
                            errors=[{"field": k, "message": "may not change", "code": "immutable"}
                                    for k in changed[:20]])
    status = wanted.get("status")
    if status == current["status"]:
        if _code(wanted.get("statusReason"), resources.REASON_SYSTEM) != referral.reason_code \
                or _outcome(wanted) != referral.outcome:
            raise Unprocessable("statusReason and output change only with the status.",
                                errors=[{"field": "status", "message": "unchanged", "code": "no_transition"}])
        return referral  # nothing to do: a repeated PUT is harmless
    action = STATUS_ACTIONS.get(str(status))
    if action is None:
        raise Conflict("No referral transition leads to this Task status.", current_status=referral.status,
                       allowed_task_statuses=sorted(STATUS_ACTIONS))
    # A reason or outcome left on the Task from an earlier step is not part of this move.
    fields: dict[str, Any] = {"action": action}
    reason = _code(wanted.get("statusReason"), resources.REASON_SYSTEM)
    if reason and (action in REASONED or reason != referral.reason_code):
        fields["reason_code"] = reason
    outcome = _outcome(wanted)
    if outcome and (action == Action.complete or outcome != referral.outcome):
        fields["outcome"] = outcome
    try:
        request = TransitionRequest.model_validate(fields)
    except ValidationError as exc:
        raise Unprocessable("The Task does not describe a valid transition; see errors.",
                            errors=field_errors(list(exc.errors()))) from exc
    return transitions.transition(session, principal, referral_id, request)


def put(session: Session, principal: Principal, referral_id: uuid.UUID, body: Any,
        expected: int | None) -> ReferralRead:
    return apply(session, principal, referral_id, _validated(body, referral_id), expected)


def patch(session: Session, principal: Principal, referral_id: uuid.UUID, body: Any,
          expected: int | None) -> ReferralRead:
    if not isinstance(body, list) or not body or len(body) > MAX_PATCH_OPERATIONS:
        raise BadRequest(f"Send a JSON Patch: an array of 1 to {MAX_PATCH_OPERATIONS} operations.")
    try:
        operations = jsonpatch.JsonPatch(body)
    except (jsonpatch.InvalidJsonPatch, TypeError, KeyError) as exc:
        raise BadRequest("The JSON Patch is malformed.") from exc
    referral = _locked(session, principal, referral_id, expected)
    try:
        wanted = operations.apply(resources.task(referral))
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, KeyError,
            IndexError, ValueError) as exc:
        raise Unprocessable("The JSON Patch cannot be applied to the current Task.", errors=[
            {"field": None, "message": "patch not applicable", "code": "patch_failed"}]) from exc
    return apply(session, principal, referral_id, _validated(wanted, referral_id), None)
