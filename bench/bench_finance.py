"""Benchmark: price 10,000 ratchet scenarios of a 10-year quarterly amortising loan with a two-KPI ratchet.

Vectorised path (finance.ratchet + finance.valuation, one call) against a per-scenario QuantLib loop that
builds the same cash flows (FixedRateLeg with the amortising notionals and each scenario's rates) and
discounts them on a flat curve. Prints both times, the ratio, and the largest PV difference between the two.

Conventions of issue 16 on both sides: payment dates on New York banking days (QuantLib
``UnitedStates(FederalReserve)``), Term SOFR from a stepped path fixed two U.S. Government Securities Business Days
before each period (QuantLib ``UnitedStates(GovernmentBond)``), cap and margin floor on the running total.

Run from the repository root:  python bench/bench_finance.py [--scenarios 10000] [--ql-scenarios N]
Target (issue 3): vectorised ≤ 1 s for 10,000 scenarios and ≥ 10× faster than the QuantLib loop.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from finance import ratchet as R  # noqa: E402
from finance.calendars import get_calendar  # noqa: E402
from finance.schedule import build_plan, interest_periods  # noqa: E402
from finance.terms import LoanTerms, SptRatchet, Timing  # noqa: E402
from finance.valuation import value  # noqa: E402

# stepped Term SOFR path [% p.a.] (illustrative), one print per quarter: 4.30 % falling 5 bp a quarter to 3.00 %
SOFR_PATH = [{"from": dt.date(2024, 12, 1) + dt.timedelta(days=91 * k), "rate_pct": round(max(4.30 - 0.05 * k, 3.0), 2)}
             for k in range(41)]


def path_rate(day: dt.date) -> float:
    """Last print of SOFR_PATH on or before ``day`` [% p.a.] (the QuantLib side's own lookup)."""
    return [f["rate_pct"] for f in SOFR_PATH if f["from"] <= day][-1]


class Obs:
    def __init__(self, date, due):
        self.date, self.certificate_due, self.certificate_delivered = date, due, None


def setup():
    loan = LoanTerms(currency="USD", amount=100_000_000, start_date=dt.date(2025, 1, 15),
                     maturity_date=dt.date(2035, 1, 15), repayment="equal_principal", margin_bp=225,
                     base_rate={"index": "TERM_SOFR_3M", "path": SOFR_PATH})
    rat = SptRatchet(kpis=[{"kpi": "index", "weight": 0.5}, {"kpi": "pue", "weight": 0.5}], step_down_bp=-5,
                     step_up_bp=5, cap_bp=10, cumulative=True, timing=Timing(rule="next_period"))
    obs = [Obs(dt.date(y, 12, 31), dt.date(y + 1, 4, 30)) for y in range(2025, 2034)]
    return loan, rat, obs


def vectorised(loan, rat, obs, status, rate_pct):
    t0 = time.perf_counter()
    periods = interest_periods(loan)
    ev = R.margin_events(obs, rat.timing, [p.start for p in periods], get_calendar(loan.resolved().calendar),
                         periods[-1].end)
    plan = build_plan(loan.resolved(), ev, len(obs))
    t1 = time.perf_counter()
    adj = R.spt_adjustments(rat, status)
    reg = R.regime_adjustments(adj, [R.failure_adjustment(rat, loan.margin_bp)] * len(obs), cumulative=True,
                               cap_bp=rat.cap_bp, floor_bp=rat.margin_floor_bp - loan.margin_bp)
    v = value(plan, reg, discount_rate_pct=rate_pct)
    t2 = time.perf_counter()
    return plan, reg, v, t1 - t0, t2 - t1


def quantlib_loop(plan, reg, rate_pct, n):
    import QuantLib as ql

    t0 = time.perf_counter()
    loan = plan.loan
    start = ql.Date(loan.start_date.day, loan.start_date.month, loan.start_date.year)
    ql.Settings.instance().evaluationDate = start
    sched = ql.Schedule(start, ql.Date(loan.maturity_date.day, loan.maturity_date.month, loan.maturity_date.year),
                        ql.Period(3, ql.Months), ql.UnitedStates(ql.UnitedStates.FederalReserve), ql.ModifiedFollowing,
                        ql.ModifiedFollowing, ql.DateGeneration.Forward, False)
    sifma = ql.UnitedStates(ql.UnitedStates.GovernmentBond)
    curve = ql.FlatForward(start, rate_pct / 100.0, ql.Actual365Fixed(), ql.Compounded, ql.Annual)
    n_p = len(sched) - 1
    step = loan.amount / n_p
    notionals = [loan.amount - step * k for k in range(n_p)]
    fix = [sifma.advance(sched[k], -2, ql.Days) for k in range(len(sched) - 1)]
    base = [path_rate(dt.date(f.year(), f.month(), f.dayOfMonth())) / 100.0 for f in fix]
    regime_of_period = [int(plan.row_regime[np.flatnonzero(plan.row_period == p)[0]]) for p in range(n_p)]
    pvs = np.empty(n)
    for s in range(n):
        rates = [base[p] + max(loan.margin_bp + reg[s, regime_of_period[p]], 0.0) / 1e4 for p in range(n_p)]
        leg = ql.FixedRateLeg(sched, ql.Actual360(), notionals, rates)
        pvs[s] = sum(cf.amount() * curve.discount(cf.date()) for cf in leg)
    base_leg = ql.FixedRateLeg(sched, ql.Actual360(), notionals, [base[p] + loan.margin_bp / 1e4 for p in range(n_p)])
    pv0 = sum(cf.amount() * curve.discount(cf.date()) for cf in base_leg)
    return pv0 - pvs, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=10_000)
    ap.add_argument("--ql-scenarios", type=int, default=None, help="QuantLib loop size (default: all)")
    ap.add_argument("--discount-rate", type=float, default=5.0)
    a = ap.parse_args()
    loan, rat, obs = setup()
    rng = np.random.default_rng(7)
    status = rng.choice(np.array([1, 0, -1], dtype=np.int8), size=(a.scenarios, len(obs), 2), p=[0.6, 0.1, 0.3])
    vectorised(loan, rat, obs, status[:10], a.discount_rate)  # warm-up (imports, calendar caches)
    plan, reg, v, t_plan, t_vec = vectorised(loan, rat, obs, status, a.discount_rate)
    n_ql = a.ql_scenarios or a.scenarios
    pv_ql, t_ql = quantlib_loop(plan, reg, a.discount_rate, n_ql)
    t_ql_all = t_ql * a.scenarios / n_ql
    diff = float(np.max(np.abs(pv_ql - v.pv_saving[:n_ql])))
    print(f"loan: {len(plan.periods)} quarterly periods, equal principal; ratchet: 2 KPIs x {len(obs)} observations")
    print(f"scenarios: {a.scenarios:,}")
    print(f"vectorised: plan {t_plan * 1e3:.1f} ms (once) + pricing and PV {t_vec * 1e3:.1f} ms "
          f"= {(t_plan + t_vec):.3f} s  [target <= 1 s: {'ok' if t_plan + t_vec <= 1 else 'MISSED'}]")
    print(f"QuantLib loop: {t_ql:.3f} s for {n_ql:,} scenarios"
          + (f" (scaled to {a.scenarios:,}: {t_ql_all:.3f} s)" if n_ql != a.scenarios else ""))
    ratio = t_ql_all / (t_plan + t_vec)
    print(f"ratio QuantLib / vectorised: {ratio:.1f}x  [target >= 10x: {'ok' if ratio >= 10 else 'MISSED'}]")
    print(f"max |PV difference| vs QuantLib: {diff:.4f} [USD] (cent rounding of each coupon in dcsll)")
    print(f"mean PV saving: {v.pv_saving.mean():,.2f} USD")
    return 0


if __name__ == "__main__":
    sys.exit(main())
