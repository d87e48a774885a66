from alembic import context
from sqlalchemy import engine_from_config, pool

import service.models  # noqa: F401  (registers every table on the metadata)
from service.core.db import _enable_sqlite_transactions, metadata

config = context.config


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      literal_binds=True, compare_type=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                    poolclass=pool.NullPool)
        if engine.dialect.name == "sqlite":
            _enable_sqlite_transactions(engine)
        with engine.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    sqlite = connection.dialect.name == "sqlite"
    if sqlite and not connection.in_transaction():
        # Batch migrations rebuild a table by copy, drop and rename; with foreign keys enforced, dropping a
        # table that other rows reference fails. Switch enforcement off (only possible outside a transaction)
        # and check every reference once the migrations are through.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    # on_version_apply: `tvaers db upgrade` reports progress per revision (service.migrations.upgrade)
    context.configure(connection=connection, target_metadata=metadata, compare_type=True,
                      render_as_batch=sqlite,
                      on_version_apply=config.attributes.get("on_version_apply"))
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left {len(broken)} broken foreign key reference(s)")
    if sqlite and not connection.in_transaction():
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
