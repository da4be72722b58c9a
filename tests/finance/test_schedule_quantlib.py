"""Schedules checked against QuantLib as an independent oracle.

QuantLib generates the interest periods (its own calendar and date rules) and computes each coupon as
notional × rate × year fraction; we compare dates, accrual days, interest and principal per period to the cent.
The notionals for amortising profiles are worked out in the tests from the loan-document formulas.
"""

import datetime as dt

import numpy as np
import pytest

from finance.ratchet import MarginEvent
from finance.schedule import build_plan, price, schedule_frame
from finance.terms import LoanTerms

ql = pytest.importorskip("QuantLib")
D = dt.date.fromisoformat
US_FED_QL = ql.UnitedStates(ql.UnitedStates.FederalReserve)   # New York banking days, the USD default calendar


def qd(d: dt.date):
    return ql.Date(d.day, d.month, d.year)


def pyd(q) -> dt.date:
    return dt.date(q.year(), q.month(), q.dayOfMonth())


def usd_loan(**kw):
    base = dict(currency="USD", amount=10_000_000, start_date=D("2025-01-15"), maturity_date=D("2030-01-15"),
                interest_period="quarterly", repayment="bullet", margin_bp=250,
                base_rate={"index": "TERM_SOFR_3M", "path": [{"from": "2025-01-01", "rate_pct": 4.0}]})
    base.update(kw)
    return LoanTerms(**base)


def ql_schedule(loan: LoanTerms, cal, first=None):
    args = [qd(loan.start_date), qd(loan.maturity_date), ql.Period(3 if loan.interest_period == "quarterly" else 1,
                                                                   ql.Months),
            cal, ql.ModifiedFollowing, ql.ModifiedFollowing, ql.DateGeneration.Forward, False]
    if first is not None:
        args.append(qd(first))
    return ql.Schedule(*args)


def ql_coupons(sched, dc, notionals, rates):
    leg = ql.FixedRateLeg(sched, dc, list(notionals), list(rates))
    cps = [ql.as_fixed_rate_coupon(cf) for cf in leg]
    return [(pyd(c.accrualStartDate()), pyd(c.accrualEndDate()), c.accrualDays(), c.amount()) for c in cps]


def my_schedule(loan, events=None, adj=None):
    plan = build_plan(loan, events or [], 1 if events else 0)
    regime = None if adj is None else np.array([adj])
    return plan, schedule_frame(plan, price(plan, regime)).frame


def assert_matches(frame, coupons, principal):
    assert len(frame) == len(coupons)
    for (s, e, days, amt), (_, row), pr in zip(coupons, frame.iterrows(), principal, strict=True):
        assert row.start.date() == s and row.end.date() == e
        assert row.days == days
        assert abs(row.interest - amt) <= 0.005 + 1e-9, (s, row.interest, amt)
        assert abs(row.principal - pr) <= 0.005 + 1e-6, (s, row.principal, pr)


@pytest.mark.parametrize("day_count, qdc", [("ACT/360", ql.Actual360()), ("ACT/365F", ql.Actual365Fixed())])
def test_bullet(day_count, qdc):
    loan = usd_loan(day_count=day_count)
    _, frame = my_schedule(loan)
    sched = ql_schedule(loan, US_FED_QL)
    n = len(sched) - 1
    cps = ql_coupons(sched, qdc, [10_000_000] * n, [0.065] * n)
    assert_matches(frame, cps, [0] * (n - 1) + [10_000_000])


@pytest.mark.parametrize("day_count, qdc", [("ACT/360", ql.Actual360()), ("ACT/365F", ql.Actual365Fixed())])
def test_equal_principal_with_grace(day_count, qdc):
    # 20 quarterly periods, grace to 2026-01-15: 16 equal repayments of 10,000,000 / 16 = 625,000.00
    loan = usd_loan(day_count=day_count, repayment="equal_principal", grace_end=D("2026-01-15"))
    _, frame = my_schedule(loan)
    sched = ql_schedule(loan, US_FED_QL)
    n = len(sched) - 1
    assert n == 20
    principal = [0.0] * 4 + [625_000.0] * 16
    notionals = [10_000_000 - sum(principal[:k]) for k in range(n)]
    cps = ql_coupons(sched, qdc, notionals, [0.065] * n)
    assert_matches(frame, cps, principal)


def test_margin_change_mid_life():
    # margin 250 bp steps down 15 bp from the 9th interest period (start 2027-01-15): all-in 6.50 % -> 6.35 %
    loan = usd_loan(repayment="equal_principal")
    sched = ql_schedule(loan, US_FED_QL)
    dates = [pyd(d) for d in sched]
    ev = [MarginEvent(dates[8], 1, 0, "test")]
    _, frame = my_schedule(loan, ev, [0.0, -15.0, 0.0])
    n = len(dates) - 1
    principal = [500_000.0] * n
    notionals = [10_000_000 - 500_000.0 * k for k in range(n)]
    rates = [0.065] * 8 + [0.0635] * (n - 8)
    assert_matches(frame, ql_coupons(sched, ql.Actual360(), notionals, rates), principal)
    assert (frame.ratchet_bp.iloc[8:] == -15).all() and (frame.ratchet_bp.iloc[:8] == 0).all()


