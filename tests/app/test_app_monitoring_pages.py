"""Due dates, Amendments and History pages (issue 12.1, 12.5, 12.6) through AppTest, as every role that may open
them, in zh and en; tables checked with :func:`app_support.tables.table_problems`.

Hand figures (demo deal, data/deals/demo-zjk-sll-2025.toml; conventions.toml ``[monitoring]`` report_lead_days 30,
report due moved to the *preceding* business day of the Chinese calendar):

* 2025 observation 2025-12-31: certificate due 2026-04-30 (Thu); report due 2026-04-30 − 30 days = 2026-03-31 (Tue,
  a business day). On 2026-06-01 with no statement issued both are overdue: certificate by 32 days.
* 2026 observation 2026-12-31: certificate due 2027-04-30 (Fri), report due 2027-03-31 (Wed); on 2026-06-01 it
  is 333 days to the report, outside 90 days, inside 400.
* Amendment: a 3,600 kW hall on the 60,000 kW campus = 6.00 % ≥ the 5.0 % threshold of
  data/targets/recalculation.toml; the 2024 baseline made pro forma at PUE 1.45: IT 326,764,800 × 1.06 =
  346,370,688 kWh, total 395,385,408 + 19,605,888 × 1.45 = 423,813,945.6 kWh → PUE 1.223585 (was 1.21); the 2026
  PUE SPT 1.19 × 1.223585 / 1.21 = 1.2034 (the SLLP rebase keeps the ratio to the baseline).
"""

from __future__ import annotations

import datetime as dt
import io

import pytest

from app_support.tables import table_problems

DUE = "app_pages/due_dates.py"
AMEND = "app_pages/amendments.py"
HIST = "app_pages/history.py"
DEMO = "demo-zjk-sll-2025"
ALLOWED = {DUE: {"credit_officer", "admin"}, AMEND: {"credit_officer"},
           HIST: {"credit_officer", "verifier", "admin"}}
ROLES = ("credit_officer", "operator", "verifier", "admin", "reader")


@pytest.fixture
def media(monkeypatch):
    """Files offered by st.download_button during AppTest runs: ``fetch(url) -> bytes`` (as in
    tests/app/test_app_portfolio.py)."""
    import streamlit.testing.v1.app_test as app_test_mod
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    stores = []

    def make(prefix):
        stores.append(MemoryMediaFileStorage(prefix))
        return stores[-1]

    monkeypatch.setattr(app_test_mod, "MemoryMediaFileStorage", make)
    return lambda url: stores[-1].get_file(url.rsplit("/", 1)[-1]).content


def _problems(at) -> list[str]:
    return [p for i, d in enumerate(at.dataframe) for p in table_problems(d.value, f"table {i}")]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", sorted(ALLOWED))
def test_every_allowed_role_opens_the_page(run_as, page, lang):
    for role in sorted(ALLOWED[page]):
        at = run_as(role, page, lang)
        assert not at.exception, (role, page, at.exception)
        assert not at.error, (role, page, [e.value for e in at.error])
        assert _problems(at) == [], (role, page)


@pytest.mark.parametrize("page", sorted(ALLOWED))
def test_other_roles_cannot_reach_the_page(run_as, page):
    for role in sorted(set(ROLES) - ALLOWED[page]):
        with pytest.raises(ValueError):      # st.navigation did not register the page for this role
            run_as(role, page)


