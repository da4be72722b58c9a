"""Valuation: PV of the ratchet against the same loan without it, worked by hand."""

import datetime as dt

import numpy as np
import pytest

from finance.ratchet import MarginEvent
from finance.schedule import build_plan, price
from finance.terms import LoanTerms
from finance.valuation import value

D = dt.date.fromisoformat


@pytest.fixture
def plan():
    # USD 10,000,000 bullet, 1 year quarterly from 2025-01-15: periods of 90, 91, 92, 92 days, 6.00 % all-in.
    # A -10 bp step-down applies from the 2nd period (2025-04-15).
    loan = LoanTerms(currency="USD", amount=10_000_000, start_date=D("2025-01-15"), maturity_date=D("2026-01-15"),
                     repayment="bullet", margin_bp=200, base_rate={"index": "TERM_SOFR_3M", "path": [
                         {"from": "2025-01-01", "rate_pct": 4.0}]})
    return build_plan(loan, [MarginEvent(D("2025-04-15"), 1, 0, "test")], 1)


def saving(days, bp):
    # interest is rounded to the cent in both schedules
    return round(10e6 * 0.06 * days / 360, 2) - round(10e6 * (0.06 + bp / 1e4) * days / 360, 2)


def test_pv_flat_rate_by_hand(plan):
    pays = [D("2025-07-15"), D("2025-10-15"), D("2026-01-15")]
    days = [91, 92, 92]
    df = [(1.05) ** -((p - D("2025-01-15")).days / 365) for p in pays]
    pv_down = sum(f * saving(n, -10) for f, n in zip(df, days, strict=True))
    pv_up = sum(f * saving(n, +10) for f, n in zip(df, days, strict=True))
    assert pv_down == pytest.approx(2527.78 * df[0] + 2555.55 * df[1] + 2555.55 * df[2], abs=1e-9)
    v = value(plan, [[0, -10, 0], [0, 10, 0]], names=["met", "missed"], probabilities=[0.7, 0.3],
              discount_rate_pct=5.0, verification_cost_per_year=1000.0, verification_dates=[D("2025-07-15")])
    assert v.pv_saving[0] == pytest.approx(pv_down, abs=1e-6)
    assert v.pv_saving[1] == pytest.approx(pv_up, abs=1e-6)
    assert v.pv_interest_delta[0] == pytest.approx(-pv_down, abs=1e-6)
    exp = 0.7 * pv_down + 0.3 * pv_up
    assert v.expected_pv_saving == pytest.approx(exp, abs=1e-6)
    assert v.pv_verification_cost == pytest.approx(1000.0 * df[0], abs=1e-9)
    assert v.break_even_cost_per_year == pytest.approx(exp / df[0], abs=1e-6)
    assert v.net_pv == pytest.approx(exp - 1000.0 * df[0], abs=1e-6)


def test_pv_default_discount_is_loan_rate(plan):
    # DF_p = Π 1 / (1 + 6 % × days/360)
    dfs = np.cumprod([1 / (1 + 0.06 * n / 360) for n in (90, 91, 92, 92)])
    hand = dfs[1] * saving(91, -10) + dfs[2] * saving(92, -10) + dfs[3] * saving(92, -10)
    v = value(plan, [[0, -10, 0]])
    assert v.pv_saving[0] == pytest.approx(hand, abs=1e-6)
    assert v.expected_pv_saving is None


def test_probabilities_must_sum_to_one(plan):
    with pytest.raises(ValueError, match="sum"):
        value(plan, [[0, -10, 0], [0, 10, 0]], probabilities=[0.5, 0.6])


def test_vectorised_equals_one_at_a_time():
    # 10-year quarterly equal-principal loan, 200 random regimes: pricing all at once = pricing each alone
    loan = LoanTerms(currency="CNY", amount=1e9, start_date=D("2025-07-21"), maturity_date=D("2035-07-20"),
                     repayment="annuity", grace_end=D("2026-07-21"), margin_bp=40, base_rate={"index": "LPR_5Y"})
    ev = [MarginEvent(D(f"{y}-06-20"), 1 + 2 * k, k, "t") for k, y in enumerate(range(2026, 2035))]
    p = build_plan(loan, ev, 9)
    rng = np.random.default_rng(1)
    adj = rng.choice([-10.0, 0.0, 10.0], size=(200, p.n_regimes))
    allp = price(p, adj)
    for s in (0, 57, 199):
        one = price(p, adj[s:s + 1])
        assert np.array_equal(one.interest[0], allp.interest[s])
        assert np.array_equal(one.principal[0], allp.principal[s])
    assert np.allclose(allp.principal.sum(axis=1), 1e9, atol=0.01)
