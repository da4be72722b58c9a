"""Migration 0007_verified_guard: a period (or monitoring record) is verified only through a verifier's record.

Every probe writes to the database directly — raw SQL or a plain ORM session that bypasses the Store's session
hook — and must be refused by a trigger (message starting ``dcsll-immutable:``) on SQLite and on the PostgreSQL
server; the verifier's own path through :meth:`store.Store.save_facility` must still work and leave
``dcsll db verify`` clean. ``PROBES`` is also what docs/store.md's table lists.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app_support.verification import verify_period
from store.errors import PermissionDenied
from store.integrity import verify
from store.migrations._guards import MARKER
from store.schema import MonitoringRecordRow, PeriodRow

REFUSED = (DBAPIError,)

#: forged writes of a verified state, each refused by the database (name -> SQL; :pid = zjk-campus's facility id)
PROBES = {
    "INSERT period verified, verified_by NULL":
        "INSERT INTO periods (facility_id, label, start, \"end\", status, evidence) VALUES "
        "('zjk-campus', '2030', '2030-01-01', '2030-12-31', 'verified', '[]')",
    "INSERT period verified, verified_by an operator":
        "INSERT INTO periods (facility_id, label, start, \"end\", status, evidence, verified_by) VALUES "
        "('zjk-campus', '2030', '2030-01-01', '2030-12-31', 'verified', '[]', 'op')",
    "INSERT period verified, verified_by an unknown user":
        "INSERT INTO periods (facility_id, label, start, \"end\", status, evidence, verified_by) VALUES "
        "('zjk-campus', '2030', '2030-01-01', '2030-12-31', 'verified', '[]', 'mallory')",
    "UPDATE reported period to verified (no verified_by)":
        "UPDATE periods SET status = 'verified' WHERE facility_id = 'zjk-campus' AND label = '2024'",
    "UPDATE reported period to verified by admin":
        "UPDATE periods SET status = 'verified', verified_by = 'admin' WHERE facility_id = 'zjk-campus' "
        "AND label = '2024'",
    "UPDATE verified period back to reported":
        "UPDATE periods SET status = 'reported' WHERE facility_id = 'zjk-campus' AND label = '2023'",
    "UPDATE verified period's verified_by to an operator":
        "UPDATE periods SET verified_by = 'op' WHERE facility_id = 'zjk-campus' AND label = '2023'",
    "INSERT monitoring record verified without a statement":
        "INSERT INTO monitoring_records (deal_id, observation_date, status, kpis, outcomes, created_at, "
        "created_by) VALUES ('zjk-2025-term', '2026-04-30', 'verified', '{}', '{}', '2026-05-01', 'credit')",
    "INSERT monitoring record verified citing an unknown statement":
        "INSERT INTO monitoring_records (deal_id, observation_date, status, kpis, outcomes, created_at, "
        "created_by, statement_id) VALUES ('zjk-2025-term', '2026-04-30', 'verified', '{}', '{}', "
        "'2026-05-01', 'credit', 'VS-NONE')",
}


def _periods(st) -> list[tuple]:
    with st._read() as s:
        return [(p.label, p.status, p.verified_by) for p in
                s.scalars(select(PeriodRow).where(PeriodRow.facility_id == "zjk-campus").order_by(PeriodRow.label))]


def _monitoring_count(st) -> int:
    with st._read() as s:
        return len(s.scalars(select(MonitoringRecordRow.id)).all())


@pytest.mark.parametrize("probe", list(PROBES))
def test_forged_verified_state_by_raw_sql_is_refused(seeded, probe):
    before, mon = _periods(seeded), _monitoring_count(seeded)
    # the import named the verifier: the verified 2023 period carries it
    assert ("2023", "verified", "verifier") in before and ("2024", "reported", None) in before
    with pytest.raises(REFUSED, match=MARKER), seeded.engine.begin() as c:
        c.execute(text(PROBES[probe]))
    assert _periods(seeded) == before and _monitoring_count(seeded) == mon
    assert verify(seeded.engine) == []


@pytest.mark.parametrize("author", ["op", "admin", "credit", None])
def test_forged_verified_period_through_a_plain_orm_session_is_refused(seeded, author):
    before = _periods(seeded)
    with pytest.raises(REFUSED, match=MARKER), Session(bind=seeded.engine) as s, s.begin():
        s.add(PeriodRow(facility_id="zjk-campus", label="2031", start=dt.date(2031, 1, 1), end=dt.date(2031, 12, 31),
                        status="verified", evidence=[], verified_by=author))
    with pytest.raises(REFUSED, match=MARKER), Session(bind=seeded.engine) as s, s.begin():
        p = s.scalar(select(PeriodRow).where(PeriodRow.label == "2024"))
        p.status, p.verified_by = "verified", author
    assert _periods(seeded) == before


def test_a_deactivated_verifier_cannot_be_named(seeded):
    seeded.add_user("admin", "old-verifier", ["verifier"])
    seeded.deactivate_user("admin", "old-verifier")
    with pytest.raises(REFUSED, match=MARKER), seeded.engine.begin() as c:
        c.execute(text("UPDATE periods SET status = 'verified', verified_by = 'old-verifier' "
                       "WHERE facility_id = 'zjk-campus' AND label = '2024'"))


def test_forged_period_by_a_real_verifier_name_is_accepted_by_the_database_but_detected(seeded):
    """The trigger only checks that ``verified_by`` is a verifier; ``db verify`` finds no verifier's record."""
    with seeded.engine.begin() as c:
        c.execute(text("UPDATE periods SET status = 'verified', verified_by = 'verifier' "
                       "WHERE facility_id = 'zjk-campus' AND label = '2024'"))
    with seeded._read() as s:
        pid = s.scalar(select(PeriodRow.id).where(PeriodRow.label == "2024"))
    assert [str(p) for p in verify(seeded.engine)] == [
        f"period periods id {pid}: verified period zjk-campus/2024 (verified_by 'verifier') has no matching audit "
        "row by that verifier"]


