"""The portfolio from the record (issue 12 item 7): workflows.portfolio_of, app_support.portfolio and the page.

Expected figures are written out by hand below (from the shipped deal and facility files and the status thresholds
of data/finance/portfolio_status.toml), or come from the index engine called here on the shipped files.

Hand-worked book (two deals on the demo facility, terms of data/deals/demo-zjk-sll-2025.toml: contractual margin
30 bp; ratchet index weight 0.6 band 2.0, PUE weight 0.4 band 0.02, steps −10 / +10 bp, cap 10; timing 5 Chinese
business days after delivery; observation 2025-12-31 with SPTs index 86, PUE 1.20, certificate due 2026-04-30;
next observation 2026-12-31 with SPTs index 88, PUE 1.19):

* deal A — verified observation 2025-12-31 (statement issued, certificate delivered Fri 2026-04-24): index 95.13
  ≥ 86 + 2 met, PUE 1.17 ≤ 1.20 − 0.02 met → 0.6 × (−10) + 0.4 × (−10) = −10 bp → margin 30 → **20 bp**, effective
  5 business days after 24 Apr: 27, 28, 29, 30 Apr, (1–5 May Labour Day) 6 May → **2026-05-06**; prepared by one
  credit officer, approved by a second.
* deal B — only *reported* figures for 2025-12-31 (index 98.69, PUE 1.17, received 2026-02-15): **indicative**,
  the margin in force stays the contractual **30 bp**; as of 2026-06-01 its certificate (due 2026-04-30) is
  overdue with no verified result → **missed, overdue**.
* both: the facility's latest period ended by the as-of date is 2025 (reported, 19 of 19 indicators with data:
  **completeness 1.0**); forward look on the next SPTs: index 98.69 − 88 = 10.69 ≥ headroom 2.0, PUE 1.19 − 1.17
  = 0.02 ≥ headroom 0.01 → *on track*; the tightest KPI relative to its headroom is PUE (0.02 / 0.01 = 2 <
  10.69 / 2.0): headroom **PUE +0.02**.
"""

from __future__ import annotations

import datetime as dt
import io
import tomllib
from pathlib import Path

import pytest

import workflows
from app_support import portfolio as P
from app_support.tables import table_problems
from common.text import display_width
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
#: the as-of date of the page tests (never the clock)
AS_OF = dt.date(2026, 11, 21)
D = dt.date


def _new_store(path):
    from finance.deal_book import deal_validator
    from store import open_store

    return open_store(f"sqlite:///{path}", migrate=True, deal_validator=deal_validator())


@pytest.fixture(scope="module")
def hand_book(tmp_path_factory):
    """The two-deal book of the module docstring."""
    st = _new_store(tmp_path_factory.mktemp("hand") / "book.sqlite")
    st.bootstrap_admin("admin")
    st.add_user("admin", "co.wang", ["credit_officer"])
    st.add_user("admin", "co.li", ["credit_officer"])
    st.add_user("admin", "ver", ["verifier"])
    st.save_facility("admin", load_facility(FACS / "demo-zjk-hyperscale.toml"), verified_by="ver")
    doc = tomllib.loads((DEALS / f"{DEMO}.toml").read_text(encoding="utf-8"))
    for did in ("hand-a", "hand-b"):
        st.save_deal("co.wang", {**doc, "id": did, "name": f"Hand deal {did[-1].upper()}"})
    st.save_statement("ver", "VS-HAND-A-2025", facility_id="demo-zjk-hyperscale", pdf=b"%PDF-1.7 hand",
                      deal_id="hand-a", period_label="2025", issue=True)
    st.record_monitoring_observation("ver", "hand-a", D(2025, 12, 31), status="verified",
                                     kpis={"index": 95.13, "pue": 1.17}, outcomes={"index": "met", "pue": "met"},
                                     statement_id="VS-HAND-A-2025", certificate_delivered=D(2026, 4, 24))
    (ch,) = workflows.prepare_changes(st, "co.wang", "hand-a", as_of=D(2026, 4, 24))
    st.approve_margin_change("co.li", ch.id)
    st.record_monitoring_observation("co.wang", "hand-b", D(2025, 12, 31), status="reported",
                                     kpis={"index": 98.69, "pue": 1.17}, reported_on=D(2026, 2, 15))
    yield st
    st.close()


