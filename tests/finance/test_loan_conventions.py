"""Loan conventions a loan-operations team books (issue 16), checked flow by flow against independent oracles.

Oracles: QuantLib for dates, calendars and coupons (``UnitedStates(FederalReserve)`` for New York banking days,
``UnitedStates(GovernmentBond)`` for the SIFMA fixing calendar, a ``BespokeCalendar`` built from the Chinese
holidays listed by hand below), plain arithmetic written out in each test for annuities, LPR repricing, ratchet
bounds and the mid-life valuation. Nothing expected here is copied from dcsll's output.
"""

import datetime as dt

import numpy as np
import pytest
import tomli_w

from finance import ratchet as R
from finance.calendars import get_calendar
from finance.deal import Deal, load_deal
from finance.ratchet import MarginEvent
from finance.schedule import build_plan, interest_periods, price, schedule_frame
from finance.terms import LoanTerms, SptRatchet, Timing
from finance.valuation import df_at, discount_factors, value

ql = pytest.importorskip("QuantLib")
D = dt.date.fromisoformat
FED = ql.UnitedStates(ql.UnitedStates.FederalReserve)
SIFMA = ql.UnitedStates(ql.UnitedStates.GovernmentBond)


def qd(d: dt.date):
    return ql.Date(d.day, d.month, d.year)


def pyd(q) -> dt.date:
    return dt.date(q.year(), q.month(), q.dayOfMonth())


def frame_of(loan, events=None, adj=None, n_obs=None):
    plan = build_plan(loan, events or [], n_obs if n_obs is not None else (1 if events else 0))
    return plan, schedule_frame(plan, price(plan, None if adj is None else np.array([adj]))).frame


def path_rate(path, day):
    """Step-function lookup written independently of dcsll: the last print on or before ``day``."""
    return [r for d, r in sorted(path) if d <= day][-1]


# ------------------------------------------------------------------------------- USD deal 1: Term SOFR annuity
SOFR_PATH = [(D("2026-12-01"), 3.60), (D("2027-04-13"), 3.55), (D("2027-07-13"), 3.50), (D("2027-10-13"), 3.40),
             (D("2028-01-12"), 3.30), (D("2028-07-12"), 3.25), (D("2029-01-11"), 3.20)]


def usd_annuity(**kw):
    base = dict(currency="USD", amount=120_000_000, start_date=D("2027-01-15"), maturity_date=D("2032-01-15"),
                interest_period="quarterly", repayment="annuity", margin_bp=175,
                base_rate={"index": "TERM_SOFR_3M", "floor_pct": 0.0,
                           "path": [{"from": d, "rate_pct": r} for d, r in SOFR_PATH]})
    base.update(kw)
    return LoanTerms(**base)


def usd_annuity_oracle(margin_from=None, step_bp=0.0):
    """Dates from QuantLib (FED calendar, unadjusted rolls, modified following), fixings 2 SIFMA days before each
    period, annuity re-solved on the periodic rate (all-in / 4) whenever it changes, interest ACT/360 via
    QuantLib's FixedRateLeg. ``margin_from``: period index from which the margin is ``175 + step_bp``."""
    sched = ql.Schedule(qd(D("2027-01-15")), qd(D("2032-01-15")), ql.Period(3, ql.Months), FED,
                        ql.ModifiedFollowing, ql.ModifiedFollowing, ql.DateGeneration.Forward, False)
    dates = [pyd(d) for d in sched]
    n = len(dates) - 1
    fix = [pyd(SIFMA.advance(qd(dates[k]), -2, ql.Days)) for k in range(n)]
    base = [path_rate(SOFR_PATH, f) for f in fix]
    margin = [175 + (step_bp if margin_from is not None and k >= margin_from else 0.0) for k in range(n)]
    rate = [b + m / 100 for b, m in zip(base, margin, strict=True)]
    bal, notionals, principal, inst, i_prev = 120_000_000.0, [], [], 0.0, None
    for k in range(n):
        notionals.append(bal)
        i = rate[k] / 100 / 4
        if i != i_prev:
            inst = round(bal * i / (1 - (1 + i) ** -(n - k)), 2)
            i_prev = i
        p = bal if k == n - 1 else inst - round(bal * i, 2)
        principal.append(round(p, 2))
        bal = round(bal - p, 2)
    leg = ql.FixedRateLeg(sched, ql.Actual360(), notionals, [r / 100 for r in rate])
    cps = [ql.as_fixed_rate_coupon(c) for c in leg]
    return dates, fix, base, margin, notionals, principal, cps


