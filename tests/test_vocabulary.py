"""One vocabulary: every enum a DTO uses is a registered code list with a Danish and an English label for every
code, served by REST and GraphQL. The test enumerates the DTOs, so a new code list without labels fails here."""

import enum
import importlib
import pkgutil
import typing

from pydantic import BaseModel

import service
import service.vocabularies  # noqa: F401  (the application registers them in wire(); the test imports directly)
from service.reference.vocabulary import vocabularies


def _enums_in_dtos() -> dict[type[enum.Enum], str]:
    found: dict[type[enum.Enum], str] = {}

    def walk(tp: typing.Any, seen: set[type], where: str) -> None:
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            found.setdefault(tp, where)
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp not in seen:
                seen.add(tp)
                for name, field in tp.model_fields.items():
                    walk(field.annotation, seen, f"{tp.__module__}.{tp.__name__}.{name}")
        else:
            for arg in typing.get_args(tp):
                walk(arg, seen, where)

    for module in pkgutil.walk_packages(service.__path__, "service."):
        if module.name.rsplit(".", 1)[-1] not in ("dto", "schedule"):
            continue
        loaded = importlib.import_module(module.name)
        for value in vars(loaded).values():
            if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == loaded.__name__:
                walk(value, set(), value.__name__)
    return found


def test_every_enum_of_every_dto_has_danish_and_english_labels():
    enums = _enums_in_dtos()
    assert len(enums) >= 20  # the walk finds them (categories, modes, elements, reasons, outcomes, …)
    registered = {v.enum: v for v in vocabularies() if v.enum is not None}
    unregistered = sorted(f"{e.__module__}.{e.__name__} (used by {where})" for e, where in enums.items()
                          if e not in registered)
    assert not unregistered, "register these in service/vocabularies.py: " + "; ".join(unregistered)
    unlabelled = {v.name: v.missing() for v in vocabularies() if v.missing()}
    assert not unlabelled, f"codes without a Danish and an English label: {unlabelled}"
    for v in vocabularies():
        assert len({v.label(c, "da") for c in v.codes()}) == len(v.codes()), f"{v.name}: two codes, one label"


def test_rest_and_graphql_serve_the_same_labels(client, gql):
    rest = client.get("/api/v1/reference/vocabularies").json()
    assert rest["next_cursor"] is None  # every list fits the default page
    by_name = {v["name"]: v for v in rest["items"]}
    for name in ("offer_category", "offer_mode", "accessibility", "psychosocial_element", "reason_code",
                 "referral_outcome"):
        assert by_name[name]["codes"], name
    elements = {c["code"]: (c["label_da"], c["label_en"]) for c in by_name["psychosocial_element"]["codes"]}
    assert ("Fællesskab", "Connectedness") in elements.values() and ("Håb", "Hope") in elements.values()
    assert {c["code"]: c["label_da"] for c in by_name["offer_category"]["codes"]}["phone_friend"] == "Telefonven"
    only = client.get("/api/v1/reference/vocabularies?name=offer_mode&name=reason_code").json()["items"]
    assert [v["name"] for v in only] == ["offer_mode", "reason_code"]
    assert client.get("/api/v1/reference/vocabularies?name=DROP%20TABLE").status_code == 422
    data = gql("{ vocabularies { name codes { code labelDa labelEn } } }")["data"]["vocabularies"]
    assert {v["name"]: [(c["code"], c["labelDa"], c["labelEn"]) for c in v["codes"]] for v in data} == {
        v["name"]: [(c["code"], c["label_da"], c["label_en"]) for c in v["codes"]] for v in rest["items"]}


def test_vocabularies_page_with_limit_and_cursor(client):
    everything = [v["name"] for v in client.get("/api/v1/reference/vocabularies?limit=200").json()["items"]]
    assert everything == sorted(everything)
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/reference/vocabularies?limit=7" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [v["name"] for v in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
    assert client.get("/api/v1/reference/vocabularies?cursor=not-a-cursor").status_code == 400
