"""Interest periods, repayment schedules and interest cash flows.

Two steps, so that thousands of ratchet scenarios are priced in one call:

1. :func:`build_plan` does everything that does not depend on the KPI outcomes: interest periods on the
   loan's calendar, base-rate fixings, drawdowns, and the accrual rows (an interest period is split at a
   drawdown date or at a margin change that falls inside it).
2. :func:`price` takes the ratchet adjustment under each regime for ``S`` scenarios and computes outstanding,
   all-in rate, interest and principal for all of them at once (numpy, looping over periods only).

Conventions (stated on every schedule as :attr:`Schedule.convention`):

* Interest = outstanding × all-in rate × days / basis, ACT/360 (basis 360) or ACT/365F (365) [1]_, rounded
  half-up to the currency's minor unit each accrual row.
* 等额本息 (annuity): instalment = B·i / (1 − (1 + i)^−n) with the periodic rate i = annual rate / periods
  per year [2]_, re-solved on the remaining balance and the remaining number of instalments whenever i changes.
  The quoting convention is explicit: ``annuity_convention = "periodic"`` (CNY default, as Chinese banks quote
  it) charges interest B·i, so instalments are level and no day count is used (a deal that also gives a
  ``day_count`` is refused); ``"day_count"`` (USD default) takes principal from that annuity and charges
  interest B × rate × days / basis.
* Dates: unadjusted roll dates, each adjusted once; a roll date adjusting onto the adjusted maturity is dropped
  (no zero-day period). Base rate fixed ``fixing_lag_days`` business days of the fixing calendar before each
  interest period (Term SOFR: 2 U.S. Government Securities Business Days, ARRC/LSTA), or, with annual
  repricing, before each anniversary, the interest period being split on the anniversary.
* 等额本金 (equal principal): the balance at the first repayment date divided by the number of repayment
  dates, rounded to the minor unit, the last instalment repaying the remainder.
* CNY interest periods end on the 20th of the last month of each quarter (PBOC 1999 rules art. 20) [3]_;
  period end dates are adjusted with the business-day convention and interest accrues to the adjusted date.

References
----------
.. [1] ISDA 2006 Definitions §4.16.
.. [2] 等额本息 formula as in Chinese bank loan calculators; DESIGN.md §4.
.. [3] 中国人民银行 人民币利率管理规定 (银发〔1999〕77号) 第二十条.
"""

from __future__ import annotations

import calendar as _cal
import dataclasses
import datetime as dt

import numpy as np

from finance.calendars import get_calendar
from finance.conventions import DEFAULTS, ERR_BASE_RATE_FIXING, ERR_BASE_RATE_PATH, conventions, lpr_history
from finance.ratchet import NONE_REGIME, MarginEvent
from finance.terms import LoanTerms


def add_months(d: dt.date, months: int, day: int | None = None) -> dt.date:
    """``d`` plus a number of months, on ``day`` (default ``d.day``), held at the month's last day."""
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    last = _cal.monthrange(y, m)[1]
    return dt.date(y, m, min(day or d.day, last))


@dataclasses.dataclass(frozen=True)
class Period:
    """One interest period.

    Attributes
    ----------
    index : int
    start, end : datetime.date
        Accrual start and (adjusted) end; interest accrues from start to end.
    unadjusted_end : datetime.date
        The roll date before business-day adjustment.
    payment_date : datetime.date
        Adjusted date on which interest and principal are paid (= end).
    provisional : bool
        True if the end date lies in a year the official Chinese calendar does not cover yet.
    """

    index: int
    start: dt.date
    end: dt.date
    unadjusted_end: dt.date
    payment_date: dt.date
    provisional: bool