def test_usd_term_sofr_annuity_flow_by_flow():
    loan = usd_annuity()
    _, f = frame_of(loan)
    dates, fix, base, margin, notionals, principal, cps = usd_annuity_oracle()
    assert len(f) == len(cps) == 20
    for k, (c, (_, row)) in enumerate(zip(cps, f.iterrows(), strict=True)):
        assert row.start.date() == pyd(c.accrualStartDate()) == dates[k]
        assert row.end.date() == pyd(c.accrualEndDate())
        assert row.days == c.accrualDays()
        assert row.fixing_date.date() == fix[k]
        assert row.base_rate_pct == pytest.approx(base[k])
        assert row.margin_bp + row.ratchet_bp == margin[k]
        assert row.outstanding == pytest.approx(notionals[k], abs=0.005)
        assert abs(row.interest - c.amount()) <= 0.005 + 1e-9, (k, row.interest, c.amount())
        assert abs(row.principal - principal[k]) <= 0.005 + 1e-6, (k, row.principal, principal[k])
    # 15 Jan 2028 is a Saturday and Mon 17 Jan 2028 Martin Luther King Jr. Day: the payment moves to Tue 18 Jan
    assert D("2028-01-18") in set(f.end.dt.date)
    # the first period fixes Wed 13 Jan 2027, two SIFMA days before Fri 15 Jan (not the print of the 15th)
    assert f.fixing_date.iloc[0].date() == D("2027-01-13")
    assert f.interest_basis.iloc[0] == "ACT/360: rate x days/360"


def test_usd_annuity_mid_life_value_on_common_outstanding_path():
    # -10 bp from the 6th period (starts Mon 17 Apr 2028 in the oracle schedule); valued mid-life on 1 Jun 2029.
    dates, fix, base, margin, notionals, principal, cps = usd_annuity_oracle(margin_from=5, step_bp=-10.0)
    loan = usd_annuity()
    plan = build_plan(loan, [MarginEvent(dates[5], 1, 0, "step-down")], 1)
    v_date = D("2029-06-01")
    val = value(plan, [[0.0, -10.0, 0.0]], valuation_date=v_date)
    # hand: the scenario's own outstanding (notionals, re-solved after the step-down) at both margins; payments
    # after 1 Jun 2029 only; DF at the loan's rate without ratchet, simple within each period from 1 Jun 2029.
    hand, df = 0.0, 1.0
    for k in range(20):
        end = dates[k + 1]
        if end <= v_date:
            continue
        days_after = (end - max(dates[k], v_date)).days
        r0 = base[k] + 1.75
        df /= 1 + r0 / 100 * days_after / 360
        days = (end - dates[k]).days
        saving = round(notionals[k] * r0 / 100 * days / 360, 2) - round(notionals[k] * (r0 - 0.10) / 100 * days / 360, 2)
        hand += df * saving
    assert val.pv_saving[0] == pytest.approx(hand, abs=0.01)
    assert val.pv_interest_delta[0] == pytest.approx(-hand, abs=0.01)
    # principal repaid before 1 Jun 2029 differs between the two paths; it is not a saving: the PV is smaller
    # than 10 bp on the opening balance over the remaining life
    assert 0 < val.pv_saving[0] < 120e6 * 0.001 * (D("2032-01-15") - v_date).days / 360


def test_df_at_certificate_date_between_valuation_and_next_payment():
    # shipped USD sample valued 2027-07-01: 3.70 % + 85 bp = 4.55 %; next payment Thu 2 Sep 2027 (63 days),
    # DF = 1 / (1 + 4.55 % × 63/360); certificate due 30 Jul 2027 (29 days): log-linear from the valuation date
    deal = load_deal("data/deals/sll-alibaba-usd-2026.toml")
    plan = build_plan(deal.loan, [], 0)
    v = D("2027-07-01")
    df = discount_factors(plan, v)
    df_pay = 1 / (1 + 0.0455 * 63 / 360)
    assert df[[p.payment_date for p in plan.periods].index(D("2027-09-02"))] == pytest.approx(df_pay, rel=1e-12)
    hand = np.exp(29 / 63 * np.log(df_pay))
    assert hand == pytest.approx(0.996356, abs=5e-7)
    assert df_at(plan, df, v, [D("2027-07-30")])[0] == pytest.approx(hand, rel=1e-12)


