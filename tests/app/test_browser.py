"""The app in a real browser: ``streamlit run`` on a free port, driven by Playwright with Debian's chromium.

Skipped when ``/usr/bin/chromium`` is absent. Screenshots go to ``artifacts/``. Fixtures ``server`` and
``browser`` are in ``conftest.py``; helpers in ``browser_util.py``.
"""

from __future__ import annotations

from browser_util import BROWSER_MARKS, ROOT, UI_TIMEOUT_MS, open_page, sign_in
from browser_util import settled as _settled
from browser_util import shot as _shot

pytestmark = BROWSER_MARKS


def test_score_page_in_browser_shows_demo_banner_and_engine_total(server, browser, methodology):
    from index.engine import score
    from index.models import load_facility

    fac = load_facility(ROOT / "data/facilities/demo-zjk-hyperscale.toml")
    expected = score(fac, fac.periods[-1].label, methodology)  # the page opens on the latest period
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/facility_score")
    page.get_by_text("本地演示登录").first.wait_for(timeout=UI_TIMEOUT_MS)
    page.get_by_text(f"{expected.total:.2f}").first.wait_for(timeout=UI_TIMEOUT_MS)
    _settled(page)
    _shot(page, "score_zh")
    assert page.get_by_text(expected.grade, exact=True).count() >= 1
    page.close()


def test_operator_sees_upload_page_and_failure_table(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    sign_in(page, "operator")
    open_page(page, "数据报送")
    bad = tmp_path / "bad.toml"
    bad.write_text((ROOT / "app_support/templates/facility_template.toml").read_text(encoding="utf-8")
                   .replace("cpu_utilisation = 0.35", "cpu_utilisation = 35"), encoding="utf-8")
    page.locator("input[type='file']").first.set_input_files(str(bad))
    page.get_by_text("发现 1 个问题").first.wait_for(timeout=UI_TIMEOUT_MS)
    _settled(page)
    _shot(page, "upload_failures_zh")
    page.close()



def test_operator_sees_the_entry_table_in_the_browser(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    sign_in(page, "operator")
    open_page(page, "数据报送")
    page.get_by_role("tab", name="在应用中填报").click()
    _settled(page)
    page.get_by_text("贷款台账中已有的报告期", exact=False).first.wait_for(timeout=UI_TIMEOUT_MS)
    page.get_by_text("请为每个报告期填写标签", exact=False).first.wait_for(timeout=UI_TIMEOUT_MS)
    assert page.locator("[data-testid='stDataFrame']").count() >= 2  # stored periods + the entry table
    _shot(page, "upload_enter_zh", whole=False)
    page.close()