def roll_dates(loan: LoanTerms) -> list[dt.date]:
    """Unadjusted interest period end dates, the last one the maturity date.

    With ``interest_day`` (CNY default 20): the ``interest_day`` of each month that closes an interest period
    (Mar/Jun/Sep/Dec for quarterly, Jun/Dec for semi-annual, every month for monthly) strictly after the
    start date. Without: the start date rolled forward by whole periods (USD), each roll counted from the start
    date (never from an adjusted date). Roll dates are adjusted once, in :func:`interest_periods`.

    A roll date that adjusts to the adjusted maturity or later is dropped: a maturity written as a business day
    (2031-03-03 for the unadjusted 2031-03-02, a Sunday) ends the last regular period instead of adding a
    zero-day period and an extra instalment. A roll date that adjusts to a day before the adjusted maturity
    stays, and the last period is a short final stub.
    """
    loan = loan.resolved()
    cal = get_calendar(loan.calendar)
    bdc = loan.business_day_convention
    months = conventions().months(loan.interest_period)
    mat_adj = cal.adjust(loan.maturity_date, bdc)
    out: list[dt.date] = []
    if loan.interest_day:
        d = dt.date(loan.start_date.year, loan.start_date.month, loan.interest_day)
        while d.month % months != 0 or d <= loan.start_date:
            d = add_months(d, 1, loan.interest_day)
        while d < loan.maturity_date and cal.adjust(d, bdc) < mat_adj:
            out.append(d)
            d = add_months(d, months, loan.interest_day)
    else:
        k = 1
        d = add_months(loan.start_date, months)
        while d < loan.maturity_date and cal.adjust(d, bdc) < mat_adj:
            out.append(d)
            k += 1
            d = add_months(loan.start_date, months * k)
    out.append(loan.maturity_date)
    return out


def interest_periods(loan: LoanTerms) -> list[Period]:
    """Interest periods with business-day-adjusted end dates.

    The first period starts on ``start_date`` moved to a business day of the loan's calendar by its business-day
    convention: funds are lent on a business day (LMA facility agreement: a Utilisation Date is a Business Day),
    and QuantLib's ``Schedule`` adjusts the effective date the same way. A roll date that adjusts onto or
    before that start closes no period of its own (the first period runs to the next one).

    Returns
    -------
    list of Period
        Consecutive periods from the adjusted ``start_date`` to the adjusted maturity; every period has at least
        one day.
    """
    loan = loan.resolved()
    cal = get_calendar(loan.calendar)
    periods: list[Period] = []
    start = cal.adjust(loan.start_date, loan.business_day_convention)
    for roll in roll_dates(loan):
        end = cal.adjust(roll, loan.business_day_convention)
        if end <= start:
            continue
        periods.append(Period(len(periods), start, end, roll, end, cal.is_provisional(end)))
        start = end
    return periods


def payment_period(loan: LoanTerms, periods: list[Period], d: dt.date) -> int | None:
    """Index of the interest period paid on ``d``, given as the payment date or as its roll date before
    adjustment (the unadjusted roll date, or any date that adjusts to the payment date); None if none is."""
    loan = loan.resolved()
    adj = get_calendar(loan.calendar).adjust(d, loan.business_day_convention)
    return next((p.index for p in periods if d in (p.end, p.unadjusted_end) or adj == p.end), None)


def base_rate_fixing_date(loan: LoanTerms, accrual_start: dt.date) -> dt.date:
    """Fixing date of the base rate for an interest period or repricing date starting on ``accrual_start``.

    ``base_rate.fixing_lag_days`` business days of ``base_rate.fixing_calendar`` before ``accrual_start``
    (defaults in conventions.toml: Term SOFR two U.S. Government Securities Business Days on the SIFMA
    calendar, ARRC/LSTA; LPR lag 0, the quotation in force on the date itself).
    """
    lag, cal = loan.base_rate.fixing_convention()
    if lag == 0:
        return accrual_start
    return get_calendar(cal).sub_business_days(accrual_start, lag)


def repricing_dates(loan: LoanTerms, periods: list[Period]) -> list[dt.date]:
    """Dates a new base rate takes effect: each period start, or (``repricing = "annual"``) the start date and
    each anniversary of it before maturity, on which the interest period is split."""
    if loan.base_rate.repricing != "annual":
        return [p.start for p in periods]
    out, k = [loan.start_date], 1
    while (d := add_months(loan.start_date, 12 * k)) < periods[-1].end:
        out.append(d)
        k += 1
    return out


