"""Migrations, published contracts, settings, health and the deployment files."""

import json
from pathlib import Path

import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import inspect

from service.cli import published_contracts
from service.core.db import metadata
from service.core.settings import DEFAULT_CPR_ENCRYPTION_KEY, DEFAULT_CPR_HASH_KEY, DEFAULT_SECRET, Settings
from service.migrations import head_revisions

ROOT = Path(__file__).resolve().parents[1]


def test_migrations_at_head_match_the_models(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert set(ctx.get_current_heads()) == head_revisions()
        diff = compare_metadata(ctx, metadata)
    assert diff == [], diff


def test_naming_convention_names_the_constraints_in_the_database(engine):
    inspector = inspect(engine)
    assert [u["name"] for u in inspector.get_unique_constraints("organisation")] == ["uq_organisation_cvr"]
    assert [f["name"] for f in inspector.get_foreign_keys("app_user")] == ["fk_app_user_organisation_id_organisation"]
    assert "ix_organisation_name" in {i["name"] for i in inspector.get_indexes("organisation")}


def test_published_contracts_equal_what_the_app_serves(client):
    sdl, openapi = published_contracts()
    assert (ROOT / "schema" / "schema.graphql").read_text() == sdl, "run `tvaers export-schema`"
    assert (ROOT / "schema" / "openapi.json").read_text() == openapi, "run `tvaers export-schema`"
    assert json.loads(openapi) == json.loads(json.dumps(client.get("/openapi.json").json(), sort_keys=True))


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["migrations"] == "head"


def test_production_refuses_default_or_weak_secrets():
    for secret in (DEFAULT_SECRET, "short"):
        with pytest.raises(ValidationError):
            Settings(env="production", secret_key=secret)
    keys = {"cpr_encryption_key": "e" * 40, "cpr_hash_key": "h" * 40, "audit_checkpoint_key": "a" * 40}
    ok = Settings(env="production", secret_key="x" * 40, **keys)
    assert ok.is_production
    for weak in ({"cpr_encryption_key": DEFAULT_CPR_ENCRYPTION_KEY}, {"cpr_hash_key": DEFAULT_CPR_HASH_KEY},
                 {"cpr_hash_key": "short"}, {"cpr_hash_key": "e" * 40}):
        with pytest.raises(ValidationError):
            Settings(env="production", secret_key="x" * 40, **{**keys, **weak})


def test_production_disables_introspection():
    from schema.root import build_schema

    prod = build_schema(production=True)
    result = prod.execute_sync("{ __schema { types { name } } }")
    assert result.errors
    dev = build_schema(production=False).execute_sync("{ __schema { queryType { name } } }")
    assert not dev.errors


def test_graphql_depth_and_alias_limits(gql, make_user):
    actor = make_user("org_admin")
    aliases = " ".join(f"a{i}: viewer {{ name }}" for i in range(30))
    assert "errors" in gql("{ " + aliases + " }", actor=actor)
    assert gql("{ viewer { name } }", actor=actor)["data"]["viewer"]["name"] == actor.user.username


def test_graphql_rejects_unknown_request_fields_and_get(client):
    resp = client.post("/graphql", json={"query": "{ viewer { name } }", "bogus": 1})
    assert resp.status_code == 422
    assert client.get("/graphql", headers={"accept": "text/html"}).status_code == 200
    not_html = client.get("/graphql", headers={"accept": "application/json"})
    assert not_html.status_code == 405 and not_html.headers["allow"] == "POST"


def test_docker_compose_runs_postgres_migrate_and_api():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:16")
    assert "healthcheck" in services["db"]
    assert services["migrate"]["command"] == ["tvaers", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    api = services["api"]
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert api["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert api["environment"]["TVAERS_ENV"] == "production"


def test_a_failing_graphql_resolver_is_logged_without_its_message(caplog):
    from graphql import GraphQLError

    from schema.error_logging import client_error
    from schema.root import build_schema

    secret = "INSERT failed for Karen Eksempel, 0101901234"
    try:
        raise RuntimeError(secret)  # the frame's source line is logged; the message must not be
    except RuntimeError as exc:
        err = GraphQLError(secret, original_error=exc, path=["createPerson"])
    caplog.set_level("INFO")
    build_schema().process_errors([err])
    assert "RuntimeError" in caplog.text and "createPerson" in caplog.text and "test_platform.py" in caplog.text
    assert "Karen" not in caplog.text and "0101901234" not in caplog.text
    assert client_error(err) == {"message": "Internal error.", "path": ["createPerson"], "extensions": {"status": 500}}


def test_server_logs_carry_neither_query_strings_nor_exception_messages(caplog):
    import logging

    from service.logging import configure_logging

    configure_logging()
    caplog.set_level("INFO")
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET",
                                             "/api/v1/persons?name=Karen", "1.1", 200)
    secret = "duplicate key (cpr_hash)=(0101901234) for Karen Eksempel"
    try:
        raise ValueError(secret)
    except ValueError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    assert "GET /api/v1/persons HTTP/1.1" in caplog.text and "Exception in ASGI application: ValueError" in caplog.text
    assert "test_platform.py" in caplog.text  # the frames stay, for the operator
    assert "Karen" not in caplog.text and "0101901234" not in caplog.text


def test_database_errors_do_not_quote_their_parameters(engine):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with engine.connect() as conn, pytest.raises(DBAPIError) as caught:
        conn.execute(text("INSERT INTO no_such_table (name) VALUES (:name)"), {"name": "Karen Eksempel"})
    assert "Karen" not in str(caught.value)


def test_a_value_the_database_refuses_is_a_422_problem_not_a_500():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from sqlalchemy.exc import DataError

    from service.web.problems import install_problem_handlers

    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise DataError("INSERT ...", {"name": "Karen"}, Exception("value out of range for Karen"))

    resp = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert resp.status_code == 422 and resp.headers["content-type"].startswith("application/problem+json")
    assert "Karen" not in resp.text and "cannot be stored" in resp.json()["detail"]
