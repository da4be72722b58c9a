"""Alembic environment of the deal book.

Run through :func:`store.db.upgrade` (no alembic.ini needed): it passes an open connection in
``config.attributes["connection"]``. Running ``alembic`` by hand with ``-x url=...`` also works.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from store.schema import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # pragma: no cover - command-line alembic
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
