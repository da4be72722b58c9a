"""Portfolio page and its computations (app_support.portfolio) against the index and finance engines called here.

Expected figures come from the engines run directly on the shipped files (the deal book holds the same
documents and facilities) and from hand calculations written out in the tests.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from pathlib import Path

import pytest

import workflows
from app_support import portfolio as P
from index.engine import score
from index.errors import InputError
from index.models import load_facility

ROOT = Path(__file__).resolve().parents[2]
PAGE = "app_pages/portfolio.py"
DEALS = ROOT / "data" / "deals"
FACS = ROOT / "data" / "facilities"
DEMO = "demo-zjk-sll-2025"
HORINGER = "sll-horinger-cluster-2024"
ALIBABA = "sll-alibaba-usd-2026"
#: the as-of date of these tests (never the clock): after the demo's first certificate took effect
AS_OF = dt.date(2026, 11, 21)


def _schedule_row(deal_id: str, when: dt.date, scenario: str = "met"):
    """The finance engine's schedule row accruing on ``when`` (deal file read directly)."""
    import pandas as pd

    path = DEALS / f"{deal_id}.toml"
    src = workflows.FileSource(deal_file=path)
    f = workflows.evaluate_deal(src.deal(), src).schedule(scenario).frame
    ts = pd.Timestamp(when)
    return f[(f["start"] <= ts) & (f["end"] > ts)].iloc[0]


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """A deal book of its own (seeded with data/), for tests that write to it."""
    from finance.deal_book import deal_validator
    from store import open_store
    from store.demo import seed_demo

    s = open_store(f"sqlite:///{tmp_path_factory.mktemp('pf') / 'book.sqlite'}", migrate=True,
                   deal_validator=deal_validator())
    seed_demo(s, ROOT / "data")
    return s


def _row(store, deal_id: str, as_of: dt.date = AS_OF) -> dict:
    rows, problems = P.load_portfolio(store, "credit", as_of)
    assert not problems
    return next(r for r in rows if r["deal_id"] == deal_id)


# --------------------------------------------------------------------------------- rows vs engines


def test_demo_row_matches_index_and_finance_engines(book, methodology):
    row = _row(book, DEMO)
    fac = load_facility(FACS / "demo-zjk-hyperscale.toml")
    expected = [score(fac, label, methodology) for label in ("2023", "2024", "2025")]
    assert row["trend"] == pytest.approx([r.total for r in expected], abs=1e-9)
    assert row["period"] == "2025"
    assert row["index"] == pytest.approx(expected[-1].total, abs=1e-9)
    assert row["grade"] == expected[-1].grade == "5A"
    assert row["kpis"] == {"index": pytest.approx(expected[-1].total), "pue": pytest.approx(1.17)}
    sched = _schedule_row(DEMO, AS_OF)
    assert row["adjustment_bp"] == sched["ratchet_bp"]
    assert row["outstanding"] == sched["outstanding"]
    # by hand: 2025 index 98.69 >= SPT 86 and PUE 1.17 <= SPT 1.20, both met: 0.6*(-10) + 0.4*(-10) = -10 bp
    # (cap 10), on a 30 bp margin; all three drawdowns (300m + 300m + 200m) are out, repayments start 2027
    assert row["adjustment_bp"] == -10.0 and row["margin_bp"] == 20.0
    assert row["outstanding"] == 800_000_000.0
    assert row["margin_reason"] == sched["reason"] and row["margin_reason"].startswith("obs 2025-12-31: certificate")
    assert row["next_observation"] == dt.date(2026, 12, 31)
    assert row["next_spt"] == {"index": 88.0, "pue": 1.19}
    # next SPTs: index 98.69 clears 88 by 10.7 >= 2.0; PUE 1.17 clears 1.19 by 0.02 >= 0.01
    assert (row["status"], row["status_reason"]) == ("on_track", "ok")
    assert not row["margin_assumed"]