def _rows(store, as_of, actor="co.wang"):
    pf = workflows.portfolio_of(store, as_of, actor=actor)
    assert not pf.problems
    return pf.frame.set_index("deal_id")


def test_verified_observation_steps_the_margin_down(hand_book):
    a = _rows(hand_book, D(2026, 6, 1)).loc["hand-a"]
    assert (a["margin_bp"], a["adjustment_bp"], a["contractual_margin_bp"]) == (20.0, -10.0, 30.0)
    assert a["margin_since"] == D(2026, 5, 6) and a["margin_source"] == "record"
    assert (a["last_observation"], a["last_record"], a["last_index"]) == (D(2025, 12, 31), "verified", 95.13)
    assert a["last_statement"] == "VS-HAND-A-2025"
    assert (a["status"], a["status_reason"], a["status_date"]) == ("on_track", "ok", D(2026, 12, 31))
    assert (a["period"], a["period_status"], a["completeness"]) == ("2025", "reported", 1.0)
    assert a["next_spt"] == {"index": 88.0, "pue": 1.19}
    assert a["headroom_kpi"] == "pue" and a["headroom"] == pytest.approx(0.02, abs=1e-12)


def test_reported_only_is_indicative_and_never_moves_the_margin(hand_book):
    rows = _rows(hand_book, D(2026, 3, 31))
    b = rows.loc["hand-b"]
    # before its certificate is due: reported figures, indicative; contractual margin; forward look on track
    assert (b["margin_bp"], b["margin_source"]) == (30.0, "contractual")
    assert (b["last_record"], b["last_index"], bool(b["indicative"])) == ("reported", 98.69, True)
    assert (b["status"], b["status_reason"]) == ("on_track", "ok")
    # deal A on 2026-03-31: its certificate reaches the bank on 2026-04-24, so nothing is known yet
    a = rows.loc["hand-a"]
    assert (a["margin_bp"], a["last_record"]) == (30.0, None)
    # after the due date: the reported figures still change nothing; the certificate is overdue → missed
    b = _rows(hand_book, D(2026, 6, 1)).loc["hand-b"]
    assert (b["margin_bp"], b["adjustment_bp"], b["margin_source"]) == (30.0, 0.0, "contractual")
    assert (b["status"], b["status_reason"], b["status_date"]) == ("missed", "overdue", D(2026, 4, 30))


def test_reason_text_labels_the_indicative_row(hand_book):
    b = _rows(hand_book, D(2026, 3, 31)).reset_index().set_index("deal_id", drop=False).loc["hand-b"].to_dict()
    cat = tomllib.loads((ROOT / "app_support/i18n/en/portfolio.toml").read_text(encoding="utf-8"))["portfolio"]

    def t(key, **fmt):
        node = cat
        for part in key.split(".")[1:]:
            node = node[part]
        return node.format(**fmt)

    text = P.reason_text(b, t, lambda k: {"pue": "PUE", "index": "GCPI"}[k])
    assert text == ("latest values clear the next SPTs (2026-12-31); INDICATIVE: observation 2025-12-31 has reported "
                    "figures only (GCPI 98.69); the margin in force moves on verified results only")
    assert P.headroom_text(b, lambda k: {"pue": "PUE"}[k]) == "PUE +0.02"


def test_completeness_says_a_low_score_is_missing_data(tmp_path):
    """Seeded demo book: the Alibaba fleet file (data/facilities/alibaba-self-built-fy2024.toml) gives 2 of the 19
    indicators (PUE and the clean-power share): completeness 2/19, and a GCPI of 16.5 that says so."""
    from store.demo import seed_demo

    st = _new_store(tmp_path / "demo.sqlite")
    seed_demo(st, ROOT / "data")
    ali = _rows(st, AS_OF, "credit").loc[ALIBABA]
    res = score(load_facility(FACS / "alibaba-self-built-fy2024.toml"), "FY2024")
    assert ali["completeness"] == pytest.approx(2 / 19) == pytest.approx(res.completeness)
    assert ali["index"] == pytest.approx(res.total, abs=1e-9) and ali["index"] < 20
    assert (ali["status"], ali["status_reason"], ali["status_kpi"]) == ("at_risk", "short", "renewable_share")
    st.close()


