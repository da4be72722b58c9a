"""Integrity probes of issue 13, on SQLite and PostgreSQL: every way of rewriting the record the issue lists is
tried against the database itself (raw SQL, a plain ORM session without the Store's hook, an owner switching
triggers off) and must be refused — or, for an owner who can switch every guard off, detected by
``dcsll db verify``. Separation of duties and the locking fixes are probed through the Store's API.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

import pytest
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dcsll.cli import main
from index.errors import InputError
from store import db
from store.auditchain import GENESIS, row_hash
from store.errors import ImmutableRecordError, PermissionDenied, StaleWriteConflict
from store.integrity import verify
from store.migrations._guards import MARKER
from store.schema import AuditRow, FigureRow, PeriodRow, SptRow, StatementRow

PDF = b"%PDF-1.7\n% issued statement (test bytes)\n%%EOF\n"
REFUSED = (DBAPIError,)


@pytest.fixture
def book(seeded):
    """``seeded`` plus an issued statement VS-1 and a verified figure written by verify_figure."""
    seeded.verify_figure("verifier", "zjk-campus", "2024", "it_energy_kwh", 361000000.0, source="VR-2024-001")
    seeded.save_statement("verifier", "VS-1", facility_id="zjk-campus", pdf=PDF, signature_status="signed",
                          issue=True)
    return seeded


def _verified(st) -> FigureRow:
    with st._read() as s:
        return s.scalars(select(FigureRow).where(FigureRow.status == "verified", FigureRow.field == "total_energy_kwh")
                         .order_by(FigureRow.id)).first()


def _reported(st) -> FigureRow:
    with st._read() as s:
        return s.scalars(select(FigureRow).where(FigureRow.status == "reported").order_by(FigureRow.id)).first()


def _audit_snapshot(st) -> list[tuple]:
    with st._read() as s:
        return [(r.id, r.actor, r.action, r.entity_key, r.row_hash) for r in
                s.scalars(select(AuditRow).order_by(AuditRow.id))]


def _raw(st, sql: str, **params) -> None:
    with st.engine.begin() as c:
        c.execute(text(sql), params)


# ------------------------------------------------------------------- SQLite: REPLACE conflict resolution

SQLITE_REPLACE_PROBES = {
    "INSERT OR REPLACE audit row": "INSERT OR REPLACE INTO audit_log (id, at, actor, action, entity, entity_key, "
                                   "prev_hash, row_hash) VALUES (1, '2020-01-01', 'mallory', 'x', 'x', 'x', "
                                   "'0', '0')",
    "REPLACE INTO verified figure": "REPLACE INTO figures (id, facility_id, period_id, field, kind, value, status, "
                                    "created_at, created_by) SELECT id, facility_id, period_id, field, kind, 1.0, "
                                    "'verified', created_at, 'verifier' FROM figures WHERE id = :vid",
    "UPDATE OR REPLACE onto verified figure": "UPDATE OR REPLACE figures SET id = :vid WHERE id = :rid",
    "REPLACE INTO issued statement": "REPLACE INTO statements (id, facility_id, pdf, sha256, signature_status, "
                                     "status, created_at, created_by) VALUES ('VS-1', 'zjk-campus', x'00', 'x', "
                                     "'unsigned', 'draft', '2020-01-01', 'mallory')",
    "REPLACE onto restates_id of verified figure": "REPLACE INTO figures (facility_id, field, kind, value, status, "
                                                   "restates_id, created_at, created_by) SELECT facility_id, field, "
                                                   "kind, 1.0, 'reported', restates_id, created_at, 'op' FROM "
                                                   "figures WHERE restates_id IS NOT NULL LIMIT 1",
}


@pytest.mark.parametrize("probe", list(SQLITE_REPLACE_PROBES))
def test_sqlite_replace_is_refused(book, probe):
    if book.dialect != "sqlite":
        pytest.skip("REPLACE is SQLite's")
    vid, rid = _verified(book).id, _reported(book).id
    audit, fig = _audit_snapshot(book), _verified(book)
    with pytest.raises(REFUSED, match=MARKER):
        _raw(book, SQLITE_REPLACE_PROBES[probe], vid=vid, rid=rid)
    assert _audit_snapshot(book) == audit
    assert (_verified(book).value, _verified(book).created_by) == (fig.value, fig.created_by)
    assert book.statement_pdf("VS-1") == PDF
    assert verify(book.engine) == []


def test_sqlite_replace_through_the_orm_is_refused(book):
    if book.dialect != "sqlite":
        pytest.skip("REPLACE is SQLite's")
    audit = _audit_snapshot(book)
    with pytest.raises(REFUSED, match=MARKER), Session(bind=book.engine) as s, s.begin():
        s.execute(insert(AuditRow).prefix_with("OR REPLACE").values(
            id=1, at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), actor="mallory", action="x", entity="x",
            entity_key="x", prev_hash="0", row_hash="0"))
    assert _audit_snapshot(book) == audit


def test_sqlite_each_layer_alone_stops_replace_and_without_both_it_succeeds(book, tmp_path):
    """The no-replace triggers hold on a connection without ``recursive_triggers`` (e.g. the sqlite3 shell);
    ``recursive_triggers=ON`` alone makes REPLACE fire the DELETE guard; with neither, REPLACE rewrites the row —
    the hole the issue reported, so this probe can fail."""
    if book.dialect != "sqlite":
        pytest.skip("SQLite only")
    import sqlite3

    path = book.engine.url.database
    sql = SQLITE_REPLACE_PROBES["INSERT OR REPLACE audit row"]
    con = sqlite3.connect(path, isolation_level=None)  # recursive_triggers OFF (SQLite's default)
    assert con.execute("PRAGMA recursive_triggers").fetchone() == (0,)
    with pytest.raises(sqlite3.IntegrityError, match=MARKER):
        con.execute(sql)
    # drop only the no-replace triggers: recursive_triggers=ON still refuses (the DELETE guard fires)
    con.execute("DROP TRIGGER audit_log_no_replace_insert")
    con.execute("DROP TRIGGER audit_log_chain_link")
    con.execute("PRAGMA recursive_triggers=ON")
    with pytest.raises(sqlite3.IntegrityError, match=MARKER):
        con.execute(sql)
    con.execute("PRAGMA recursive_triggers=OFF")
    con.execute(sql)  # both layers gone: the audit row 1 is silently replaced
    assert con.execute("SELECT actor FROM audit_log WHERE id = 1").fetchone() == ("mallory",)
    con.close()
    assert any(p.row == "audit_log id 1" for p in verify(book.engine))  # ... and db verify names it


# ------------------------------------------------------------------- both backends: forged rows via the ORM

def test_forged_verified_insert_through_a_plain_orm_session_is_refused(book):
    prow = None
    with book._read() as s:
        prow = s.scalar(select(PeriodRow.id).where(PeriodRow.label == "2024"))
    for author in ("op", "admin", "credit", "nobody"):
        with pytest.raises(REFUSED, match=MARKER), Session(bind=book.engine) as s, s.begin():
            s.add(FigureRow(facility_id="zjk-campus", period_id=prow, field="water_m3", kind="number", value=1.0,
                            status="verified", source="forged", created_at=dt.datetime.now(dt.UTC),
                            created_by=author))
    assert [f.status for f in book.figure_history("zjk-campus", "2024", "water_m3")] == ["reported"]


def test_forged_issued_statement_is_refused(book):
    for author in ("op", "admin", "credit"):
        with pytest.raises(REFUSED, match=MARKER), Session(bind=book.engine) as s, s.begin():
            s.add(StatementRow(id="VS-FORGED", facility_id="zjk-campus", pdf=PDF, sha256=hashlib.sha256(PDF)
                               .hexdigest(), signature_status="signed", status="issued",
                               issued_at=dt.datetime.now(dt.UTC), created_at=dt.datetime.now(dt.UTC),
                               created_by=author))
    assert book.statement_ids() == ["VS-1"]


def test_turning_a_reported_figure_verified_by_update_is_refused(book):
    rid = _reported(book).id
    with pytest.raises(REFUSED, match=MARKER):
        _raw(book, "UPDATE figures SET status = 'verified', created_by = 'verifier' WHERE id = :rid", rid=rid)
    with pytest.raises(ImmutableRecordError), book._write() as s:  # and through the Store's own session
        s.get(FigureRow, rid).status = "verified"
        s.flush()


def test_forged_row_by_a_real_verifier_name_is_detected(book):
    """The database accepts a verified row whose author is a verifier; ``db verify`` flags it (no audit row)."""
    with book._read() as s:
        prow = s.scalar(select(PeriodRow.id).where(PeriodRow.label == "2024"))
    with Session(bind=book.engine) as s, s.begin():
        s.add(FigureRow(facility_id="zjk-campus", period_id=prow, field="diesel_l", kind="number", value=1.0,
                        status="verified", source="forged", created_at=dt.datetime.now(dt.UTC),
                        created_by="verifier"))
        s.flush()
        fid = s.scalar(select(FigureRow.id).order_by(FigureRow.id.desc()))
    assert [str(p) for p in verify(book.engine) if p.check == "figure"] == [
        f"figure figures id {fid}: verified zjk-campus 2024 diesel_l = 1.0 by 'verifier' has no matching audit row"]


def test_audit_row_that_does_not_extend_the_chain_is_refused(book):
    with pytest.raises(REFUSED, match=MARKER):
        _raw(book, "INSERT INTO audit_log (at, actor, action, entity, entity_key, prev_hash, row_hash) VALUES "
                   "('2026-01-01', 'mallory', 'x', 'x', 'x', :p, 'x')", p=GENESIS)
    with pytest.raises(REFUSED, match=MARKER):  # no hash at all
        _raw(book, "INSERT INTO audit_log (at, actor, action, entity, entity_key) VALUES "
                   "('2026-01-01', 'mallory', 'x', 'x', 'x')")


# ------------------------------------------------------------------- owner-level tampering: detected

def _switch_guards_off(st, table: str) -> None:
    with st.engine.begin() as c:
        if st.dialect == "postgresql":
            c.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            for (name,) in c.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                                          "tbl_name = :t"), {"t": table}).all():
                c.execute(text(f'DROP TRIGGER "{name}"'))


def test_verify_is_clean_on_an_intact_book_and_the_cli_exits_0(book, db_url, capsys):
    assert verify(book.engine) == []
    assert main(["db", "--url", db_url, "verify"]) == 0
    assert "intact" in capsys.readouterr().out


def test_owner_rewrites_are_detected_and_named(book, db_url, capsys):
    vid = _verified(book).id
    ids = [r[0] for r in _audit_snapshot(book)]
    for t in ("audit_log", "figures", "statements"):
        _switch_guards_off(book, t)
    _raw(book, "UPDATE audit_log SET actor = 'mallory' WHERE id = :i", i=ids[1])
    _raw(book, "DELETE FROM audit_log WHERE id = :i", i=ids[3])
    _raw(book, "UPDATE figures SET value = 1.0 WHERE id = :v", v=vid)
    _raw(book, "UPDATE statements SET pdf = :p WHERE id = 'VS-1'", p=PDF.replace(b"issued", b"forged"))
    found = {(p.check, p.row) for p in verify(book.engine)}
    assert ("audit_chain", f"audit_log id {ids[1]}") in found      # content rewritten
    assert ("audit_chain", f"audit_log id {ids[4]}") in found      # its predecessor was deleted
    assert ("figure", f"figures id {vid}") in found                # value no longer the audited one
    assert ("statement", "statements id 'VS-1'") in found          # bytes no longer hash to sha256
    assert main(["db", "--url", db_url, "verify"]) == 1
    out = capsys.readouterr().out
    assert f"audit_log id {ids[1]}" in out and f"figures id {vid}" in out and "'VS-1'" in out


def test_chain_is_the_documented_sha256(book):
    """Recompute the first rows by hand: SHA-256(prev hex + canonical JSON), outside store.auditchain."""
    import json

    with book._read() as s:
        rows = s.scalars(select(AuditRow).order_by(AuditRow.id).limit(3)).all()
    prev = "0" * 64
    for r in rows:
        at = r.at if r.at.tzinfo else r.at.replace(tzinfo=dt.UTC)
        doc = {"action": r.action, "actor": r.actor, "after": r.after, "at": at.astimezone(dt.UTC).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ"), "before": r.before, "entity": r.entity, "entity_key": r.entity_key}
        h = hashlib.sha256(prev.encode() + json.dumps(doc, sort_keys=True, separators=(",", ":"),
                                                        ensure_ascii=False).encode()).hexdigest()
        assert (r.prev_hash, r.row_hash) == (prev, h)
        prev = h


def test_upgrade_chains_an_existing_audit_log(db_url):
    eng = db.make_engine(db_url)
    db.upgrade(eng, "0004_intervals")
    with eng.begin() as c:
        for i in range(3):
            c.execute(text("INSERT INTO audit_log (at, actor, action, entity, entity_key, after) VALUES "
                           "(:at, 'admin', 'user.add', 'user', :k, :a)"),
                      {"at": dt.datetime(2026, 1, 1, 12, i, tzinfo=dt.UTC), "k": f"u{i}", "a": f"{{\"n\": {i}}}"})
    assert db.upgrade(eng) == db.head_revision()
    with eng.connect() as c:
        rows = c.execute(text("SELECT prev_hash, row_hash FROM audit_log ORDER BY id")).all()
    assert rows[0][0] == GENESIS and rows[1][0] == rows[0][1] and rows[2][0] == rows[1][1]
    assert rows[0][1] == row_hash(GENESIS, {"at": dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC), "actor": "admin",
                                            "action": "user.add", "entity": "user", "entity_key": "u0",
                                            "before": None, "after": {"n": 0}})
    assert verify(eng) == []
    eng.dispose()


# ------------------------------------------------------------------- PostgreSQL: owner vs least-privilege app role

def test_pg_truncate_is_refused_even_for_the_owner(book):
    if book.dialect != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    for t in ("audit_log", "figures", "statements"):
        with pytest.raises(REFUSED, match=MARKER):
            _raw(book, f"TRUNCATE {t} CASCADE")
    assert verify(book.engine) == []


@pytest.fixture
def app_role(book, db_url):
    """A throw-away LOGIN role granted the app's privileges (:func:`store.pgroles.grant_app_role`) and its URL."""
    if book.dialect != "postgresql":
        pytest.skip("roles are PostgreSQL's")
    import uuid

    role = f"dcsll_app_{uuid.uuid4().hex[:8]}"
    su = create_engine(db_url.split("?")[0], isolation_level="AUTOCOMMIT")
    with su.connect() as c:
        c.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    assert main(["db", "--url", db_url, "grant-app-role", role]) == 0
    yield role, db_url.replace("postgres@", f"{role}@", 1)
    with su.connect() as c:
        c.execute(text(f'DROP OWNED BY "{role}"'))
        c.execute(text(f'DROP ROLE "{role}"'))
    su.dispose()


