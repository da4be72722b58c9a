"""The monitoring loop in a real browser (Debian chromium via Playwright against ``streamlit run``, issue 12).

1. The demo credit officer prepares the change the record gives for the demo deal and cannot approve it.
2. The verifier issues the 2025 statement → the credit officer sees the prepared changes → a second credit officer
   approves them → the portfolio shows the new margin → the notices download (PDF kept as test artifacts and
   rendered to PNG: ``artifacts/margin_notice_*.pdf`` / ``.png``).

Hand figures (data/deals/demo-zjk-sll-2025.toml: margin 30 bp, SPT ratchet index 0.6 / PUE 0.4, steps −10 / +10 bp,
cap 10, timing 5 business days on the Chinese calendar):

* No statement for 2025 by its certificate due date 2026-04-30 → all SPTs missed, +10 bp: 30 → 40 bp from
  2026-05-11 (1–5 May holiday, Sat 9 May a working day: 6, 7, 8, 9, 11 May).
* The statement issued today (the certificate delivered today, late) cures it. The verifier accepts every 2025
  figure as reported, so the statement certifies the reported index 98.69 (the issue's figure) and PUE
  418,167,360 / 357,408,000 = 1.170; 98.69 ≥ 86 + 2 (band) and 1.170 ≤ 1.20 − 0.02: both met,
  0.6 × (−10) + 0.4 × (−10) = −10 bp: 40 → 20 bp from 5
  Chinese business days after today (QuantLib ``China.IB`` as the oracle). Until then the margin in force today is
  the approved step-up, 40 bp, which the portfolio shows.

The second credit officer is the demo sign-in's "Demo credit officer 2" (``credit2``): it clicks Approve on both
changes in the page, which the preparer could not.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from browser_util import (
    ARTIFACTS,
    BROWSER_MARKS,
    UI_TIMEOUT_MS,
    open_page,
    settled,
    shot,
    sign_in,
    switch_language,
)

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def app_database(tmp_path_factory):
    """This module's own deal book (the page writes to it), in demo mode (demo sign-in, demo data seeded)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DCSLL_DEMO", "1")
        yield f"sqlite:///{tmp_path_factory.mktemp('margin_db') / 'dcsll.sqlite'}"


def test_credit_officer_prepares_and_cannot_approve(server, browser, app_database):
    from store import open_store

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    sign_in(page, "credit_officer")
    switch_language(page, "en")
    open_page(page, "Margin changes")
    page.get_by_role("button", name="Prepare the changes the record gives").click()
    settled(page)
    page.get_by_text("certificate overdue: all missed: 30 → 40 bp from 2026-05-11, prepared by credit").wait_for(timeout=UI_TIMEOUT_MS)
    st = open_store(app_database)
    (c,) = [c for c in st.margin_change_records("demo-zjk-sll-2025")]
    assert (c.kind, c.state, c.prepared_by) == ("reporting_failure", "prepared", "credit")
    assert (c.effective_date, c.margin_before_bp, c.margin_after_bp) == (dt.date(2026, 5, 11), 30.0, 40.0)
    assert page.get_by_role("button", name="Approve").first.is_disabled()
    shot(page, "margin_changes")
    st.close()
    page.close()


DEMO = "demo-zjk-sll-2025"
SID = "VS-DEMO-ZJK-2025"   # the statement id of the deal book's engagement (seeded)


def _cure_date(today: dt.date) -> dt.date:
    import QuantLib as ql

    d = ql.China(ql.China.IB).advance(ql.Date(today.day, today.month, today.year), 5, ql.Days)
    return dt.date(d.year(), d.month(), d.dayOfMonth())


