"""Backup and restore of the SQLite deal book with SQLite's online backup API.

:func:`backup` copies a live database page by page (``sqlite3.Connection.backup``) while other connections
keep reading and writing: the copy is a consistent snapshot (the API restarts a step when a writer changes a
page it already copied). :func:`restore` copies a backup into the live file through the same API, so
connections that stay open (the app) see the restored content on their next transaction; it first saves
the current content next to the file (``<name>.before-restore-<UTC time>.sqlite``) so nothing is lost.

PostgreSQL deployments back up with ``pg_dump`` / point-in-time recovery, not with these functions.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from index.errors import InputError
from store.db import normalise_url
from store.errors import StoreError


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///`` URL (or a plain path).

    Raises
    ------
    InputError
        For a non-SQLite URL or an in-memory database.
    """

    u = make_url(normalise_url(url))
    if u.get_backend_name() != "sqlite":
        raise InputError(f"backup/restore works on the SQLite file only; for {u.get_backend_name()} use pg_dump",
                         field="DCSLL_DATABASE_URL")
    if not u.database or u.database == ":memory:":
        raise InputError("an in-memory database has no file to back up", field="DCSLL_DATABASE_URL")
    return Path(u.database)


def _check_dcsll(conn: sqlite3.Connection, what: str) -> str:
    ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if ok != "ok":
        raise StoreError(f"{what} fails SQLite's integrity check ({ok}); use another backup")
    try:
        rev = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        rev = None
    if not rev:
        raise InputError(f"{what} is not a dcsll deal book (no alembic_version table)")
    return rev[0]


def backup(url: str, dest: str | Path, *, pages: int = -1) -> Path:
    """Copy the live SQLite deal book at ``url`` to the file ``dest`` (overwritten); returns ``dest``.

    Safe while the app is running: with the default ``pages=-1`` the copy is one step under a read snapshot
    (in WAL mode writers are not blocked); a positive ``pages`` copies that many pages per step and restarts
    when another connection writes in between.

    Raises
    ------
    InputError
        Not a SQLite URL; the source file does not exist.
    """
    src_path = sqlite_path(url)
    if not src_path.exists():
        raise InputError("no database file to back up", file=str(src_path))
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst, pages=pages)
            dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained single file
            _check_dcsll(dst, f"backup {dest}")
        finally:
            dst.close()
    finally:
        src.close()
    tmp.replace(dest)
    return dest


def restore(url: str, source: str | Path, *, keep_current: bool = True) -> Path | None:
    """Replace the content of the live SQLite deal book at ``url`` with the backup ``source``.

    Returns the path of the saved pre-restore copy (``None`` if ``keep_current`` is False or there was no
    database yet). Runs ``dcsll``'s checks on the backup first (SQLite integrity, a migration revision).

    Raises
    ------
    InputError
        The backup is missing or not a deal book.
    StoreError
        The backup is corrupt.
    """
    source = Path(source)
    if not source.exists():
        raise InputError("backup file not found", file=str(source))
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        _check_dcsll(src, f"backup {source}")
        live_path = sqlite_path(url)
        saved = None
        if keep_current and live_path.exists():
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            saved = backup(url, live_path.with_name(f"{live_path.stem}.before-restore-{stamp}.sqlite"))
        live_path.parent.mkdir(parents=True, exist_ok=True)
        live = sqlite3.connect(live_path, timeout=30)
        try:
            src.backup(live)
        finally:
            live.close()
    finally:
        src.close()
    return saved
