"""Services return read models; doors never see ORM rows (issue #12).

Every function of service/ that a door calls — REST routers, the GraphQL adapter (schema/), the FHIR door — is
found by reading the doors' source, and its return annotation must not mention a table model (a SQLModel class
with a table), however nested (`tuple[list[Offer], str | None]`). A verb that hands a door a row lets the door
present it — and decide what the caller sees — outside the domain's read rule; this test finds the next one.
"""

import ast
import importlib
import inspect
import types
import typing
from pathlib import Path

from sqlmodel import SQLModel

import service.models  # noqa: F401  (every table class is mapped, so annotations resolve)

ROOT = Path(__file__).resolve().parents[1]


def door_modules() -> list[Path]:
    service_dir = ROOT / "service"
    paths = set(service_dir.glob("*/router.py")) | set(service_dir.glob("*/*_router.py"))
    paths |= set((service_dir / "fhir").glob("*.py")) | set((ROOT / "schema").glob("*.py"))
    paths |= {service_dir / "api.py", service_dir / "door.py"}
    return sorted(p for p in paths if p.exists())


def table_classes(annotation: object) -> set[str]:
    """The table models an annotation names, at any depth (unions, tuples, lists, dicts)."""
    found = set()
    if isinstance(annotation, type) and issubclass(annotation, SQLModel) and hasattr(annotation, "__table__"):
        found.add(annotation.__name__)
    for arg in typing.get_args(annotation):
        found |= table_classes(arg)
    return found


def called_service_functions(path: Path) -> dict[str, tuple[str, typing.Any]]:
    """`module.func(...)` and imported `func(...)` calls of the door at `path` into another service module:
    qualified name → (first place, function)."""
    module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    out: dict[str, tuple[str, typing.Any]] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        target = None
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            base = getattr(module, node.func.value.id, None)
            if isinstance(base, types.ModuleType) and base.__name__.startswith("service."):
                target = getattr(base, node.func.attr, None)
        elif isinstance(node.func, ast.Name):
            target = getattr(module, node.func.id, None)
        if inspect.isfunction(target) and target.__module__.startswith("service.") \
                and target.__module__ != module.__name__:
            name = f"{target.__module__}.{target.__name__}"
            out.setdefault(name, (f"{path.relative_to(ROOT)}:{node.lineno}", target))
    return out


def test_no_service_function_a_door_calls_returns_an_orm_row():
    calls: dict[str, tuple[str, typing.Any]] = {}
    for path in door_modules():
        for name, found in called_service_functions(path).items():
            calls.setdefault(name, found)
    # The scan sees the doors' verbs (else it would pass by finding nothing).
    assert {"service.offers.service.get", "service.referrals.service.list_referrals",
            "service.referrals.transitions.transition", "service.organisations.service.read"} <= set(calls)
    unannotated = sorted(f"{where} {name}" for name, (where, function) in calls.items()
                         if "return" not in typing.get_type_hints(function))
    assert unannotated == [], "annotate what these return (the check below reads the annotation):\n" + "\n".join(
        unannotated)
    offenders = sorted(f"{where} {name} -> {sorted(rows)}" for name, (where, function) in calls.items()
                       if (rows := table_classes(typing.get_type_hints(function).get("return"))))
    assert offenders == [], "a door receives ORM rows; return the domain's read model instead:\n" + "\n".join(
        offenders)


def test_the_detector_sees_a_row_however_nested():
    """The check itself can fail: a function that returns rows (the import's shared write) is caught."""
    from service.offers.service import add_offer
    from service.referrals.guards import load
    from service.referrals.models import Referral

    assert table_classes(typing.get_type_hints(add_offer)["return"]) == {"Offer"}
    assert table_classes(typing.get_type_hints(load)["return"]) == {"Referral"}
    assert table_classes(tuple[list[Referral], str | None]) == {"Referral"}
    assert table_classes(dict[str, Referral | None]) == {"Referral"}


def test_no_door_reaches_a_removed_row_twin():
    """`get_model` and `present_one` were how doors got rows and presented them; they stay gone."""
    from service.offers import service as offers
    from service.referrals import service as referrals

    assert not hasattr(referrals, "get_model")
    assert not hasattr(offers, "present_one") and not hasattr(offers, "present")