def test_demo_row_before_the_first_observation_uses_only_ended_periods(book, methodology):
    """As of 2025-09-01 the 2025 period has not ended: the latest known period is 2024 (index 84.47 < SPT 86)."""
    when = dt.date(2025, 9, 1)
    row = _row(book, DEMO, when)
    fac = load_facility(FACS / "demo-zjk-hyperscale.toml")
    r2024 = score(fac, "2024", methodology)
    assert row["period"] == "2024" and len(row["trend"]) == 2
    assert row["index"] == pytest.approx(r2024.total, abs=1e-9)
    assert (row["status"], row["status_reason"], row["status_kpi"]) == ("at_risk", "short", "index")
    assert row["status_spt"] == 86.0
    # only the first drawdown (300m on 2025-07-21) is out; no certificate yet: contractual 30 bp
    assert row["outstanding"] == 300_000_000.0 == _schedule_row(DEMO, when)["outstanding"]
    assert (row["margin_bp"], row["adjustment_bp"]) == (30.0, 0.0)


def test_horinger_deal_missed_its_first_spt(book):
    row = _row(book, HORINGER)
    # H1 2025: PUE 1.185 > SPT 1.17 (band 0) missed: +0.6*5 = +3 bp; renewable 0.86 >= 0.85 met: -0.4*5 = -2 bp
    assert (row["status"], row["status_reason"], row["status_kpi"]) == ("missed", "missed", "pue")
    assert row["status_value"] == pytest.approx(1.185) and row["status_spt"] == 1.17
    assert row["status_date"] == dt.date(2025, 6, 30)
    assert row["adjustment_bp"] == pytest.approx(1.0) and row["margin_bp"] == pytest.approx(41.0)
    sched = _schedule_row(HORINGER, AS_OF)
    assert row["outstanding"] == pytest.approx(sched["outstanding"], abs=0.005)
    assert row["currency"] == "CNY" and row["amount"] == 1_200_000_000.0


def test_alibaba_deal_is_at_risk_short_of_its_first_spt(book):
    row = _row(book, ALIBABA)
    # FY2024 clean-power share 0.56 < FY2027 SPT 0.62 (checked first in the ratchet's KPI order)
    assert (row["status"], row["status_reason"], row["status_kpi"]) == ("at_risk", "short", "renewable_share")
    assert (row["status_value"], row["status_spt"]) == (pytest.approx(0.56), 0.62)
    assert (row["currency"], row["margin_bp"], row["adjustment_bp"]) == ("USD", 85.0, 0.0)
    assert row["outstanding"] == 500_000_000.0  # bullet, drawn at start
    assert row["margin_reason"] == ""  # no certificate yet: the contractual margin


def test_spt_recalculated_in_the_deal_book_replaces_the_documents(book):
    """An SPT recalculation stored with Store.set_spt is what the status uses (PUE 1.17 vs new SPT 1.16: short)."""
    book.set_spt("credit", DEMO, "pue", dt.date(2026, 12, 31), 1.16, reason="test: tighter SPT")
    try:
        row = _row(book, DEMO)
        assert row["next_spt"]["pue"] == 1.16
        assert (row["status"], row["status_reason"], row["status_kpi"]) == ("at_risk", "short", "pue")
    finally:
        book.set_spt("credit", DEMO, "pue", dt.date(2026, 12, 31), 1.19, reason="test: restore")
    assert _row(book, DEMO)["status"] == "on_track"