# ------------------------------------------------------------------------------- USD deal 2: ratchet timing
def usd_bullet(**kw):
    base = dict(currency="USD", amount=50_000_000, start_date=D("2027-03-15"), maturity_date=D("2029-03-15"),
                interest_period="quarterly", repayment="bullet", margin_bp=150,
                base_rate={"index": "TERM_SOFR_3M", "path": [{"from": "2027-01-01", "rate_pct": 4.0}]})
    base.update(kw)
    return LoanTerms(**base)


class _Obs:
    def __init__(self, due, delivered):
        self.date, self.certificate_due, self.certificate_delivered = D("2026-12-31"), D(due), D(delivered)


@pytest.mark.parametrize("delivered, timing, expected", [
    # Sat 29 May 2027, Memorial Day Mon 31 May: deemed delivered Tue 1 Jun; +5 NY banking days = Tue 8 Jun
    # (a weekend-only calendar would give Mon 7 Jun)
    ("2027-05-29", {"rule": "business_days", "business_days": 5}, "2027-06-08"),
    # Fri 28 May 2027 (a business day): +5 -> 1, 2, 3, 4, 7 Jun (Memorial Day skipped)
    ("2027-05-28", {"rule": "business_days", "business_days": 5}, "2027-06-07"),
    # Sat 12 Jun 2027, next period starts Tue 15 Jun: deemed Mon 14 Jun -> period of 15 Jun
    ("2027-06-12", {"rule": "next_period"}, "2027-06-15"),
    # Sat 13 Mar 2027, the loan's first period starts Mon 15 Mar: deemed delivered Mon 15 Mar, so that period
    # (not starting after the certificate) does not count: next period, Tue 15 Jun
    ("2027-03-13", {"rule": "next_period"}, "2027-06-15"),
    # the same certificate read as delivered on the Saturday: the period starting Mon 15 Mar counts
    ("2027-03-13", {"rule": "next_period", "notices": "as_delivered"}, "2027-03-15"),
])
def test_certificate_timing_on_ny_banking_days(delivered, timing, expected):
    loan = usd_bullet()
    periods = interest_periods(loan)
    ev = R.margin_events([_Obs("2027-06-30", delivered)], Timing(**timing), [p.start for p in periods],
                         get_calendar(loan.resolved().calendar), periods[-1].end)
    assert ev[0].date == D(expected)


def test_usd_bullet_step_down_splits_period_flow_by_flow():
    # certificate Sat 29 May 2027, effective Tue 8 Jun 2027 (test above); step-down -5 bp splits 15 Mar-15 Jun
    loan = usd_bullet()
    periods = interest_periods(loan)
    ev = R.margin_events([_Obs("2027-06-30", "2027-05-29")], Timing(rule="business_days", business_days=5),
                         [p.start for p in periods], get_calendar("US_FED"), periods[-1].end)
    _, f = frame_of(loan, ev, [0.0, -5.0, 0.0])
    sched = ql.Schedule(qd(D("2027-03-15")), qd(D("2029-03-15")), ql.Period(3, ql.Months), FED,
                        ql.ModifiedFollowing, ql.ModifiedFollowing, ql.DateGeneration.Forward, False)
    q = [pyd(d) for d in sched]
    assert q[1] == D("2027-06-15")
    # accrual rows: [15 Mar, 8 Jun) 85 days at 5.50 %, [8 Jun, 15 Jun) 7 days at 5.45 %, then full periods at 5.45 %
    assert [(r.start.date(), r.end.date(), r.days) for _, r in f.iloc[:2].iterrows()] == [
        (D("2027-03-15"), D("2027-06-08"), 85), (D("2027-06-08"), D("2027-06-15"), 7)]
    assert f.interest.iloc[0] == pytest.approx(round(50e6 * 0.055 * 85 / 360, 2), abs=0.001)   # 649,305.56
    assert f.interest.iloc[1] == pytest.approx(round(50e6 * 0.0545 * 7 / 360, 2), abs=0.001)   # 52,986.11
    for k, (_, r) in enumerate(f.iloc[2:].iterrows()):
        assert (r.start.date(), r.end.date()) == (q[k + 1], q[k + 2])
        assert r.interest == pytest.approx(round(50e6 * 0.0545 * (q[k + 2] - q[k + 1]).days / 360, 2), abs=0.001)
    assert f.principal.sum() == 50e6 and f.principal.iloc[-1] == 50e6


