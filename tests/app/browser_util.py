"""Shared pieces of the browser tests: Debian's chromium, waiting for Streamlit, screenshots, sign-in.

The ``server`` (``streamlit run app.py`` on a free port, module-scoped) and ``browser`` fixtures are in
``conftest.py``. Pattern of Streamlit's own e2e tests: free port, poll ``/_stcore/health``, wait until the
script has stopped running before asserting.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"
#: seconds to wait for the server to answer /_stcore/health
STARTUP_TIMEOUT = 60
#: Playwright timeout for one expectation [ms]
UI_TIMEOUT_MS = 60_000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
#: marks of every browser test module: ``pytestmark = BROWSER_MARKS``
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium "
                       "(apt-get install -y chromium)"),
]
#: label of each role's demo identity in the sidebar picker, (中文, English): the picker shows the page's language
#: (catalogue identity.demo_user.<role>, app_support.identity.demo_name)
DEMO_LABELS = {
    "credit_officer": ("演示信贷经理", "Demo credit officer"),
    "credit_officer_2": ("演示信贷经理（复核）", "Demo credit officer 2"),
    "operator": ("演示运营方", "Demo operator"),
    "verifier": ("演示核查机构", "Demo verifier"),
    "admin": ("演示管理员", "Demo administrator"),
}


#: consecutive idle polls (100 ms apart) before a page counts as settled
STABLE_POLLS = 8


def settled(page) -> None:
    """Wait until Streamlit has finished running the script: the app is mounted and connected, its
    ``data-test-script-state`` is not "running" (the check of Streamlit's own e2e tests), no skeleton
    placeholders or spinners are left, and the 'running' status widget has stayed away for
    :data:`STABLE_POLLS` polls."""
    page.wait_for_selector("[data-testid='stApp']", timeout=UI_TIMEOUT_MS)
    page.evaluate("() => { window.__dcsllIdle = 0; }")
    # idle = no status widget and no skeleton, for STABLE_POLLS polls in a row (a run only shows the widget
    # after it has lasted a moment, so one idle check right after an action proves nothing)
    page.wait_for_function(
        """(n) => {
            const app = document.querySelector("[data-testid='stApp']");
            const busy = !app || app.getAttribute("data-test-script-state") === "running"
                || app.getAttribute("data-test-connection-state") !== "CONNECTED"
                || document.querySelector("[data-testid='stStatusWidget']")
                || document.querySelector("[data-testid='stSkeleton'], [data-testid='stAppSkeleton']")
                || document.querySelector("[data-testid='stSpinner']");
            window.__dcsllIdle = busy ? 0 : (window.__dcsllIdle || 0) + 1;
            return window.__dcsllIdle >= n;
        }""", arg=STABLE_POLLS, polling=100, timeout=UI_TIMEOUT_MS)
    page.wait_for_timeout(300)


#: tallest screenshot [px] (a very long page is cut there rather than making a huge image)
MAX_SHOT_HEIGHT = 6000


def shot(page, name: str, *, whole: bool = True) -> None:
    """Screenshot to ``artifacts/<name>.png``.

    Streamlit scrolls its main area inside an inner container, so Playwright's ``full_page`` only sees the
    viewport. With ``whole`` the viewport is stretched to the main area's scroll height (at most
    :data:`MAX_SHOT_HEIGHT`) for the shot and restored afterwards; without it the visible part is taken.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size
    if whole and size:
        height = page.evaluate("""() => {
            const m = document.querySelector("[data-testid='stMain']") || document.querySelector("section.main");
            return m ? m.scrollHeight : document.body.scrollHeight; }""")
        if height > size["height"]:
            page.set_viewport_size({"width": size["width"], "height": min(int(height), MAX_SHOT_HEIGHT)})
            page.wait_for_timeout(400)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        if whole and size:
            page.set_viewport_size(size)


def sign_in(page, role: str) -> None:
    """Pick the demo identity of ``role`` in the sidebar (local demo sign-in) and wait for the rerun."""
    settled(page)
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.click()
    zh, en = DEMO_LABELS[role]
    page.get_by_role("option", name=re.compile(f"^({re.escape(zh)}|{re.escape(en)})$")).click()
    settled(page)


def open_page(page, title: str) -> None:
    """Click the page titled ``title`` (in the current language) in the sidebar navigation and wait for it."""
    page.locator("[data-testid='stSidebarNav']").get_by_text(title).click()
    settled(page)


def switch_language(page, lang: str) -> None:
    """Click 中文 or English in the sidebar's language switch and wait for the rerun."""
    page.locator("[data-testid='stSidebar']").get_by_text("English" if lang == "en" else "中文",
                                                          exact=True).click()
    settled(page)