PG_APP_PROBES = {
    "TRUNCATE": "TRUNCATE audit_log",
    "DISABLE TRIGGER": "ALTER TABLE figures DISABLE TRIGGER ALL",
    "DROP TRIGGER": "DROP TRIGGER figures_verified_immutable ON figures",
    "UPDATE verified figure": "UPDATE figures SET value = 1.0 WHERE status = 'verified'",
    "DELETE audit row": "DELETE FROM audit_log",
    "forged verified INSERT": "INSERT INTO figures (facility_id, field, kind, value, status, created_at, created_by) "
                              "VALUES ('zjk-campus', 'water_m3', 'number', 1.0, 'verified', now(), 'op')",
    "CREATE TABLE": "CREATE TABLE evil (x int)",
    "ALTER TABLE": "ALTER TABLE audit_log ADD COLUMN evil int",
}


def test_pg_app_role_is_refused_every_rewrite(book, app_role):
    _role, url = app_role
    eng = create_engine(url)
    audit, fig = _audit_snapshot(book), _verified(book)
    outcomes = {}
    for name, sql in PG_APP_PROBES.items():
        with pytest.raises(REFUSED) as exc, eng.begin() as c:
            c.execute(text(sql))
        outcomes[name] = type(exc.value.orig).__name__
    eng.dispose()
    assert outcomes["forged verified INSERT"] == "RestrictViolation"       # the trigger
    assert outcomes["DISABLE TRIGGER"] == outcomes["DROP TRIGGER"] == "InsufficientPrivilege"  # not the owner
    assert outcomes["TRUNCATE"] == outcomes["UPDATE verified figure"] == "InsufficientPrivilege"
    assert _audit_snapshot(book) == audit and _verified(book).value == fig.value
    assert verify(book.engine) == []


