"""The monitoring loop on the deal book (issue 12): statement → recorded observation → prepared change →
approval by a second credit officer → notice → cash flows on the recorded margin.

Figures written out by hand (the demo deal, data/deals/demo-zjk-sll-2025.toml):

* 2025 period: the operator's *reported* data score 98.69 on the GCPI; the verifier's figures
  (data/statements/sample_engagement.toml: IT energy restated 357,408,000 → 351,689,000 kWh, two smart-carbon
  functions not evidenced) score **95.13** — the figure of the issue text. The record holds 95.13.
* SPTs 2025: index 86.0, PUE 1.20. 95.13 ≥ 86 + 2 (band) → met: 0.6 × (−10) = −6 bp; PUE 1.17 ≤ 1.20 − 0.02 →
  met: 0.4 × (−10) = −4 bp; total −10 bp (cap 10): margin 30 → 20 bp.
* Effective 5 business days after delivery on 2026-04-24 (Fri) on the Chinese calendar: 27, 28, 29, 30 Apr, then
  1–5 May is the Labour Day holiday, 6 May is the 5th → 2026-05-06; QuantLib China.IB is the oracle below.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from common.errors import InputError
from dcsll.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
DEMO = "demo-zjk-sll-2025"
IMPORTS = [DATA / "methodology" / "gcpi-2024.toml", *sorted((DATA / "facilities").glob("*.toml")),
           DATA / "deals" / f"{DEMO}.toml", DATA / "targets" / f"{DEMO}.toml",
           DATA / "statements" / "sample_verifier.toml", DATA / "statements" / "sample_engagement.toml"]
D = dt.date


def ql_date(d):
    return D(d.year(), d.month(), d.dayOfMonth())


@pytest.fixture(scope="module")
def book_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('book') / 'book.sqlite'}"
    assert main(["db", "--url", url, "upgrade"]) == 0
    # only a verifier makes a figure verified: the shipped verified figures are imported on its word
    assert main(["db", "--url", url, "add-user", "ver", "--role", "verifier", "--as", "admin"]) == 0
    assert main(["db", "--url", url, "import", "--verified-by", "ver", *map(str, IMPORTS)]) == 0
    from store import open_store

    st = open_store(url)
    st.add_user("admin", "co.wang", ["credit_officer"])
    st.add_user("admin", "co.li", ["credit_officer"])
    st.close()
    return url


@pytest.fixture()
def book(book_url, tmp_path):
    """A fresh copy of the imported deal book per test."""
    import sqlite3

    src = book_url.removeprefix("sqlite:///")
    dst = tmp_path / "b.sqlite"
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)       # the whole database, WAL included
    from finance.deal_book import deal_validator
    from store import open_store

    st = open_store(f"sqlite:///{dst}", deal_validator=deal_validator())
    yield st
    st.close()


@pytest.fixture()
def issued(book, monkeypatch, tmp_path):
    import workflows

    monkeypatch.setenv("DCSLL_HOME", str(tmp_path / "home"))
    out = workflows.issue_statement(book, DEMO, "2025", actor="ver", prepared_by="co.wang", as_of=D(2026, 4, 24))
    return book, out


def test_statement_records_verified_not_reported(issued):
    import QuantLib as ql

    book, out = issued
    (rec,) = book.monitoring_records(DEMO)
    assert rec.status == "verified" and rec.observation_date == D(2025, 12, 31)
    assert round(rec.kpis["index"], 2) == 95.13            # verified, not the reported 98.69
    assert rec.outcomes == {"index": "met", "pue": "met"}
    assert rec.statement_id == "VS-DEMO-ZJK-2025"
    assert rec.statement_sha256 == book.statement("VS-DEMO-ZJK-2025").sha256 and len(rec.statement_sha256) == 64
    assert rec.certificate_delivered == D(2026, 4, 24)
    (ch,) = out.prepared
    assert ch.state == "prepared" and ch.prepared_by == "co.wang" and ch.kind == "result"
    assert (ch.margin_before_bp, ch.margin_after_bp, ch.adjustment_bp) == (30.0, 20.0, -10.0)
    eff = ql_date(ql.China(ql.China.IB).advance(ql.Date(24, 4, 2026), 5, ql.Days))
    assert ch.effective_date == eff == D(2026, 5, 6)


def test_same_statement_never_recorded_twice(issued):
    import workflows

    book, out = issued
    again = book.record_monitoring_observation("ver", DEMO, D(2025, 12, 31), status="verified",
                                               kpis={"index": 1.0}, statement_id="VS-DEMO-ZJK-2025",
                                               certificate_delivered=D(2026, 4, 24))
    assert again.created is False and len(book.monitoring_records(DEMO)) == 1
    assert workflows.prepare_changes(book, "co.wang", DEMO, as_of=D(2026, 4, 24)) == []
    assert len(book.margin_change_records(DEMO)) == 1


def test_preparer_cannot_approve(issued):
    from store import PermissionDenied

    book, out = issued
    cid = out.prepared[0].id
    with pytest.raises(PermissionDenied, match="four-eyes"):
        book.approve_margin_change("co.wang", cid)
    with pytest.raises(PermissionDenied):
        book.approve_margin_change("ver", cid)              # a verifier is not a credit officer
    assert book.margin_change_record(cid).state == "prepared"
    ok = book.approve_margin_change("co.li", cid, note="checked against the statement")
    assert (ok.state, ok.decided_by) == ("approved", "co.li")
    acts = [(e.actor, e.action) for e in book.audit_log("admin", entity="margin_change")]
    assert acts == [("co.wang", "margin.prepare"), ("co.li", "margin.approve")]


def test_cash_flows_use_the_approved_margin(issued):
    """LPR 1Y + margin on the ACT/360 interest of the period 2026-03-20 → 2026-06-22 (20 Jun is a Saturday,
    modified following → Mon 22 Jun), split at the effective date 2026-05-06: 30 bp before, 20 bp after once
    approved; 30 bp throughout while the change is only prepared."""
    import pandas as pd

    import workflows

    book, out = issued
    src = workflows.StoreSource(book)
    deal = src.deal(DEMO)

    def row_on(frame, day):
        for _, r in frame.iterrows():
            if pd.Timestamp(r["start"]).date() <= day < pd.Timestamp(r["end"]).date():
                return r
        raise AssertionError(day)

    def margin_on(frame, day):
        r = row_on(frame, day)
        return float(r["margin_bp"] + r["ratchet_bp"])

    pending = workflows.evaluate_deal(deal, src, as_of=D(2026, 5, 20))
    assert pending.on_record
    assert pending.basis()[D(2025, 12, 31)] == "verified, approval pending"
    frame = pending.schedule("none").frame
    assert margin_on(frame, D(2026, 5, 10)) == 30.0
    book.approve_margin_change("co.li", out.prepared[0].id)
    ev = workflows.evaluate_deal(deal, src, as_of=D(2026, 5, 20))
    assert ev.basis()[D(2025, 12, 31)] == "verified, approved"
    frame = ev.schedule("none").frame
    assert margin_on(frame, D(2026, 5, 5)) == 30.0
    assert margin_on(frame, D(2026, 5, 6)) == 20.0
    assert margin_on(frame, D(2027, 1, 10)) == 20.0        # "none": no assumption for later observations
    # interest of the row from the effective date, by hand (ACT/360): drawn 300m + 300m = CNY 600,000,000;
    # 1Y LPR 3.00 % + 0.20 % = 3.20 %; 6 May → 22 Jun 2026 = 47 days; 600e6 × 3.20 % × 47 / 360 = 2,506,666.67
    r = row_on(frame, D(2026, 5, 6))
    assert pd.Timestamp(r["start"]).date() == D(2026, 5, 6) and pd.Timestamp(r["end"]).date() == D(2026, 6, 22)
    assert (r["days"], r["outstanding"], r["base_rate_pct"]) == (47, 600_000_000, 3.0)
    assert r["interest"] == pytest.approx(2_506_666.67, abs=0.005)


def test_notice_only_after_approval(issued):
    import workflows

    book, out = issued
    with pytest.raises(InputError, match="no approved margin change"):
        workflows.notice(book, "co.wang", DEMO, D(2025, 12, 31), as_of=D(2026, 5, 20))
    book.approve_margin_change("co.li", out.prepared[0].id)
    (n,) = workflows.notice(book, "co.wang", DEMO, D(2025, 12, 31), as_of=D(2026, 5, 20))
    assert (n.notice.old_margin_bp, n.notice.new_margin_bp) == (30.0, 20.0)
    assert n.notice.prepared_by == "co.wang" and n.notice.approved_by == ["co.li"]
    # the dates of the maker and the checker, from the deal book's timestamps, on Beijing time (a CNY loan)
    from zoneinfo import ZoneInfo

    (v,) = [v for v in workflows.margin_changes(book, workflows.StoreSource(book).deal(DEMO), D(2026, 5, 20))
            if v.state == "approved"]
    bj = ZoneInfo("Asia/Shanghai")
    assert n.notice.prepared_on == v.record.prepared_at.replace(tzinfo=v.record.prepared_at.tzinfo or dt.UTC
                                                                ).astimezone(bj).date()
    assert n.notice.approved_on == v.record.decided_at.replace(tzinfo=v.record.decided_at.tzinfo or dt.UTC
                                                               ).astimezone(bj).date()
    assert n.notice.approved_on >= n.notice.prepared_on
    assert n.notice.spts[0].value == pytest.approx(95.13, abs=0.005)
    assert n.pdf.startswith(b"%PDF-")
    (kept,) = book.notices(DEMO)
    assert book.notice_pdf(kept.id) == n.pdf


def test_late_certificate_steps_up_from_due_date_then_cure(book):
    """Observation 2025-12-31, certificate due 2026-04-30 (Thu), not delivered. On 2026-06-01 the record gives the
    contractual "all missed" step-up: 0.6 × (+10) + 0.4 × (+10) = +10 bp (cap 10) on the contractual 30 bp →
    40 bp, effective 5 business days after the due date: 1–5 May 2026 Labour Day holiday, Sat 9 May a make-up
    working day → 6, 7, 8, 9, 11 May = 2026-05-11 (QuantLib China.IB as the oracle). Delivered late on Wed
    2026-06-10 with every SPT met (index 95.13 ≥ 86 + 2, PUE 1.17 ≤ 1.20 − 0.02): −10 bp → 20 bp from 5 business
    days after 10 Jun (11, 12, 15, 16, 17 Jun; the Dragon Boat holiday is 19 Jun) = 2026-06-17."""
    import QuantLib as ql

    import workflows

    china = ql.China(ql.China.IB)
    made = workflows.record_late_certificates(book, "co.wang", D(2026, 6, 1))
    (f,) = made
    assert f.kind == "reporting_failure" and f.state == "prepared"
    assert f.effective_date == ql_date(china.advance(ql.Date(30, 4, 2026), 5, ql.Days)) == D(2026, 5, 11)
    assert (f.adjustment_bp, f.margin_before_bp, f.margin_after_bp) == (10.0, 30.0, 40.0)
    assert workflows.record_late_certificates(book, "co.wang", D(2026, 6, 2)) == []   # never twice
    book.approve_margin_change("co.li", f.id)

    book.save_statement("ver", "VS-X-2025", facility_id="demo-zjk-hyperscale", pdf=b"%PDF-1.7 test",
                        deal_id=DEMO, period_label="2025", issue=True)
    book.record_monitoring_observation("ver", DEMO, D(2025, 12, 31), status="verified",
                                       kpis={"index": 95.13, "pue": 1.17}, outcomes={"index": "met", "pue": "met"},
                                       statement_id="VS-X-2025", certificate_delivered=D(2026, 6, 10))
    cured = workflows.record_late_certificates(book, "co.wang", D(2026, 6, 11))
    (c,) = cured
    assert c.kind == "cure"
    assert c.effective_date == ql_date(china.advance(ql.Date(10, 6, 2026), 5, ql.Days)) == D(2026, 6, 17)
    assert (c.margin_before_bp, c.margin_after_bp) == (40.0, 20.0)
    book.approve_margin_change("co.li", c.id)
    # the cash flows: 30 bp to 10 May, 40 bp from 11 May, 20 bp from 17 Jun
    src = workflows.StoreSource(book)
    frame = workflows.evaluate_deal(src.deal(DEMO), src, as_of=D(2026, 7, 1)).schedule("none").frame
    got = {(str(r["start"])[:10], float(r["margin_bp"] + r["ratchet_bp"])) for _, r in frame.iterrows()
           if str(r["start"])[:10] in ("2026-03-20", "2026-05-11", "2026-06-17")}
    assert got == {("2026-03-20", 30.0), ("2026-05-11", 40.0), ("2026-06-17", 20.0)}


def test_reported_only_is_indicative(book):
    """Reported 2026 figures (index 100.48, as in the issue text) give an indicative change only: the margin in
    force stays 30 bp and nothing is prepared."""
    import workflows

    book.save_statement("ver", "VS-X-2025", facility_id="demo-zjk-hyperscale", pdf=b"%PDF-1.7 t",
                        deal_id=DEMO, period_label="2025", issue=True)
    book.record_monitoring_observation("ver", DEMO, D(2025, 12, 31), status="verified",
                                       kpis={"index": 95.13, "pue": 1.17}, statement_id="VS-X-2025",
                                       certificate_delivered=D(2026, 4, 24))
    book.record_monitoring_observation("co.wang", DEMO, D(2026, 12, 31), status="reported",
                                       kpis={"index": 100.48, "pue": 1.15}, reported_on=D(2027, 2, 1))
    deal = workflows.StoreSource(book).deal(DEMO)
    ev = workflows.evaluate_deal(deal, workflows.StoreSource(book), as_of=D(2027, 3, 1))
    (ind,) = ev.indicative
    assert ind.observation_date == D(2026, 12, 31) and "INDICATIVE" in ind.reason_en
    assert ev.basis()[D(2026, 12, 31)] == "indicative (reported figures)"
    views = workflows.margin_changes(book, deal, D(2027, 3, 1))
    assert [v.state for v in views if v.change.observation_date == D(2026, 12, 31)] == ["indicative"]
    made = workflows.prepare_changes(book, "co.wang", DEMO, as_of=D(2027, 3, 1))
    assert all(m.observation_date != D(2026, 12, 31) for m in made)


def test_history_lists_who_did_what(issued):
    import csv
    import io

    import workflows

    book, out = issued
    book.approve_margin_change("co.li", out.prepared[0].id)
    h = workflows.deal_history(book, "admin", DEMO)
    acts = [(r["actor"], r["action"]) for r in h.rows]
    assert ("ver", "statement.issue") in acts and ("ver", "observation.record_verified") in acts
    assert ("co.wang", "margin.prepare") in acts and ("co.li", "margin.approve") in acts
    assert any(r["entity"] == "period" and r["key"] == "demo-zjk-hyperscale/2025" for r in h.rows)   # figures
    rows = list(csv.DictReader(io.StringIO(h.to_csv())))
    assert len(rows) == len(h.rows) and rows[0].keys() >= {"at", "actor", "action", "summary"}
    assert [v["kind"] for v in h.versions] == ["created"]


def _acquired(facility, share: float, hall_pue: float):
    """The facility after acquiring ``share`` of its design IT power: design IT power × (1 + share), and the
    2024 baseline period pro-forma with the acquired hall's year (IT energy = share × the campus's, at
    ``hall_pue``)."""
    dp = facility.design_it_power_kw
    periods = []
    for p in facility.periods:
        if p.label == "2024":
            it = p.it_energy_kwh.value * share
            p = p.model_copy(update={
                "it_energy_kwh": p.it_energy_kwh.model_copy(update={"value": p.it_energy_kwh.value + it}),
                "total_energy_kwh": p.total_energy_kwh.model_copy(
                    update={"value": p.total_energy_kwh.value + it * hall_pue})})
        periods.append(p)
    return facility.model_copy(update={"design_it_power_kw": dp.model_copy(update={"value": dp.value * (1 + share)}),
                                       "periods": periods})


def test_amendment_after_a_6pct_acquisition(book):
    """A 3,600 kW hall bought on 2026-03-01: 3,600 / 60,000 kW = 6 % ≥ the 5 % threshold of
    data/targets/recalculation.toml → recalculated. Pro-forma 2024 (the baseline year): IT energy
    326,764,800 × 1.06 = 346,370,688 kWh; total 395,385,408 + 19,605,888 × 1.45 = 423,813,945.6 kWh;
    PUE 423,813,945.6 / 346,370,688 = 1.223585… (was 395,385,408 / 326,764,800 = 1.21). The agreed PUE SPTs keep
    their ratio to the baseline (SLLP rebase): 2026 1.19 × 1.223585 / 1.21 = 1.2033…. The 2025 observation is
    verified already and keeps its SPTs. A new deal version (2) with the reason; version 1 kept."""
    import workflows
    from index.baseline import RecalculationEvent

    src = workflows.StoreSource(book)
    fac = src.facility("demo-zjk-hyperscale")
    book.save_statement("ver", "VS-X-2025", facility_id="demo-zjk-hyperscale", pdf=b"%PDF-1.7 t",
                        deal_id=DEMO, period_label="2025", issue=True)
    book.record_monitoring_observation("ver", DEMO, D(2025, 12, 31), status="verified",
                                       kpis={"index": 95.13, "pue": 1.17}, statement_id="VS-X-2025",
                                       certificate_delivered=D(2026, 4, 24))
    small = RecalculationEvent(kind="acquisition", date=D(2026, 3, 1), reason="hall B, 2,400 kW",
                               capacity_change_kw=2400.0)
    a0 = workflows.amend_deal(book, "co.wang", DEMO, small, facility_after=_acquired(fac, 0.04, 1.45), paths=200)
    assert not a0.triggered and a0.recalculation.share == pytest.approx(0.04)     # 2,400 / 60,000 < 5 %
    assert [v["version"] for v in book.deal_versions(DEMO)] == [1]

    ev = RecalculationEvent(kind="acquisition", date=D(2026, 3, 1), reason="hall C acquired, 3,600 kW",
                            capacity_change_kw=3600.0)
    a = workflows.amend_deal(book, "co.wang", DEMO, ev, facility_after=_acquired(fac, 0.06, 1.45), paths=200)
    assert a.triggered and a.recalculation.share == pytest.approx(0.06) and a.recalculation.threshold == 0.05
    pue_new = 423_813_945.6 / 346_370_688
    assert a.recalculation.new_baseline.value("pue") == pytest.approx(pue_new, abs=1e-4)
    assert a.recalculation.old_baseline.value("pue") == pytest.approx(1.21, abs=1e-4)
    versions = book.deal_versions(DEMO)
    assert [(v["version"], v["kind"]) for v in versions] == [(1, "created"), (2, "amended")]
    assert "hall C acquired" in versions[1]["reason"]
    old, new = versions[0]["document"], versions[1]["document"]
    assert old["observations"][1]["spt"]["pue"] == 1.19                       # old version kept as it was
    assert new["observations"][1]["spt"]["pue"] == pytest.approx(1.19 * pue_new / 1.21, abs=2e-4)
    assert new["observations"][0]["spt"] == old["observations"][0]["spt"]     # verified 2025: unchanged
    # the index SPTs move by the change of the index baseline (points)
    db = a.recalculation.new_baseline.value("index") - a.recalculation.old_baseline.value("index")
    assert new["observations"][2]["spt"]["index"] == pytest.approx(90.0 + db, abs=1e-3)
    assert a.checks                                                            # ambition checked again
    assert {c.kpi for c in a.checks} >= {"pue"}
    assert book.deal(DEMO).version == 2 and a.new_version == 2
    # baselines: the old one kept, the new one supersedes it with the reason
    hist = [t for t in book.targets(DEMO, history=True) if t.kpi == "pue" and t.observation_date is None]
    assert [round(t.value, 4) for t in hist] == [1.21, round(pue_new, 4)] and hist[1].reason


def test_reported_facility_figures_are_indicative_only(book):
    """No record for 2025 yet: the facility's 2025 period is *reported* and scores 98.69 (the issue's figure); on
    2026-03-01 (certificate not yet due) it gives an indicative change (98.69 ≥ 86 + 2 and PUE 1.17 ≤ 1.18: −10 bp)
    that is never in force: the margin stays 30 bp."""
    from finance.monitoring import margin_events_from_record, margin_in_force
    from workflows.pipeline import _reported_observations

    src = workflows_source(book)
    deal = src.deal(DEMO)
    (rep,) = _reported_observations(deal, src, [])
    assert rep.status == "reported" and rep.observation_date == D(2025, 12, 31)
    assert round(rep.kpis["index"], 2) == 98.69
    (c,) = margin_events_from_record(deal, [rep], D(2026, 3, 1))
    assert c.status == "indicative" and c.margin_after_bp == 20.0
    assert margin_in_force([c], D(2026, 6, 1), 30.0) == 30.0


def workflows_source(book):
    import workflows

    return workflows.StoreSource(book)


def test_figure_chain_reported_verified_restated(book):
    """The 2025 IT energy of the demo facility: reported 357,408,000 kWh by the operator
    (data/facilities/demo-zjk-hyperscale.toml), verified at 351,689,000 kWh (data/statements/sample_engagement.toml:
    the meter reading), then restated to 351,700,000 kWh with a reason: three steps, the evidence of each kept."""
    from workflows.monitoring import figure_chain

    fac = "demo-zjk-hyperscale"
    book.verify_figure("ver", fac, "2025", "it_energy_kwh", 351_689_000.0, source="meter report MR-2025-12")
    book.restate_figure("ver", fac, "2025", "it_energy_kwh", 351_700_000.0, source="meter report MR-2025-12 rev 1",
                        reason="meter 7 recalibrated")
    chain = [r for r in figure_chain(book, fac) if r["period"] == "2025" and r["field"] == "it_energy_kwh"]
    assert [(r["step"], r["stage"], r["value"], r["by"]) for r in chain] == [
        (1, "reported", 357_408_000.0, "admin"), (2, "verified", 351_689_000.0, "ver"),
        (3, "restated", 351_700_000.0, "ver")]
    assert chain[1]["source"] == "meter report MR-2025-12" and chain[2]["reason"] == "meter 7 recalibrated"
    assert {r["unit"] for r in chain} == {"kWh"}
    # a facility-level figure has no period
    assert any(r["period"] is None and r["field"] == "design_it_power_kw" for r in figure_chain(book, fac))


def test_amendment_pro_forma_from_the_capacity_change(book):
    """The same 6 % acquisition as above, the pro-forma facility built by the workflow from the capacity change
    and the hall's PUE 1.45 (no facility file): the same baseline PUE 423,813,945.6 / 346,370,688 = 1.223585 and
    the 2026 PUE SPT 1.19 × 1.223585 / 1.21; ``save=False`` writes nothing."""
    import workflows.monitoring as wm
    from index.baseline import RecalculationEvent

    ev = RecalculationEvent(kind="acquisition", date=D(2026, 3, 1), reason="hall C acquired, 3,600 kW",
                            capacity_change_kw=3600.0)
    a = wm.amend_deal(book, "co.wang", DEMO, ev, hall_pue=1.45, save=False, paths=200)
    assert a.triggered and not a.saved and a.new_version == a.old_version == 1
    assert a.recalculation.share == pytest.approx(0.06)
    pue_new = 423_813_945.6 / 346_370_688
    assert a.recalculation.new_baseline.value("pue") == pytest.approx(pue_new, abs=1e-6)
    assert a.spts["2026-12-31"]["pue"] == (1.19, pytest.approx(1.19 * pue_new / 1.21, abs=1e-4))
    # the 2025 observation is not verified here, but its period ended on 2025-12-31, before the acquisition on
    # 2026-03-01: its SPTs (index 86, PUE 1.20) are not rebased
    assert "2025-12-31" not in a.spts and set(a.spts) == {"2026-12-31", "2027-12-31", "2028-12-31", "2029-12-31"}
    assert [v["version"] for v in book.deal_versions(DEMO)] == [1]
    # the BAU ambition check runs on the new SPTs (P(BAU meets) in its evidence)
    bau = [c for c in a.checks if c.check == "bau" and c.kpi == "pue" and c.year == 2026]
    assert bau and bau[0].ambitious is not None and "P(BAU meets SPT)" in bau[0].evidence
    with pytest.raises(InputError, match="pro-forma PUE"):
        wm.amend_deal(book, "co.wang", DEMO, ev.model_copy(update={"kind": "restatement"}), hall_pue=1.45,
                      save=False, paths=200)


def test_deal_book_timestamps_give_the_loan_currencys_local_date():
    """A deal-book timestamp is UTC. 2026-05-13 23:30 UTC is 2026-05-14 07:30 in Beijing (UTC+8, no DST): a CNY
    notice says 14 May. 2026-05-14 03:00 UTC is 2026-05-13 23:00 in New York (EDT, UTC−4 from 8 March to
    1 November 2026): a USD notice says 13 May. A naive timestamp (SQLite) is read as UTC."""
    from workflows.monitoring import _day

    assert _day(dt.datetime(2026, 5, 13, 23, 30, tzinfo=dt.UTC), "CNY") == D(2026, 5, 14)
    assert _day(dt.datetime(2026, 5, 13, 23, 30), "CNY") == D(2026, 5, 14)
    assert _day(dt.datetime(2026, 5, 14, 3, 0, tzinfo=dt.UTC), "USD") == D(2026, 5, 13)
    assert _day(dt.datetime(2026, 1, 14, 4, 59, tzinfo=dt.UTC), "USD") == D(2026, 1, 13)   # EST, UTC−5
    assert _day(None, "CNY") is None
