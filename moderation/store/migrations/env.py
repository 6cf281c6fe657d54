"""Alembic's entry point: runs the migrations on the connection `moderation db upgrade` hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from moderation.store.tables import metadata


def run_migrations() -> None:
    """Run online, on the given connection or on one opened from the configured URL."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
        with engine.begin() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:
    # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