def test_statement_to_approval_to_portfolio_and_notice(server, browser, app_database, tmp_path):
    import pdfplumber
    from openpyxl import load_workbook

    from store import open_store

    today = dt.date.today()
    cure = _cure_date(today)
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(server)

    # 1. the verifier issues the 2025 statement (the page records the observation it certifies)
    sign_in(page, "verifier")
    switch_language(page, "en")
    open_page(page, "Verification")
    page.get_by_text("I accept every figure I have not verified as reported").click()
    settled(page)
    page.get_by_role("button", name="Issue signed statement").click()
    page.get_by_text(f"Statement {SID} issued").wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    st = open_store(app_database)
    (rec,) = st.monitoring_records(DEMO)
    assert (rec.status, rec.statement_id, rec.certificate_delivered) == ("verified", SID, today)
    assert (round(rec.kpis["index"], 2), round(rec.kpis["pue"], 3)) == (98.69, 1.170)
    assert rec.outcomes == {"index": "met", "pue": "met"}

    # 2. the credit officer sees the changes the record gives and prepares them
    sign_in(page, "credit_officer")
    open_page(page, "Margin changes")
    if page.get_by_role("button", name="Prepare the changes the record gives").count():
        page.get_by_role("button", name="Prepare the changes the record gives").click()
        settled(page)
    page.get_by_text(f"late certificate: cure: 40 → 20 bp from {cure.isoformat()}, prepared by credit").wait_for(
        timeout=UI_TIMEOUT_MS)
    changes = sorted(st.margin_change_records(DEMO), key=lambda c: c.effective_date)
    assert [(c.kind, c.state, c.effective_date, c.margin_before_bp, c.margin_after_bp) for c in changes] == [
        ("reporting_failure", "prepared", dt.date(2026, 5, 11), 30.0, 40.0),
        ("cure", "prepared", cure, 40.0, 20.0)]
    assert all(b.is_disabled() for b in page.get_by_role("button", name="Approve").all())   # four eyes
    shot(page, "margin_changes_prepared")

    # 3. a second credit officer approves both, in the page
    sign_in(page, "credit_officer_2")
    open_page(page, "Margin changes")
    for _ in changes:
        enabled = [b for b in page.get_by_role("button", name="Approve").all() if b.is_enabled()]
        assert enabled, "the second credit officer sees an Approve button it may press"
        enabled[0].click()
        settled(page)
    assert {c.state for c in st.margin_change_records(DEMO)} == {"approved"}
    sign_in(page, "credit_officer")
    open_page(page, "Margin changes")
    page.get_by_role("button", name="Notice for observation 2025-12-31").click()
    settled(page)
    buttons = page.get_by_role("button", name="Download notice MCN-")
    buttons.first.wait_for(timeout=UI_TIMEOUT_MS)
    assert buttons.count() == 2
    assert page.get_by_role("button", name="Notice for observation 2025-12-31").count() == 0   # never twice
    shot(page, "margin_changes_approved")
    ARTIFACTS.mkdir(exist_ok=True)
    texts = []
    for k in range(2):
        with page.expect_download(timeout=UI_TIMEOUT_MS) as dl:
            buttons.nth(k).click()
        pdf = ARTIFACTS / f"margin_notice_{k + 1}.pdf"
        dl.value.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF-")
        with pdfplumber.open(pdf) as doc:
            texts.append("\n".join(p.extract_text() or "" for p in doc.pages))
        if shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-png", "-r", "80", str(pdf), str(ARTIFACTS / f"margin_notice_{k + 1}")],
                           check=True)
    notices = sorted(st.notices(DEMO), key=lambda n: n.document["effective_date"])
    assert [(n.document["old_margin_bp"], n.document["new_margin_bp"]) for n in notices] == [(30.0, 40.0),
                                                                                              (40.0, 20.0)]
    assert all(n.document["prepared_by"] == "credit" and n.document["approved_by"] == ["credit2"] for n in notices)
    both = "\n".join(texts)
    assert SID in both and "2026-05-11" in both and cure.isoformat() in both

    # 4. the portfolio shows the margin in force today from the record: the approved step-up, 40 bp
    open_page(page, "Portfolio")
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    with page.expect_download(timeout=UI_TIMEOUT_MS) as dl:
        page.get_by_role("button", name="Download the table as Excel").click()
    path = tmp_path / "portfolio.xlsx"
    dl.value.save_as(path)
    rows = list(load_workbook(path)["portfolio"].iter_rows(values_only=True))
    demo = next(dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[0] == DEMO)
    assert demo["Margin [bp]"] == (40.0 if today < cure else 20.0)
    st.close()
    page.close()