def test_due_dates_overdue_in_red_and_ics(run_as, media):
    import icalendar

    at = run_as("credit_officer", DUE)
    at.date_input(key="due_as_of").set_value(dt.date(2026, 6, 1)).run()
    assert not at.exception and not at.error
    df = at.dataframe[0].value
    row = df[df["Observation date"] == "2025-12-31"].iloc[0]
    assert (row["Report due"], row["Certificate due"]) == ("2026-03-31", "2026-04-30")
    assert (row["Report"], row["Certificate"]) == ("OVERDUE", "OVERDUE")
    assert row["Days left [days]"] == -32                       # 2026-04-30 − 2026-06-01
    assert "2026-12-31" not in set(df["Observation date"])      # 333 days ahead, outside 90
    assert any("overdue" in w.value for w in at.warning)
    # the overdue row is painted red (the Styler's CSS travels with the element)
    assert "#f8d7da" in str(at.dataframe[0].proto)
    # a longer window brings the 2026 observation in
    at.number_input(key="due_days").set_value(400).run()
    df = at.dataframe[0].value
    nxt = df[df["Observation date"] == "2026-12-31"].iloc[0]
    assert (nxt["Report due"], nxt["Report"], nxt["Days left [days]"]) == ("2027-03-31", "upcoming", 303)
    assert _problems(at) == []
    # the .ics download parses back with the icalendar library: two all-day events per observation
    (dl,) = at.get("download_button")
    cal = icalendar.Calendar.from_ical(media(dl.proto.url))
    starts = sorted((str(e["uid"]), e.decoded("dtstart")) for e in cal.walk("VEVENT"))
    assert (f"{DEMO}/2025-12-31/certificate@dcsll", dt.date(2026, 4, 30)) in starts
    assert (f"{DEMO}/2026-12-31/report@dcsll", dt.date(2027, 3, 31)) in starts
    assert len(starts) == 2 * len(df)


def test_due_dates_in_chinese(run_as):
    at = run_as("credit_officer", DUE, "zh")
    at.date_input(key="due_as_of").set_value(dt.date(2026, 6, 1)).run()
    df = at.dataframe[0].value
    assert "证书应交日" in df.columns and "已逾期" in set(df["证书"])


def _acquire_hall_c(at, kind_label: str, reason: str):
    """Fill the amendment form with the 6 % acquisition of the tests (hall C, 3,600 kW on 2026-03-01, pro forma at
    hall PUE 1.45) and compute it; ``kind_label`` is the event's label in the page's language."""
    at.selectbox(key="am_deal").set_value(DEMO).run()
    at.selectbox(key="am_kind").set_value(kind_label).run()
    at.date_input(key="am_date").set_value(dt.date(2026, 3, 1)).run()
    at.text_input(key="am_reason").set_value(reason).run()
    at.number_input(key="am_capacity").set_value(3600.0).run()
    at.checkbox(key="am_pro_forma").check().run()
    at.number_input(key="am_hall_pue").set_value(1.45).run()
    at.button(key="am_compute").click().run()
    return at