def test_pg_the_app_works_as_the_app_role(book, app_role):
    from store import open_store

    _role, url = app_role
    app = open_store(url, migrate=True)  # at head: no DDL needed
    try:
        app.report_figure("op", "zjk-campus", "2024", "water_m3", 500000.0, source="meter")
        app.verify_figure("verifier", "zjk-campus", "2024", "water_m3", 499000.0, source="VR-2024-002")
        app.set_baseline("credit", "zjk-2025-term", "pue", 1.4, period_label="2023")
        app.save_facility("credit", app.load_facility("zjk-campus").model_copy(update={"notes": "app role"}))
    finally:
        app.close()
    assert verify(book.engine) == []


# ------------------------------------------------------------------- separation of duties

def test_admin_import_of_verified_figures_needs_a_verifier(store, zjk):
    with pytest.raises(PermissionDenied, match="verified_by"):
        store.save_facility("admin", zjk)
    with pytest.raises(PermissionDenied, match="verifier role"):
        store.save_facility("admin", zjk, verified_by="op")
    assert store.facility_ids() == []
    store.save_facility("admin", zjk, verified_by="verifier")
    with store._read() as s:
        authors = set(s.scalars(select(FigureRow.created_by).where(FigureRow.status == "verified")))
    assert authors == {"verifier"}
    assert verify(store.engine) == []