def test_annuity_day_count_convention():
    # 等额本息, quarterly, 5 % all-in, principal from the periodic rate i = 5 %/4, interest on ACT/360.
    loan = usd_loan(repayment="annuity", annuity_convention="day_count", margin_bp=100, maturity_date=D("2027-01-15"))
    _, frame = my_schedule(loan)
    sched = ql_schedule(loan, US_FED_QL)
    n = len(sched) - 1
    i = 0.05 / 4
    a = round(10_000_000 * i / (1 - (1 + i) ** -n), 2)   # instalment quoted by the bank, to the cent
    bal, principal, notionals = 10_000_000.0, [], []
    for k in range(n):
        notionals.append(bal)
        p = bal if k == n - 1 else a - round(bal * i, 2)
        principal.append(round(p, 2))
        bal = round(bal - p, 2)
    assert_matches(frame, ql_coupons(sched, ql.Actual360(), notionals, [0.05] * n), principal)


def test_cny_quarterly_20th_on_interbank_calendar():
    # CNY: interest settles on the 20th of Mar/Jun/Sep/Dec; 2024-2026 where QuantLib's China.IB equals the
    # State Council calendar. First period is a stub from the start date to 20 Mar 2024.
    loan = LoanTerms(currency="CNY", amount=50_000_000, start_date=D("2024-02-05"), maturity_date=D("2026-12-18"),
                     repayment="equal_principal", margin_bp=40, base_rate={"index": "LPR_1Y", "path": [
                         {"from": "2024-01-01", "rate_pct": 3.10}]})
    _, frame = my_schedule(loan)
    sched = ql_schedule(loan, ql.China(ql.China.IB), first=D("2024-03-20"))
    n = len(sched) - 1
    assert n == 12
    principal = [round(50_000_000 / 12, 2)] * 11
    principal.append(50_000_000 - sum(principal))
    notionals = [50_000_000 - sum(principal[:k]) for k in range(n)]
    assert_matches(frame, ql_coupons(sched, ql.Actual360(), notionals, [0.035] * n), principal)
    # 20 Sep 2025 is a Saturday, 20 Dec 2025 a Saturday: both adjusted to Monday 22nd
    assert D("2025-09-22") in set(frame.end.dt.date) and D("2025-12-22") in set(frame.end.dt.date)


def test_start_on_a_weekend_moves_like_quantlibs_effective_date():
    """Drawn on Saturday 2026-08-29 (quarterly, USD, modified following): funds move on a business day, so
    interest accrues from Monday 31 August, as QuantLib's Schedule adjusts the effective date. First period
    31 Aug → 30 Nov 2026 (29 Nov is a Sunday) = 91 days: 10,000,000 × 6.50 % × 91 / 360 = 164,305.56."""
    loan = usd_loan(start_date=D("2026-08-29"), maturity_date=D("2027-08-29"),
                    base_rate={"index": "TERM_SOFR_3M", "path": [{"from": "2026-01-01", "rate_pct": 4.0}]})
    _, frame = my_schedule(loan)
    first = frame.iloc[0]
    assert (first.start.date(), first.end.date(), first.days) == (D("2026-08-31"), D("2026-11-30"), 91)
    assert first.interest == pytest.approx(10_000_000 * 0.065 * 91 / 360, abs=0.005)
    assert round(10_000_000 * 0.065 * 91 / 360, 2) == 164_305.56
    plan, _ = my_schedule(loan)
    assert plan.convention.endswith("start date 2026-08-29 is not a US_FED business day: interest accrues from "
                                    "2026-08-31")
    assert "not a" not in my_schedule(usd_loan())[0].convention        # 2025-01-15, a Wednesday: nothing said
    sched = ql_schedule(loan, US_FED_QL)
    assert_matches(frame, ql_coupons(sched, ql.Actual360(), [10_000_000] * 4, [0.065] * 4), [0] * 3 + [10_000_000])


def _random_loans(n: int, seed: int):
    """Loans QuantLib and dcsll both schedule: start on any day (weekends and month ends included), monthly,
    quarterly or semi-annual, maturity a whole number of periods later (unadjusted, as QuantLib rolls)."""
    import calendar
    import random

    rng = random.Random(seed)
    for _ in range(n):
        y, m = rng.choice([2024, 2025, 2026]), rng.randint(1, 12)
        start = dt.date(y, m, min(rng.choice([1, 6, 15, 28, 29, 30, 31]), calendar.monthrange(y, m)[1]))
        per, months = rng.choice([("monthly", 1), ("quarterly", 3), ("semi_annual", 6)])
        mat = pyd(ql.NullCalendar().advance(qd(start), ql.Period(rng.randint(2, 10) * months, ql.Months)))
        yield per, months, usd_loan(start_date=start, maturity_date=mat, interest_period=per, base_rate={
            "index": "TERM_SOFR_3M", "path": [{"from": "2023-01-01", "rate_pct": 4.0}]})


@pytest.mark.parametrize("per, months, loan", list(_random_loans(60, seed=5)),
                         ids=lambda v: v.start_date.isoformat() if isinstance(v, LoanTerms) else None)
def test_random_schedules_match_quantlib(per, months, loan):
    """Every accrual date, day count and coupon of a bullet loan equals QuantLib's (FixedRateLeg on its own
    Schedule with the US Federal Reserve calendar, modified following, ACT/360)."""
    _, frame = my_schedule(loan)
    sched = ql.Schedule(qd(loan.start_date), qd(loan.maturity_date), ql.Period(months, ql.Months), US_FED_QL,
                        ql.ModifiedFollowing, ql.ModifiedFollowing, ql.DateGeneration.Forward, False)
    k = len(sched) - 1
    assert_matches(frame, ql_coupons(sched, ql.Actual360(), [10_000_000] * k, [0.065] * k),
                   [0] * (k - 1) + [10_000_000])