def test_the_verifier_path_still_verifies_a_period(seeded):
    """The app's Verification page (``app_support.verification.verify_period``): a verifier's save of the
    facility with the period and its figures marked verified, the reference as the reason."""
    with pytest.raises(PermissionDenied, match="figure.verify"):  # an operator may not: refused before writing
        verify_period(seeded, "op", "zjk-campus", "2024", "VR-2024-009")
    assert ("2024", "reported", None) in _periods(seeded)
    verify_period(seeded, "verifier", "zjk-campus", "2024", "VR-2024-009")
    assert _periods(seeded) == [("2023", "verified", "verifier"), ("2024", "verified", "verifier")]
    assert {f.status for f in seeded.figure_history("zjk-campus", "2024", "it_energy_kwh")} >= {"verified"}
    assert verify(seeded.engine) == []


def test_the_admin_import_names_the_verifier(store, zjk):
    store.save_facility("admin", zjk, verified_by="verifier")
    assert ("2023", "verified", "verifier") in _periods(store)
    assert verify(store.engine) == []


def test_upgrade_backfills_verified_by_from_the_verified_figures(db_url, zjk):
    """A database verified under 0006 gets ``verified_by`` = the author of the period's verified figures."""
    from store import db, open_store

    eng = db.make_engine(db_url)
    db.upgrade(eng, "0006_integrity")
    with eng.begin() as c:  # a 0006 book: users, one facility with a verified period written by 'verifier'
        c.execute(text("INSERT INTO users (username, active, created_at) VALUES ('verifier', true, '2026-01-01')"))
        c.execute(text("INSERT INTO user_roles (username, role) VALUES ('verifier', 'verifier')"))
        c.execute(text("INSERT INTO facilities (id, name, province, computing_type, lifecycle_stage, created_at, "
                       "updated_at) VALUES ('f', 'F', 'hebei', 'general', 'operating', '2026-01-01', '2026-01-01')"))
        c.execute(text("INSERT INTO periods (facility_id, label, start, \"end\", status, evidence) VALUES "
                       "('f', '2024', '2024-01-01', '2024-12-31', 'verified', '[]')"))
        c.execute(text("INSERT INTO figures (facility_id, period_id, field, kind, value, status, created_at, "
                       "created_by) SELECT 'f', id, 'it_energy_kwh', 'number', 1.0, 'verified', '2026-01-01', "
                       "'verifier' FROM periods"))
    db.upgrade(eng)
    with eng.connect() as c:
        assert c.execute(text("SELECT verified_by FROM periods")).scalar() == "verifier"
    eng.dispose()
    st = open_store(db_url, migrate=True)
    st.close()


# ------------------------------------------------------------------- PostgreSQL: the app role cannot make a verifier

@pytest.fixture
def app_url(seeded, db_url):
    """URL of a throw-away LOGIN role with the app's privileges (``dcsll db grant-app-role``)."""
    if seeded.dialect != "postgresql":
        pytest.skip("database users are PostgreSQL's")
    import uuid

    from sqlalchemy import create_engine

    from dcsll.cli import main

    role = f"dcsll_app_{uuid.uuid4().hex[:8]}"
    su = create_engine(db_url.split("?")[0], isolation_level="AUTOCOMMIT")
    with su.connect() as c:
        c.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    assert main(["db", "--url", db_url, "grant-app-role", role]) == 0
    yield db_url.replace("postgres@", f"{role}@", 1)
    with su.connect() as c:
        c.execute(text(f'DROP OWNED BY "{role}"'))
        c.execute(text(f'DROP ROLE "{role}"'))
    su.dispose()


#: what the app role tries on user_roles (name -> SQL, whether the database refuses it)
PG_ROLE_PROBES = {
    "INSERT verifier role": ("INSERT INTO user_roles (username, role) VALUES ('op2', 'verifier')", True),
    "INSERT admin role": ("INSERT INTO user_roles (username, role) VALUES ('op2', 'admin')", True),
    "UPDATE a role to verifier": ("UPDATE user_roles SET role = 'verifier' WHERE username = 'op'", True),
    "INSERT credit_officer role": ("INSERT INTO user_roles (username, role) VALUES ('op2', 'credit_officer')",
                                   False),
}


def test_pg_app_role_cannot_grant_the_verifier_or_admin_role(seeded, app_url):
    from sqlalchemy import create_engine

    eng = create_engine(app_url)
    outcomes = {}
    for name, (sql, refused) in PG_ROLE_PROBES.items():
        if refused:
            with pytest.raises(REFUSED, match=MARKER) as exc, eng.begin() as c:
                c.execute(text(sql))
            outcomes[name] = type(exc.value.orig).__name__
        else:
            with eng.begin() as c:
                c.execute(text(sql))
            outcomes[name] = "accepted"
    # the forged period is refused for the app role as for the owner
    with pytest.raises(REFUSED, match=MARKER), eng.begin() as c:
        c.execute(text(PROBES["UPDATE reported period to verified by admin"]))
    eng.dispose()
    assert outcomes == {"INSERT verifier role": "InsufficientPrivilege", "INSERT admin role": "InsufficientPrivilege",
                        "UPDATE a role to verifier": "InsufficientPrivilege", "INSERT credit_officer role": "accepted"}
    assert seeded.user("op2").roles == {"operator", "credit_officer"}
    # the owner (the store's own connection here) still grants it: dcsll db set-roles with the owner URL
    seeded.set_roles("admin", "op2", ["operator", "verifier"])
    assert seeded.user("op2").roles == {"operator", "verifier"}
