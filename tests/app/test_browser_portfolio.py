"""Portfolio and data submission in a real browser (``streamlit run`` + Playwright with Debian's chromium).

Screenshots: ``artifacts/portfolio_*.png`` and ``artifacts/upload_*.png``. The page opens on today's date, so the
expected figures are computed here with the engines for today.
"""

from __future__ import annotations

import datetime as dt
import tomllib

from browser_util import (
    BROWSER_MARKS,
    ROOT,
    UI_TIMEOUT_MS,
    open_page,
    settled,
    shot,
    sign_in,
    switch_language,
)

pytestmark = BROWSER_MARKS

DEMO = "demo-zjk-sll-2025"


def _expected_demo(methodology) -> dict:
    """The demo deal's row for today, from the engines run on the shipped files (the deal book's seed)."""
    from app_support.portfolio import deal_row, load_status_rules
    from index.models import load_facility

    doc = tomllib.loads((ROOT / "data/deals" / f"{DEMO}.toml").read_text(encoding="utf-8"))
    fac = load_facility(ROOT / "data/facilities/demo-zjk-hyperscale.toml")
    return deal_row(doc, fac, dt.date.today(), load_status_rules(), methodology)


def _open_portfolio(browser, server, lang: str):
    page = browser.new_page(viewport={"width": 1600, "height": 1100}, accept_downloads=True)
    page.goto(server)
    sign_in(page, "credit_officer")
    if lang == "en":
        switch_language(page, "en")
    open_page(page, "Portfolio" if lang == "en" else "贷款组合")
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    return page