# ---------------------------------------------------------------------------------------- maturity adjustment
@pytest.mark.parametrize("start", ["2024-01-03", "2025-05-15", "2026-08-26", "2027-01-15", "2028-09-15",
                                   "2029-08-03", "2030-09-05"])
def test_maturity_given_as_adjusted_business_day(start):
    # 10m over 2 years, quarterly equal principal; the maturity is written as the adjusted date of start + 2y
    s = D(start)
    unadj = qd(s) + ql.Period(2, ql.Years)
    adj = FED.adjust(unadj, ql.ModifiedFollowing)
    assert adj != unadj   # precondition: the unadjusted maturity is not a NY banking day
    loan = usd_bullet(amount=10_000_000, start_date=s, maturity_date=pyd(adj), repayment="equal_principal",
                      base_rate={"index": "TERM_SOFR_3M", "path": [{"from": "2023-12-01", "rate_pct": 4.0}]})
    _, f = frame_of(loan)
    sched = ql.Schedule(qd(s), unadj, ql.Period(3, ql.Months), FED, ql.ModifiedFollowing, ql.ModifiedFollowing,
                        ql.DateGeneration.Forward, False)
    q = [pyd(d) for d in sched]
    assert len(f) == len(q) - 1 == 8
    assert list(f.end.dt.date) == q[1:]
    assert (f.days > 0).all()
    assert list(f.principal) == [1_250_000.0] * 8


@pytest.mark.parametrize("year", range(2024, 2032))
def test_short_final_stub(year):
    # start 31 Jan, maturity 15 Mar of the next year: rolls 30 Apr, 31 Jul, 31 Oct, 31 Jan, then a stub to 15 Mar
    s, m = dt.date(year, 1, 31), dt.date(year + 1, 3, 15)
    loan = usd_bullet(start_date=s, maturity_date=m,
                      base_rate={"index": "TERM_SOFR_3M", "path": [{"from": "2023-12-01", "rate_pct": 4.0}]})
    _, f = frame_of(loan)
    sched = ql.Schedule(qd(s), qd(m), ql.Period(3, ql.Months), FED, ql.ModifiedFollowing, ql.ModifiedFollowing,
                        ql.DateGeneration.Forward, False)
    q = [pyd(d) for d in sched]
    # 31 Jan on a weekend: funds move on a business day, so the first accrual starts where QuantLib puts the
    # effective date (modified following: back to Friday when the next business day is in February)
    assert list(f.start.dt.date) == q[:-1] and list(f.end.dt.date) == q[1:]
    assert f.days.iloc[-1] < 60


# ------------------------------------------------------------------------------------------ annuity quoting
def test_periodic_annuity_with_explicit_day_count_is_refused():
    with pytest.raises(ValueError, match="annuity_convention .periodic. .* ignores loan.day_count ACT/360"):
        LoanTerms(currency="CNY", amount=1e6, start_date=D("2027-01-20"), maturity_date=D("2029-01-20"),
                  repayment="annuity", margin_bp=40, base_rate={"index": "LPR_1Y"}, day_count="ACT/360",
                  annuity_convention="periodic")
    # CNY without an explicit day count: the periodic (Chinese 等额本息) quote is the default and is allowed
    cny = LoanTerms(currency="CNY", amount=1e6, start_date=D("2027-01-20"), maturity_date=D("2029-01-20"),
                    repayment="annuity", margin_bp=40, base_rate={"index": "LPR_1Y"})
    assert cny.resolved().annuity_convention == "periodic"
    # USD: actual-day interest on the re-solved annuity by default, even with ACT/360 written out
    assert usd_annuity(day_count="ACT/360").resolved().annuity_convention == "day_count"


def test_periodic_annuity_refused_in_a_deal_file(tmp_path):
    data = {"id": "t", "loan": {"currency": "USD", "amount": 1e6, "start_date": D("2027-01-15"),
                                "maturity_date": D("2028-01-18"), "repayment": "annuity", "margin_bp": 100,
                                "day_count": "ACT/360", "annuity_convention": "periodic",
                                "base_rate": {"index": "TERM_SOFR_3M"}},
            "ratchet": {"design": "spt", "step_down_bp": -5, "kpis": [{"kpi": "index"}]},
            "observations": [{"date": D("2027-06-30"), "certificate_due": D("2027-09-30"), "spt": {"index": 80}}]}
    p = tmp_path / "d.toml"
    p.write_bytes(tomli_w.dumps(data).encode())
    from index.errors import InputError
    with pytest.raises(InputError, match="annuity_convention"):
        load_deal(p)