def test_overdue_certificate_without_result_is_missed_and_margin_assumes_missed(methodology):
    """The demo deal without its 2025 result: the certificate due 2026-04-30 has passed with nothing reported."""
    import tomllib

    doc = tomllib.loads((DEALS / f"{DEMO}.toml").read_text(encoding="utf-8"))
    del doc["observations"][0]["period"]
    fac = load_facility(FACS / "demo-zjk-hyperscale.toml")
    row = P.deal_row(doc, fac, AS_OF, P.load_status_rules(), methodology)
    assert (row["status"], row["status_reason"], row["status_date"]) == ("missed", "overdue", dt.date(2026, 4, 30))
    # 'met' and 'missed' differ on the as-of date: the missed one is shown, +10 bp (all missed, cap 10) on 30
    assert row["margin_assumed"] and row["margin_bp"] == 40.0
    import pandas as pd

    from finance.deal import Deal

    f = workflows.evaluate_deal(Deal.model_validate(doc), workflows.FileSource()).schedule("missed").frame
    ts = pd.Timestamp(AS_OF)
    assert f[(f["start"] <= ts) & (f["end"] > ts)]["ratchet_bp"].item() == 10.0


def test_pending_result_looks_back_and_thin_headroom_is_at_risk(methodology):
    """Certificate not yet due: the earlier result decides; a value clearing the next SPT by < headroom is at risk."""
    import tomllib

    doc = tomllib.loads((DEALS / f"{DEMO}.toml").read_text(encoding="utf-8"))
    doc["observations"][1]["spt"]["pue"] = 1.175  # next SPT: PUE 1.17 clears it by 0.005 < 0.01
    fac = load_facility(FACS / "demo-zjk-hyperscale.toml")
    when = dt.date(2026, 3, 1)  # 2025-12-31 has taken place, its certificate (due 2026-04-30) is pending
    del doc["observations"][0]["certificate_delivered"]
    row = P.deal_row(doc, fac, when, P.load_status_rules(), methodology)
    assert (row["status"], row["status_reason"], row["status_kpi"]) == ("at_risk", "thin", "pue")
    assert row["status_date"] == dt.date(2026, 12, 31)


def test_bad_deal_document_is_reported_with_its_field(methodology):
    import tomllib

    doc = tomllib.loads((DEALS / f"{DEMO}.toml").read_text(encoding="utf-8"))
    doc["ratchet"]["step_down_bp"] = 10
    with pytest.raises(InputError) as exc:
        P.deal_row(doc, load_facility(FACS / "demo-zjk-hyperscale.toml"), AS_OF, P.load_status_rules(), methodology)
    assert exc.value.field == "ratchet.step_down_bp" and exc.value.file == f"deal {DEMO}"


def test_store_refuses_the_portfolio_to_an_operator(book):
    from store.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        P.load_portfolio(book, "operator", AS_OF)


# --------------------------------------------------------------------------------- thresholds file


def test_status_rules_every_headroom_has_unit_and_source():
    import tomllib

    raw = tomllib.loads(P.STATUS_FILE.read_text(encoding="utf-8"))["headroom"]
    rules = P.load_status_rules()
    assert rules.headroom == {k: float(v["value"]) for k, v in raw.items()}
    assert all(v["source"].strip() and v["unit"] for v in raw.values())
    assert {"index", "pue", "renewable_share"} <= set(rules.headroom)


@pytest.mark.parametrize(("text", "field"), [
    ('[headroom.pue]\nvalue = -0.01\nunit = "-"\nsource = "x"\n', "headroom.pue.value"),
    ('[headroom.pue]\nvalue = "a lot"\nunit = "-"\nsource = "x"\n', "headroom.pue.value"),
    ('[headroom.pue]\nvalue = 0.01\nunit = "-"\n', "headroom.pue"),
    ('[other]\nx = 1\n', "headroom"),
])
def test_bad_status_file_names_file_and_field(tmp_path, text, field):
    f = tmp_path / "status.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        P.load_status_rules(f)
    assert exc.value.field == field and exc.value.file == str(f)


def test_kpi_without_headroom_names_the_entry_to_add():
    rules = P.StatusRules({"pue": 0.01}, {"pue": "-"}, "status.toml")
    with pytest.raises(InputError, match=r"add \[headroom.wue\]") as exc:
        rules.headroom_for("wue")
    assert exc.value.field == "headroom.wue"


# --------------------------------------------------------------------------------- filters, totals, Excel


