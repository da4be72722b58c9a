"""The Margin changes page in a real browser (Debian chromium via Playwright against ``streamlit run``): the demo
credit officer prepares the change the record gives for the demo deal and cannot approve it (four eyes).

Hand figures: no statement issued for 2025, certificate due 2026-04-30, so on any day after it the record gives
the "all missed" step-up +10 bp: 30 → 40 bp from 2026-05-11 (5 business days on the Chinese calendar: 1–5 May
holiday, Sat 9 May a working day). Screenshot: ``artifacts/margin_changes.png``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from browser_util import BROWSER_MARKS, UI_TIMEOUT_MS, open_page, settled, shot, sign_in, switch_language

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
    page.get_by_text("reporting_failure: 30 → 40 bp from 2026-05-11, prepared by credit").wait_for(timeout=UI_TIMEOUT_MS)
    st = open_store(app_database)
    (c,) = [c for c in st.margin_change_records("demo-zjk-sll-2025")]
    assert (c.kind, c.state, c.prepared_by) == ("reporting_failure", "prepared", "credit")
    assert (c.effective_date, c.margin_before_bp, c.margin_after_bp) == (dt.date(2026, 5, 11), 30.0, 40.0)
    assert page.get_by_role("button", name="Approve").first.is_disabled()
    shot(page, "margin_changes")
    st.close()
    page.close()
