"""Interval data (hourly CFE) in a real browser (Debian chromium via Playwright against ``streamlit run``), issue 15.

The operator uploads an interval file on Data submission's interval tab: a bad file gives every failure in one
table; the good file (June 2025, hourly, four channels, two load hours missing) gives the three shares,
completeness, the two gap-filled hours, the reconciliation to the period's bills, the day × hour heatmap and the
monthly matched vs unmatched chart; the operator saves it. The verifier then opens Verification for that facility
period and sees the same from the deal book. Screenshots: ``artifacts/intervals_*.png``.

Figures on screen are checked against :func:`index.cfe.report.evaluate` on the same file, and the hourly matched
share against a plain-Python recomputation from the rows written here.
"""

from __future__ import annotations

import math
import tomllib

from browser_util import (
    ARTIFACTS,
    BROWSER_MARKS,
    UI_TIMEOUT_MS,
    open_page,
    settled,
    shot,
    sign_in,
    switch_language,
)

pytestmark = BROWSER_MARKS
FID = "test-cfe-browser"
HOURS = 720  # June 2025, local CST (UTC+8)
GAP = ("2025-06-10T03:00:00+08:00", "2025-06-10T04:00:00+08:00")  # two load hours left out: gap-filled


def _channels() -> dict[str, list[float]]:
    """Hourly kWh per channel, local hour h of the month: load ≈ 50 MWh with a ±5 % daily swing; on-site PV and a
    solar PPA between 06:00 and 18:00; green trading flat."""
    load, pv, ppa, green = [], [], [], []
    for h in range(HOURS):
        hod = h % 24
        load.append(round(50_000 * (1 + 0.05 * math.sin(2 * math.pi * hod / 24)), 3))
        sun = max(math.sin(math.pi * (hod - 6) / 12), 0.0) if 6 <= hod <= 18 else 0.0
        pv.append(round(6_000 * sun, 3))
        ppa.append(round(40_000 * sun, 3))
        green.append(12_000.0)
    return {"load": load, "onsite_renewable": pv, "ppa": ppa, "green_trading": green}


def _stamp(h: int) -> str:
    day, hod = divmod(h, 24)
    return f"2025-06-{day + 1:02d}T{hod:02d}:00:00+08:00"


def _csv(ch: dict[str, list[float]], *, bad: bool = False) -> str:
    rows = ["timestamp,channel,kwh,meter"]
    meters = {"load": "M-LOAD", "onsite_renewable": "M-PV", "ppa": "M-PPA", "green_trading": "M-GT"}
    for c, vals in ch.items():
        for h, v in enumerate(vals):
            ts = _stamp(h)
            if c == "load" and ts in GAP:
                continue
            rows.append(f"{ts},{c},{v},{meters[c]}")
    if bad:  # a negative reading, a reading given twice, a timestamp that is not one
        rows[5] = rows[5].rsplit(",", 2)[0] + ",-5.0,M-LOAD"
        rows.append(rows[10])
        rows[20] = "2025-06-31T25:00:00+08:00," + rows[20].split(",", 1)[1]
    return "\n".join(rows) + "\n"


def _facility(ch) -> dict:
    """The test facility (period 2025-06 with bills equal to the channel sums) in the app's deal book."""
    from app_support.store import app_store
    from index.models import facility_from_dict

    doc = tomllib.loads(f"""[facility]
id = "{FID}"
name = "Browser CFE test data centre"
province = "hebei"
computing_type = "general"
lifecycle_stage = "operation"
[[periods]]
label = "2025-06"
start = 2025-06-01
end = 2025-06-30
total_energy_kwh = {sum(ch["load"]):.3f}
it_energy_kwh = {sum(ch["load"]) / 1.25:.3f}
onsite_renewable_kwh = {sum(ch["onsite_renewable"]):.3f}
direct_supply_kwh = {sum(ch["ppa"]):.3f}
green_trading_kwh = {sum(ch["green_trading"]):.3f}
""")
    book = app_store()
    if FID not in book.facility_ids():
        book.save_facility("admin", facility_from_dict(doc), file="browser test", verified_by="verifier")
    book.assign_facility("admin", "operator", FID)
    return doc


def _pick(page, key: str, option: str) -> None:
    page.locator(f".st-key-{key}").click()
    page.get_by_role("option", name=option).first.click()
    settled(page)


def _upload(page, path) -> None:
    page.locator(".st-key-cfe_file input[type='file']").set_input_files(str(path))
    settled(page)


