"""Demo users and deals go only into a deal book created as a demo (issue 13, Access), on both databases.

The mark is the first row of the append-only audit log (``store.demo.DEMO_MARK``); a deal book with any record
and no mark refuses ``seed_demo`` and ``dcsll db seed-demo`` and is left exactly as it was.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dcsll.cli import main

FIX = Path(__file__).parent / "fixtures"
METHODOLOGY = Path(__file__).parents[2] / "data" / "methodology" / "gcpi-2024.toml"
#: the password-less demo users of the app's demo sign-in (store.demo.DEMO_USERS, docs/app.md)
DEMO_NAMES = {"admin", "credit", "credit2", "verifier", "operator"}


def _seed_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(FIX / "facilities", d / "facilities")
    shutil.copytree(FIX / "deals", d / "deals")
    (d / "methodology").mkdir()
    shutil.copy(METHODOLOGY, d / "methodology")
    return d


def _production_book(url: str):
    """A production deal book as `dcsll db upgrade` + its first admin would leave it (no demo mark)."""
    from store import open_store

    st = open_store(url, migrate=True)
    st.bootstrap_admin("alice@bank.example")
    return st


def _users(st) -> set[str]:
    from store.errors import PermissionDenied

    out = set()
    for name in DEMO_NAMES | {"alice@bank.example"}:
        try:
            st.user(name)
            out.add(name)
        except PermissionDenied:
            pass
    return out


def test_seed_demo_refuses_a_production_deal_book_and_writes_nothing(db_url, tmp_path):
    from store.demo import NotADemoDealBook, created_as_demo, seed_demo

    st = _production_book(db_url)
    try:
        n = st.audit_count()
        assert n == 1  # the bootstrap of alice
        with pytest.raises(NotADemoDealBook) as err:
            seed_demo(st, _seed_dir(tmp_path))
        msg = str(err.value)
        assert "not created as a demo deal book" in msg and "1 users" in msg and "user.bootstrap" in msg
        assert "'alice@bank.example'" in msg and "DCSLL_DATABASE_URL" in msg
        # nothing written: no demo user, no facility, no deal, no audit row
        assert _users(st) == {"alice@bank.example"}
        assert st.facility_ids() == [] and st.deal_ids() == [] and st.audit_count() == n
        assert not created_as_demo(st)
    finally:
        st.close()


def test_an_empty_deal_book_is_marked_once_and_seeded(db_url, tmp_path):
    from store import open_store
    from store.demo import DEMO_MARK, created_as_demo, seed_demo

    st = open_store(db_url, migrate=True)
    try:
        assert not created_as_demo(st)
        data = _seed_dir(tmp_path)
        seed_demo(st, data)
        assert created_as_demo(st)
        assert DEMO_NAMES <= _users(st)
        first = st.audit_log("admin")[0]
        assert (first.action, first.entity, first.entity_key) == DEMO_MARK and first.actor == "admin"
        # seeding again: accepted (a demo book), and the mark is not written twice
        seed_demo(st, data)
        assert [e.action for e in st.audit_log("admin", entity="deal_book")] == [DEMO_MARK[0]]
    finally:
        st.close()


def test_the_demo_mark_cannot_be_added_later_by_hand(db_url, tmp_path):
    """A mark written after other records is not the first audit row: the deal book stays a production one."""
    from store.demo import DEMO_MARK, NotADemoDealBook, claim_demo, created_as_demo

    st = _production_book(db_url)
    try:
        action, entity, key = DEMO_MARK
        with st._write() as s:
            st._audit(s, "alice@bank.example", action, entity, key, None, {"created_as": "demo"})
        assert not created_as_demo(st)
        with pytest.raises(NotADemoDealBook):
            claim_demo(st)
    finally:
        st.close()


def test_cli_seed_demo_refuses_a_production_deal_book(db_url, tmp_path, capsys):
    _production_book(db_url).close()
    assert main(["db", "--url", db_url, "seed-demo", "--data", str(_seed_dir(tmp_path))]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dcsll db seed-demo: error: the deal book ")
    assert "was not created as a demo deal book" in err
    from store import open_store

    st = open_store(db_url)
    try:
        assert _users(st) == {"alice@bank.example"} and st.deal_ids() == []
    finally:
        st.close()
