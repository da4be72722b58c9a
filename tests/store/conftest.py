"""Fixtures for the deal-book tests: every ``store`` test runs on SQLite and on PostgreSQL.

PostgreSQL: the server on 127.0.0.1:5432, database ``test`` (override with ``DCSLL_TEST_PG_URL``). Each test
gets a fresh schema ``dcsll_t<session>_<n>`` (selected with ``search_path``), dropped afterwards, so parallel
runs never collide. When the server is unreachable the PostgreSQL variants are skipped with the reason.
"""

from __future__ import annotations

import itertools
import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
PG_BASE = os.environ.get("DCSLL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SESSION = uuid.uuid4().hex[:8]
_counter = itertools.count()
_pg_error: str | None = None
_pg_checked = False


def pg_available() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    global _pg_checked, _pg_error
    if not _pg_checked:
        _pg_checked = True
        try:
            import psycopg
            from sqlalchemy.engine import make_url

            from store.db import normalise_url
            u = make_url(normalise_url(PG_BASE))
            with psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, dbname=u.database,
                                 password=u.password, connect_timeout=3):
                pass
        except Exception as exc:  # noqa: BLE001 - any failure means "skip"
            _pg_error = f"PostgreSQL at {PG_BASE} unreachable: {type(exc).__name__}: {exc}"
    return _pg_error


class PgSchema:
    """A throw-away PostgreSQL schema and the URL that selects it."""

    def __init__(self):
        self.name = f"dcsll_t{SESSION}_{next(_counter)}"
        from sqlalchemy import create_engine, text

        self._admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as c:
            c.execute(text(f'CREATE SCHEMA "{self.name}"'))
        sep = "&" if "?" in PG_BASE else "?"
        self.url = f"{PG_BASE}{sep}options=-csearch_path%3D{self.name}"

    def drop(self):
        from sqlalchemy import text

        with self._admin.connect() as c:
            c.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self._admin.dispose()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextmanager
def backend_url(kind: str, folder: Path):
    """An empty database URL of ``kind`` (SQLite file in ``folder`` or a fresh PostgreSQL schema)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'dcsll.sqlite'}"
        return
    reason = pg_available()
    if reason:
        pytest.skip(reason)
    schema = PgSchema()
    try:
        yield schema.url
    finally:
        schema.drop()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """An empty database URL (no migrations applied) on each backend."""
    with backend_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def module_db_url(request, tmp_path_factory):
    """Like ``db_url`` but shared by the tests of one module."""
    with backend_url(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture
def store(db_url):
    """A migrated, empty store with users: admin, credit (credit_officer), verifier, op (operator of
    zjk-campus once it exists), op2 (operator of nothing)."""
    from store import open_store

    st = open_store(db_url, migrate=True)
    st.bootstrap_admin("admin")
    st.add_user("admin", "credit", ["credit_officer"])
    st.add_user("admin", "verifier", ["verifier"])
    st.add_user("admin", "op", ["operator"])
    st.add_user("admin", "op2", ["operator"])
    yield st
    st.close()


@pytest.fixture
def facility_file():
    return FIXTURES / "facilities" / "zjk-campus.toml"


@pytest.fixture
def zjk(facility_file):
    from index.models import load_facility

    return load_facility(facility_file)


@pytest.fixture
def deal_doc():
    import tomllib

    return tomllib.loads((FIXTURES / "deals" / "zjk-2025-term.toml").read_text(encoding="utf-8"))


@pytest.fixture
def seeded(store, zjk, deal_doc):
    """``store`` with zjk-campus imported by admin, operator ``op`` assigned, and deal zjk-2025-term."""
    store.save_facility("admin", zjk, verified_by="verifier")  # only a verifier makes figures verified
    store.assign_facility("admin", "op", "zjk-campus")
    store.save_deal("credit", deal_doc)
    return store