def test_demo_statement_records_verified_not_reported(tmp_path, monkeypatch):
    """The issue's case on the seeded demo book: the statement certifies 95.13 (reported 98.69); once a second
    credit officer approves, the portfolio shows the margin the verified figure gives (30 − 10 = 20 bp from
    2026-05-06) and the recorded 95.13, never 98.69."""
    from store.demo import seed_demo

    monkeypatch.setenv("DCSLL_HOME", str(tmp_path / "home"))
    st = _new_store(tmp_path / "demo.sqlite")
    seed_demo(st, ROOT / "data")   # its users include a second credit officer, credit2 (store.demo.DEMO_USERS)
    out = workflows.issue_statement(st, DEMO, "2025", actor="verifier", prepared_by="credit", as_of=D(2026, 4, 24))
    before = _rows(st, D(2026, 6, 1), "credit").loc[DEMO]
    assert (before["margin_bp"], before["margin_source"]) == (30.0, "contractual")  # prepared, not approved
    st.approve_margin_change("credit2", out.prepared[0].id)
    row = _rows(st, D(2026, 6, 1), "credit").loc[DEMO]
    assert (row["margin_bp"], row["margin_since"], row["last_record"]) == (20.0, D(2026, 5, 6), "verified")
    assert round(row["last_index"], 2) == 95.13 and row["status"] == "on_track"
    st.close()


def test_operator_may_not_read_the_portfolio(hand_book):
    from store.errors import PermissionDenied

    hand_book.add_user("admin", "op", ["operator"])
    with pytest.raises(PermissionDenied):
        workflows.portfolio_of(hand_book, AS_OF, actor="op")


def test_bad_deal_document_is_named_and_left_out(hand_book):
    """A document whose observation has no certificate_due: the deal is left out with its field named."""
    from sqlalchemy import update

    from store.schema import DealRow
    from store.tomlio import to_json

    good = hand_book.load_deal_document("hand-b")
    doc = hand_book.load_deal_document("hand-b")
    del doc["observations"][2]["certificate_due"]

    def store(document, version):  # a document as an old version of the app might have stored it
        with hand_book._write() as s:
            s.execute(update(DealRow).where(DealRow.id == "hand-b").values(document=to_json(document),
                                                                           version=version))

    store(doc, 99)
    try:
        pf = workflows.portfolio_of(hand_book, AS_OF, actor="co.wang")
        ((deal, err),) = pf.problems
        assert deal == "hand-b" and err.field == "certificate_due" and err.file == "deal hand-b"
        assert list(pf.frame["deal_id"]) == ["hand-a"]
    finally:
        store(good, 100)
    assert list(workflows.portfolio_of(hand_book, AS_OF, actor="co.wang").frame["deal_id"]) == ["hand-a", "hand-b"]


# --------------------------------------------------------------------------------- thresholds file


def test_status_rules_every_headroom_has_unit_and_source():
    from workflows.portfolio import STATUS_FILE

    raw = tomllib.loads(STATUS_FILE.read_text(encoding="utf-8"))["headroom"]
    rules = P.load_status_rules()
    assert rules.headroom == {k: float(v["value"]) for k, v in raw.items()}
    assert all(v["source"].strip() and v["unit"] for v in raw.values())
    assert {"index", "pue", "renewable_share"} <= set(rules.headroom)
    assert rules.sources == {k: " ".join(v["source"].split()) for k, v in raw.items()}


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


