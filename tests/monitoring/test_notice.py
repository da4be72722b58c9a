"""Margin-change notices: model, CSV/JSON, bilingual PDF (issue 12 part 4).

Uses the hand-worked deal of test_margin_record.py: observation 2026-06-30's certificate was 51 days late, so it
gives two notices: the reporting failure (90 -> 110 bp from 2026-10-15) and the cure (110 -> 100 bp from 2027-01-15).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pdfplumber
import pytest

from finance.monitoring import margin_events_from_record
from finance.notice import (
    CSV_COLUMNS,
    notice_from_change,
    notice_to_csv,
    notice_to_json,
    notices_for_observation,
)
from finance.notice_pdf import render_notice_pdf
from index.errors import InputError
from tests.monitoring.test_margin_record import RECORD, REPORTED, make_deal

D = dt.date


@pytest.fixture(scope="module")
def notices():
    deal = make_deal()
    changes = margin_events_from_record(deal, RECORD, as_of=D(2027, 2, 1))
    return notices_for_observation(deal, changes, D(2026, 6, 30), prepared_by="co.wang", approved_by=["co.li"],
                                   issue_date=D(2026, 11, 23))


def test_late_certificate_gives_failure_and_cure_notices(notices):
    assert [(n.kind, n.old_margin_bp, n.new_margin_bp, n.change_bp, n.effective_date) for n in notices] == [
        ("reporting_failure", 90.0, 110.0, 20.0, D(2026, 10, 15)),
        ("cure", 110.0, 100.0, -10.0, D(2027, 1, 15)),
    ]
    cure = notices[1]
    assert cure.statement_id == "VS-2026" and cure.statement_sha256 == "ab" * 32
    assert cure.facility_id == "demo-zjk-hyperscale" and cure.currency == "USD" and cure.base_rate == "TERM_SOFR_3M"
    assert cure.notice_id == "MCN-hand-sll-2026-06-30-cure"
    assert notices[0].statement_id is None


def test_four_eyes_and_indicative_refused():
    deal = make_deal(spt_index=(96.0, 88.0, 90.0))
    changes = margin_events_from_record(make_deal(), RECORD, as_of=D(2027, 2, 1))
    with pytest.raises(InputError, match="four-eyes"):
        notice_from_change(deal, changes[0], prepared_by="co.wang", approved_by=["co.wang"], issue_date=D(2026, 1, 1))
    with pytest.raises(InputError, match="at least one approver"):
        notice_from_change(deal, changes[0], prepared_by="co.wang", approved_by=[], issue_date=D(2026, 1, 1))
    ind = margin_events_from_record(deal, [REPORTED], as_of=D(2025, 9, 1))
    with pytest.raises(InputError, match="indicative"):
        notice_from_change(deal, ind[0], prepared_by="a", approved_by=["b"], issue_date=D(2025, 9, 1))
    with pytest.raises(InputError, match="no recorded margin change for observation 2027-06-30"):
        notices_for_observation(deal, changes[:1], D(2027, 6, 30), prepared_by="a", approved_by=["b"],
                                issue_date=D(2025, 9, 1))


def test_csv_and_json(notices):
    rows = list(csv.DictReader(io.StringIO(notice_to_csv(notices))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [(r["kind"], r["old_margin_bp"], r["new_margin_bp"], r["effective_date"]) for r in rows] == [
        ("reporting_failure", "90.0", "110.0", "2026-10-15"), ("cure", "110.0", "100.0", "2027-01-15")]
    assert rows[1]["spt_outcomes"] == "index=89.5/88:met:-5bp; pue=1.21/1.19:missed:+5bp"
    assert rows[1]["approved_by"] == "co.li" and rows[1]["statement_id"] == "VS-2026"
    data = json.loads(notice_to_json(notices))
    assert [d["schema"] for d in data] == ["dcsll.margin_notice/1"] * 2
    assert data[1]["new_margin_bp"] == 100.0 and data[1]["spts"][1]["outcome"] == "missed"
    assert "逾期51天" in data[1]["reason_zh"]
    assert json.loads(notice_to_json(notices[0]))["kind"] == "reporting_failure"


def test_pdf_text_bilingual_and_reproducible(notices):
    cure = notices[1]
    pdf = render_notice_pdf(cure, invariant=True)
    assert pdf.startswith(b"%PDF-")
    assert render_notice_pdf(cure, invariant=True) == pdf
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        assert len(doc.pages) == 1
        text = doc.pages[0].extract_text()
    for want in ("利差调整通知", "Margin-change notice", "MCN-hand-sll-2026-06-30-cure", "2027-01-15", "110", "100",
                 "-10", "VS-2026", "ab" * 32, "co.wang", "co.li", "逾期51天", "51 days late", "达成", "missed"):
        assert want in text, want
    en = render_notice_pdf(cure, lang="en", invariant=True)
    with pdfplumber.open(io.BytesIO(en)) as doc:
        text_en = doc.pages[0].extract_text()
    assert "Margin-change notice" in text_en and "利差调整通知" not in text_en
    with pytest.raises(InputError):
        render_notice_pdf(cure, lang="fr")


def test_notice_shows_the_dates_of_preparation_and_approval(notices):
    """The maker-checker dates are on the notice: prepared 2027-01-12, approved 2027-01-13 → both in the PDF and
    the CSV; an approval dated before the preparation is refused (it cannot have been checked)."""
    cure = notices[1].model_copy(update={"prepared_on": D(2027, 1, 12), "approved_on": D(2027, 1, 13)})
    with pdfplumber.open(io.BytesIO(render_notice_pdf(cure, invariant=True))) as doc:
        text = doc.pages[0].extract_text()
    assert "经办日期 / Prepared on 2027-01-12" in text and "审批日期 / Approved on 2027-01-13" in text
    (row,) = list(csv.DictReader(io.StringIO(notice_to_csv(cure))))
    assert (row["prepared_on"], row["approved_on"]) == ("2027-01-12", "2027-01-13")
    # without the dates (a notice from files) the rows are left out rather than printed empty
    with pdfplumber.open(io.BytesIO(render_notice_pdf(notices[1], invariant=True))) as doc:
        assert "Approved on" not in doc.pages[0].extract_text()
    deal = make_deal()
    change = margin_events_from_record(deal, RECORD, as_of=D(2027, 2, 1))[1]
    with pytest.raises(InputError, match="approved on 2027-01-11, before the change was prepared on 2027-01-12"):
        notice_from_change(deal, change, prepared_by="co.wang", approved_by=["co.li"], issue_date=D(2027, 1, 14),
                           prepared_on=D(2027, 1, 12), approved_on=D(2027, 1, 11))


def test_pdf_of_reporting_failure_says_all_missed(notices):
    with pdfplumber.open(io.BytesIO(render_notice_pdf(notices[0], invariant=True))) as doc:
        text = doc.pages[0].extract_text()
    assert "every SPT counts as missed" in text and "+20" in text and "2026-10-15" in text


def test_pdf_with_the_cid_fallback_font_says_so(notices):
    with pdfplumber.open(io.BytesIO(render_notice_pdf(notices[1], cjk_font="cid", invariant=True))) as doc:
        text = doc.pages[0].extract_text()
    assert "not embedded" in text and "MCN-hand-sll-2026-06-30-cure" in text


def test_pdf_long_id_breaks_at_hyphens_and_late_days_shown(notices):
    """The demo deal's failure notice id "MCN-demo-zjk-sll-2025-2025-12-31-reporting_failure" is wider than its
    62 mm header column in 7.4 pt Helvetica-Bold, so it breaks after a hyphen (never inside "reporting_failure");
    the certificate row says it was 51 days late (2026-11-20 − 2026-09-30) in both languages."""
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth

    nid = "MCN-demo-zjk-sll-2025-2025-12-31-reporting_failure"
    assert stringWidth(nid, "Helvetica-Bold", 7.4) > 62 * mm - 6
    n = notices[0].model_copy(update={"notice_id": nid})
    with pdfplumber.open(io.BytesIO(render_notice_pdf(n, invariant=True))) as doc:
        lines = doc.pages[0].extract_text().splitlines()
    assert any(line.rstrip().endswith("MCN-demo-zjk-sll-2025-2025-12-31-") for line in lines)
    assert any(line.strip() == "reporting_failure" for line in lines)
    assert any("2026-09-30 / 2026-11-20 (逾期51天 / 51 days late)" in line for line in lines)


def test_chinese_notice_names_the_kpis_and_the_change_kind(notices):
    """zh notice (issue 17): the reason and the SPT table name the KPIs (statement catalogue [kpi_names]: index →
    绿色算力指数总分; methodology name_zh of pue → 电能利用效率 (PUE)), never their ids, and the change kind by its
    label (合规证书逾期…), never ``reporting_failure``."""
    for n in notices:
        with pdfplumber.open(io.BytesIO(render_notice_pdf(n, lang="zh", invariant=True))) as doc:
            text = "".join(p.extract_text() for p in doc.pages).replace(n.notice_id, "")   # the id may say it
        assert "reporting_failure" not in text and not re.search(r"\b(index|pue)\b", text), text
        if n.kind == "cure":
            assert "绿色算力指数总分" in text and "电能利用效率" in text
        else:
            assert "合规证书逾期：全部目标视为未达成" in text
