"""The monitoring records of the deal book (issue 12): recorded observations, maker-checker margin changes,
notices, deal versions — on SQLite and PostgreSQL; append-only in the database itself."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from index.errors import InputError
from store.errors import ImmutableRecordError, PermissionDenied, StoreError

PDF = b"%PDF-1.7\n% monitoring test\n%%EOF\n"
D = dt.date


def _change(after=20.0):
    return {"observation_date": "2025-12-31", "effective_date": "2026-05-06", "kind": "result",
            "ratchet_adjustment_bp": after - 30.0, "margin_before_bp": 30.0, "margin_after_bp": after}


@pytest.fixture
def book(seeded):
    seeded.add_user("admin", "credit2", ["credit_officer"])
    seeded.save_statement("verifier", "VS-1", facility_id="zjk-campus", pdf=PDF, deal_id="zjk-2025-term",
                          issue=True)
    return seeded


def test_verified_record_keeps_the_statement_hash_once(book):
    import hashlib

    r = book.record_monitoring_observation("verifier", "zjk-2025-term", D(2025, 12, 31), status="verified",
                                           kpis={"index": 95.13}, outcomes={"index": "met"}, statement_id="VS-1",
                                           certificate_delivered=D(2026, 4, 24))
    assert r.statement_sha256 == hashlib.sha256(PDF).hexdigest()     # the issued PDF's, computed here
    again = book.record_monitoring_observation("verifier", "zjk-2025-term", D(2025, 12, 31), status="verified",
                                               kpis={"index": 1.0}, statement_id="VS-1",
                                               certificate_delivered=D(2026, 4, 24))
    assert again.created is False and again.id == r.id and len(book.monitoring_records()) == 1


def test_verified_record_needs_an_issued_statement(book):
    book.save_statement("verifier", "VS-DRAFT", facility_id="zjk-campus", pdf=PDF, deal_id="zjk-2025-term")
    for sid in ("VS-DRAFT", "VS-NONE"):
        with pytest.raises(InputError, match="not an issued statement"):
            book.record_monitoring_observation("verifier", "zjk-2025-term", D(2025, 12, 31), status="verified",
                                               kpis={"index": 95.0}, statement_id=sid,
                                               certificate_delivered=D(2026, 4, 24))
    with pytest.raises(InputError, match="status"):
        book.record_monitoring_observation("verifier", "zjk-2025-term", D(2025, 12, 31), status="guessed",
                                           kpis={})


def test_maker_checker(book):
    c = book.prepare_margin_change("credit", "zjk-2025-term", "k/1", _change())
    assert c.state == "prepared"
    assert book.prepare_margin_change("credit", "zjk-2025-term", "k/1", _change()).created is False
    with pytest.raises(PermissionDenied, match="four-eyes"):
        book.approve_margin_change("credit", c.id)
    with pytest.raises(PermissionDenied, match="four-eyes"):
        book.reject_margin_change("credit", c.id, reason="x")
    (row,) = book.portfolio_summary("credit")
    assert row.current_margin_bp == row.margin_bp          # prepared is not in force
    ok = book.approve_margin_change("credit2", c.id)
    assert (ok.state, ok.prepared_by, ok.decided_by) == ("approved", "credit", "credit2")
    (row,) = book.portfolio_summary("credit")
    assert row.current_margin_bp == 20.0                   # approved, effective 2026-05-06 (before today)
    with pytest.raises(StoreError, match="already approved"):
        book.reject_margin_change("credit2", c.id, reason="changed my mind")
    audit = [(e.actor, e.action) for e in book.audit_log("admin", entity="margin_change")]
    assert audit == [("credit", "margin.prepare"), ("credit2", "margin.approve")]


def test_rejected_change_can_be_prepared_again(book):
    c = book.prepare_margin_change("credit", "zjk-2025-term", "k/2", _change(25.0))
    with pytest.raises(InputError, match="reason"):
        book.reject_margin_change("credit2", c.id, reason=" ")
    book.reject_margin_change("credit2", c.id, reason="wrong SPT")
    c2 = book.prepare_margin_change("credit", "zjk-2025-term", "k/2", _change(20.0))
    assert (c2.created, c2.attempt, c2.state) == (True, 2, "prepared")
    assert [x.state for x in book.margin_change_records("zjk-2025-term")] == ["rejected", "prepared"]


def test_notice_only_for_an_approved_change(book):
    c = book.prepare_margin_change("credit", "zjk-2025-term", "k/3", _change())
    with pytest.raises(InputError, match="not yet approved"):
        book.save_notice("credit", c.id, "MCN-1", {"a": 1}, pdf=PDF)
    book.approve_margin_change("credit2", c.id)
    with pytest.raises(InputError, match="PDF"):
        book.save_notice("credit", c.id, "MCN-1", {"a": 1}, pdf=b"not a pdf")
    n = book.save_notice("credit", c.id, "MCN-1", {"a": 1}, pdf=PDF)
    assert book.notice_pdf(n.id) == PDF and [x.notice_id for x in book.notices("zjk-2025-term")] == ["MCN-1"]


def test_deal_versions_keep_every_version(book, deal_doc):
    v1 = book.deal("zjk-2025-term").version
    with pytest.raises(InputError, match="reason"):
        book.save_deal("credit", deal_doc, expected_version=v1, kind="amended")
    doc = {**deal_doc, "borrower": "Renamed Co."}
    book.save_deal("credit", doc, expected_version=v1, reason="acquisition of hall C", kind="amended")
    vs = book.deal_versions("zjk-2025-term")
    assert [(v["version"], v["kind"]) for v in vs] == [(v1, "created"), (v1 + 1, "amended")]
    assert vs[0]["document"].get("borrower") == deal_doc.get("borrower") and vs[1]["document"]["borrower"] == "Renamed Co."
    assert [e.action for e in book.audit_log("admin", entity="deal")][-1] == "deal.amend"


@pytest.mark.parametrize("table", ["deal_versions", "monitoring_records", "margin_change_records",
                                   "margin_change_decisions", "margin_notices"])
def test_raw_sql_cannot_rewrite_the_record(book, table):
    book.record_monitoring_observation("verifier", "zjk-2025-term", D(2025, 12, 31), status="verified",
                                       kpis={"index": 95.0}, statement_id="VS-1", certificate_delivered=D(2026, 4, 24))
    c = book.prepare_margin_change("credit", "zjk-2025-term", "k/4", _change())
    book.approve_margin_change("credit2", c.id)
    book.save_notice("credit", c.id, "MCN-4", {"a": 1}, pdf=PDF)
    for stmt in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with pytest.raises(ImmutableRecordError, match=table), book._write() as s:
            s.execute(text(stmt))
    assert book.margin_change_record(c.id).state == "approved"