# -------------------------------------------------------------------------------------------- ratchet terms
def test_per_kpi_steps_with_total_cap(tmp_path):
    # "2 bp per KPI, 4 bp total": three KPIs, each -2 bp met / +2 bp missed, cap 4 bp
    rat = {"design": "spt", "cap_bp": 4, "kpis": [
        {"kpi": "index", "step_down_bp": -2, "step_up_bp": 2},
        {"kpi": "pue", "step_down_bp": -2, "step_up_bp": 2},
        {"kpi": "wue", "step_down_bp": -2, "step_up_bp": 2}]}
    data = {"id": "t", "loan": {"currency": "USD", "amount": 1e6, "start_date": D("2027-01-15"),
                                "maturity_date": D("2029-01-16"), "repayment": "bullet", "margin_bp": 100,
                                "base_rate": {"index": "TERM_SOFR_3M", "path": [{"from": D("2027-01-01"),
                                                                                 "rate_pct": 4.0}]}},
            "ratchet": rat,
            "observations": [{"date": D("2027-06-30"), "certificate_due": D("2027-09-30"),
                              "spt": {"index": 80, "pue": 1.3, "wue": 1.5}}]}
    p = tmp_path / "d.toml"
    p.write_bytes(tomli_w.dumps(data).encode())
    deal = load_deal(p)   # accepted (was refused: cap 4 below the 6 bp "step")
    r = deal.ratchet
    st = np.array([[[R.MET, R.MET, R.MET]], [[R.MET, R.MET, R.MISSED]], [[R.MISSED, R.MISSED, R.MISSED]],
                   [[R.MET, R.BAND, R.BAND]]])
    adj = R.spt_adjustments(r, st)
    assert adj[:, 0].tolist() == [-6.0, -2.0, 6.0, -2.0]
    reg = R.regime_adjustments(adj, [R.failure_adjustment(r, 100)], cap_bp=r.cap_bp, floor_bp=0 - 100)
    assert reg[:, R.regime_actual(0)].tolist() == [-4.0, -2.0, 4.0, -2.0]
    assert reg[0, R.regime_failure(0)] == 4.0          # all missed = +6, capped at +4
    # a cap below the smallest single step is still refused
    data["ratchet"]["cap_bp"] = 1
    p.write_bytes(tomli_w.dumps(data).encode())
    from index.errors import InputError
    with pytest.raises(InputError, match="smaller than one step"):
        load_deal(p)


def test_cap_and_floor_bound_the_running_total_the_same_way():
    # margin 15 bp, floor 0, cap 25 bp, cumulative: -10, -10, +10 -> totals -10, -15 (floor: margin 0), -5
    # (the step-up is added to the bounded total, exactly as it would be after the cap): margins 5, 0, 10 bp.
    reg = R.regime_adjustments([[-10.0, -10.0, 10.0]], [10.0] * 3, cumulative=True, cap_bp=25.0, floor_bp=0 - 15)
    totals = [reg[0, R.regime_actual(o)] for o in range(3)]
    assert totals == [-10.0, -15.0, -5.0]
    assert [15 + t for t in totals] == [5.0, 0.0, 10.0]
    # and the cap the same way: +10, +10, -10 with cap 15 -> 10, 15, 5
    reg = R.regime_adjustments([[10.0, 10.0, -10.0]], [10.0] * 3, cumulative=True, cap_bp=15.0, floor_bp=-15)
    assert [reg[0, R.regime_actual(o)] for o in range(3)] == [10.0, 15.0, 5.0]


def test_weighted_steps_unchanged():
    r = SptRatchet(step_down_bp=-10, step_up_bp=10, kpis=[{"kpi": "index", "weight": 0.6},
                                                          {"kpi": "pue", "weight": 0.4}])
    assert r.kpi_steps() == [(-6.0, 6.0), (-4.0, 4.0)]


