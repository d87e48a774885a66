"""The operations, read from the PUBLISHED contracts (schema/openapi.json, schema/schema.graphql) — not from the
app — so the matrix covers what integrators are promised; tests/test_access_table.py keeps the contracts and
the access table in step with the app."""

import json
from pathlib import Path

from graphql import GraphQLObjectType, build_schema

from service.access import GRAPHQL

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("get", "post", "put", "patch", "delete")


def rest_operations() -> list[tuple[str, str]]:
    spec = json.loads((ROOT / "schema" / "openapi.json").read_text())
    return sorted((method.upper(), path) for path, item in spec["paths"].items() for method in item
                  if method in METHODS)


def graphql_operations() -> list[str]:
    """Every Query and Mutation field, and every nested field that has a row (a rule) of its own."""
    schema = build_schema((ROOT / "schema" / "schema.graphql").read_text())
    out = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or not isinstance(type_, GraphQLObjectType):
            continue
        for field_name in type_.fields:
            key = f"{name}.{field_name}"
            if name in ("Query", "Mutation") or key in GRAPHQL:
                out.append(key)
    return sorted(out)