def test_operator_cannot_create_a_period_marked_verified(seeded, zjk):
    p = zjk.period("2024").model_copy(update={"label": "2025", "start": dt.date(2025, 1, 1),
                                              "end": dt.date(2025, 12, 31), "status": "verified"})
    fac = seeded.load_facility("zjk-campus")
    with pytest.raises(PermissionDenied, match="figure.verify"):
        seeded.save_facility("op", fac.model_copy(update={"periods": (*fac.periods, p)}))
    assert [q.label for q in seeded.load_facility("zjk-campus").periods] == ["2023", "2024"]


def test_operator_cannot_add_figures_to_a_verified_period(seeded):
    with pytest.raises(ImmutableRecordError, match="verified"):
        seeded.report_figure("op", "zjk-campus", "2023", "water_recycled_m3", 1000.0)
    assert seeded.figure_history("zjk-campus", "2023", "water_recycled_m3") == []


def test_credit_officer_cannot_move_a_verified_score_through_standard_racks(seeded):
    fac = seeded.load_facility("zjk-campus")
    edited = fac.model_copy(update={"standard_racks": fac.standard_racks.model_copy(update={"value": 30000.0})})
    with pytest.raises(ImmutableRecordError, match="restatement by a verifier"):
        seeded.save_facility("credit", edited)
    assert seeded.load_facility("zjk-campus").standard_racks.value == 24000.0