# ------------------------------------------------------------------------------------- CNY deal 1: 等额本金 2027-30
# Chinese holidays 2027-2030 by hand: statutory days of the 2024 Regulations (Lunar dates from a perpetual
# calendar) plus substitute days for those falling on a weekend (art. 4).
CN_HOLIDAYS_BY_HAND = [
    "2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09", "2027-02-10", "2027-04-05",
    "2027-05-01", "2027-05-02", "2027-05-03", "2027-05-04", "2027-06-09", "2027-09-15", "2027-10-01", "2027-10-02",
    "2027-10-03", "2027-10-04", "2027-10-05",
    "2028-01-01", "2028-01-03", "2028-01-25", "2028-01-26", "2028-01-27", "2028-01-28", "2028-04-04", "2028-05-01",
    "2028-05-02", "2028-05-28", "2028-05-29", "2028-10-01", "2028-10-02", "2028-10-03", "2028-10-04",
    "2029-01-01", "2029-02-12", "2029-02-13", "2029-02-14", "2029-02-15", "2029-04-04", "2029-05-01", "2029-05-02",
    "2029-06-16", "2029-06-18", "2029-09-22", "2029-09-24", "2029-10-01", "2029-10-02", "2029-10-03",
    "2030-01-01", "2030-02-02", "2030-02-03", "2030-02-04", "2030-02-05", "2030-02-06", "2030-02-07", "2030-04-05",
    "2030-05-01", "2030-05-02", "2030-06-05", "2030-09-12", "2030-10-01", "2030-10-02", "2030-10-03",
]


def cn_bespoke():
    cal = ql.BespokeCalendar("CN provisional 2027-2030 (hand list)")
    cal.addWeekend(ql.Saturday)
    cal.addWeekend(ql.Sunday)
    for d in CN_HOLIDAYS_BY_HAND:
        cal.addHoliday(qd(D(d)))
    return cal


def test_cn_calendar_matches_hand_list_2027_2030():
    cn, cal = get_calendar("CN"), cn_bespoke()
    d = D("2027-01-01")
    while d <= D("2030-12-31"):
        assert cn.is_business_day(d) == cal.isBusinessDay(qd(d)), d
        assert cn.is_provisional(d)
        d += dt.timedelta(days=1)


def test_cny_equal_principal_2027_2030_flow_by_flow():
    # CNY 100m, 20th of Mar/Jun/Sep/Dec, 1Y LPR 3.00 % (lpr.csv, held flat) + 45 bp, 16 payments of 6,250,000
    loan = LoanTerms(currency="CNY", amount=100_000_000, start_date=D("2026-12-21"), maturity_date=D("2030-12-20"),
                     repayment="equal_principal", margin_bp=45, base_rate={"index": "LPR_1Y"})
    _, f = frame_of(loan)
    sched = ql.Schedule(qd(D("2026-12-21")), qd(D("2030-12-20")), ql.Period(3, ql.Months), cn_bespoke(),
                        ql.ModifiedFollowing, ql.ModifiedFollowing, ql.DateGeneration.Backward, False)
    q = [pyd(d) for d in sched]
    n = len(q) - 1
    assert n == 16 and len(f) == 16
    principal = [6_250_000.0] * 16
    notionals = [100e6 - 6_250_000.0 * k for k in range(n)]
    leg = ql.FixedRateLeg(sched, ql.Actual360(), notionals, [0.0345] * n)
    for k, (c, (_, row)) in enumerate(zip(map(ql.as_fixed_rate_coupon, leg), f.iterrows(), strict=True)):
        assert (row.start.date(), row.end.date()) == (q[k], q[k + 1])
        assert row.days == c.accrualDays()
        assert row.base_rate_pct == 3.0 and row.margin_bp == 45
        assert abs(row.interest - c.amount()) <= 0.005 + 1e-6   # half a fen: rounding of an exact x.xx5
        assert row.principal == principal[k]
        assert row.provisional_date
        assert row.base_rate_source.startswith("projected")
    # 20 Mar 2027 is a Saturday -> Mon 22 Mar; 20 Sep 2029 Thursday stays
    assert q[1] == D("2027-03-22") and D("2029-09-20") in q


# ------------------------------------------------------------------------------- CNY deal 2: LPR annual repricing
LPR_PATH = [{"from": "2024-10-21", "rate_pct": 3.10}, {"from": "2025-12-22", "rate_pct": 2.80},
            {"from": "2026-01-20", "rate_pct": 2.60}]