def test_amendment_after_a_6pct_acquisition_saves_a_new_version(run_as):
    from app_support.store import app_store

    at = run_as("credit_officer", AMEND)
    at.selectbox(key="am_deal").set_value(DEMO).run()
    at.selectbox(key="am_kind").set_value("Acquisition").run()
    at.date_input(key="am_date").set_value(dt.date(2026, 3, 1)).run()
    at.button(key="am_compute").click().run()
    assert any("reason" in w.value for w in at.warning)       # guided: no reason yet, nothing computed
    _acquire_hall_c(at, "Acquisition", "hall C acquired, 3,600 kW")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _problems(at) == []
    test = dict(at.dataframe[0].value.itertuples(index=False, name=None))
    assert test["Share of design IT power"] == "6.00 %" and test["Recalculation threshold"] == "5.0 %"
    assert test["Recalculation needed"] == "yes"
    assert test["Baseline PUE (old → new)"] == "1.21 → 1.224"          # 423,813,945.6 / 346,370,688
    spts = at.dataframe[1].value
    pue26 = spts[(spts["Observation"] == "2026-12-31") & (spts["KPI"] == "PUE")].iloc[0]
    assert (pue26["SPT before"], pue26["SPT after"]) == (1.19, pytest.approx(1.19 * 1.223585 / 1.21, abs=1e-4))
    checks = at.dataframe[2].value
    assert {"PUE", "GCPI index"} <= set(checks["KPI"])               # KPIs by name (designer.kpi_name)
    assert app_store().deal(DEMO).version == 1                  # nothing saved by the preview
    at.button(key="am_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    versions = app_store().deal_versions(DEMO)
    assert [(v["version"], v["kind"]) for v in versions] == [(1, "created"), (2, "amended")]
    assert "hall C acquired" in versions[1]["reason"]
    assert versions[0]["document"]["observations"][1]["spt"]["pue"] == 1.19      # old version kept
    assert any("version 1 → 2" in s.value for s in at.success)


def test_history_of_the_deal_and_its_exports(run_as, media):
    import openpyxl

    at = run_as("credit_officer", HIST)
    at.selectbox(key="hist_deal").set_value(DEMO).run()
    assert not at.exception and not at.error
    trail = at.dataframe[0].value
    assert {"deal created", "facility created"} <= set(trail["Action"])   # action codes by their labels
    figures = at.dataframe[1].value
    it = figures[(figures["Figure"] == "IT equipment energy [kWh]") & (figures["Period"] == "2024")].iloc[0]
    assert (it["Stage"], it["Value"]) == ("verified", 326_764_800)        # data/facilities/demo-zjk-hyperscale.toml
    assert _problems(at) == []
    files = {b.proto.label: b.proto.url for b in at.get("download_button")}

    def content(label):
        return media(files[label])

    wb = openpyxl.load_workbook(io.BytesIO(content("Download everything (Excel)")))
    assert wb.sheetnames == ["Audit trail", "Figures", "Margin changes", "Deal versions"]
    assert content("Download the audit trail (CSV)").decode("utf-8-sig").startswith("at,actor,action")
    at.radio(key="hist_scope").set_value("a facility").run()
    at.selectbox(key="hist_facility").set_value("demo-zjk-hyperscale").run()
    assert not at.exception and not at.error
    assert _problems(at) == []


def test_every_audit_action_of_the_store_has_a_label_in_both_languages():
    """The audit trail's Action column words each code the store writes. The codes are read from the store's
    source (literal ``_audit(..., "x.y", ...)`` calls and the audit tuples of facility saves) plus the families
    built at run time (``{entity}.save`` of versioned inputs, ``figure.<status>``, ``observation.record_<status>``,
    ``margin.approve|reject``): every one has an en and a zh label."""
    import re
    from pathlib import Path

    from app_support.i18n import catalogue

    src = "\n".join(p.read_text(encoding="utf-8") for p in (Path(__file__).parents[2] / "store").glob("*.py"))
    literal = set(re.findall(r'_audit\([^"\n]*"([a-z_]+\.[a-z_]+)"', src))
    literal |= set(re.findall(r'\("([a-z_]+\.[a-z_]+)", "[a-z_]+", ', src))      # facility-save audit tuples
    dynamic = {"targets_settings.save", "engagement.save", "figure.reported", "figure.verified",
               "observation.record_simulated", "observation.record_reported", "observation.record_verified",
               "margin.approve", "margin.reject", "deal_book.create",
               # written through a variable or a conditional expression the regexes do not read
               "deal.update", "baseline.set", "spt.set", "statement.draft"}
    codes = {c for c in literal if not c.endswith("_")} | dynamic
    assert {"deal.create", "facility.create", "margin.prepare", "statement.issue"} <= codes   # the regexes work
    for lang in ("en", "zh"):
        cat = catalogue(lang)
        missing = sorted(c for c in codes if f"history.action.{c}" not in cat)
        assert missing == [], (lang, missing)
    assert catalogue("zh")["history.action.facility.create"] == "新建设施"


def test_history_in_chinese_words_the_actions(run_as):
    at = run_as("credit_officer", HIST, lang="zh")
    at.selectbox(key="hist_deal").set_value(DEMO).run()
    assert not at.exception and not at.error
    trail = at.dataframe[0].value
    assert "时间（UTC）" in trail.columns and {"新建贷款", "新建设施"} <= set(trail["操作"])
    assert not any("." in a for a in trail["操作"])


def test_no_monitoring_page_raises_for_any_deal_or_facility(run_as):
    """Every deal and facility of the demo deal book (data/deals: three deals): History, Margin changes and an
    Amendments computation render without an exception element; a deal the recalculation cannot serve (e.g. no
    targets settings) gets a guided message."""
    from app_support.store import app_store

    book = app_store()
    deals = book.deal_ids()
    assert len(deals) >= 3
    at = run_as("credit_officer", HIST)
    for d in deals:
        at.selectbox(key="hist_deal").set_value(d).run()
        assert not at.exception and not at.error, (d, [e.value for e in at.error])
        assert _problems(at) == [], d
    at.radio(key="hist_scope").set_value("a facility").run()
    for f in book.facility_ids():
        at.selectbox(key="hist_facility").set_value(f).run()
        assert not at.exception and not at.error, (f, [e.value for e in at.error])
        assert _problems(at) == [], f
    at = run_as("credit_officer", "app_pages/margin_changes.py")
    for d in deals:
        at.selectbox(key="mc_deal").set_value(d).run()
        assert not at.exception, (d, at.exception)
        assert _problems(at) == [], d
    at = run_as("credit_officer", AMEND)
    at.selectbox(key="am_kind").set_value("Restatement").run()
    at.text_input(key="am_reason").set_value("2024 IT energy restated after the meter audit").run()
    for d in deals:
        at.selectbox(key="am_deal").set_value(d).run()
        at.button(key="am_compute").click().run()
        assert not at.exception, (d, at.exception)
        assert _problems(at) == [], d


def test_amendment_in_chinese_words_the_engine_codes(run_as):
    """zh: the threshold note and the ambition evidence are worded from the engine's codes with their figures.

    Hand figures (module docstring): the 2026 PUE SPT rebased × 1.223585 / 1.21 (1.19 → 1.2034, "1.203", on the
    deal as created; the deal as stored when an earlier test saved its amendment); the
    binding rule on PUE for a new data centre in the Zhangjiakou hub (eastern hub node, hebei) is 1.25
    (data/reference/policy_thresholds.csv ``hub_new_build_east``). Baseline v1 → v2; the number of KPI values
    changed is counted here from two baselines (the deal book's facility and its pro-forma perimeter)."""
    from app_support.store import app_store
    from common.text import fmt_num
    from index.baseline import compute_baseline
    from workflows.monitoring import pro_forma_facility

    fac = app_store().load_facility("demo-zjk-hyperscale")
    old = compute_baseline(fac, ["2024"])
    new = compute_baseline(pro_forma_facility(fac, 3600.0, 1.45, ("2024",)), ["2024"])
    changed = sum(new.kpis[k] != old.kpis.get(k) for k in new.kpis)
    spt26_before = next(o["spt"]["pue"] for o in app_store().load_deal_document(DEMO)["observations"]
                        if str(o["date"]) == "2026-12-31")

    at = run_as("credit_officer", AMEND, "zh")
    _acquire_hall_c(at, "收购", "收购 C 机房 3,600 kW")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _problems(at) == []
    notes = [w.value for w in at.warning]
    assert any(f"基线 v1 → v2；{changed} 个关键绩效指标数值发生变化" in n for n in notes), notes
    assert not any("KPI value(s) changed" in n for n in notes)
    checks = at.dataframe[2].value
    ev = "依据"
    reg26 = checks[(checks["指标"] == "PUE（电能利用效率）") & (checks["年份"] == "2026")
                   & (checks["检验"] == "超越监管要求")].iloc[0]
    assert reg26[ev].startswith("2026 年最严格的约束性规定：PUE（电能利用效率） ≤ 1.25（hub_new_build_east：")
    assert reg26[ev].endswith(f"目标 {fmt_num(spt26_before * 1.223585 / 1.21)} 超出该规定。")
    bau26 = checks[(checks["指标"] == "PUE（电能利用效率）") & (checks["年份"] == "2026")
                   & (checks["检验"] == "超越常规情景")].iloc[0]
    assert bau26[ev].startswith("2026 年照常情景预测：") and "照常情景达标概率 = " in bau26[ev]
    assert not any(x.isascii() and any(c.isalpha() for c in x) and " " in x for x in checks[ev]), list(checks[ev])