def test_kpi_without_headroom_names_the_entry_to_add(hand_book):
    """Both deals' ratchets use the index: without [headroom.index] they are left out, the entry to add named."""
    rules = P.StatusRules({"pue": 0.01}, {"pue": "-"}, "status.toml")  # no [headroom.index]
    pf = workflows.portfolio_of(hand_book, AS_OF, actor="co.wang", rules=rules)
    assert pf.frame.empty and sorted(d for d, _ in pf.problems) == ["hand-a", "hand-b"]
    assert all(e.field == "headroom.index" and "add [headroom.index]" in str(e) for _, e in pf.problems)


# --------------------------------------------------------------------------------- filters, totals


def _frame():
    import pandas as pd

    return pd.DataFrame([
        {"deal_id": "a", "name": "A loan", "borrower": "Acme", "facility_id": "f1", "facility": "Hall 1",
         "facility_zh": "一号楼", "currency": "CNY", "amount": 100.0, "grade": "5A", "status": "on_track"},
        {"deal_id": "b", "name": "B loan", "borrower": "Beta", "facility_id": "f2", "facility": "Hall 2",
         "facility_zh": "二号楼", "currency": "CNY", "amount": 50.0, "grade": "2A", "status": "missed"},
        {"deal_id": "c", "name": "C loan", "borrower": "Acme Intl", "facility_id": "f3", "facility": "Hall 3",
         "facility_zh": "三号楼", "currency": "USD", "amount": 20.0, "grade": "5A", "status": "at_risk"},
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
    assert tot.loc["CNY"].tolist() == [2, 150.0]  # 100 + 50
    assert tot.loc["USD"].tolist() == [1, 20.0]


# --------------------------------------------------------------------------------- the page (AppTest)


@pytest.fixture
def media(monkeypatch):
    """Files offered by st.download_button during AppTest runs: ``fetch(proto) -> bytes``, the workbook written on
    click through the button's deferred callable (as the server does when the user clicks)."""
    import streamlit.testing.v1.app_test as app_test_mod

    managers = []
    real = app_test_mod.MediaFileManager

    def make(*args, **kwargs):
        managers.append(real(*args, **kwargs))
        return managers[-1]

    monkeypatch.setattr(app_test_mod, "MediaFileManager", make)
    return lambda proto: managers[-1]._deferred_callables[proto.deferred_file_id]["callable"]()


def _page(run_as, lang="en", role="credit_officer"):
    at = run_as(role, PAGE, lang)
    at.date_input(key="portfolio_as_of").set_value(AS_OF).run()
    return at


def _table(at):
    return next(d.value for d in at.dataframe if "next_observation" in d.value.columns)


def test_page_shows_the_record_for_the_seeded_deals(run_as, methodology):
    """Seeded demo book, no record yet: every margin is contractual; as of 2026-11-21 the demo's certificate due
    2026-04-30 and Horinger's due 2025-10-31 are overdue (missed); Alibaba's FY2024 clean-power share 0.56 is short
    of its FY2027 SPT 0.62 (at risk)."""
    at = _page(run_as)
    assert not at.exception and not at.error
    table = _table(at)
    assert table_problems(table, "portfolio") == []
    assert list(table.columns) == list(P.TABLE_COLUMNS)
    table = table.set_index("deal_id")
    demo = table.loc[DEMO]
    latest = score(load_facility(FACS / "demo-zjk-hyperscale.toml"), "2025", methodology)
    assert demo["index"] == round(latest.total, 2) and demo["completeness"] == 100
    assert (demo["margin_bp"], demo["status"], demo["basis"]) == (30.0, "Missed", "Indicative")
    assert demo["next_observation"] == D(2026, 12, 31) and demo["headroom"] == "PUE +0.02"
    assert table.loc[HORINGER, "status"] == "Missed" and table.loc[ALIBABA, "status"] == "At risk"
    assert table.loc[ALIBABA, "headroom"] == "Renewables −0.06"
    assert [m.value for m in at.metric][:4] == ["3 / 3", "0", "1", "2"]  # deals; on track, at risk, missed


def test_table_fits_its_box_in_both_languages():
    """978 px content box (Streamlit's centred layout): the widths plus the ~30 px row-selection column add up to
    less, and every header fits its column: display width × 7 px (14 px Source Sans; a CJK character counts 2) +
    28 px for padding and the sort icon."""
    assert sum(P.WIDTHS.values()) + 30 <= 978 and set(P.WIDTHS) == set(P.TABLE_COLUMNS)
    for lang in ("en", "zh"):
        cols = tomllib.loads((ROOT / f"app_support/i18n/{lang}/portfolio.toml").read_text(encoding="utf-8"))
        cols = cols["portfolio"]["col"]
        for c in P.TABLE_COLUMNS:
            assert display_width(cols[c]) * 7 + 28 <= P.WIDTHS[c], (lang, c, cols[c])


def test_page_in_chinese(run_as):
    at = _page(run_as, "zh")
    assert not at.exception and not at.error
    assert at.title[0].value == "贷款组合"
    table = _table(at)
    assert table_problems(table, "portfolio zh") == []
    table = table.set_index("deal_id")
    assert table.loc[DEMO, "status"] == "未达标" and table.loc[ALIBABA, "status"] == "有风险"
    assert table.loc[DEMO, "basis"] == "参考值"


def test_filters_on_the_page(run_as):
    at = _page(run_as)
    at.multiselect(key="portfolio_status_en").set_value(["at_risk"]).run()
    assert list(_table(at)["deal_id"]) == [ALIBABA]
    at.multiselect(key="portfolio_status_en").set_value([]).run()
    at.multiselect(key="portfolio_currency").set_value(["USD"]).run()
    assert list(_table(at)["deal_id"]) == [ALIBABA]
    totals = next(d.value for d in at.dataframe if "deals" in d.value.columns)
    assert totals.to_dict("records") == [{"currency": "USD", "deals": 1, "amount": 500_000_000}]
    at.multiselect(key="portfolio_currency").set_value([]).run()
    at.text_input(key="portfolio_text").input("zhangjiakou").run()
    assert list(_table(at)["deal_id"]) == [DEMO]
    at.multiselect(key="portfolio_grade").set_value(["below 1A"]).run()
    assert not any("next_observation" in d.value.columns for d in at.dataframe)  # the demo deal is 5A
    assert at.info[0].value == "No deal matches the filters."


def test_excel_export_is_rounded_and_has_no_server_path(run_as, media):
    from openpyxl import load_workbook

    at = _page(run_as)
    at.multiselect(key="portfolio_currency").set_value(["CNY"]).run()
    button = next(b for b in at.get("download_button") if b.proto.label == "Download the table as Excel")
    # a click must not rerun the page: the rerun would drop the deferred file's id before the browser asks for it
    assert button.proto.deferred_file_id and button.proto.ignore_rerun
    wb = load_workbook(io.BytesIO(media(button.proto)))
    rows = list(wb["portfolio"].iter_rows(values_only=True))
    head, body = rows[0], {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert head[:4] == ("Deal", "Deal name", "Borrower", "Facility") and set(body) == {DEMO, HORINGER}
    import pandas as pd

    assert table_problems(pd.DataFrame(rows[1:], columns=head), "excel") == []
    demo = body[DEMO]
    # 98.69311… rounded to 2 decimals; no record: contractual 30 bp; overdue certificate
    assert (demo["GCPI"], demo["Margin [bp]"], demo["Status"]) == (98.69, 30, "Missed")
    assert demo["Data [%]"] == 100 and demo["Recorded GCPI"] == "—" and demo["P(meet) [%]"] == "—"
    notes = dict(wb["notes"].iter_rows(values_only=True))
    assert notes["As of"] == "2026-11-21" and notes["Filters"] == "Currency: CNY"
    # the thresholds themselves (data/finance/portfolio_status.toml: PUE headroom 0.01), not a file name
    assert "PUE 0.01 -" in notes["Status thresholds"] and "GCPI 2 score 0-110" in notes["Status thresholds"]
    assert "portfolio_status" not in notes["Status thresholds"]
    everything = " ".join(str(c) for ws in wb for r in ws.iter_rows(values_only=True) for c in r)
    assert str(ROOT) not in everything and "/home" not in everything and "site-packages" not in everything