@pytest.mark.parametrize("lag, new_base", [(0, 2.60), (1, 2.80)])
def test_lpr_annual_repricing_on_the_repricing_date(lag, new_base):
    # CNY 100m bullet, semi-annual (20 Jun / 20 Dec), 1Y LPR + 50 bp repriced yearly on 20 Jan. The anniversary
    # 20 Jan 2026 splits the period 22 Dec 2025 - 22 Jun 2026. Same-day publication (lag 0) takes the 20 Jan
    # print 2.60 %; "the working day before" (lag 1, Mon 19 Jan) takes 2.80 %.
    loan = LoanTerms(currency="CNY", amount=100_000_000, start_date=D("2025-01-20"), maturity_date=D("2027-01-20"),
                     repayment="bullet", interest_period="semi_annual", margin_bp=50,
                     base_rate={"index": "LPR_1Y", "repricing": "annual", "fixing_lag_days": lag, "path": LPR_PATH})
    _, f = frame_of(loan)
    rows = [(r.start.date(), r.end.date(), r.days, r.base_rate_pct, r.interest) for _, r in f.iterrows()]
    r_old, r_new = 3.10 + 0.50, new_base + 0.50
    hand = [
        (D("2025-01-20"), D("2025-06-20"), 151, 3.10, round(100e6 * r_old / 100 * 151 / 360, 2)),
        (D("2025-06-20"), D("2025-12-22"), 185, 3.10, round(100e6 * r_old / 100 * 185 / 360, 2)),
        (D("2025-12-22"), D("2026-01-20"), 29, 3.10, round(100e6 * r_old / 100 * 29 / 360, 2)),     # 290,000.00
        (D("2026-01-20"), D("2026-06-22"), 153, new_base, round(100e6 * r_new / 100 * 153 / 360, 2)),
        (D("2026-06-22"), D("2026-12-21"), 182, new_base, round(100e6 * r_new / 100 * 182 / 360, 2)),
        (D("2026-12-21"), D("2027-01-20"), 30, new_base, round(100e6 * r_new / 100 * 30 / 360, 2)),
    ]
    assert len(rows) == len(hand)
    for got, exp in zip(rows, hand, strict=True):
        assert got[:3] == exp[:3]
        assert got[3] == pytest.approx(exp[3])
        assert got[4] == pytest.approx(exp[4], abs=0.001)
    assert rows[2][4] == pytest.approx(290_000.00, abs=0.001)
    # interest periods (before the split) from QuantLib on China.IB, 20 Jun / 20 Dec with both stubs
    sched = ql.Schedule(qd(D("2025-01-20")), qd(D("2027-01-20")), ql.Period(6, ql.Months), ql.China(ql.China.IB),
                        ql.ModifiedFollowing, ql.ModifiedFollowing, ql.DateGeneration.Forward, False,
                        qd(D("2025-06-20")), qd(D("2026-12-20")))
    assert sorted(set(f.payment_date.dt.date)) == [pyd(d) for d in sched][1:]
    # split rows share one payment date (the period end)
    assert f.payment_date.iloc[2] == f.payment_date.iloc[3]
    assert f.fixing_date.iloc[3].date() == (D("2026-01-20") if lag == 0 else D("2026-01-19"))


def test_shipped_samples_have_no_zero_day_rows():
    for path in ("data/deals/sll-alibaba-usd-2026.toml", "data/deals/demo-zjk-sll-2025.toml",
                 "data/deals/sll-horinger-cluster-2024.toml"):
        d: Deal = load_deal(path)
        _, f = frame_of(d.loan)
        assert (f.days > 0).all(), path
    usd = load_deal("data/deals/sll-alibaba-usd-2026.toml")
    _, f = frame_of(usd.loan)
    assert len(f) == 20 and f.end.iloc[-1].date() == D("2031-03-03")


# ------------------------------------------------------------------------------------- published fixings file
def test_term_sofr_fixings_file_feeds_the_path():
    from finance.conventions import parse_rate_fixings
    text = "date,rate_pct,source\n2027-01-13,3.61,CME print\n2026-12-01,3.60,CME print\n2027-04-13,3.55,CME print\n"
    path = parse_rate_fixings(text, "term_sofr.csv")
    assert [p["from"] for p in path] == [D("2026-12-01"), D("2027-01-13"), D("2027-04-13")]
    _, f = frame_of(usd_annuity(base_rate={"index": "TERM_SOFR_3M", "path": path}, maturity_date=D("2027-07-15")))
    # first period fixes Wed 13 Jan 2027 (two SIFMA days before Fri 15 Jan): the 3.61 print of that day
    assert f.base_rate_pct.iloc[0] == 3.61 and f.base_rate_pct.iloc[1] == 3.55


