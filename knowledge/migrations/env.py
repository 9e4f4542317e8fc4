"""Alembic environment: runs on a connection handed in by knowledge.db, or on its own."""

import contextlib
import importlib

from alembic import context
from sqlalchemy import pool

from knowledge.models import Base

# The schema history covers the whole application's database: tables of the people
# side (bot.models) share this metadata when that package is installed.
for module in ("bot.models",):
    with contextlib.suppress(ImportError):  # knowledge used on its own
        importlib.import_module(module)

config = context.config
target_metadata = Base.metadata


def run_with(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_with(connection)
else:
    # `alembic` command line: use a synchronous engine for the configured URL.
    from sqlalchemy import create_engine

    url = config.get_main_option("sqlalchemy.url")
    url = url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")
    with create_engine(url, poolclass=pool.NullPool).connect() as conn:
        run_with(conn)