def base_rate_fixing(loan: LoanTerms, fixing_date: dt.date) -> tuple[float, str]:
    """Base rate in force on a fixing date.

    Parameters
    ----------
    loan : LoanTerms
    fixing_date : datetime.date

    Returns
    -------
    (rate [% p.a.], source) : tuple
        From ``base_rate.path`` when it covers the date, else (LPR only) the latest quotation on or before
        the date in ``data/finance/lpr.csv``; a date after that file was last checked is marked
        ``projected`` (the last quotation held flat).

    Raises
    ------
    LookupError
        :data:`finance.conventions.ERR_BASE_RATE_PATH` when nothing covers the date.
    """
    br = loan.base_rate
    path = [f for f in sorted(br.path, key=lambda f: f.from_date) if f.from_date <= fixing_date]
    if path:
        return path[-1].rate_pct, f"deal path from {path[-1].from_date}"
    if br.index.startswith("LPR"):
        hist = [h for h in lpr_history(br.index[-2:]) if h[0] <= fixing_date]
        if hist:
            d, r = hist[-1]
            checked = dt.date.fromisoformat(DEFAULTS["lpr_checked_through"])
            if fixing_date > checked:
                return r, f"projected: LPR {br.index[-2:]} of {d} held flat (lpr.csv checked through {checked})"
            return r, f"LPR {br.index[-2:]} quoted {d} (lpr.csv)"
    raise LookupError(ERR_BASE_RATE_PATH.format(index=br.index, date=fixing_date))


@dataclasses.dataclass(frozen=True)
class Plan:
    """Everything about a loan's cash flows that does not depend on the KPI outcomes.

    Row arrays have shape (R,), period arrays shape (P,).
    """

    loan: LoanTerms
    periods: list[Period]
    events: list[MarginEvent]
    row_period: np.ndarray
    row_start: list[dt.date]
    row_end: list[dt.date]
    row_days: np.ndarray
    row_drawdown: np.ndarray
    row_regime: np.ndarray
    row_event: list[MarginEvent | None]
    row_base_pct: np.ndarray
    row_base_source: list[str]
    row_fixing_date: list[dt.date]
    period_base_pct: np.ndarray
    period_days: np.ndarray
    period_regular: np.ndarray
    first_repayment: int
    custom_principal: np.ndarray | None
    basis: int
    periods_per_year: int
    n_regimes: int
    margin_floor_bp: float

    @property
    def row_year_fraction(self) -> np.ndarray:
        """Interest per unit of outstanding and of annual rate, per accrual row, shape (R,) [years].

        days / basis (ACT/360, ACT/365F); for a ``periodic`` annuity in a full period, 1 / periods per year
        pro rata of the row's days in the period (the Chinese 等额本息 quote).
        """
        periodic = self.loan.repayment == "annuity" and self.loan.annuity_convention == "periodic"
        out = self.row_days / self.basis
        if periodic:
            reg = self.period_regular[self.row_period]
            out = np.where(reg, self.row_days / self.period_days[self.row_period] / self.periods_per_year, out)
        return out

    @property
    def interest_basis(self) -> str:
        """How interest is computed, for the schedule's ``interest_basis`` column."""
        ln = self.loan
        if ln.repayment == "annuity" and ln.annuity_convention == "periodic":
            return f"periodic: rate/{self.periods_per_year}"
        return f"{ln.day_count}: rate x days/{self.basis}"

    @property
    def convention(self) -> str:
        """Which interest and repayment convention this schedule uses, in words."""
        ln = self.loan
        txt = f"{ln.repayment}; interest = outstanding × rate × days / {self.basis} ({ln.day_count})"
        if ln.repayment == "annuity":
            if ln.annuity_convention == "periodic":
                txt = (f"annuity (等额本息) on periodic rate annual/{self.periods_per_year}; "
                       f"interest = outstanding × rate / {self.periods_per_year}")
            else:
                txt = (f"annuity (等额本息) principal on periodic rate annual/{self.periods_per_year}; "
                       f"interest = outstanding × rate × days / {self.basis} ({ln.day_count})")
        lag, fcal = ln.base_rate.fixing_convention()
        fix = "on the (re)pricing date" if lag == 0 else f"{lag} business days ({fcal}) before the (re)pricing date"
        rep = ("each interest period" if ln.base_rate.repricing == "interest_period"
               else "yearly on the anniversary (period split there)")
        out = (f"{txt}; calendar {ln.calendar}, {ln.business_day_convention}, unadjusted roll dates adjusted once; "
               f"base {ln.base_rate.index} repriced {rep}, fixed {fix}")
        if self.start_moved:
            out += (f"; start date {ln.start_date} is not a {ln.calendar} business day: interest accrues from "
                    f"{self.start_moved[1]}")
        return out

    @property
    def start_moved(self) -> tuple[dt.date, dt.date] | None:
        """(signed start date, first accrual day) when the start date is not a business day and moved by the
        business-day convention (:func:`interest_periods`), else None."""
        first = self.periods[0].start if self.periods else self.loan.start_date
        return (self.loan.start_date, first) if first != self.loan.start_date else None