@pytest.mark.parametrize("text, field, row", [
    ("day,rate_pct\n2027-01-13,3.6\n", None, None),
    ("date,rate_pct\n2027-13-01,3.6\n", "date", 1),
    ("date,rate_pct\n2027-01-13,3.6\n2027-01-14,abc\n", "rate_pct", 2),
    ("date,rate_pct\n2027-01-13,361\n", "rate_pct", 1),
    ("date,rate_pct\n2027-01-13,3.6\n2027-01-13,3.7\n", "date", 2),
])
def test_bad_fixings_file(text, field, row):
    from finance.conventions import parse_rate_fixings
    from index.errors import InputError
    with pytest.raises(InputError) as exc:
        parse_rate_fixings(text, "sofr.csv")
    assert exc.value.file == "sofr.csv" and exc.value.field == field and exc.value.row == row


def test_sofr_path_starting_on_the_start_date_is_refused_with_the_fixing_date():
    # a path dated by the period start (as written before the fixing lag) does not cover the fixing date
    loan = usd_bullet(base_rate={"index": "TERM_SOFR_3M", "path": [{"from": "2027-03-15", "rate_pct": 4.0}]})
    with pytest.raises(LookupError, match=r"no base-rate fixing for TERM_SOFR_3M on 2027-03-11.*accrual from "
                                          r"2027-03-15 is fixed on 2027-03-11, 2 US_SIFMA business days before"):
        build_plan(loan)


def test_periodic_annuity_with_adjusted_maturity_keeps_level_instalments():
    # CNY 10m, 等额本息 quoted on the periodic rate, 4 quarters from Fri 20 Mar 2026; maturity written as Mon
    # 22 Mar 2027 (20 Mar 2027 is a Saturday). The last period is a full period, not a stub: interest B × i.
    loan = LoanTerms(currency="CNY", amount=10_000_000, start_date=D("2026-03-20"), maturity_date=D("2027-03-22"),
                     repayment="annuity", margin_bp=45, base_rate={"index": "LPR_1Y", "path": [
                         {"from": "2025-05-20", "rate_pct": 3.0}]})
    _, f = frame_of(loan)
    i = 0.0345 / 4
    a = round(10e6 * i / (1 - (1 + i) ** -4), 2)
    bal, pays = 10e6, []
    for k in range(4):
        interest = round(bal * i, 2)
        p = bal if k == 3 else a - interest
        pays.append(round(interest + p, 2))
        bal = round(bal - p, 2)
    assert len(f) == 4 and f.end.iloc[-1].date() == D("2027-03-22")
    assert list(f.payment) == pytest.approx(pays, abs=0.005)
    assert max(pays) - min(pays) <= 0.02      # level instalments, the last one takes the rounding


def test_custom_repayment_on_the_unadjusted_maturity():
    # custom repayments dated on roll dates before adjustment, the last on Sunday 2 Mar 2031 (maturity Mon 3 Mar)
    loan = usd_bullet(start_date=D("2029-03-02"), maturity_date=D("2031-03-03"), repayment="custom",
                      repayments=[{"date": D("2030-03-02"), "amount": 20_000_000},
                                  {"date": D("2031-03-02"), "amount": 30_000_000}],
                      base_rate={"index": "TERM_SOFR_3M", "path": [{"from": "2029-01-01", "rate_pct": 4.0}]})
    _, f = frame_of(loan)
    # 2 Mar 2030 is a Saturday: paid Mon 4 Mar 2030
    paid = f[f.principal > 0]
    assert list(paid.end.dt.date) == [D("2030-03-04"), D("2031-03-03")]
    assert list(paid.principal) == [20_000_000, 30_000_000]


def test_per_kpi_steps_for_some_kpis_only_are_refused(tmp_path):
    data = {"id": "t", "loan": {"currency": "USD", "amount": 1e6, "start_date": D("2027-01-15"),
                                "maturity_date": D("2029-01-16"), "repayment": "bullet", "margin_bp": 100,
                                "base_rate": {"index": "TERM_SOFR_3M", "path": [{"from": D("2027-01-01"),
                                                                                 "rate_pct": 4.0}]}},
            "ratchet": {"design": "spt", "step_down_bp": -4, "kpis": [
                {"kpi": "index", "weight": 0.5, "step_down_bp": -2}, {"kpi": "pue", "weight": 0.5}]},
            "observations": [{"date": D("2027-06-30"), "certificate_due": D("2027-09-30"),
                              "spt": {"index": 80, "pue": 1.3}}]}
    p = tmp_path / "d.toml"
    p.write_bytes(tomli_w.dumps(data).encode())
    from index.errors import InputError
    with pytest.raises(InputError, match="give a step for every KPI") as exc:
        load_deal(p)
    assert exc.value.field == "ratchet.kpis"
