"""Valuation of a margin ratchet: PV of the interest saved or paid against the same loan with no ratchet.

For ``S`` scenarios (outcome paths per observation date) the loan is priced in one vectorised call
(:func:`finance.schedule.price`), and the interest of each scenario is compared with the interest the same
outstanding would bear without the ratchet, discounted to the valuation date. Expected PV weights scenarios by
their probabilities (e.g. from the index's target-path simulations). The borrower's break-even is the yearly
verification cost at which the expected saving is used up.

Definition (valid at the start of the loan and mid-life):

    PV_s = Σ_{rows r paid after V} DF(pay_r) × [ I(B_s,r, rate without ratchet) − I(B_s,r, rate_s,r) ]

with ``V`` the valuation date, ``B_s,r`` the outstanding of scenario ``s`` on accrual row ``r`` (one common
outstanding path for both legs of the difference), ``I`` the loan's interest rule (outstanding × rate ×
year fraction, rounded to the minor unit, :attr:`finance.schedule.Plan.row_year_fraction`). Principal is not part
of the difference: principal repaid before ``V`` (an annuity re-solved after an earlier margin change) is sunk,
and the ratchet's effect on the timing of later principal is a financing effect, not a saving. For bullet, equal
principal and custom profiles this equals PV(debt service without ratchet − with ratchet). Interest of a row paid
after ``V`` counts in full, including days accrued before ``V`` (a cash-flow view).

Discounting:

* a flat rate r [% p.a.]: DF(t) = (1 + r)^−t, t = ACT/365F years from the valuation date (annual compounding);
* per-period rates r_j [% p.a.], one per interest period: DF_p = Π_{j≤p} 1 / (1 + r_j × days_j / basis) over
  the days of each period after the valuation date, on the loan's own day count (simple compounding per period,
  money-market convention);
* default: the loan's own all-in rate without ratchet (the borrower's cost of debt), simple within each
  interest period: DF_p = Π_{j≤p} 1 / (1 + Σ_{rows of j} r_row × days_row / basis), so a period split by an
  LPR repricing accrues each part at its own rate.

Cash flows on or before the valuation date are not counted. DF at a date between payment dates (the
certificate due dates that carry the verification cost) is log-linear in time between the valuation date
(DF 1) and the payment dates after it, flat after the last one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from common.errors import InputError
from finance.conventions import DEFAULTS
from finance.schedule import Plan, _round, price


def _rate_without_ratchet(plan: Plan) -> np.ndarray:
    """All-in rate of each accrual row without the ratchet [% p.a.], shape (R,)."""
    floor = plan.loan.base_rate.floor_pct
    base = plan.row_base_pct if floor is None else np.maximum(plan.row_base_pct, floor)
    return base + max(plan.loan.margin_bp, plan.margin_floor_bp) / 100.0


def discount_factors(plan: Plan, valuation_date: dt.date, discount_rate_pct=None) -> np.ndarray:
    """Discount factors at each interest payment date.

    Parameters
    ----------
    plan : finance.schedule.Plan
    valuation_date : datetime.date
    discount_rate_pct : float or array_like of shape (P,), optional
        Flat annual rate [% p.a.], or one simple rate per interest period [% p.a.]. None = the loan's own
        all-in rate without ratchet, per accrual row.

    Returns
    -------
    numpy.ndarray, shape (P,)
        DF per payment date; 0 for payments on or before the valuation date.

    Raises
    ------
    ValueError
        If per-period rates do not have shape (P,).
    """
    if discount_rate_pct is not None and not np.all(np.isfinite(np.asarray(discount_rate_pct, dtype=float))):
        raise InputError("the discount rate must be a finite number", field="discount_rate", unit="% p.a.",
                         value=discount_rate_pct if np.ndim(discount_rate_pct) == 0 else None)
    pays = [p.payment_date for p in plan.periods]
    if discount_rate_pct is not None and np.ndim(discount_rate_pct) == 0:
        r = float(discount_rate_pct) / 100.0
        t = np.array([(d - valuation_date).days / 365.0 for d in pays])
        df = (1.0 + r) ** (-t)
    else:
        if discount_rate_pct is None:
            rates = _rate_without_ratchet(plan) / 100.0
        else:
            per = np.asarray(discount_rate_pct, dtype=float) / 100.0
            if per.shape != (len(plan.periods),):
                raise ValueError(f"per-period discount rates: expected {len(plan.periods)} values [% p.a.], "
                                 f"got {per.shape}")
            rates = per[plan.row_period]
        # accrue only the part of each accrual row after the valuation date
        v = valuation_date.toordinal()
        starts = np.array([max(d.toordinal(), v) for d in plan.row_start])
        ends = np.array([max(d.toordinal(), v) for d in plan.row_end])
        acc = np.zeros(len(plan.periods))
        np.add.at(acc, plan.row_period, rates * (ends - starts) / plan.basis)
        df = np.cumprod(1.0 / (1.0 + acc))
    return np.where(np.array([d > valuation_date for d in pays]), df, 0.0)


def df_at(plan: Plan, df: np.ndarray, valuation_date: dt.date, dates) -> np.ndarray:
    """DF at arbitrary dates, log-linear between the valuation date (DF 1) and the payment dates after it.

    Payment dates on or before the valuation date are not nodes (their DF is 0: paid already); after the last
    payment date the DF is held flat; dates on or before the valuation date get 0.
    """
    fut = [(p.payment_date.toordinal(), f) for p, f in zip(plan.periods, df, strict=True)
           if p.payment_date > valuation_date]
    x = np.array([valuation_date.toordinal()] + [a for a, _ in fut], dtype=float)
    y = np.log(np.array([1.0] + [f for _, f in fut], dtype=float))
    q = np.array([d.toordinal() for d in dates], dtype=float)
    return np.where(q > valuation_date.toordinal(), np.exp(np.interp(q, x, y)), 0.0)


@dataclasses.dataclass(frozen=True)
class Valuation:
    """Value of a ratchet per scenario and in expectation.

    Attributes
    ----------
    names : list of str
        Scenario names, shape (S,).
    pv_saving : numpy.ndarray, shape (S,)
        PV of the borrower's saving against the loan without ratchet [ccy]; negative = extra cost.
    pv_interest_delta : numpy.ndarray, shape (S,)
        PV of interest with ratchet minus without, on the common outstanding path [ccy] (= −pv_saving).
    probabilities : numpy.ndarray or None, shape (S,)
    expected_pv_saving : float or None
        Σ p_s × pv_saving_s [ccy].
    verification_cost_per_year : float or None
        Cost of one verification (one per observation date) [ccy/yr].
    pv_verification_cost : float or None [ccy]
    break_even_cost_per_year : float or None
        Yearly verification cost at which the expected saving is used up [ccy/yr].
    net_pv : float or None
        expected_pv_saving − pv_verification_cost [ccy].
    discount : str
        The discounting used, in words.
    currency : str
    valuation_date : datetime.date
    """

    names: list[str]
    pv_saving: np.ndarray
    pv_interest_delta: np.ndarray
    probabilities: np.ndarray | None
    expected_pv_saving: float | None
    verification_cost_per_year: float | None
    pv_verification_cost: float | None
    break_even_cost_per_year: float | None
    net_pv: float | None
    discount: str
    currency: str
    valuation_date: dt.date

    def to_dict(self) -> dict:
        """JSON-ready dict (amounts rounded to the minor unit)."""
        def r(x):
            return None if x is None else round(float(x), 2)
        return {
            "currency": self.currency,
            "valuation_date": self.valuation_date.isoformat(),
            "discount": self.discount,
            "scenarios": [
                {"name": n, "probability": None if self.probabilities is None else float(self.probabilities[i]),
                 "pv_saving": r(self.pv_saving[i]), "pv_interest_delta": r(self.pv_interest_delta[i])}
                for i, n in enumerate(self.names)],
            "expected_pv_saving": r(self.expected_pv_saving),
            "verification_cost_per_year": r(self.verification_cost_per_year),
            "pv_verification_cost": r(self.pv_verification_cost),
            "break_even_cost_per_year": r(self.break_even_cost_per_year),
            "net_pv": r(self.net_pv),
        }


def value(plan: Plan, regime_adj_bp, *, names=None, probabilities=None, discount_rate_pct=None,
          valuation_date: dt.date | None = None, verification_cost_per_year: float | None = None,
          verification_dates=()) -> Valuation:
    """Value a ratchet over many scenarios in one call.

    Parameters
    ----------
    plan : finance.schedule.Plan
    regime_adj_bp : array_like, shape (S, G)
        Ratchet adjustment under each regime per scenario [bp] (:func:`finance.ratchet.regime_adjustments`).
    names : list of str, optional
        Scenario names (default "0", "1", ...).
    probabilities : array_like, shape (S,), optional
        Scenario probabilities; must sum to 1.
    discount_rate_pct : float or array_like (P,), optional
        See :func:`discount_factors`.
    valuation_date : datetime.date, optional
        Default the loan's start date.
    verification_cost_per_year : float, optional
        Cost of each yearly verification [ccy], paid on ``verification_dates``.
    verification_dates : sequence of datetime.date
        When verification is paid (normally the certificate due dates).

    Returns
    -------
    Valuation

    Raises
    ------
    ValueError
        If probabilities do not have shape (S,), are negative or do not sum to 1.
    """
    adj = np.atleast_2d(np.asarray(regime_adj_bp, dtype=float))
    n_s = adj.shape[0]
    vdate = valuation_date or plan.loan.start_date
    df = discount_factors(plan, vdate, discount_rate_pct)
    scen = price(plan, adj)
    dec = int(DEFAULTS["rounding_decimals"])
    # interest of the scenario's own outstanding without the ratchet (common outstanding path)
    i_none = _round(scen.outstanding * (_rate_without_ratchet(plan) / 100.0 * plan.row_year_fraction)[None, :], dec)
    row_df = df[plan.row_period]
    pv_saving = (i_none - scen.interest) @ row_df
    pv_int = -pv_saving
    probs = exp = None
    if probabilities is not None:
        probs = np.asarray(probabilities, dtype=float)
        if probs.shape != (n_s,) or (probs < 0).any() or abs(probs.sum() - 1.0) > 1e-9:
            raise ValueError(f"probabilities must be {n_s} non-negative numbers summing to 1, got {probs.tolist()}")
        exp = float(probs @ pv_saving)
    cost = pv_cost = be = net = None
    ann = float(df_at(plan, df, vdate, list(verification_dates)).sum()) if verification_dates else 0.0
    if exp is not None and ann > 0:
        be = exp / ann
    if verification_cost_per_year is not None:
        cost = float(verification_cost_per_year)
        pv_cost = cost * ann
        if exp is not None:
            net = exp - pv_cost
    if discount_rate_pct is None:
        disc = "loan all-in rate without ratchet, per period, simple compounding on the loan day count"
    elif np.ndim(discount_rate_pct) == 0:
        disc = f"flat {float(discount_rate_pct):g}% p.a., annual compounding, ACT/365F"
    else:
        disc = "per-period rates given, simple compounding on the loan day count"
    return Valuation(
        names=list(names) if names is not None else [str(i) for i in range(n_s)],
        pv_saving=pv_saving, pv_interest_delta=pv_int, probabilities=probs, expected_pv_saving=exp,
        verification_cost_per_year=cost, pv_verification_cost=pv_cost, break_even_cost_per_year=be, net_pv=net,
        discount=disc, currency=plan.loan.currency, valuation_date=vdate)
