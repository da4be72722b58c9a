"""Deal page: the sample deal's cash flows and PV, checked against the deal file and a hand calculation."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEAL = "app_pages/deal_designer.py"
DEAL_FILE = ROOT / "data/deals/demo-zjk-sll-2025.toml"


def _table(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_deal_page_cash_flows_match_the_deal_file(run_as):
    at = run_as("credit_officer", DEAL)
    assert not at.exception
    cf = _table(at, "interest")
    # Deal file: CNY 800,000,000 drawn in full and repaid in full.
    assert cf["drawdown"].sum() == pytest.approx(800_000_000)
    assert cf["principal"].sum() == pytest.approx(800_000_000)
    # First period by hand: 300m drawn 2025-07-21, paid 2025-09-22 (63 days), 1Y LPR 3.00 % + 30 bp, ACT/360.
    first = cf.iloc[0]
    assert first["days"] == 63
    assert first["interest"] == pytest.approx(300_000_000 * 0.033 * 63 / 360, abs=0.01)


def test_deal_page_pv_is_the_finance_engines(run_as):
    from finance.deal import deal_valuation, load_deal

    expected = deal_valuation(load_deal(DEAL_FILE), None, DEAL_FILE).to_dict()
    at = run_as("credit_officer", DEAL)
    net = next(m.value for m in at.metric if m.label == "Net PV to the borrower")
    assert net == f"{expected['net_pv']:,.2f}"
    pv = _table(at, "PV saving to the borrower")
    assert list(pv["Scenario"]) == ["on_track", "pue_slips", "stalls"]  # the deal file's scenarios
    assert list(pv["Probability"]) == [0.5, 0.3, 0.2]


def test_switching_scenario_to_missed_raises_interest(run_as):
    at = run_as("credit_officer", DEAL)
    met = _table(at, "interest")["interest"].sum()
    at.selectbox(key="deal_scenario").set_value("missed").run()
    assert not at.exception
    missed = _table(at, "interest")["interest"].sum()
    assert missed > met  # all targets missed: +10 bp after the first certificate (deal file)