def _after(scope, text: str, testid: str):
    """The first element with ``data-testid=testid`` after the text ``text`` in ``scope``."""
    return scope.get_by_text(text, exact=False).first.locator(f"xpath=following::*[@data-testid='{testid}'][1]")


def _report(scope) -> dict[str, str]:
    """Text of the report's tables (Glide grids keep their cells in an accessible table) and that both charts
    are drawn; waits for each."""
    out = {}
    for name, head in (("completeness", "Completeness per channel"), ("gaps", "Gap-filled intervals and warnings"),
                       ("recon", "Reconciliation to the bills")):
        grid = _after(scope, head, "stDataFrame")
        grid.wait_for(timeout=UI_TIMEOUT_MS)
        out[name] = grid.text_content()
    for head in ("Hourly matching: day × hour", "Matched and unmatched energy per month"):
        chart = _after(scope, head, "stVegaLiteChart")
        chart.wait_for(timeout=UI_TIMEOUT_MS)
        assert chart.locator("canvas, svg").count() >= 1
    return out


def test_operator_uploads_and_verifier_reviews(server, browser, tmp_path):
    from index.cfe import annual_fallback, read_intervals
    from index.cfe.report import evaluate

    ch = _channels()
    _facility(ch)
    bad, good = tmp_path / "june_bad.csv", tmp_path / "june.csv"
    bad.write_text(_csv(ch, bad=True), encoding="utf-8")
    good.write_text(_csv(ch), encoding="utf-8")
    # reference figures: the engine on the same file, and hourly matched by hand from the rows written here
    ref = evaluate(read_intervals(good), annual_fallback("hebei", 2025), tz="Asia/Shanghai").result
    clean = [a + b + c for a, b, c in zip(ch["onsite_renewable"], ch["ppa"], ch["green_trading"], strict=True)]
    hand = sum(min(x, y) for x, y in zip(ch["load"], clean, strict=True)) / sum(ch["load"])
    assert abs(ref.hourly_matched_share - hand) < 1e-4  # two load hours are interpolated, not the written values

    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(server)
    sign_in(page, "operator")
    switch_language(page, "en")
    open_page(page, "Data submission")
    page.get_by_role("tab", name="Interval data (hourly CFE)").click()
    settled(page)
    _pick(page, "cfe_facility_en", FID)

    # 1. a bad file: every failure in one table, nothing else
    _upload(page, bad)
    page.get_by_text("problem(s) found: nothing was saved", exact=False).first.wait_for(timeout=UI_TIMEOUT_MS)
    text = _after(page, "problem(s) found", "stDataFrame").text_content()
    assert page.locator("[data-testid='stAlert']").filter(has_text="3 problem(s) found: nothing was saved.").count() == 1
    for reason in ("negative reading", "not an ISO 8601 timestamp", "duplicate reading for meter M-LOAD"):
        assert reason in text, text
    assert page.locator("[data-testid='stMetric']").count() == 0
    shot(page, "intervals_1_failures")

    # 2. the good file: shares, completeness, gap-fills, reconciliation, heatmap, monthly chart
    _upload(page, good)
    metric = page.locator("[data-testid='stMetric']", has_text="Hourly matched share")
    metric.wait_for(timeout=UI_TIMEOUT_MS)
    assert f"{ref.hourly_matched_share:.1%}" in metric.inner_text()
    assert f"{ref.cfe_score:.1%}" in page.locator("[data-testid='stMetric']", has_text="CFE score").inner_text()
    rep = _report(page)
    # one gap of two hours: 10 June 03:00–05:00 CST = 9 June 19:00–21:00 UTC, filled by interpolation
    assert page.get_by_text("Gap-filled intervals and warnings (1)").count() == 1
    assert "M-LOAD" in rep["gaps"] and "2 × 60 min" in rep["gaps"]
    assert "2025-06-09T19:00:00+00:00 – 2025-06-09T21:00:00+00:00 filled by linear interpolation" in rep["gaps"]
    # reconciliation: every channel within the 1 % tolerance (load: interpolated hours vs the written ones)
    assert rep["recon"].count("true") == 4 and "false" not in rep["recon"]
    assert "99.72" in rep["completeness"] and "Facility load" in rep["completeness"]  # 718 of 720 h measured
    page.wait_for_timeout(1500)  # let vega draw
    shot(page, "intervals_2_operator_report")
    page.locator(".st-key-cfe_save button").click()
    settled(page)
    page.get_by_text("Saved as version 1", exact=False).first.wait_for(timeout=UI_TIMEOUT_MS)

    # 3. the verifier sees the stored data behind the figures
    page2 = browser.new_page(viewport={"width": 1400, "height": 1600})
    page2.goto(server)
    sign_in(page2, "verifier")
    switch_language(page2, "en")
    open_page(page2, "Verification")
    page2.locator(".st-key-ver_scope").get_by_text("A facility period", exact=False).first.click()
    settled(page2)
    page2.locator(".st-key-ver_facility").click()
    page2.get_by_role("option").filter(has_text=FID).first.click()
    settled(page2)
    page2.locator("[data-testid='stExpander']").filter(has_text="Interval data: completeness").first.locator("summary").click()
    settled(page2)
    panel = page2.locator("[data-testid='stExpander']").filter(has_text="Interval data: completeness").first
    rep2 = _report(panel)
    # the verifier sees what the operator saw, now read back from the deal book (the grid in the narrower panel
    # renders fewer columns into the page: compare the figures)
    assert rep2["completeness"] == rep["completeness"] and rep2["gaps"] == rep["gaps"]
    for figure in ("35999731.984", "36000000", "-268.016", "9114904.92"):
        assert figure in rep2["recon"] and figure in rep["recon"]
    assert f"{ref.hourly_matched_share:.1%}" in panel.locator(
        "[data-testid='stMetric']", has_text="Hourly matched share").inner_text()
    assert "Version 1: 2,878 readings" in panel.inner_text()  # 4 × 720 hours less the two missing
    panel.scroll_into_view_if_needed()
    page2.wait_for_timeout(1500)
    shot(page2, "intervals_3_verifier")
    assert (ARTIFACTS / "intervals_3_verifier.png").exists()