def build_plan(loan: LoanTerms, events: list[MarginEvent] | None = None, n_observations: int = 0,
               margin_floor_bp: float | None = None) -> Plan:
    """Periods, fixings and accrual rows of a loan.

    Parameters
    ----------
    loan : LoanTerms
    events : list of MarginEvent, optional
        Margin changes (from :func:`finance.ratchet.margin_events`); a period is split at an event date
        that falls strictly inside it.
    n_observations : int
        Number of observation dates (sets the number of regimes, 1 + 2 × n).
    margin_floor_bp : float, optional
        The margin after ratchet adjustment never goes below this [bp]; default ``margin_floor_bp`` of
        conventions.toml (0).

    Returns
    -------
    Plan

    Raises
    ------
    LookupError
        If no base rate covers a fixing date.
    """
    loan = loan.resolved()
    events = sorted(events or [], key=lambda e: (e.date, e.regime))
    periods = interest_periods(loan)
    months = conventions().months(loan.interest_period)
    ppy = 12 // months
    basis = conventions().denominator(loan.day_count)

    reprices = repricing_dates(loan, periods)
    fixings = {}
    for d in reprices:
        fd = base_rate_fixing_date(loan, d)
        try:
            fixings[d] = (fd, *base_rate_fixing(loan, fd))
        except LookupError as exc:
            if fd == d:
                raise
            lag, fcal = loan.base_rate.fixing_convention()
            raise LookupError(ERR_BASE_RATE_FIXING.format(msg=exc.args[0], start=d, date=fd, lag=lag,
                                                          calendar=fcal)) from None

    # funds move on business days: a drawdown dated on a holiday moves like the start date (interest_periods)
    cal = get_calendar(loan.calendar)
    draws: dict[dt.date, float] = {}
    for d in loan.drawdown_schedule():
        day = cal.adjust(d.date, loan.business_day_convention)
        draws[day] = draws.get(day, 0.0) + d.amount

    row_period, row_start, row_end, row_draw, row_regime, row_event, row_fix = [], [], [], [], [], [], []
    regime, current = NONE_REGIME, None
    ev_i = 0
    for p in periods:
        cuts = {p.start}
        cuts |= {d for d in draws if p.start < d < p.end}
        cuts |= {e.date for e in events if p.start < e.date < p.end}
        cuts |= {d for d in reprices if p.start < d < p.end}
        cuts = sorted(cuts)
        for j, s in enumerate(cuts):
            e_ = cuts[j + 1] if j + 1 < len(cuts) else p.end
            while ev_i < len(events) and events[ev_i].date <= s:
                regime, current = events[ev_i].regime, events[ev_i]
                ev_i += 1
            row_period.append(p.index)
            row_start.append(s)
            row_end.append(e_)
            row_draw.append(draws.get(s, 0.0))
            row_regime.append(regime)
            row_event.append(current)
            row_fix.append(fixings[max(d for d in reprices if d <= s)])
    # drawdowns before the (business-day adjusted) start date are drawn on the start date
    early = sum(a for d, a in draws.items() if d < periods[0].start)
    row_draw[0] += early

    first_rep = 0
    if loan.repayment == "bullet":
        first_rep = len(periods) - 1
    elif loan.grace_end is not None:
        first_rep = next(p.index for p in periods if p.unadjusted_end > loan.grace_end)

    custom = None
    if loan.repayment == "custom":
        custom = np.zeros(len(periods))
        for rp in loan.repayments:
            k = payment_period(loan, periods, rp.date)
            if k is None:
                raise LookupError(f"custom repayment date {rp.date} is not an interest payment date")
            custom[k] += rp.amount

    return Plan(
        loan=loan, periods=periods, events=events,
        row_period=np.array(row_period), row_start=row_start, row_end=row_end,
        row_days=np.array([(e - s).days for s, e in zip(row_start, row_end, strict=True)], dtype=float),
        row_drawdown=np.array(row_draw, dtype=float), row_regime=np.array(row_regime), row_event=row_event,
        row_base_pct=np.array([f[1] for f in row_fix], dtype=float), row_base_source=[
            f"{f[2]}; fixing date {f[0]}" if f[0] != rs else f[2] for f, rs in zip(row_fix, row_start, strict=True)],
        row_fixing_date=[f[0] for f in row_fix],
        period_base_pct=np.array([row_fix[int(np.flatnonzero(np.array(row_period) == p.index)[0])][1]
                                  for p in periods], dtype=float),
        period_days=np.array([(p.end - p.start).days for p in periods], dtype=float),
        period_regular=np.array([_regular(p, periods, months, loan) for p in periods]),
        first_repayment=first_rep, custom_principal=custom, basis=basis, periods_per_year=ppy,
        n_regimes=1 + 2 * n_observations,
        margin_floor_bp=float(DEFAULTS["margin_floor_bp"] if margin_floor_bp is None else margin_floor_bp),
    )


