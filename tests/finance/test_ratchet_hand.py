"""Ratchet rules on hand-worked examples.

Loan for every case unless stated: USD 10,000,000 bullet, quarterly from 2025-01-15 (New York banking days, all
roll dates below are business days), Term SOFR held at 4.00 %, margin 200 bp, ACT/360. Interest for a period is
10,000,000 × all-in rate × days / 360, worked out in each test.
"""

import datetime as dt

import numpy as np
import pytest

from finance import ratchet as R
from finance.deal import Deal, deal_schedule, observation_adjustments, scenario_outcomes
from finance.terms import SptRatchet

D = dt.date.fromisoformat


def deal(ratchet=None, observations=None, **loan_kw):
    loan = dict(currency="USD", amount=10_000_000, start_date="2025-01-15", maturity_date="2027-01-15",
                interest_period="quarterly", repayment="bullet", margin_bp=200,
                base_rate={"index": "TERM_SOFR_3M", "path": [{"from": "2025-01-01", "rate_pct": 4.0}]})
    loan.update(loan_kw)
    rat = dict(design="spt", step_down_bp=-10, step_up_bp=10, kpis=[{"kpi": "index"}])
    rat.update(ratchet or {})
    return Deal.model_validate({"id": "t", "loan": loan, "ratchet": rat, "observations": observations})


def met(day, due, delivered=None, score=90.0):
    return {"date": day, "certificate_due": due, "certificate_delivered": delivered, "spt": {"index": 80.0},
            "verified": {"index_total": score}}


def rows(frame, start):
    return frame[frame.start.dt.date == D(start)].iloc[0]


def test_certificate_late_by_30_days():
    # due 2026-03-31, delivered 2026-04-30 (30 days late), rule: from the next interest period.
    # Period 2026-04-15..2026-07-15 (91 days) counts as all missed: +10 bp -> 6.10 %
    #   10,000,000 × 0.0610 × 91/360 = 154,194.44
    # From 2026-07-15 (first period starting after delivery) the SPT is met: -10 bp -> 5.90 %, 92 days
    #   10,000,000 × 0.0590 × 92/360 = 150,777.78
    d = deal(observations=[met("2025-12-31", "2026-03-31", "2026-04-30")])
    f = deal_schedule(d, "actual").frame
    before = rows(f, "2026-01-15")
    assert before.ratchet_bp == 0 and before.interest == pytest.approx(10_000_000 * 0.06 * 90 / 360, abs=0.005)
    late = rows(f, "2026-04-15")
    assert late.ratchet_bp == 10 and late.interest == pytest.approx(154_194.44, abs=0.005)
    assert "not delivered" in late.reason
    ok = rows(f, "2026-07-15")
    assert ok.ratchet_bp == -10 and ok.interest == pytest.approx(150_777.78, abs=0.005)
    assert "30 days late" in ok.reason and "index 90 vs SPT 80 met" in ok.reason


def test_step_down_n_business_days_after_delivery_splits_period():
    # delivered Mon 2026-03-02, 5 business days later = Mon 2026-03-09; period 2026-01-15..04-15 is split:
    #   2026-01-15..03-09: 53 days at 6.00 %: 10,000,000 × 0.06 × 53/360 = 88,333.33
    #   2026-03-09..04-15: 37 days at 5.90 %: 10,000,000 × 0.059 × 37/360 = 60,638.89
    d = deal({"timing": {"rule": "business_days", "business_days": 5}},
             [met("2025-12-31", "2026-03-31", "2026-03-02")])
    f = deal_schedule(d, "actual").frame
    p = f[f.period == f.loc[f.start.dt.date == D("2026-01-15"), "period"].iloc[0]]
    assert len(p) == 2
    a, b = p.iloc[0], p.iloc[1]
    assert (a.days, b.days) == (53, 37)
    assert a.end.date() == D("2026-03-09") and a.payment_date == b.payment_date
    assert a.interest == pytest.approx(88_333.33, abs=0.005)
    assert b.interest == pytest.approx(60_638.89, abs=0.005)
    assert a.principal == 0 and b.ratchet_bp == -10


def test_cap_reached_on_cumulative_ratchet():
    # cumulative, -10 bp per met observation, cap 25 bp: -10, -20, then -25 (not -30)
    obs = [met("2025-03-31", "2025-04-10"), met("2025-06-30", "2025-07-10"), met("2025-09-30", "2025-10-10")]
    d = deal({"cumulative": True, "cap_bp": 25}, obs)
    f = deal_schedule(d, "actual").frame
    # certificates due 10 Apr / 10 Jul / 10 Oct apply from the next periods (15 Apr / 15 Jul / 15 Oct)
    assert rows(f, "2025-01-15").ratchet_bp == 0
    assert rows(f, "2025-04-15").ratchet_bp == -10
    assert rows(f, "2025-07-15").ratchet_bp == -20
    last = rows(f, "2025-10-15")
    assert last.ratchet_bp == -25
    # 2025-10-15..2026-01-15, 92 days at 4.00 + 2.00 - 0.25 = 5.75 %: 10,000,000 × 0.0575 × 92/360 = 146,944.44
    assert last.interest == pytest.approx(146_944.44, abs=0.005)
    assert "total adjustment -25 bp" in last.reason