def test_operator_simulates_ppa_and_battery_levers(server, browser):
    """Target-path simulator: a 100 MW solar PPA and a 100 MWh / 25 MW battery from the default start
    (1 January 2026): the 24/7 CFE section shows the fan chart and the yearly table, whose medians equal
    workflows.simulate_run with the same levers, paths and seed. Screenshot ``artifacts/intervals_4_simulator.png``."""
    import datetime as dt

    from browser_util import ROOT

    import workflows
    from finance.deal import load_deal
    from index.forecast import load_monthly
    from index.levers import parse_levers
    from index.models import load_facility

    paths = 2000
    lv = parse_levers([{"kind": "ppa", "start": dt.date(2026, 1, 1), "mw": 100.0, "profile": "SUN", "zone": "ERCO"},
                       {"kind": "storage", "start": dt.date(2026, 1, 1), "mwh": 100.0, "mw": 25.0}])
    run = workflows.simulate_run(load_deal(ROOT / "data/deals/demo-zjk-sll-2025.toml"),
                                 load_facility(ROOT / "data/facilities/demo-zjk-hyperscale.toml"),
                                 load_monthly(ROOT / "data/monthly/demo-zjk-hyperscale.csv"), None, levers=lv,
                                 paths=paths, seed=0)
    medians = {r["year"]: r["p50"] for r in run.sim.distribution("cfe_score", (0.05, 0.5, 0.95))}

    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(server)
    sign_in(page, "operator")
    switch_language(page, "en")
    open_page(page, "Target-path simulator")
    prefix = "sim_demo-zjk-sll-2025_A"
    for key, value in (("sim_paths", str(paths)), (f"{prefix}_ppa_mw", "100"), (f"{prefix}_storage_mwh", "100"),
                       (f"{prefix}_storage_mw", "25")):
        box = page.locator(f".st-key-{key} input")
        box.fill(value)
        box.press("Enter")
        settled(page)
    page.get_by_role("button", name="Run simulation").click()
    settled(page)
    page.get_by_text("24/7 carbon-free energy, simulated hour by hour").first.wait_for(timeout=UI_TIMEOUT_MS)
    table = _after(page, "24/7 carbon-free energy, simulated hour by hour", "stDataFrame")
    table.wait_for(timeout=UI_TIMEOUT_MS)
    text = table.text_content()
    for year, p50 in medians.items():
        assert f"{year}" in text and f"{round(100 * p50, 1):g}" in text, (year, p50, text)  # 94.0 shows as 94
    chart = _after(page, "Hourly KPI", "stVegaLiteChart")
    chart.wait_for(timeout=UI_TIMEOUT_MS)
    page.get_by_text("24/7 carbon-free energy, simulated hour by hour").first.evaluate(
        "e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(1500)
    shot(page, "intervals_4_simulator", whole=False)
    page.close()
