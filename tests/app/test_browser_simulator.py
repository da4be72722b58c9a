"""The target-path simulator in a real browser (Debian chromium via Playwright against ``streamlit run``).

Operator signs in, runs a simulation, changes a lever (cooling retrofit), reruns, then compares two lever sets in
English. The figures on screen are checked against ``dcsll simulate --json`` with the same inputs; screenshots go
to ``artifacts/simulator_*.png``.
"""

from __future__ import annotations

import json

from browser_util import BROWSER_MARKS, ROOT, UI_TIMEOUT_MS, settled, shot, sign_in, switch_language

from dcsll.cli import main

pytestmark = BROWSER_MARKS
DEAL = ROOT / "data/deals/demo-zjk-sll-2025.toml"
PATHS = 2000
COOLING = '[[levers]]\nkind = "cooling_retrofit"\nstart = 2026-01-01\npue_change = -0.03\n'


def _cli(capsys, levers=None) -> dict:
    args = ["simulate", str(DEAL), "--paths", str(PATHS), "--seed", "0", "--json"]
    if levers is not None:
        args += ["--levers", str(levers)]
    capsys.readouterr()
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def _fill(page, key: str, value: str) -> None:
    box = page.locator(f".st-key-{key} input")
    box.fill(value)
    box.press("Enter")
    settled(page)


def _top(page, text: str) -> None:
    """Scroll the first element with ``text`` to the top of Streamlit's scrolling main area (the full-page
    screenshot only holds the viewport there)."""
    page.get_by_text(text, exact=True).first.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(800)  # let the charts draw


def _run(page, label: str) -> None:
    page.get_by_role("button", name=label).click()
    settled(page)


def test_operator_runs_changes_a_lever_and_compares(server, browser, capsys, tmp_path):
    cooling = tmp_path / "cooling.toml"
    cooling.write_text(COOLING, encoding="utf-8")
    bau = _cli(capsys)["runs"]["bau"]
    ref = _cli(capsys, cooling)
    sample = _cli(capsys, ROOT / "data/targets/demo-levers.toml")

    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(server)
    sign_in(page, "operator")
    page.get_by_role("heading", name="目标路径模拟").first.wait_for(timeout=UI_TIMEOUT_MS)
    _fill(page, "sim_paths", str(PATHS))
    _run(page, "运行模拟")
    page.get_by_text(f"{bau['expected_pv_saving']:,.0f}", exact=True).first.wait_for(timeout=UI_TIMEOUT_MS)
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    _top(page, "结果")
    shot(page, "simulator_run_zh")

    _fill(page, "sim_demo-zjk-sll-2025_A_cooling_retrofit_pue_change", "-0.03")
    page.get_by_text("输入在上次运行后已更改").first.wait_for(timeout=UI_TIMEOUT_MS)
    _run(page, "运行模拟")
    lv = ref["runs"]["levers"]
    page.get_by_text(f"{lv['expected_pv_saving']:,.0f}", exact=True).first.wait_for(timeout=UI_TIMEOUT_MS)
    assert page.get_by_text("输入在上次运行后已更改").count() == 0
    page.get_by_text("电能利用效率 (PUE)", exact=True).first.click()  # fan chart of PUE against its SPTs
    settled(page)
    _top(page, "结果")
    shot(page, "simulator_lever_zh")

    switch_language(page, "en")
    page.get_by_text("Compare two lever sets (A / B)").click()
    settled(page)
    _fill(page, "sim_demo-zjk-sll-2025_A_cooling_retrofit_pue_change", "0")  # A back to business as usual
    _run(page, "Run simulation")
    gain = sample["levers_value"]["expected_pv_saving_gain"]
    page.get_by_text(f"{gain:+,.0f}", exact=True).first.wait_for(timeout=UI_TIMEOUT_MS)
    for run in ("bau", "levers"):
        assert page.get_by_text(f"{sample['runs'][run]['expected_pv_saving']:,.0f}", exact=True).count() >= 1
    _top(page, "Results")
    shot(page, "simulator_compare_en")
    _top(page, "Lever set B against A")
    shot(page, "simulator_compare_diff_en")
    page.close()


def test_operator_saves_a_lever_preset_and_starts_from_it(server, browser):
    """In Chinese: liquid cooling −0.03 from the default start, saved as a preset of the facility; the preset is
    in the deal book with exactly that lever, and a fresh page that picks it under 起始方案 shows −0.030 again."""
    from app_support.store import app_store

    name = "browser-preset-cooling"
    key = "sim_demo-zjk-sll-2025_A"
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(server)
    sign_in(page, "operator")
    page.get_by_role("heading", name="目标路径模拟").first.wait_for(timeout=UI_TIMEOUT_MS)
    _fill(page, f"{key}_cooling_retrofit_pue_change", "-0.03")
    page.get_by_text("将本组措施保存为预设").first.click()
    settled(page)
    _fill(page, f"{key}_preset_name", name)
    page.get_by_role("button", name="保存预设").click()
    page.get_by_text(f"措施预设“{name}”已保存至数据中心 demo-zjk-hyperscale（1 项措施）").first.wait_for(
        timeout=UI_TIMEOUT_MS)
    settled(page)
    shot(page, "simulator_preset_saved_zh")
    (lever,) = app_store().lever_presets("demo-zjk-hyperscale")[name]["levers"]
    assert lever["kind"] == "cooling_retrofit" and lever["pue_change"] == -0.03
    page.close()

    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(server)
    sign_in(page, "operator")
    page.get_by_role("heading", name="目标路径模拟").first.wait_for(timeout=UI_TIMEOUT_MS)
    page.locator(f".st-key-{key}_preset").click()
    page.get_by_role("option", name=name).click()
    settled(page)
    assert page.locator(f".st-key-{key}_cooling_retrofit_pue_change input").input_value() == "-0.030"
    page.close()
