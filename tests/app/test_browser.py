"""The app in a real browser: ``streamlit run`` on a free port, driven by Playwright with Debian's chromium.

Skipped when ``/usr/bin/chromium`` is absent (install it with ``apt-get install -y chromium``). Screenshots go
to ``artifacts/``. Pattern of Streamlit's own e2e tests: free port, module-scoped server, poll
``/_stcore/health``, wait until the script has stopped running before asserting.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"
#: seconds to wait for the server to answer /_stcore/health
STARTUP_TIMEOUT = 60
#: Playwright timeout for one expectation [ms]
UI_TIMEOUT_MS = 30_000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium "
                       "(apt-get install -y chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"streamlit did not start on {url}")
        time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _settled(page) -> None:
    """Wait until Streamlit has finished running the script (no 'running' status widget)."""
    page.wait_for_selector("[data-testid='stApp']", timeout=UI_TIMEOUT_MS)
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=UI_TIMEOUT_MS)
    page.wait_for_timeout(500)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_score_page_in_browser_shows_demo_banner_and_engine_total(server, browser, methodology):
    from index.engine import score
    from index.models import load_facility

    fac = load_facility(ROOT / "data/facilities/demo-zjk-hyperscale.toml")
    expected = score(fac, fac.periods[-1].label, methodology)  # the page opens on the latest period
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    page.get_by_text("本地演示登录").first.wait_for(timeout=UI_TIMEOUT_MS)
    page.get_by_text(f"{expected.total:.2f}").first.wait_for(timeout=UI_TIMEOUT_MS)
    _settled(page)
    _shot(page, "score_zh")
    assert page.get_by_text(expected.grade, exact=True).count() >= 1
    page.close()


def test_methodology_page_in_english(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/methodology")
    _settled(page)
    page.get_by_text("English").first.click()
    page.get_by_text("GCPI methodology").first.wait_for(timeout=UI_TIMEOUT_MS)
    _settled(page)
    page.get_by_text("Scoring curves and their sources").first.wait_for(timeout=UI_TIMEOUT_MS)
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=UI_TIMEOUT_MS)  # the PUE... curve
    page.get_by_text("Consistency ratio CR").first.wait_for(timeout=UI_TIMEOUT_MS)
    _shot(page, "methodology_en")
    heading = page.get_by_text("Sensitivity of the shipped facilities to each weight").first
    heading.scroll_into_view_if_needed()
    page.locator("[data-testid='stVegaLiteChart']").last.wait_for(timeout=UI_TIMEOUT_MS)
    _settled(page)
    _shot(page, "methodology_sensitivity_en")
    page.close()


def test_operator_sees_upload_page_and_failure_table(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    _settled(page)
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name="Demo operator / 演示运营方").click()
    page.get_by_text("数据报送").first.wait_for(timeout=UI_TIMEOUT_MS)
    _settled(page)
    bad = tmp_path / "bad.toml"
    bad.write_text((ROOT / "app_support/templates/facility_template.toml").read_text(encoding="utf-8")
                   .replace("cpu_utilisation = 0.35", "cpu_utilisation = 35"), encoding="utf-8")
    page.locator("input[type='file']").set_input_files(str(bad))
    page.get_by_text("发现 1 个问题").first.wait_for(timeout=UI_TIMEOUT_MS)
    _settled(page)
    _shot(page, "upload_failures_zh")
    page.close()


def test_deal_page_in_browser(server, browser):
    from finance.deal import deal_valuation, load_deal

    path = ROOT / "data/deals/demo-zjk-sll-2025.toml"
    net = deal_valuation(load_deal(path), None, path).to_dict()["net_pv"]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/deal")
    page.get_by_text(f"{net:,.2f}").first.wait_for(timeout=UI_TIMEOUT_MS)
    _settled(page)
    _shot(page, "deal_zh")
    page.close()