def test_credit_officer_sees_filters_and_downloads_the_portfolio(server, browser, methodology, tmp_path):
    from openpyxl import load_workbook

    from index.engine import score
    from index.models import load_facility

    expected = _expected_demo(methodology)
    page = _open_portfolio(browser, server, "en")
    grid = page.locator("[data-testid='stDataFrame']").first
    # the grid draws on a canvas; its accessible (hidden) cells hold the displayed text
    grid.get_by_text(DEMO, exact=True).first.wait_for(state="attached", timeout=UI_TIMEOUT_MS)
    shot(page, "portfolio_en")
    cells = grid.locator("[role='gridcell']").all_text_contents()  # raw values of the columns in view
    i = cells.index(DEMO)
    # deal, status, GCPI total, grade, (sparkline), margin, adjustment: the engine's figures
    assert cells[i + 1] == "On track" == {"on_track": "On track"}[expected["status"]]
    assert float(cells[i + 2]) == expected["index"] and cells[i + 3] == expected["grade"]
    assert [float(c) for c in cells[i + 4].split(",")] == expected["trend"]  # the sparkline's points
    assert (float(cells[i + 5]), float(cells[i + 6])) == (expected["margin_bp"], expected["adjustment_bp"])
    assert cells[i + 7] == expected["next_observation"].isoformat()
    metrics = page.locator("[data-testid='stMetricValue']").all_inner_texts()
    assert metrics[0] == "3 / 3"

    # filter: missed deals only
    page.locator("[data-testid='stMultiSelect']").first.click()
    page.get_by_role("option", name="Missed").click()
    page.keyboard.press("Escape")
    settled(page)
    assert page.locator("[data-testid='stMetricValue']").first.inner_text() == "1 / 3"
    shot(page, "portfolio_filtered_en")

    # Excel export of every deal (a new session: no filter)
    page.close()
    page = _open_portfolio(browser, server, "en")
    with page.expect_download(timeout=UI_TIMEOUT_MS) as dl:
        page.get_by_role("button", name="Download the table as Excel").click()
    path = tmp_path / "portfolio.xlsx"
    dl.value.save_as(path)
    rows = list(load_workbook(path)["portfolio"].iter_rows(values_only=True))
    head, body = rows[0], {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert head[0] == "Deal" and len(body) == 3
    demo = body[DEMO]
    fac = load_facility(ROOT / "data/facilities/demo-zjk-hyperscale.toml")
    latest = score(fac, expected["period"], methodology)  # the latest period that has ended today
    assert demo["GCPI total"] == latest.total and demo["Grade"] == latest.grade
    assert demo["Margin [bp]"] == expected["margin_bp"] and demo["Ratchet adjustment [bp]"] == expected["adjustment_bp"]
    assert demo["Outstanding"] == expected["outstanding"]
    page.close()


def test_portfolio_in_chinese(server, browser, methodology):
    page = _open_portfolio(browser, server, "zh")
    page.get_by_text("按币种的敞口").first.wait_for(timeout=UI_TIMEOUT_MS)
    shot(page, "portfolio_zh")
    page.get_by_text("交易详情").first.click()
    page.get_by_text("状态如何判定").first.click()
    settled(page)
    page.get_by_text("状态如何判定").first.scroll_into_view_if_needed()
    page.locator("[data-testid='stExpander']").last.screenshot(path=str(ROOT / "artifacts" / "portfolio_rules_zh.png"))
    page.locator("[data-testid='stExpander']").first.screenshot(path=str(ROOT / "artifacts" / "portfolio_detail_zh.png"))
    page.close()


def test_operator_uploads_a_period_and_sees_it_saved(server, browser, tmp_path):
    from app_support.store import app_store
    from index.models import facility_from_dict

    fid = "test-browser-upload"
    book = app_store()
    if fid not in book.facility_ids():
        text = (ROOT / "data/facilities/demo-zjk-hyperscale.toml").read_text(encoding="utf-8")
        book.save_facility("admin", facility_from_dict(tomllib.loads(
            text.replace('id = "demo-zjk-hyperscale"', f'id = "{fid}"'))), file="test", verified_by="verifier")
        book.assign_facility("admin", "operator", fid)
    csv = tmp_path / "periods-2026.csv"
    csv.write_text("label,status,source,total_energy_kwh,it_energy_kwh\n"
                   "2026,reported,meter export 2026,100000000,80000000\n", encoding="utf-8")

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    sign_in(page, "operator")
    switch_language(page, "en")
    open_page(page, "Data submission")
    page.locator("input[type='file']").first.set_input_files(str(csv))
    settled(page)
    page.locator("[data-testid='stSelectbox']").filter(has_text="Attach the periods").click()
    page.get_by_role("option", name=fid).click()
    settled(page)
    page.get_by_role("button", name=f"Save to the deal book ({fid})").click()
    page.get_by_text(f"Saved to the deal book as operator: facility {fid}, 2 figure(s) written").first.wait_for(
        timeout=UI_TIMEOUT_MS)
    page.mouse.move(5, 5)  # no tooltip over the page
    settled(page)
    shot(page, "upload_saved_en")
    assert [p.label for p in book.load_facility(fid).periods][-1] == "2026"
    page.close()


def test_operator_refused_in_chinese_keeps_the_file(server, browser, tmp_path):
    """A facility the operator does not report for: the upload is refused in Chinese and the file stays."""
    from app_support.store import app_store  # this module's deal book, as the server sees it

    fid = "browser-not-mine"
    demo = (ROOT / "data/facilities/demo-zjk-hyperscale.toml").read_text(encoding="utf-8")
    text = demo.replace('id = "demo-zjk-hyperscale"', f'id = "{fid}"')
    book = app_store()
    if fid not in book.facility_ids():  # created by the admin, on the verifier's word, assigned to nobody
        import tomllib

        from index.models import facility_from_dict

        book.save_facility("admin", facility_from_dict(tomllib.loads(text)), file="test", verified_by="verifier")
    upload = tmp_path / "not-mine.toml"
    upload.write_text(text.replace("water_m3 = 214445", "water_m3 = 214446"), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    sign_in(page, "operator")
    open_page(page, "数据报送")
    page.locator("input[type='file']").first.set_input_files(str(upload))
    settled(page)
    page.get_by_role("button", name=f"保存到贷款台账（{fid}）").click()
    page.get_by_text(f"您不是设施 {fid} 的运营方").first.wait_for(timeout=UI_TIMEOUT_MS)
    page.mouse.move(5, 5)
    settled(page)
    shot(page, "upload_refused_zh")
    assert page.locator("[data-testid='stFileUploader']").get_by_text("not-mine.toml").count() == 1  # still there
    page.close()
