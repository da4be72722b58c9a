"""Portfolio and data submission in a real browser (``streamlit run`` + Playwright with Debian's chromium).

Screenshots: ``artifacts/portfolio_*.png`` and ``artifacts/upload_*.png``. The page opens on today's date. The
module's deal book is the seeded demo book with no monitoring record: the demo deal's margin in force is the
contractual 30 bp (data/deals/demo-zjk-sll-2025.toml), its 2025 certificate (due 2026-04-30) has no verified record,
so from then on it is *missed*; its GCPI is the facility's 2025 period (reported: *indicative*), scored here with the
index engine.
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
#: Streamlit's centred content box [px]
BOX_PX = 978


def _open_portfolio(browser, server, lang: str):
    page = browser.new_page(viewport={"width": 1440, "height": 1100}, accept_downloads=True)
    page.goto(server)
    sign_in(page, "credit_officer")
    if lang == "en":
        switch_language(page, "en")
    open_page(page, "Portfolio" if lang == "en" else "贷款组合")
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    return page


def _fits(page) -> dict:
    """Width of the table's box and of its scrolled content [px]."""
    return page.evaluate("""() => {
        const g = document.querySelector("[data-testid='stDataFrame']");
        const sc = g.querySelector('.dvn-scroller') || g;
        return {box: g.getBoundingClientRect().width, scroll: sc.scrollWidth, client: sc.clientWidth};
    }""")


def test_credit_officer_scans_selects_and_downloads_the_portfolio(server, browser, methodology, tmp_path):
    import pandas as pd
    from openpyxl import load_workbook

    from app_support.tables import table_problems
    from index.engine import score
    from index.models import load_facility

    today = dt.date.today()
    doc = tomllib.loads((ROOT / "data/deals" / f"{DEMO}.toml").read_text(encoding="utf-8"))
    nxt = next(o for o in doc["observations"] if o["date"] > today)
    latest = score(load_facility(ROOT / "data/facilities/demo-zjk-hyperscale.toml"), "2025", methodology)
    page = _open_portfolio(browser, server, "en")
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.get_by_text(DEMO, exact=True).first.wait_for(state="attached", timeout=UI_TIMEOUT_MS)
    shot(page, "portfolio_en")
    fit = _fits(page)
    assert fit["box"] <= BOX_PX + 2 and fit["scroll"] <= fit["client"] + 1, fit  # 1 px borders; no horizontal scroll
    cells = grid.locator("[role='gridcell']").all_text_contents()  # raw values of the columns in view
    i = cells.index(DEMO)
    # deal, borrower, status, margin, GCPI, data [%], figures, next observation, headroom
    assert cells[i + 2] == "Missed" and float(cells[i + 3]) == 30.0
    assert float(cells[i + 4]) == round(latest.total, 2) and float(cells[i + 5]) == 100
    assert cells[i + 6] == "Indicative" and cells[i + 7] == nxt["date"].isoformat()
    # the tightest KPI: PUE 1.17 against the next SPT, relative to headroom 0.01 (index 98.69 vs headroom 2.0)
    assert cells[i + 8] == f"PUE +{nxt['spt']['pue'] - 1.17:.2g}"
    metrics = page.locator("[data-testid='stMetricValue']").all_inner_texts()
    assert metrics[0] == "3 / 3"

    # select the demo row (its row marker): the deal's details open below the table
    box = grid.bounding_box()
    row = sorted([DEMO, "sll-alibaba-usd-2026", "sll-horinger-cluster-2024"]).index(DEMO)
    page.mouse.click(box["x"] + 14, box["y"] + 35 * (row + 1) + 17)
    page.get_by_text(f"Deal {DEMO}").first.wait_for(timeout=UI_TIMEOUT_MS)
    settled(page)
    shot(page, "portfolio_detail_en")
    assert page.get_by_text("Contractual margin: no approved margin change has taken effect.").count() == 1

    # Excel export: rounded, '—' for missing, no server path
    with page.expect_download(timeout=UI_TIMEOUT_MS) as dl:
        page.get_by_role("button", name="Download the table as Excel").click()
    path = tmp_path / "portfolio.xlsx"
    dl.value.save_as(path)
    wb = load_workbook(path)
    rows = list(wb["portfolio"].iter_rows(values_only=True))
    assert rows[0][0] == "Deal" and len(rows) == 4
    assert table_problems(pd.DataFrame(rows[1:], columns=rows[0]), "excel") == []
    demo = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}[DEMO]
    assert (demo["GCPI"], demo["Margin [bp]"], demo["Status"]) == (round(latest.total, 2), 30, "Missed")
    text = " ".join(str(c) for ws in wb for r in ws.iter_rows(values_only=True) for c in r)
    assert str(ROOT) not in text
    page.close()


def test_portfolio_in_chinese(server, browser):
    page = _open_portfolio(browser, server, "zh")
    page.get_by_text("按币种的敞口").first.wait_for(timeout=UI_TIMEOUT_MS)
    shot(page, "portfolio_zh")
    fit = _fits(page)
    assert fit["box"] <= BOX_PX + 2 and fit["scroll"] <= fit["client"] + 1, fit
    page.get_by_text("状态如何判定").first.click()
    settled(page)
    page.get_by_text("状态如何判定").first.scroll_into_view_if_needed()
    page.locator("[data-testid='stExpander']").last.screenshot(path=str(ROOT / "artifacts" / "portfolio_rules_zh.png"))
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
