"""The deal designer in a real browser: sign in as credit officer, design a deal end to end, save it.

``streamlit run`` on a free port (fixture ``server``), Debian's chromium through Playwright (fixture
``browser``); screenshots to ``artifacts/designer_*.png``. Expected figures come from the finance engine
called here on the shipped deal file.
"""

from __future__ import annotations

import uuid

from browser_util import BROWSER_MARKS, ROOT, UI_TIMEOUT_MS, settled, shot, sign_in, switch_language

pytestmark = BROWSER_MARKS
DEAL_FILE = ROOT / "data/deals/demo-zjk-sll-2025.toml"


def _expected_pv(margin_bp: float | None = None) -> str:
    import workflows
    from finance.deal import Deal
    from index.tomlfile import read_toml

    doc = read_toml(DEAL_FILE)
    if margin_bp is not None:
        doc["loan"]["margin_bp"] = margin_bp
    ev = workflows.evaluate_deal(Deal.model_validate(doc), workflows.FileSource())
    return f"{ev.valuation().to_dict()['expected_pv_saving']:,.2f}"


def _section(page, heading: str, name: str) -> None:
    """Scroll a heading to the top of the view and screenshot (Streamlit scrolls inside its main block, so a
    full-page shot only holds the view)."""
    page.get_by_text(heading).first.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(700)  # charts draw after scrolling into view
    shot(page, name)


def _tab(page, label: str, name: str | None = None) -> None:
    """Open the designer's step tab ``label`` (and screenshot the page with it when ``name`` is given)."""
    page.get_by_role("tab", name=label).click()
    settled(page)
    if name:
        page.wait_for_timeout(700)  # charts draw once their tab is shown
        shot(page, name)


def test_design_a_deal_end_to_end_and_save_it(server, browser):
    from app_support.store import app_store

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    sign_in(page, "credit_officer")
    page.goto(f"{server}/deal_designer")
    settled(page)
    shot(page, "designer_zh")
    _tab(page, "6 · 情景、现金流与价值")
    page.get_by_text(_expected_pv()).first.wait_for(timeout=UI_TIMEOUT_MS)  # the demo deal from the deal book
    settled(page)
    shot(page, "designer_zh_value")

    switch_language(page, "en")
    page.get_by_text("Copy of a deal (template)").click()
    settled(page)
    deal_id = f"browser-designer-{uuid.uuid4().hex[:8]}"
    box = page.get_by_label("Deal id", exact=True)
    box.fill(deal_id)
    box.press("Enter")
    settled(page)
    _tab(page, "3 · Loan terms")
    margin = page.get_by_label("Margin [bp]", exact=True).and_(page.locator("input"))
    margin.fill("40")
    margin.press("Enter")
    settled(page)
    _tab(page, "6 · Scenarios, cash flows and value")
    page.get_by_text(_expected_pv(40.0)).first.wait_for(timeout=UI_TIMEOUT_MS)  # the numbers moved
    shot(page, "designer_en_value_margin40")
    _section(page, "Cash-flow table of scenario", "designer_en_cash_flows")
    _tab(page, "4 · Ratchet design", "designer_en_ratchet")
    _tab(page, "5 · SPTs and their ambition", "designer_en_spts")

    page.get_by_role("button", name="Save to the deal book").click()
    page.get_by_text(f"Saved deal {deal_id} as version 1").first.wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    _section(page, "7 · Save to the deal book", "designer_en_saved")
    page.close()
    assert app_store().load_deal_document(deal_id)["loan"]["margin_bp"] == 40.0
