"""The verification page in a real browser (Debian chromium via Playwright against ``streamlit run``): sign in as
the verifier, edit a verified value with evidence, record it, issue and download the signed statement, check
the download with the project's verifier and pdfplumber, then upload an intact and an altered PDF.

Screenshots: ``artifacts/verification_*.png`` (and page 1 of the issued PDF rendered with pdftoppm).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from browser_util import (
    ARTIFACTS,
    BROWSER_MARKS,
    ROOT,
    UI_TIMEOUT_MS,
    settled,
    shot,
    sign_in,
    switch_language,
)

pytestmark = BROWSER_MARKS
IT_VERIFIED = 340_000_000  # [kWh]; reported 357,408,000 (facility file, 2025)
SID = "VS-DEMO-ZJK-2025"  # the statement id of the deal book's engagement (seeded)


@pytest.fixture(scope="module")
def app_database(tmp_path_factory):
    """This module's own deal book and demo signing identity (the page writes figures and a statement)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('verification_db') / 'dcsll.sqlite'}"
    old = os.environ.get("DCSLL_HOME")
    os.environ["DCSLL_HOME"] = str(tmp_path_factory.mktemp("verification_home"))
    yield url
    if old is None:
        os.environ.pop("DCSLL_HOME", None)
    else:
        os.environ["DCSLL_HOME"] = old


def _expected(methodology):
    """Index total with the verified IT energy (index engine on the facility file) and the margin after
    (hand calculation: index met -6 bp, PUE 418,167,360 / 340,000,000 = 1.2299 > 1.22 missed +4 bp → 30 − 2)."""
    from index.engine import score
    from index.models import PeriodData, load_facility

    fac = load_facility(ROOT / "data/facilities/demo-zjk-hyperscale.toml")
    p = next(p for p in fac.periods if p.label == "2025")
    d = p.model_dump(exclude_none=True)
    d["it_energy_kwh"] = {"value": float(IT_VERIFIED), "status": "verified", "source": "test"}
    return score(fac, PeriodData.model_validate(d), methodology).total, 28.0


def _verify(pdf, cert):
    """``finance.statement_sign.verify_statement`` in a worker thread: pyHanko calls ``asyncio.run``, which
    cannot run inside Playwright's sync event loop on this thread."""
    from concurrent.futures import ThreadPoolExecutor

    from finance.statement_sign import verify_statement

    with ThreadPoolExecutor(1) as ex:
        return ex.submit(verify_statement, pdf, [cert]).result()


def test_verifier_edits_issues_downloads_and_checks(server, browser, methodology, tmp_path):
    from playwright.sync_api import expect

    from finance.statement_sign import dcsll_home

    total, margin_after = _expected(methodology)
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(server)
    sign_in(page, "verifier")
    page.get_by_text("数据：报告值与核查值").first.wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    shot(page, "verification_zh")
    switch_language(page, "en")
    page.get_by_text("Figures: reported and verified").first.wait_for(timeout=UI_TIMEOUT_MS)

    # edit IT energy: draft, live outcome
    page.get_by_label("Figure to edit").click()
    page.get_by_role("option", name="IT equipment energy", exact=True).click()
    settled(page)
    # the IT energy input (the previous figure's input may linger while the rerun finishes)
    box = page.locator("input[aria-label='Verified value [kWh]'][value='357408000.00']")
    box.wait_for(timeout=UI_TIMEOUT_MS)
    box.fill(str(IT_VERIFIED))
    box.press("Enter")
    settled(page)
    metrics = page.locator("[data-testid='stMetricValue']")
    expect(metrics.nth(0)).to_have_text(f"{total:.2f}", timeout=UI_TIMEOUT_MS)
    expect(metrics.nth(1)).to_have_text("-2", timeout=UI_TIMEOUT_MS)
    note = page.get_by_role("textbox", name="Evidence note (document, meter, reference)")
    note.fill("VR-2025-07 meter audit")
    note.press("Enter")
    settled(page)
    page.get_by_text("Resulting index, SPT outcomes and margin").scroll_into_view_if_needed()
    shot(page, "verification_draft_en")
    page.get_by_role("button", name="Record verified values").click()
    page.get_by_text("Recorded 1 verified figure(s) in the deal book.").wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)

    # issue and download
    page.get_by_text("I accept every figure I have not verified as reported").click()
    settled(page)
    page.get_by_role("button", name="Issue signed statement").click()
    page.get_by_text(f"Statement {SID} issued").wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    page.get_by_role("button", name="Download statement PDF").scroll_into_view_if_needed()
    shot(page, "verification_issued_en")
    with page.expect_download(timeout=UI_TIMEOUT_MS) as dl:
        page.get_by_role("button", name="Download statement PDF").click()
    pdf = tmp_path / "statement.pdf"
    dl.value.save_as(pdf)

    cert = dcsll_home() / "demo-signer" / "demo-signer.cert.pem"
    rep = _verify(pdf, cert)
    assert (rep.status, rep.statement_id) == ("intact", SID), (rep.reasons, str(cert))
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        text = "\n".join(p.extract_text() or "" for p in doc.pages)
    assert f"{total:.2f}" in text and f"{margin_after:g}" in text and "351,689,000" not in text
    # PUE as reported 418,167,360 / 357,408,000 = 1.170 and verified 418,167,360 / 340,000,000 = 1.230 (3 dp)
    assert "1.170" in text and "1.230" in text
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(ARTIFACTS / "verification_statement_p1")], check=True)

    # check: the intact download, then a copy with one signed byte changed
    upload = page.locator("[data-testid='stFileUploader'] input[type='file']").first
    upload.set_input_files(str(pdf))
    page.get_by_text("INTACT: signature valid").wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    shot(page, "verification_check_intact_en")
    data = pdf.read_bytes()
    i = data.index(b"/Contents") // 2
    bad = tmp_path / "altered.pdf"
    bad.write_bytes(data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:])
    assert _verify(bad, cert).status == "altered"
    upload.set_input_files(str(bad))
    page.get_by_text("ALTERED: the file was changed").wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    shot(page, "verification_check_altered_en")
    page.close()