def _frame():
    return P.portfolio_frame([
        {"deal_id": "a", "name": "A loan", "borrower": "Acme", "facility_id": "f1", "facility": "Hall 1",
         "facility_zh": "一号楼", "currency": "CNY", "amount": 100.0, "outstanding": 60.0, "grade": "5A",
         "status": "on_track"},
        {"deal_id": "b", "name": "B loan", "borrower": "Beta", "facility_id": "f2", "facility": "Hall 2",
         "facility_zh": "二号楼", "currency": "CNY", "amount": 50.0, "outstanding": 50.0, "grade": "2A",
         "status": "missed"},
        {"deal_id": "c", "name": "C loan", "borrower": "Acme Intl", "facility_id": "f3", "facility": "Hall 3",
         "facility_zh": "三号楼", "currency": "USD", "amount": 20.0, "outstanding": 5.0, "grade": "5A",
         "status": "at_risk"},
    ])


def test_filters_combine():
    df = _frame()
    assert list(P.filter_frame(df, text="acme")["deal_id"]) == ["a", "c"]
    assert list(P.filter_frame(df, text="二号")["deal_id"]) == ["b"]
    assert list(P.filter_frame(df, text="acme", currencies=["USD"])["deal_id"]) == ["c"]
    assert list(P.filter_frame(df, grades=["5A"], statuses=["on_track", "missed"])["deal_id"]) == ["a"]
    assert list(P.filter_frame(df)["deal_id"]) == ["a", "b", "c"]


def test_exposure_totals_by_currency():
    tot = P.exposure_totals(_frame()).set_index("currency")
    assert tot.loc["CNY"].tolist() == [2, 150.0, 110.0]  # 100 + 50 and 60 + 50
    assert tot.loc["USD"].tolist() == [1, 20.0, 5.0]


# --------------------------------------------------------------------------------- the page (AppTest)


@pytest.fixture
def media(monkeypatch):
    """Files offered by st.download_button during AppTest runs: ``fetch(url) -> bytes``."""
    import streamlit.testing.v1.app_test as app_test_mod
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    stores = []

    def make(prefix):
        stores.append(MemoryMediaFileStorage(prefix))
        return stores[-1]

    monkeypatch.setattr(app_test_mod, "MemoryMediaFileStorage", make)
    return lambda url: stores[-1].get_file(url.rsplit("/", 1)[-1]).content


def _page(run_as, lang="en", role="credit_officer"):
    at = run_as(role, PAGE, lang)
    at.date_input(key="portfolio_as_of").set_value(AS_OF).run()
    return at


def _table(at):
    return next(d.value for d in at.dataframe if "next_observation" in d.value.columns)


def test_page_shows_the_engines_figures_for_the_demo_deal(run_as, methodology):
    at = _page(run_as)
    assert not at.exception and not at.error
    table = _table(at).set_index("deal_id")
    assert {DEMO, HORINGER, ALIBABA} <= set(table.index)
    demo = table.loc[DEMO]
    fac = load_facility(FACS / "demo-zjk-hyperscale.toml")
    expected = [score(fac, p, methodology) for p in ("2023", "2024", "2025")]
    assert demo["index"] == pytest.approx(expected[-1].total, abs=1e-9) and demo["grade"] == expected[-1].grade
    assert demo["trend"] == pytest.approx([r.total for r in expected], abs=1e-9)
    assert demo["margin_bp"] == 30 + _schedule_row(DEMO, AS_OF)["ratchet_bp"] == 20.0
    assert demo["next_observation"] == dt.date(2026, 12, 31)
    assert demo["status"] == "On track"
    assert demo["kpis"] == f"GCPI total {expected[-1].total:.4g} · Power usage effectiveness (PUE) 1.17"
    assert table.loc[HORINGER, "status"] == "Missed"
    # its latest period (2025) is reported, not verified (data/facilities/hohhot-helinger-cluster.toml): flagged
    assert table.loc[HORINGER, "detail"] == ("Power usage effectiveness (PUE) 1.185 missed the SPT 1.17 on 2025-06-30; "
                                             "INDICATIVE: period 2025 is reported, not verified; the margin in force "
                                             "moves on verified results only")
    assert table.loc[ALIBABA, "status"] == "At risk"
    assert [m.value for m in at.metric][:4] == [f"{len(table)} / {len(table)}", "1", "1", "1"]
    at.selectbox(key="portfolio_pick").set_value(ALIBABA).run()
    assert "Contractual margin: no certificate has taken effect yet." in [c.value for c in at.caption]