def _regular(p: Period, periods: list[Period], months: int, loan: LoanTerms) -> bool:
    """True when the period is a full interest period (not a first or last stub)."""
    start = loan.start_date if p.index == 0 else periods[p.index - 1].unadjusted_end
    day = loan.interest_day or loan.start_date.day
    roll = add_months(start, months, day)
    # a maturity written as the adjusted roll date still closes a full period
    return roll == p.unadjusted_end or get_calendar(loan.calendar).adjust(roll, loan.business_day_convention) == p.end


def _round(x, decimals: int):
    """Round half away from zero to ``decimals`` (amounts are non-negative here)."""
    f = 10.0 ** decimals
    return np.floor(np.asarray(x) * f + 0.5) / f


@dataclasses.dataclass(frozen=True)
class Priced:
    """Cash flows of ``S`` scenarios. Row arrays (S, R), period arrays (S, P); amounts [currency units]."""

    outstanding: np.ndarray
    margin_bp: np.ndarray
    rate_pct: np.ndarray
    interest: np.ndarray
    principal: np.ndarray

    def period_interest(self, plan: Plan) -> np.ndarray:
        """Interest per interest period, shape (S, P)."""
        out = np.zeros((self.interest.shape[0], len(plan.periods)))
        np.add.at(out.T, plan.row_period, self.interest.T)
        return out


def price(plan: Plan, regime_adj_bp=None) -> Priced:
    """Price the loan under the ratchet adjustment of each regime, for many scenarios at once.

    Parameters
    ----------
    plan : Plan
    regime_adj_bp : array_like, shape (S, G), optional
        Total ratchet adjustment in force under each regime [bp] (:func:`finance.ratchet.regime_adjustments`).
        None = no ratchet (one scenario, all zeros).

    Returns
    -------
    Priced
        Outstanding, margin after adjustment and floor [bp], all-in rate [%], interest per row and
        principal per period.
    """
    loan = plan.loan
    dec = int(DEFAULTS["rounding_decimals"])
    adj = np.zeros((1, plan.n_regimes)) if regime_adj_bp is None else np.atleast_2d(np.asarray(regime_adj_bp, float))
    n_s = adj.shape[0]
    n_r, n_p = len(plan.row_start), len(plan.periods)
    floor_pct = loan.base_rate.floor_pct
    base = plan.row_base_pct if floor_pct is None else np.maximum(plan.row_base_pct, floor_pct)
    floor_bp = plan.margin_floor_bp
    margin = np.maximum(loan.margin_bp + adj[:, plan.row_regime], floor_bp)  # (S, R)
    rate_pct = base[None, :] + margin / 100.0
    outstanding = np.zeros((n_s, n_r))
    interest = np.zeros((n_s, n_r))
    principal = np.zeros((n_s, n_p))
    bal = np.zeros(n_s)
    ppy = plan.periods_per_year
    yf = plan.row_year_fraction
    inst = np.zeros(n_s)
    i_prev = np.full(n_s, np.nan)
    rows_of = [np.flatnonzero(plan.row_period == p) for p in range(n_p)]
    last = n_p - 1
    for p in range(n_p):
        rows = rows_of[p]
        for r in rows:
            bal = bal + plan.row_drawdown[r]
            outstanding[:, r] = bal
            interest[:, r] = _round(bal * rate_pct[:, r] / 100.0 * yf[r], dec)
        if p < plan.first_repayment:
            continue
        if p == last:
            pr = bal.copy()
        elif loan.repayment == "bullet":
            pr = np.zeros(n_s)
        elif loan.repayment == "equal_principal":
            if p == plan.first_repayment:
                inst = _round(bal / (last - p + 1), dec)
            pr = np.minimum(inst, bal)
        elif loan.repayment == "custom":
            pr = np.full(n_s, plan.custom_principal[p])
        else:  # annuity, re-solved when the periodic rate changes
            i = rate_pct[:, rows[0]] / 100.0 / ppy
            n = last - p + 1
            resolve = (p == plan.first_repayment) | (i != i_prev)
            with np.errstate(divide="ignore", invalid="ignore"):
                a = np.where(i == 0, bal / n, bal * i / (1.0 - (1.0 + i) ** (-n)))
            inst = np.where(resolve, _round(a, dec), inst)
            i_prev = i
            pr = np.minimum(inst - _round(bal * i, dec), bal)
        principal[:, p] = pr
        bal = bal - pr
    return Priced(outstanding, margin, rate_pct, interest, principal)


