"""The methodology page in a real browser (Playwright, Debian's chromium): read in English, admin edit → preview →
save, language switch. Screenshots: ``artifacts/methodology_*.png``."""

from __future__ import annotations

import uuid

from browser_util import BROWSER_MARKS, UI_TIMEOUT_MS, settled, shot, sign_in, switch_language

pytestmark = BROWSER_MARKS


def test_methodology_page_in_english(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/methodology")
    settled(page)
    page.get_by_text("English").first.click()
    page.get_by_text("GCPI methodology").first.wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    page.get_by_text("Scoring curves and their sources").first.wait_for(timeout=UI_TIMEOUT_MS)
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=UI_TIMEOUT_MS)  # the PUE... curve
    page.get_by_text("Consistency ratio CR").first.wait_for(timeout=UI_TIMEOUT_MS)
    shot(page, "methodology_en")
    heading = page.get_by_text("Sensitivity of the deal book's facilities to each weight").first
    heading.scroll_into_view_if_needed()
    page.locator("[data-testid='stVegaLiteChart']").last.wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    shot(page, "methodology_sensitivity_en")
    page.close()


def _fill(page, label: str, value: str, *, multiline: bool = False) -> None:
    box = page.get_by_label(label, exact=True)
    box.scroll_into_view_if_needed()
    box.fill(value)
    if multiline:
        box.press("Control+Enter")
    else:
        box.press("Enter")
    settled(page)


def test_admin_edits_a_weight_previews_saves_and_switches_language(server, browser, methodology):
    version = f"browser-{uuid.uuid4().hex[:6]}"
    w_wue = methodology.indicators["wue"].weight
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/methodology")
    sign_in(page, "admin")
    page.get_by_text("编辑评价方法（管理员）").first.wait_for(timeout=UI_TIMEOUT_MS)
    _fill(page, "电能利用效率 (PUE)", "0.2000")
    # the failure table is a canvas grid: its cells are in the DOM for accessibility, not visible
    page.get_by_text("核心权重合计为 1.0400，不等于 1。").first.wait_for(state="attached", timeout=UI_TIMEOUT_MS)
    page.get_by_text("修改未通过：共 2 个问题，未保存任何内容。").first.wait_for(timeout=UI_TIMEOUT_MS)
    shot(page, "methodology_edit_refused_zh")
    _fill(page, "水资源利用效率 (WUE)", f"{w_wue - 0.04:.4f}")
    _fill(page, "新版本号", version)
    _fill(page, "修改说明及依据（必填）", "浏览器测试：PUE 权重 0.16 → 0.20，WUE −0.04（虚构）", multiline=True)
    page.get_by_text("已通过评价方法加载器校验：修改了 2 个权重、0 条曲线。").first.wait_for(timeout=UI_TIMEOUT_MS)
    preview = page.get_by_text("预览：台账中各设施调整前后的得分").first
    preview.scroll_into_view_if_needed()
    settled(page)
    shot(page, "methodology_edit_preview_zh")
    page.get_by_role("button", name="保存为新版本").click()
    page.get_by_text(f"已保存 gcpi-2024 版本 {version}").first.wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    page.get_by_text(f"版本 {version}").first.wait_for(timeout=UI_TIMEOUT_MS)  # the page shows the new version
    shot(page, "methodology_saved_zh")
    switch_language(page, "en")
    page.get_by_text("GCPI methodology").first.wait_for(timeout=UI_TIMEOUT_MS)
    page.get_by_text(f"version {version}").first.wait_for(timeout=UI_TIMEOUT_MS)
    page.get_by_text("Stored versions (deal book)").first.scroll_into_view_if_needed()
    settled(page)
    shot(page, "methodology_saved_en")
    page.close()
