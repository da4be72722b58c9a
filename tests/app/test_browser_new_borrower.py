"""A new borrower end to end in a real browser (Debian chromium via Playwright against ``streamlit run``), with no
file of that borrower on the server (issue 11):

1. the operator creates its facility (Data submission · New facility) and reports for it from then on;
2. the operator uploads 60 months of metered data and two annual periods (CSV files from the browser);
3. the verifier records a verified figure with evidence in each period and marks the earlier one verified;
4. the credit officer designs a new deal on it (dates from today, baseline = the verified year, SPTs with the
   ambition checks) and saves it; its numbers are checked against the finance engine on the deal book;
5. the credit officer simulates it (business as usual); the expected PV is checked against ``workflows.simulate``;
6. the verifier enters a verifier identity, chooses the standard and issues the statement: its issue date is
   today, its evidence notes and index total are in the PDF (pdfplumber); it is listed and downloads again.

Years follow today's date: the baseline is last year, the first observation is 31 December of this year.
Screenshots: ``artifacts/new_borrower_*.png``.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import uuid

import pandas as pd
import pytest
from browser_util import (
    BROWSER_MARKS,
    ROOT,
    UI_TIMEOUT_MS,
    open_page,
    settled,
    shot,
    sign_in,
    switch_language,
)

pytestmark = BROWSER_MARKS
TODAY = dt.date.today()
BASE, OBS = str(TODAY.year - 1), str(TODAY.year)  # baseline year (verified), observation year
FID = f"nb-{uuid.uuid4().hex[:6]}"
NAME = "New Borrower Campus"
#: the figures of the two periods: the demo facility's 2024 and 2025 figures, relabelled (fictional borrower)
DEMO = ROOT / "data/facilities/demo-zjk-hyperscale.toml"
MONTHLY = ROOT / "data/monthly/demo-zjk-hyperscale.csv"
#: the verifier's edits: IT energy of each period [kWh] with its evidence note
EDITS = {BASE: (326_000_000, "VR-NB-BASE meter M-03 recalibration"),
         OBS: (355_000_000, "VR-NB-OBS meter audit, sheet 4")}
VERIFIER = {"id": "nb-assurance", "name_en": "North Bridge Assurance", "name_zh": "北桥鉴证", "accreditation": "CNAS V4321",
            "signatory": "Zhao Lei", "title_en": "Lead Verifier", "place_en": "Hohhot"}


@pytest.fixture(scope="module")
def app_database(tmp_path_factory):
    """This module's own deal book (seeded with the demo data, which knows nothing of this borrower) and demo
    signing identity."""
    url = f"sqlite:///{tmp_path_factory.mktemp('new_borrower_db') / 'dcsll.sqlite'}"
    old = {k: os.environ.get(k) for k in ("DCSLL_HOME", "DCSLL_DATABASE_URL")}
    os.environ["DCSLL_HOME"] = str(tmp_path_factory.mktemp("new_borrower_home"))
    os.environ["DCSLL_DATABASE_URL"] = url
    yield url
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _periods_csv(tmp_path) -> str:
    """Two annual periods (reported) as the operator's CSV: the demo facility's 2024 / 2025 figures."""
    from app_support.periods_table import columns, periods_frame
    from index.methodology import load_methodology
    from index.models import load_facility

    m = load_methodology()
    cols = columns([i for i, ind in m.indicators.items() if ind.curve.type in ("checklist", "composite")])
    rows = []
    for label, p in zip((BASE, OBS), load_facility(DEMO).periods[-2:], strict=True):
        d = p.model_dump(mode="json", exclude_none=True)
        for k in ("start", "end", "notes"):
            d.pop(k, None)
        for v in d.values():
            if isinstance(v, dict) and "status" in v:
                v["status"] = "reported"
        rows.append({**d, "label": label, "status": "reported", "source": "operator submission (browser test)"})
    path = tmp_path / "periods.csv"
    periods_frame(rows, cols).dropna(axis=1, how="all").to_csv(path, index=False)
    return str(path)


def _select(page, key: str, option: str) -> None:
    """Pick ``option`` in the selectbox whose widget key is ``key``."""
    box = page.locator(f".st-key-{key} input")
    opt = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):  # a click on a box that still has the focus may close the list instead of opening it
        box.click()
        try:
            opt.wait_for(timeout=3000)
            break
        except Exception:  # noqa: BLE001 - playwright TimeoutError: open it again
            page.keyboard.press("Escape")
    opt.click()
    settled(page)


def _fill(page, label: str, value: str, scope=None) -> None:
    box = (scope or page).get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter")
    settled(page)


def _uploader(page, label: str):
    """The file input of the uploader labelled ``label`` (hidden tabs have uploaders of their own)."""
    return page.locator("[data-testid='stFileUploader']").filter(has_text=label).locator("input[type='file']")


def _metric(page, label: str) -> str:
    m = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return m.locator("[data-testid='stMetricValue']").inner_text().strip()


@pytest.fixture
def page(server, browser):
    """A browser page on the app; its last state is kept as artifacts/new_borrower_last.png (where a failure stopped)."""
    pg = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg.goto(server)
    yield pg
    if not pg.is_closed():
        shot(pg, "new_borrower_last")
        pg.close()


def test_new_borrower_end_to_end(page, tmp_path):
    from app_support.store import app_store

    # 1 · the borrower's operator creates its facility (and reports for it)
    sign_in(page, "operator")
    switch_language(page, "en")
    open_page(page, "Data submission")
    page.get_by_role("tab", name="New facility").click()
    for key, value in (("new_fac_id", FID), ("new_fac_name", NAME), ("new_fac_province", "hebei"),
                       ("new_fac_power", "60000")):
        page.locator(f".st-key-{key} input").fill(value)
    page.get_by_role("button", name="Create the facility").click()
    page.get_by_text(f"Created facility {FID} in the deal book").wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    shot(page, "new_borrower_1_facility")
    book = app_store()
    assert FID in book.user("operator").facilities

    # 2 · operator: 60 months of metered data, then two annual periods
    open_page(page, "Data submission")
    page.get_by_role("tab", name="Monthly metered data").click()
    settled(page)
    page.locator(".st-key-monthly_facility_en input").click()
    page.get_by_role("option", name=FID, exact=True).click()
    settled(page)
    _uploader(page, "Monthly data (CSV or Excel)").set_input_files(str(MONTHLY))
    page.get_by_text("60 months checked").wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    page.get_by_role("button", name=f"Save the monthly data of {FID} to the deal book").click()
    page.get_by_text(f"Saved 60 month(s) of {FID}").wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    shot(page, "new_borrower_2_monthly")
    assert len(book.monthly(FID)) == 60
    page.get_by_role("tab", name="Upload a file").click()
    settled(page)
    _uploader(page, "Facility file (TOML) or periods table").set_input_files(_periods_csv(tmp_path))
    settled(page)
    page.locator(".st-key-upload_attach_en input").click()
    page.get_by_role("option", name=FID, exact=True).click()
    settled(page)
    page.get_by_text("File is valid: ").first.wait_for(timeout=UI_TIMEOUT_MS)
    page.get_by_role("button", name=f"Save to the deal book ({FID})").click()
    page.get_by_text(f"facility {FID},").first.wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    shot(page, "new_borrower_2_periods")
    assert [(p.label, p.status) for p in book.load_facility(FID).periods] == [(BASE, "reported"), (OBS, "reported")]

    # 3 · verifier: a verified figure with evidence in each period; the baseline year marked verified
    sign_in(page, "verifier")
    page.get_by_text("A facility period (no deal needed)").click()
    settled(page)
    _select(page, "ver_facility", f"{NAME} ({FID})")
    for period in (BASE, OBS):
        _select(page, "ver_fperiod", period)
        _select(page, "ver_field_en", "IT equipment energy")
        value, evidence = EDITS[period]
        box = page.get_by_label("Verified value [kWh]", exact=True)
        box.fill(str(value))
        box.press("Enter")
        settled(page)
        _fill(page, "Evidence note (document, meter, reference)", evidence)
        page.get_by_role("button", name="Record verified values").click()
        page.get_by_text("Recorded 1 verified figure(s) in the deal book.").wait_for(timeout=UI_TIMEOUT_MS)
        settled(page)
    _select(page, "ver_fperiod", BASE)
    _fill(page, "Verification reference of the period (report number, evidence)", "VR-NB-BASE")
    page.get_by_role("button", name=f"Mark {BASE} verified").click()
    page.get_by_text(f"Period {BASE} is verified in the deal book").first.wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    shot(page, "new_borrower_3_verified")
    fac = book.load_facility(FID)
    assert [(p.label, p.status) for p in fac.periods] == [(BASE, "verified"), (OBS, "reported")]

    # 4 · credit officer designs the deal: dates from today, baseline = the verified year
    sign_in(page, "credit_officer")
    open_page(page, "Deal designer")
    page.get_by_text("New deal for a facility").click()
    settled(page)
    _select(page, "dz_new_facility", f"{NAME} ({FID})")
    from index.baseline import compute_baseline

    base = compute_baseline(fac, [BASE])
    assert _metric(page, "Baseline index") == f"{base.kpis['index']:.2f}"
    page.get_by_role("tab", name="5 · SPTs and their ambition").click()   # the designer's steps are tabs
    page.get_by_text("Ambition checks: beyond business as usual").first.wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    shot(page, "new_borrower_4_designer")
    page.get_by_role("button", name="Save to the deal book").click()
    deal_id = f"{FID}-sll"
    page.get_by_text(f"Saved deal {deal_id} as version 1").first.wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    import workflows

    doc = book.load_deal_document(deal_id)
    assert str(doc["loan"]["start_date"]) == TODAY.isoformat()
    assert [o.get("period") for o in doc["observations"]][0] == OBS
    src = workflows.StoreSource(book)
    v = workflows.evaluate_deal(src.deal(deal_id), src).valuation().to_dict()
    page.get_by_role("tab", name="6 · Scenarios, cash flows and value").click()
    settled(page)
    money = lambda x: "—" if x is None else f"{x:,.2f}"  # noqa: E731  (no scenarios yet: no expected PV)
    for label, key in (("PV of verification costs", "pv_verification_cost"), ("Expected PV saving", "expected_pv_saving"),
                       ("Break-even verification cost", "break_even_cost_per_year"), ("Net PV", "net_pv")):
        assert _metric(page, label) == money(v[key]), label
    assert v["pv_verification_cost"] > 0

    # 5 · credit officer simulates it (business as usual, the CLI's defaults)
    open_page(page, "Target-path simulator")
    _select(page, "sim_deal", deal_id)
    page.get_by_role("button", name="Run simulation").click()
    page.get_by_text("Expected PV of interest saved").first.wait_for(timeout=UI_TIMEOUT_MS * 3)
    settled(page)
    shot(page, "new_borrower_5_simulated")
    sim = workflows.simulate(src.deal(deal_id), src, levers=(), paths=workflows.DEFAULTS.simulate_paths,
                             seed=workflows.DEFAULTS.seed).to_dict()["runs"]["bau"]
    assert _metric(page, "Expected PV of interest saved") == f"{sim['expected_pv_saving']:,.0f}"

    # 6 · verifier: identity and engagement in the app, statement issued, listed, downloaded again
    sign_in(page, "verifier")
    page.get_by_text("A deal's observation").click()
    settled(page)
    _select(page, "ver_deal", deal_id)
    _select(page, "ver_period", OBS)
    page.get_by_text("Verifier identity (deal book)").click()
    settled(page)
    for key, value in VERIFIER.items():
        box = page.locator(f".st-key-vf_{key} input")
        box.fill(value)
        box.press("Tab")
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Save the verifier identity").click()
    settled(page)
    for _ in range(20):
        if "nb-assurance" in book.verifiers():
            break
        page.wait_for_timeout(500)
    assert book.verifiers()["nb-assurance"]["name"] == {"en": "North Bridge Assurance", "zh": "北桥鉴证"}
    _select(page, "ver_verifier", "North Bridge Assurance (nb-assurance)")
    _select(page, f"ver_standards_{deal_id}_{OBS}", "ISAE 3000 (Revised)")
    page.keyboard.press("Escape")
    settled(page)
    page.get_by_text("I accept every figure I have not verified as reported").click()
    settled(page)
    sid = f"VS-{deal_id}-{OBS}".upper()
    page.get_by_role("button", name="Issue signed statement").click()
    page.get_by_text(f"Statement {sid} issued").wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    shot(page, "new_borrower_6_issued")
    with page.expect_download(timeout=UI_TIMEOUT_MS) as dl:
        page.get_by_role("button", name="Download statement PDF").click()
    pdf = dl.value.path().read_bytes()
    with page.expect_download(timeout=UI_TIMEOUT_MS) as dl2:
        page.get_by_role("button", name=f"Download {sid} again (PDF)").click()
    assert dl2.value.path().read_bytes() == pdf == book.statement_pdf(sid)

    import pdfplumber
    from pypdf import PdfReader

    from finance.statement import statement_from_json
    from index.engine import score
    from index.methodology import load_methodology

    statement = statement_from_json(PdfReader(io.BytesIO(pdf)).attachments["statement.json"][0])
    assert statement.issue_date == TODAY  # the signing day
    assert statement.verifier.name.en == "North Bridge Assurance"
    total = score(book.load_facility(FID), OBS, load_methodology()).total  # the verified figures of the book
    assert statement.index.total == pytest.approx(total, abs=1e-3)
    with pdfplumber.open(io.BytesIO(pdf)) as d:
        text = "\n".join(p.extract_text() or "" for p in d.pages)
    assert EDITS[OBS][1] in text.replace("\n", " ")  # the evidence note
    assert TODAY.isoformat() in text and f"{statement.index.total:.2f}" in text
    listed = pd.DataFrame([vars(i) for i in book.statements(deal_id)])
    assert list(listed["id"]) == [sid] and list(listed["status"]) == ["issued"]
