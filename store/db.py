"""Database URL, engine and migrations.

``DCSLL_DATABASE_URL`` chooses the database: any SQLAlchemy URL, e.g.
``postgresql+psycopg://user@host:5432/dcsll`` in production. Without it the deal book is a SQLite file
``dcsll.sqlite`` in dcsll's home folder (``$DCSLL_HOME``, else the per-user data directory
``platformdirs.user_data_dir("dcsll")``, e.g. ``~/.local/share/dcsll`` on Linux).

SQLite connections use WAL journalling (readers are not blocked by a writer, so the app keeps working while
a backup runs), a 30 s busy timeout, and ``foreign_keys=ON``. ``postgresql://`` URLs are sent to psycopg 3.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url

from common.settings import DATABASE_ENV, dcsll_home

ENV_VAR = DATABASE_ENV
#: file name of the embedded default deal book in :func:`common.settings.dcsll_home`
DEFAULT_SQLITE = "dcsll.sqlite"
MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "head"
#: the latest migration shipped with this code. The deal-book forms of the CLI compare a database with it at
#: every start, so it is a constant rather than Alembic's script directory (importing Alembic costs ~0.6 s);
#: tests/store/test_store_migrations.py checks it against Alembic's own ``ScriptDirectory`` head.
HEAD_REVISION = "0008_gec_lots"
#: execution option marking a connection used for a write transaction
WRITE_OPTION = "dcsll_write"


def default_url() -> str:
    """``$DCSLL_DATABASE_URL``, else ``sqlite:///<home>/dcsll.sqlite`` with ``<home>`` of
    :func:`common.settings.dcsll_home` (``$DCSLL_HOME``, else the per-user data directory)."""
    url = os.environ.get(ENV_VAR)
    if url:
        return url

    return f"sqlite:///{dcsll_home() / DEFAULT_SQLITE}"


def normalise_url(url: str) -> str:
    """Map ``postgresql://`` and ``postgres://`` to the psycopg 3 driver; a bare path to a SQLite URL."""
    if "://" not in url:
        return f"sqlite:///{Path(url).resolve()}"
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def make_engine(url: str | None = None, **kw) -> Engine:
    """An engine for ``url`` (default :func:`default_url`); creates the SQLite file's folder if needed."""
    url = normalise_url(url or default_url())
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kw)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _rec):  # pragma: no cover - trivial
            # let SQLAlchemy (not the sqlite3 module) issue BEGIN so transactions behave as on PostgreSQL
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            # REPLACE conflict resolution then fires the DELETE guards too (second layer behind the
            # no-replace triggers of migration 0006, which hold for any connection)
            cur.execute("PRAGMA recursive_triggers=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            if u.database and u.database != ":memory:":
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # pragma: no cover - trivial
            # a write transaction takes the write lock at BEGIN (IMMEDIATE), so two writers queue on the busy
            # timeout instead of one failing mid-transaction; reads stay DEFERRED and never block
            write = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, **kw)


def alembic_config(connection=None):
    """An Alembic ``Config`` for the migrations inside the package (no alembic.ini on disk needed)."""
    from alembic.config import Config  # noqa: PLC0415 - alembic only when migrating

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine_or_url: Engine | str | None = None, revision: str = HEAD) -> str | None:
    """Apply the migrations up to ``revision`` (default the latest); returns the revision now current.

    Safe to run on an up-to-date database (does nothing). Runs in one transaction on both databases.
    """
    from alembic import command  # noqa: PLC0415 - alembic only when migrating

    engine = engine_or_url if isinstance(engine_or_url, Engine) else make_engine(engine_or_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
    return current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision of the database (``None`` for an empty database), read from Alembic's own
    ``alembic_version`` table with plain SQL (no Alembic import on the CLI start path)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        versions = sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return ",".join(versions) if versions else None


def head_revision() -> str:
    """The latest revision shipped with this code (:data:`HEAD_REVISION`)."""
    return HEAD_REVISION
