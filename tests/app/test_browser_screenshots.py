"""Full-page screenshots of every page × every role that may open it × 中文/English at 1440 px wide (issue 17).

``streamlit run app.py`` in demo mode on the test deal book (fixture ``server``), Debian's chromium through
Playwright (fixture ``browser``). Each role signs in with its demo identity, switches language and opens each of
its pages from the sidebar navigation (``app_support.pages.pages_for``); the whole main area is captured to
``artifacts/screens/<page>__<role>__<lang>.png`` (``browser_util.shot``), for a person to look at. The test
itself checks what a screenshot cannot prove by eye alone: the page rendered without an exception box and the
window is the 1440 px asked for.
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
    finally:
        page.close()
