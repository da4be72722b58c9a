"""Full-page screenshots of every page × every role that may open it × 中文/English at 1440 px wide (issue 17).

``streamlit run app.py`` in demo mode on the test deal book (fixture ``server``), Debian's chromium through
Playwright (fixture ``browser``). Each role signs in with its demo identity, switches language and opens each of
its pages from the sidebar navigation (``app_support.pages.pages_for``); the whole main area is captured to
``artifacts/screens/<page>__<role>__<lang>.png`` (``browser_util.shot``), and each further tab of the page's
first tab bar to ``..._tab<n>.png``, for a person to look at. The test
itself checks what a screenshot cannot prove by eye alone: the page rendered without an exception box, the
window is the 1440 px asked for, and the demo identity picked is still shown after the language switch, uncut
in the sidebar.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_util import ARTIFACTS, BROWSER_MARKS, settled, shot, sign_in, switch_language

from app_support.i18n import catalogue
from app_support.pages import pages_for

pytestmark = BROWSER_MARKS
#: window width of every screenshot [px] (issue 17: "at 1440 px wide")
WIDTH = 1440
#: window height before the shot stretches it to the page's height [px]
HEIGHT = 900
#: sub-folder of the test artifacts for these screenshots
FOLDER = "screens"
ROLES = ("credit_officer", "operator", "verifier", "admin")
#: JS on the picker's text box: [text shown, its full width, the width of its box] [px]; wider = cut ("演示信贷经…")
CLIPPED = "e => [e.value, e.scrollWidth, e.clientWidth]"


def screenshot_path(page_path: str, role: str, lang: str) -> Path:
    """Where the screenshot of a page (``app_pages/<stem>.py``) for a role and language goes."""
    return ARTIFACTS / FOLDER / f"{Path(page_path).stem}__{role}__{lang}.png"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_role_renders_and_is_captured(server, browser, role, lang):
    (ARTIFACTS / FOLDER).mkdir(parents=True, exist_ok=True)
    labels = catalogue(lang)
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    try:
        page.goto(server)
        sign_in(page, role)
        switch_language(page, lang)
        name = labels[f"identity.demo_user.{role}"]  # the identity is kept across the language switch, uncut
        value, full, box = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox'] input").first.evaluate(
            CLIPPED)
        assert value == name and full <= box, (role, lang, value, full, box)
        for spec in pages_for(role):
            title = labels[spec.title_key]
            page.locator("[data-testid='stSidebarNav']").get_by_text(title, exact=True).click()
            settled(page)
            out = screenshot_path(spec.path, role, lang)
            shot(page, f"{FOLDER}/{out.stem}")
            assert page.viewport_size["width"] == WIDTH
            assert out.exists() and out.stat().st_size > 0, out
            errors = page.locator("[data-testid='stException']")
            assert errors.count() == 0, (spec.path, role, lang, errors.first.inner_text()[:500])
            bars = page.locator("[data-testid='stMain'] [role='tablist']")
            if bars.count():
                tabs = bars.first.locator("[role='tab']")
                for i in range(1, tabs.count()):  # the first tab is on the page's shot already
                    tabs.nth(i).click()
                    settled(page)
                    shot(page, f"{FOLDER}/{out.stem}__tab{i + 1}")
                    assert page.locator("[data-testid='stException']").count() == 0, (spec.path, role, lang, i)
                tabs.first.click()
                settled(page)
    finally:
        page.close()