def test_margin_floored_at_zero():
    # margin 15 bp, step-down 20 bp: the margin stops at 0 (ratchet effect -15), all-in = 4.00 %
    # 2025-07-15..2025-10-15, 92 days: 10,000,000 × 0.04 × 92/360 = 102,222.22
    d = deal({"step_down_bp": -20}, [met("2025-03-31", "2025-04-10")], margin_bp=15)
    f = deal_schedule(d, "actual").frame
    r = rows(f, "2025-07-15")
    assert r.ratchet_bp == -15 and r.all_in_rate_pct == pytest.approx(4.0)
    assert r.interest == pytest.approx(102_222.22, abs=0.005)


def test_annuity_resolved_after_margin_change():
    # 1,000,000 over 4 quarters, 等额本息 on the periodic rate (6.00 %/4 = 1.5 %), step-down -10 bp from the
    # 3rd period (certificate 2025-07-01, next period starts 2025-07-15).
    d = deal(observations=[met("2025-03-31", "2025-06-30", "2025-07-01")], amount=1_000_000,
             maturity_date="2026-01-15", repayment="annuity", annuity_convention="periodic")
    f = deal_schedule(d, "actual").frame
    i = 0.015
    a = round(1_000_000 * i / (1 - (1 + i) ** -4), 2)           # 259,444.79 quoted instalment
    assert a == pytest.approx(259_444.79, abs=0.005)
    int1 = round(1_000_000 * i, 2)                               # 15,000.00
    b1 = 1_000_000 - (a - int1)                                  # 755,555.21
    int2 = round(b1 * i, 2)                                      # 11,333.33
    b2 = round(b1 - (a - int2), 2)                               # 507,443.75
    i2 = 0.059 / 4                                               # 1.475 % after the step-down
    a2 = round(b2 * i2 / (1 - (1 + i2) ** -2), 2)                # re-solved on the remaining balance, 2 left
    int3 = round(b2 * i2, 2)
    b3 = round(b2 - (a2 - int3), 2)
    int4 = round(b3 * i2, 2)
    assert list(f.interest.round(2)) == pytest.approx([int1, int2, int3, int4], abs=0.005)
    assert list(f.principal.round(2)) == pytest.approx([a - int1, a - int2, a2 - int3, b3], abs=0.005)
    assert f.payment.iloc[2] == pytest.approx(a2, abs=0.005)
    assert f.principal.sum() == pytest.approx(1_000_000, abs=0.005)
    assert a2 < a


def test_spt_status_and_no_change_band():
    # PUE (lower is better), SPT 1.25, band 0.02: 1.24 met, 1.26 within band, 1.30 missed, NaN missed
    st = R.spt_status([[1.24, 1.26, 1.30, np.nan]], [1.25] * 4, "lower", 0.02)
    assert st.tolist() == [[1, 0, -1, -1]]
    # index (higher is better), SPT 80, band 2: 81 met, 78 within band, 77.9 missed
    assert R.spt_status([[81, 78, 77.9]], [80] * 3, "higher", 2).tolist() == [[1, 0, -1]]


def test_weighted_two_kpi_adjustment():
    # weights 0.6 index / 0.4 PUE, step-down -10, step-up +10:
    # index met, PUE missed -> 0.6 × -10 + 0.4 × 10 = -2 bp; index in band, PUE met -> 0 + 0.4 × -10 = -4 bp
    r = SptRatchet(kpis=[{"kpi": "index", "weight": 0.6}, {"kpi": "pue", "weight": 0.4}], step_down_bp=-10,
                   step_up_bp=10)
    adj = R.spt_adjustments(r, np.array([[[1, -1], [0, 1]]]))
    assert adj[0].tolist() == pytest.approx([-2.0, -4.0])


def test_score_grid_and_interpolated():
    from finance.terms import InterpolatedRatchet, ScoreGridRatchet

    g = ScoreGridRatchet(bands=[{"grade": "5A", "adjustment_bp": -15}, {"grade": "4A", "adjustment_bp": -10},
                                {"grade": "3A", "adjustment_bp": 0}], not_reported_bp=10)
    assert R.grid_adjustments(g, grades=[["5A", "3A", None, "1A"]]).tolist() == [[-15, 0, 10, 10]]
    s = ScoreGridRatchet(bands=[{"min_score": 90, "adjustment_bp": -15}, {"min_score": 0, "adjustment_bp": 5}],
                         not_reported_bp=10)
    assert R.grid_adjustments(s, scores=[[95, 89.9, np.nan]]).tolist() == [[-15, 5, 10]]
    # margin 100 bp at score ≤ 60, 80 bp at ≥ 90: score 75 -> 90 bp; loan margin 100 -> -10 bp
    it = InterpolatedRatchet(score_low=60, score_high=90, margin_low_bp=80, margin_high_bp=100)
    assert R.interpolated_adjustments(it, [[75, 50, 95, np.nan]], 100)[0].tolist() == pytest.approx([-10, 0, -20, 0])


def test_scenarios_met_missed_use_actuals_where_known():
    d = deal(observations=[met("2025-03-31", "2025-04-10", score=70.0),
                           {"date": "2025-12-31", "certificate_due": "2026-03-31", "spt": {"index": 80.0}}])
    assert scenario_outcomes(d, "met")[1] == "met"
    adj, _ = observation_adjustments(d, [scenario_outcomes(d, "met"), scenario_outcomes(d, "missed")])
    # first observation verified at 70 < 80: missed (+10) in both; second assumed met / missed
    assert adj.tolist() == [[10, -10], [10, 10]]