def test_page_in_chinese(run_as):
    at = _page(run_as, "zh")
    assert not at.exception and not at.error
    assert at.title[0].value == "贷款组合"
    table = _table(at).set_index("deal_id")
    assert table.loc[DEMO, "status"] == "按计划" and table.loc[HORINGER, "status"] == "未达标"
    assert table.loc[HORINGER, "facility"] == "内蒙古枢纽和林格尔数据中心集群（和林格尔新区）"


def test_filters_on_the_page(run_as):
    at = _page(run_as)
    at.multiselect(key="portfolio_status_en").set_value(["missed"]).run()
    assert list(_table(at)["deal_id"]) == [HORINGER]
    at.multiselect(key="portfolio_status_en").set_value([]).run()
    at.multiselect(key="portfolio_currency").set_value(["USD"]).run()
    assert list(_table(at)["deal_id"]) == [ALIBABA]
    totals = next(d.value for d in at.dataframe if "deals" in d.value.columns)
    assert totals.to_dict("records") == [{"currency": "USD", "deals": 1, "amount": 500_000_000.0,
                                          "outstanding": 500_000_000.0}]
    at.multiselect(key="portfolio_currency").set_value([]).run()
    at.text_input(key="portfolio_text").input("zhangjiakou").run()
    assert list(_table(at)["deal_id"]) == [DEMO]
    at.multiselect(key="portfolio_grade").set_value(["below 1A"]).run()
    assert not any("next_observation" in d.value.columns for d in at.dataframe)  # the demo deal is 5A
    assert at.info[0].value == "No deal matches the filters."


def test_excel_export_holds_the_table(run_as, media):
    from openpyxl import load_workbook

    at = _page(run_as)
    at.multiselect(key="portfolio_currency").set_value(["CNY"]).run()
    table = _table(at)
    button = next(b for b in at.get("download_button") if b.proto.label == "Download the table as Excel")
    wb = load_workbook(io.BytesIO(media(button.proto.url)))
    ws = wb["portfolio"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Deal", "Status", "GCPI total", "Grade", "Index by period", "Margin [bp]",
                       "Ratchet adjustment [bp]", "Next observation", "Currency", "Facility amount", "Outstanding",
                       "Ratchet KPIs (latest)", "Why", "Latest period", "Borrower", "Facility")
    assert len(rows) - 1 == len(table) == 2
    for got, (_, want) in zip(rows[1:], table.iterrows(), strict=True):
        for cell, (col, v) in zip(got, want.items(), strict=True):
            if col == "trend":
                assert cell == "; ".join(f"{x:.2f}" for x in v)
            elif col == "next_observation":
                assert cell.date() == v
            elif isinstance(v, float):
                assert cell == pytest.approx(v, abs=1e-9)
            else:
                assert cell == v, col
    notes = dict(wb["notes"].iter_rows(values_only=True))
    assert notes["As of"] == "2026-11-21" and notes["Filters"] == "Currency: CNY"


def test_first_render_and_rerun_within_budget(run_as):
    import streamlit as st

    st.cache_data.clear()
    t0 = time.perf_counter()
    at = run_as("credit_officer", PAGE)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    at.run()
    rerun = time.perf_counter() - t0
    print(f"portfolio: first {first:.2f} s, rerun {rerun:.3f} s")
    assert not at.exception
    assert first <= 5.0 and rerun <= 0.5  # issue 7 budgets (tests/app/test_bench.py)
