"""Rules the store enforces: immutable verified figures and issued statements, optimistic locking on deals,
one transaction per write, one audit row per change, an append-only audit log."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select, text, update

from store.errors import ImmutableRecordError, StaleWriteConflict
from store.schema import AuditRow, FigureRow, StatementRow

PDF_A = b"%PDF-1.7\n% statement A (test bytes)\n%%EOF\n"
PDF_B = b"%PDF-1.7\n% statement B, corrected (test bytes)\n%%EOF\n"
#: from the fixture file zjk-campus.toml, period 2023 (verified)
TOTAL_2023 = 410000000.0


def _verified_total_row(st):
    with st._read() as s:
        return s.scalars(select(FigureRow).where(FigureRow.field == "total_energy_kwh")
                         .order_by(FigureRow.id)).first()


def test_changing_a_verified_figure_through_a_file_raises_and_changes_nothing(seeded, zjk):
    before = seeded.audit_count()
    p23 = zjk.period("2023")
    changed = zjk.model_copy(update={"periods": (p23.model_copy(update={
        "total_energy_kwh": p23.total_energy_kwh.model_copy(update={"value": 400000000.0})}), zjk.periods[1])})
    with pytest.raises(ImmutableRecordError, match="restate_figure"):
        seeded.save_facility("admin", changed, verified_by="verifier")
    row = _verified_total_row(seeded)
    assert (row.value, row.status) == (TOTAL_2023, "verified")
    assert seeded.load_facility("zjk-campus").period("2023").total_energy_kwh.value == TOTAL_2023
    assert seeded.audit_count() == before


def test_removing_a_verified_figure_raises(seeded, zjk):
    p23 = zjk.period("2023")
    with pytest.raises(ImmutableRecordError):
        seeded.save_facility("admin", zjk.model_copy(update={
            "periods": (p23.model_copy(update={"diesel_l": None}), zjk.periods[1])}), verified_by="verifier")
    assert seeded.load_facility("zjk-campus").period("2023").diesel_l.value == 42000.0


def test_operator_cannot_overwrite_a_verified_figure(seeded):
    with pytest.raises(ImmutableRecordError, match="verified"):
        seeded.report_figure("op", "zjk-campus", "2023", "total_energy_kwh", 1.0)
    assert _verified_total_row(seeded).value == TOTAL_2023


def test_orm_edit_of_a_verified_figure_is_refused(seeded):
    with pytest.raises(ImmutableRecordError), seeded._write() as s:
        row = s.scalars(select(FigureRow).where(FigureRow.field == "total_energy_kwh")).first()
        row.value = 1.0
    assert _verified_total_row(seeded).value == TOTAL_2023


def test_raw_sql_update_or_delete_of_a_verified_figure_is_refused_by_the_database(seeded):
    for stmt in (update(FigureRow).where(FigureRow.field == "total_energy_kwh").values(value=1.0),
                 text("DELETE FROM figures WHERE field = 'total_energy_kwh'")):
        with pytest.raises(ImmutableRecordError, match="restatement"), seeded._write() as s:
            s.execute(stmt)
    assert _verified_total_row(seeded).value == TOTAL_2023


def test_restatement_is_a_new_row_pointing_to_the_old_one(seeded):
    old = _verified_total_row(seeded)
    rec = seeded.restate_figure("verifier", "zjk-campus", "2023", "total_energy_kwh", 405000000.0,
                                source="VR-2023-017 rev 1", reason="meter M3 double counted")
    assert rec.restates_id == old.id and rec.status == "verified"
    hist = seeded.figure_history("zjk-campus", "2023", "total_energy_kwh")
    assert [(h.value, h.restates_id) for h in hist] == [(TOTAL_2023, None), (405000000.0, old.id)]
    assert _verified_total_row(seeded).value == TOTAL_2023          # old row unchanged
    assert seeded.load_facility("zjk-campus").period("2023").total_energy_kwh.value == 405000000.0


def test_verifying_a_reported_figure_then_it_is_frozen(seeded):
    seeded.verify_figure("verifier", "zjk-campus", "2024", "it_energy_kwh", 361500000.0, source="VR-2024-003")
    f = seeded.load_facility("zjk-campus").period("2024").it_energy_kwh
    assert (f.value, f.status, f.source) == (361500000.0, "verified", "VR-2024-003")
    with pytest.raises(ImmutableRecordError):
        seeded.verify_figure("verifier", "zjk-campus", "2024", "it_energy_kwh", 1.0, source="x")
    with pytest.raises(ImmutableRecordError):
        seeded.report_figure("op", "zjk-campus", "2024", "it_energy_kwh", 1.0)


def test_reported_figures_keep_their_history(seeded):
    seeded.report_figure("op", "zjk-campus", "2024", "water_m3", 497000.0, source="water bill")
    seeded.report_figure("op", "zjk-campus", "2024", "water_m3", 496000.0, source="water bill rev")
    hist = seeded.figure_history("zjk-campus", "2024", "water_m3")
    assert [h.value for h in hist] == [498000.0, 497000.0, 496000.0]   # first from the fixture file


def test_issued_statement_cannot_be_replaced(seeded):
    seeded.save_statement("verifier", "VS-2023-1", facility_id="zjk-campus", deal_id="zjk-2025-term",
                          period_label="2023", pdf=PDF_A, signature_status="signed", issue=True)
    with pytest.raises(ImmutableRecordError, match="restates="):
        seeded.save_statement("verifier", "VS-2023-1", facility_id="zjk-campus", pdf=PDF_B)
    with pytest.raises(ImmutableRecordError):
        seeded.issue_statement("verifier", "VS-2023-1")
    with pytest.raises(ImmutableRecordError), seeded._write() as s:
        s.execute(text("UPDATE statements SET pdf = :b WHERE id = 'VS-2023-1'"), {"b": PDF_B})
    with pytest.raises(ImmutableRecordError), seeded._write() as s:
        s.get(StatementRow, "VS-2023-1").signature_status = "signature_invalid"
    assert seeded.statement_pdf("VS-2023-1") == PDF_A
    info = seeded.statement("VS-2023-1")
    assert info.sha256 == hashlib.sha256(PDF_A).hexdigest() and info.signature_status == "signed"
    # the correction is a new statement pointing to the old one
    new = seeded.save_statement("verifier", "VS-2023-2", facility_id="zjk-campus", pdf=PDF_B, issue=True,
                                restates="VS-2023-1")
    assert new.restates_id == "VS-2023-1" and seeded.statement_pdf("VS-2023-1") == PDF_A


def test_draft_statement_may_be_replaced_then_issued(seeded):
    seeded.save_statement("verifier", "VS-D", facility_id="zjk-campus", pdf=PDF_A)
    seeded.save_statement("verifier", "VS-D", facility_id="zjk-campus", pdf=PDF_B)
    info = seeded.issue_statement("verifier", "VS-D", signature_status="signature_valid")
    assert info.status == "issued" and info.sha256 == hashlib.sha256(PDF_B).hexdigest()


def test_stale_deal_update_raises_and_changes_nothing(seeded, deal_doc):
    v1 = seeded.deal("zjk-2025-term").version
    assert v1 == 1
    first = {**deal_doc, "loan": {**deal_doc["loan"], "margin_bp": 80.0}}
    assert seeded.save_deal("credit", first, expected_version=1).version == 2
    stale = {**deal_doc, "loan": {**deal_doc["loan"], "margin_bp": 95.0}}
    n = seeded.audit_count()
    with pytest.raises(StaleWriteConflict, match="reload"):
        seeded.save_deal("credit", stale, expected_version=1)
    assert seeded.load_deal_document("zjk-2025-term")["loan"]["margin_bp"] == 80.0
    assert seeded.deal("zjk-2025-term").version == 2 and seeded.audit_count() == n


def test_concurrent_writers_one_wins_the_other_conflicts(seeded, deal_doc):
    """Two sessions both read version 1; the UPDATE ... WHERE version = 1 of the second finds nothing.

    (On SQLite the second writer's read snapshot is already stale, so SQLite itself refuses the write with
    SQLITE_BUSY before the version check can run; the store's own writes take the lock at BEGIN and so see
    the new version and raise StaleWriteConflict.)"""
    from store.schema import DealRow

    eng = seeded.engine
    from sqlalchemy.orm import Session

    with Session(eng) as s1:
        row1 = s1.get(DealRow, "zjk-2025-term")
        assert row1.version == 1
        seeded.save_deal("credit", {**deal_doc, "loan": {**deal_doc["loan"], "margin_bp": 70.0}},
                         expected_version=1)
        row1.margin_bp = 99.0
        from sqlalchemy.exc import OperationalError
        from sqlalchemy.orm.exc import StaleDataError

        with pytest.raises(StaleDataError if seeded.dialect == "postgresql" else (StaleDataError, OperationalError)):
            s1.commit()
    assert seeded.deal("zjk-2025-term").margin_bp == 70.0


def test_one_audit_row_per_change(store, zjk, deal_doc):
    n0 = store.audit_count()
    rep = store.save_facility("admin", zjk, verified_by="verifier")   # facility profile + facility-level figures + 2 periods
    assert rep.changes == 4 and store.audit_count() == n0 + 4
    assert store.save_facility("admin", zjk, verified_by="verifier").changes == 0 and store.audit_count() == n0 + 4
    store.assign_facility("admin", "op", "zjk-campus")
    n1 = store.audit_count()
    p24 = zjk.period("2024")
    changed = zjk.model_copy(update={"periods": (zjk.periods[0], p24.model_copy(update={
        "water_m3": p24.water_m3.model_copy(update={"value": 499000.0}),
        "racks_ready": p24.racks_ready.model_copy(update={"value": 10300.0})}))})
    store.save_facility("op", changed)                               # one period changed = one audit row
    log = store.audit_log("admin", since_id=0)[-1:]
    assert store.audit_count() == n1 + 1
    assert log[0].action == "period.update" and log[0].entity_key == "zjk-campus/2024"
    assert log[0].before["figures"]["water_m3"]["value"] == 498000.0
    assert log[0].after["figures"]["water_m3"]["value"] == 499000.0
    assert set(log[0].after["figures"]) == {"water_m3", "racks_ready"}
    store.save_deal("credit", deal_doc)
    e = store.audit_log("credit", entity="deal")
    assert len(e) == 1 and e[0].actor == "credit" and e[0].before is None
    assert e[0].after["document"]["loan"]["amount"] == 1500000000.0


def test_every_write_method_leaves_one_audit_row(seeded):
    calls = [
        lambda: seeded.set_baseline("credit", "zjk-2025-term", "pue", 1.206, period_label="2023"),
        lambda: seeded.set_spt("credit", "zjk-2025-term", "pue", dt.date(2026, 4, 30), 1.19),
        lambda: seeded.record_observation("credit", "zjk-2025-term", dt.date(2026, 4, 30), "2025",
                                          {"total": 74.2, "grade": "4A", "methodology_id": "gcpi-2024",
                                           "methodology_sha256": "ab" * 32}),
        lambda: seeded.record_margin_change("credit", "zjk-2025-term", dt.date(2026, 6, 20), -10.0, 75.0),
        lambda: seeded.save_simulation("op", "zjk-campus", "liquid cooling 2027", {"pue_2027": 1.15}),
        lambda: seeded.report_figure("op", "zjk-campus", "2024", "water_m3", 497000.0),
        lambda: seeded.save_statement("verifier", "VS-1", facility_id="zjk-campus", pdf=PDF_A),
    ]
    for call in calls:
        n = seeded.audit_count()
        call()
        assert seeded.audit_count() == n + 1


def test_audit_log_is_append_only(seeded):
    n = seeded.audit_count()
    for stmt in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(ImmutableRecordError, match="append-only"), seeded._write() as s:
            s.execute(text(stmt))
    with pytest.raises(ImmutableRecordError), seeded._write() as s:
        s.scalars(select(AuditRow)).first().actor = "mallory"
    assert seeded.audit_count() == n
    assert {e.actor for e in seeded.audit_log("admin")} <= {"admin", "credit"}


def test_baseline_recalculation_keeps_history(seeded):
    b1 = seeded.set_baseline("credit", "zjk-2025-term", "pue", 1.206, period_label="2023")
    with pytest.raises(Exception, match="reason"):
        seeded.set_baseline("credit", "zjk-2025-term", "pue", 1.21)
    b2 = seeded.set_baseline("credit", "zjk-2025-term", "pue", 1.212, period_label="2023",
                             reason="2023 energy restated by the verifier")
    assert b2.supersedes_id == b1.id
    cur = [t for t in seeded.targets("zjk-2025-term") if t.observation_date is None]
    assert [(t.value, t.current) for t in cur] == [(1.212, True)]
    hist = [t for t in seeded.targets("zjk-2025-term", history=True) if t.observation_date is None]
    assert [(t.value, t.current) for t in hist] == [(1.206, False), (1.212, True)]


def test_failed_write_leaves_nothing(seeded, zjk):
    """A multi-period save that fails on its last period writes none of the earlier ones."""
    from index.models import PeriodData

    n = seeded.audit_count()
    new = PeriodData(label="2025", start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31), status="reported",
                     total_energy_kwh={"value": 1.0, "status": "reported"})
    p23 = zjk.period("2023")
    bad = zjk.model_copy(update={"periods": (new, zjk.periods[1], p23.model_copy(update={"water_m3": None}))})
    with pytest.raises(ImmutableRecordError):
        seeded.save_facility("admin", bad, verified_by="verifier")
    assert [p.label for p in seeded.load_facility("zjk-campus").periods] == ["2023", "2024"]
    assert seeded.audit_count() == n
