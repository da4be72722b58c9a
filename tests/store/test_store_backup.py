"""Backup and restore of the SQLite file with the online backup API, while the store is in use."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from index.errors import InputError
from store import open_store
from store.backup import backup, restore


@pytest.fixture
def sqlite_store(tmp_path, zjk):
    url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    st = open_store(url, migrate=True)
    st.bootstrap_admin("admin")
    st.add_user("admin", "op", ["operator"])
    st.add_user("admin", "verifier", ["verifier"])
    st.save_facility("admin", zjk, verified_by="verifier")
    st.assign_facility("admin", "op", "zjk-campus")
    yield url, st
    st.close()


def _counts(path):
    con = sqlite3.connect(path)
    try:
        figs = con.execute("SELECT count(*) FROM figures WHERE field = 'water_m3'").fetchone()[0]
        audits = con.execute("SELECT count(*) FROM audit_log WHERE action = 'figure.reported'").fetchone()[0]
        return figs, audits
    finally:
        con.close()


def test_backup_while_writes_go_on_is_a_consistent_snapshot(sqlite_store, tmp_path):
    url, st = sqlite_store
    stop = threading.Event()
    written = []

    def writer():
        i = 0
        while not stop.is_set():
            st.report_figure("op", "zjk-campus", "2024", "water_m3", 400000.0 + i, source="bill")
            written.append(i)
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        while len(written) < 5:
            stop.wait(0.01)
        copies = [backup(url, tmp_path / f"copy{k}.sqlite") for k in range(3)]
    finally:
        stop.set()
        t.join()
    for c in copies:
        con = sqlite3.connect(c)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
        figs, audits = _counts(c)
        # 2 periods' water_m3 from the fixture file, plus one figure row per write, each with its audit row
        assert figs - 2 == audits >= 5
    other = open_store(f"sqlite:///{copies[-1]}")
    assert other.load_facility("zjk-campus").period("2023").water_m3.value == 520000.0
    other.close()


def test_restore_while_the_app_holds_the_database_open(sqlite_store, tmp_path):
    url, st = sqlite_store
    snap = backup(url, tmp_path / "snap.sqlite")
    st.report_figure("op", "zjk-campus", "2024", "water_m3", 123456.0, source="after the backup")
    assert st.load_facility("zjk-campus").period("2024").water_m3.value == 123456.0
    saved = restore(url, snap)
    # the same open store (the running app) now reads the restored content
    assert st.load_facility("zjk-campus").period("2024").water_m3.value == 498000.0
    # and nothing was lost: the content from before the restore was kept
    keep = open_store(f"sqlite:///{saved}")
    assert keep.load_facility("zjk-campus").period("2024").water_m3.value == 123456.0
    keep.close()
    # the restored database still takes writes
    st.report_figure("op", "zjk-campus", "2024", "water_m3", 200000.0, source="after restore")


def test_restore_refuses_a_file_that_is_not_a_deal_book(sqlite_store, tmp_path):
    url, st = sqlite_store
    junk = tmp_path / "junk.sqlite"
    con = sqlite3.connect(junk)
    con.execute("CREATE TABLE t (x)")
    con.close()
    with pytest.raises(InputError, match="not a dcsll deal book"):
        restore(url, junk)
    assert st.load_facility("zjk-campus").period("2023").water_m3.value == 520000.0


def test_backup_needs_sqlite():
    with pytest.raises(InputError, match="pg_dump"):
        backup("postgresql://u@h/db", "x.sqlite")