def test_simulation_cannot_be_linked_to_another_facilitys_deal(seeded, zjk):
    other = zjk.model_copy(update={"id": "other-dc", "periods": ()})
    seeded.save_facility("credit", other)
    seeded.assign_facility("admin", "op2", "other-dc")
    with pytest.raises(PermissionDenied, match="not a deal of facility"):
        seeded.save_simulation("op2", "other-dc", "plan", {"x": 1}, deal_id="zjk-2025-term")
    assert seeded.save_simulation("op", "zjk-campus", "plan", {"x": 1}, deal_id="zjk-2025-term") > 0


# ------------------------------------------------------------------- locking

def test_stale_facility_save_is_refused(seeded):
    v = seeded.facility_version("zjk-campus")
    form = seeded.load_facility("zjk-campus")
    seeded.report_figure("op", "zjk-campus", "2024", "water_m3", 555000.0)  # someone else's change
    assert seeded.facility_version("zjk-campus") == v + 1
    n = seeded.audit_count()
    with pytest.raises(StaleWriteConflict):
        seeded.save_facility("op", form.model_copy(update={"notes": "stale form"}), expected_version=v)
    assert seeded.load_facility("zjk-campus").period("2024").water_m3.value == 555000.0
    assert seeded.audit_count() == n
    rep = seeded.save_facility("op", seeded.load_facility("zjk-campus").model_copy(update={"notes": "fresh"}),
                               expected_version=v + 1)
    assert rep.version == v + 2


def test_concurrent_first_spt_leaves_one_current_row(seeded):
    trials = 10
    for i in range(trials):
        date = dt.date(2026 + i, 12, 31)
        barrier, errors = threading.Barrier(2), []

        def call(target, date=date, barrier=barrier, errors=errors):
            barrier.wait()
            try:
                seeded.set_spt("credit", "zjk-2025-term", "pue", date, target)
            except InputError as exc:
                errors.append(exc)

        ts = [threading.Thread(target=call, args=(t,)) for t in (1.30, 1.31)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert len(errors) == 1, (i, errors)
    with seeded._read() as s:
        firsts = s.execute(select(SptRow.observation_date).where(SptRow.supersedes_id.is_(None))).all()
    assert len(firsts) == trials == len({d for (d,) in firsts})


def test_second_first_baseline_is_refused_by_the_database(seeded):
    seeded.set_baseline("credit", "zjk-2025-term", "pue", 1.40)
    with pytest.raises(REFUSED):
        _raw(seeded, "INSERT INTO baselines (deal_id, kpi, value, created_at, created_by) VALUES "
                     "('zjk-2025-term', 'pue', 1.2, '2026-01-01', 'credit')")
    assert [t.value for t in seeded.targets("zjk-2025-term")] == [1.40]


def test_statement_row_probe_keeps_hash(book):
    """Issued statement: UPDATE refused (0002's guard) and its stored hash matches its bytes."""
    with pytest.raises(REFUSED, match=MARKER):
        _raw(book, "UPDATE statements SET pdf = :p WHERE id = 'VS-1'", p=b"%PDF-forged")
    with book._read() as s:
        st = s.get(StatementRow, "VS-1")
        assert st.sha256 == hashlib.sha256(PDF).hexdigest() == hashlib.sha256(st.pdf).hexdigest()