@dataclasses.dataclass(frozen=True)
class Schedule:
    """One scenario's schedule.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per accrual row (an interest period, or part of one when split). Columns: period, start, end,
        payment_date, days [days], outstanding [ccy], drawdown [ccy], base_rate_pct [%], fixing_date (of the
        base rate), base_rate_source,
        margin_bp [bp] (contractual), ratchet_bp [bp] (after cap and margin floor), all_in_rate_pct [%],
        interest [ccy], principal [ccy], payment [ccy], reason, provisional_date (True if the payment date
        uses the fallback calendar), interest_basis.
    convention : str
        The interest and repayment convention, in words.
    currency : str
    """

    frame: object
    convention: str
    currency: str

    def to_csv(self, path) -> None:
        """Write the frame as CSV (UTF-8, ISO dates)."""
        self.frame.to_csv(path, index=False, date_format="%Y-%m-%d")


def schedule_frame(plan: Plan, priced: Priced, s: int = 0, regime_notes: dict[int, str] | None = None) -> Schedule:
    """Schedule of scenario ``s`` as a :class:`Schedule` (pandas DataFrame plus convention).

    Parameters
    ----------
    plan, priced
        From :func:`build_plan` and :func:`price`.
    s : int
        Scenario index.
    regime_notes : dict, optional
        Extra text per regime id (which KPI was met or missed), appended to the event's reason.
    """
    import pandas as pd  # noqa: PLC0415 - heavy library, only this path needs it; finance is imported by every deal workflow

    notes = regime_notes or {}
    n_r = len(plan.row_start)
    last_row = {int(p): int(np.flatnonzero(plan.row_period == p)[-1]) for p in range(len(plan.periods))}
    principal_row = np.zeros(n_r)
    for p, r in last_row.items():
        principal_row[r] = priced.principal[s, p]
    reasons = []
    for r in range(n_r):
        ev = plan.row_event[r]
        if ev is None:
            reasons.append("contractual margin (no certificate yet)")
        else:
            txt = ev.reason
            if ev.regime in notes:
                txt += "; " + notes[ev.regime]
            reasons.append(txt)
    periods = plan.periods
    pidx = plan.row_period
    frame = pd.DataFrame({
        "period": pidx + 1,
        "start": pd.to_datetime(plan.row_start),
        "end": pd.to_datetime(plan.row_end),
        "payment_date": pd.to_datetime([periods[p].payment_date for p in pidx]),
        "days": plan.row_days.astype(int),
        "outstanding": priced.outstanding[s],
        "drawdown": plan.row_drawdown,
        "base_rate_pct": plan.row_base_pct,
        "fixing_date": pd.to_datetime(plan.row_fixing_date),
        "base_rate_source": plan.row_base_source,
        "margin_bp": plan.loan.margin_bp,
        "ratchet_bp": np.round(priced.margin_bp[s] - plan.loan.margin_bp, 6),
        "all_in_rate_pct": np.round(priced.rate_pct[s], 8),
        "interest": priced.interest[s],
        "principal": principal_row,
        "payment": np.round(priced.interest[s] + principal_row, 2),
        "reason": reasons,
        "provisional_date": [periods[p].provisional for p in pidx],
        "interest_basis": plan.interest_basis,
    })
    return Schedule(frame=frame, convention=plan.convention, currency=plan.loan.currency)
