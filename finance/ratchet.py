"""Margin-ratchet rules, vectorised over scenarios.

A scenario gives, for each observation date, the outcome of the KPIs; a rule turns outcomes into a margin
adjustment [bp] per observation; the timing rule turns certificates into dated *margin events*; the schedule
applies the adjustment of the latest event in force. Shapes: ``S`` scenarios, ``O`` observation dates,
``K`` KPIs of the ratchet.

Regimes (the columns of :func:`regime_adjustments`): ``0`` = no adjustment yet, ``1 + 2*o`` = the certified
result of observation ``o``, ``2 + 2*o`` = reporting failure at observation ``o`` (certificate late: all
targets counted as missed until it is delivered), as in LMA sustainability-linked loan drafting [1]_.

References
----------
.. [1] LMA/APLMA/LSTA, *Sustainability-Linked Loan Principles* (2023) and *Guidance on the SLLP*,
   section "Margin adjustment" and "Reporting": step-down/step-up per SPT, no-change band, reporting failure.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from finance.conventions import ERR_KPI_UNKNOWN, conventions
from finance.terms import InterpolatedRatchet, KpiRule, ScoreGridRatchet, SptRatchet

MET, BAND, MISSED = 1, 0, -1
NONE_REGIME = 0


def regime_actual(o: int) -> int:
    """Regime id of the certified result of observation ``o``."""
    return 1 + 2 * o


def regime_failure(o: int) -> int:
    """Regime id of a reporting failure at observation ``o``."""
    return 2 + 2 * o


def kpi_direction(rule: KpiRule) -> str:
    """'higher' or 'lower' is better for this KPI (rule first, then conventions.toml [kpi.*]).

    Raises
    ------
    KeyError
        With :data:`finance.conventions.ERR_KPI_UNKNOWN` if the KPI is unknown and no direction is given.
    """
    if rule.direction:
        return rule.direction
    table = conventions().kpi
    if rule.kpi not in table:
        raise KeyError(ERR_KPI_UNKNOWN.format(kpi=rule.kpi))
    return table[rule.kpi]["direction"]


def spt_status(values, targets, direction: str, band: float = 0.0) -> np.ndarray:
    """Met / no-change / missed status of KPI values against SPTs.

    Parameters
    ----------
    values : array_like, shape (S, O)
        Verified KPI values [KPI unit]; NaN = not reported (counts as missed).
    targets : array_like, shape (O,)
        SPT per observation date [KPI unit].
    direction : {"higher", "lower"}
        Which way is better.
    band : float
        No-change band [KPI unit]: missed by at most this = no change.

    Returns
    -------
    numpy.ndarray of int8, shape (S, O)
        1 met, 0 inside the no-change band, -1 missed.
    """
    v = np.asarray(values, dtype=float)
    t = np.asarray(targets, dtype=float)
    gap = (v - t) if direction == "higher" else (t - v)  # >= 0 means met
    out = np.full(np.broadcast(v, t).shape, MISSED, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        out[gap >= -band] = BAND
        out[gap >= 0] = MET
    out[np.isnan(v) | np.isnan(gap)] = MISSED
    return out


def spt_adjustments(ratchet: SptRatchet, status) -> np.ndarray:
    """Adjustment per observation of an SPT ratchet, before cap and cumulation.

    Parameters
    ----------
    ratchet : SptRatchet
    status : array_like of int, shape (S, O, K)
        Status per KPI in the order of ``ratchet.kpis`` (see :func:`spt_status`).

    Returns
    -------
    numpy.ndarray, shape (S, O)
        Σ_k (down_k if met, 0 if in band, up_k if missed) [bp], with (down_k, up_k) the KPI's own steps or
        weight_k × the ratchet's steps (:meth:`finance.terms.SptRatchet.kpi_steps`).
    """
    st = np.asarray(status)
    steps = np.array(ratchet.kpi_steps(), dtype=float)  # (K, 2)
    per = np.where(st == MET, steps[:, 0], np.where(st == MISSED, steps[:, 1], 0.0))
    return per.sum(axis=-1)


def kpi_step_bp(ratchet: SptRatchet, k: int, status: int) -> float:
    """Contribution of KPI ``k`` with one status (MET / BAND / MISSED) to the adjustment [bp]."""
    down, up = ratchet.kpi_steps()[k]
    return down if status == MET else up if status == MISSED else 0.0


def grid_adjustments(ratchet: ScoreGridRatchet, scores=None, grades=None) -> np.ndarray:
    """Adjustment per observation of a score grid.

    Parameters
    ----------
    ratchet : ScoreGridRatchet
    scores : array_like, shape (S, O), optional
        Index scores [score]; NaN = not reported. Used when the bands have ``min_score``.
    grades : array_like of str or None, shape (S, O), optional
        Grades ("5A".."1A", "below 1A"); None = not reported. Used when the bands have ``grade``.

    Returns
    -------
    numpy.ndarray, shape (S, O) [bp]
        The band's adjustment; ``not_reported_bp`` for a missing result.
    """
    if ratchet.bands[0].grade is not None:
        g = np.asarray(grades, dtype=object)
        out = np.full(g.shape, float(ratchet.not_reported_bp))
        for band in ratchet.bands:
            out[g == band.grade] = band.adjustment_bp
        return out
    s = np.asarray(scores, dtype=float)
    out = np.full(s.shape, float(ratchet.not_reported_bp))
    done = np.isnan(s)
    for band in sorted(ratchet.bands, key=lambda b: -b.min_score):
        hit = ~done & (s >= band.min_score)
        out[hit] = band.adjustment_bp
        done |= hit
    return out


def interpolated_adjustments(ratchet: InterpolatedRatchet, scores, margin_bp: float) -> np.ndarray:
    """Adjustment per observation of an interpolated ratchet.

    margin(score) = margin_high + (score − score_low) / (score_high − score_low) × (margin_low − margin_high),
    held at margin_high below ``score_low`` and at margin_low above ``score_high`` (the agreed range, not a
    clipping of input); not reported (NaN) = margin_high.

    Returns
    -------
    numpy.ndarray, shape (S, O)
        margin(score) − the loan's margin [bp].
    """
    s = np.asarray(scores, dtype=float)
    frac = np.clip((s - ratchet.score_low) / (ratchet.score_high - ratchet.score_low), 0.0, 1.0)
    m = ratchet.margin_high_bp + frac * (ratchet.margin_low_bp - ratchet.margin_high_bp)
    m = np.where(np.isnan(s), ratchet.margin_high_bp, m)
    return m - margin_bp


def failure_adjustment(ratchet, margin_bp: float) -> float:
    """Adjustment when the certificate is late: every target counted as missed [bp]."""
    if isinstance(ratchet, SptRatchet):
        return float(sum(up for _, up in ratchet.kpi_steps()))
    if isinstance(ratchet, ScoreGridRatchet):
        return float(ratchet.not_reported_bp)
    return float(ratchet.margin_high_bp - margin_bp)


def regime_adjustments(adj, failure, *, cumulative: bool = False, cap_bp: float | None = None,
                       floor_bp: float | None = None) -> np.ndarray:
    """Total adjustment in force under each regime.

    Cap and margin floor are applied the same way: to the total adjustment in force after each observation,
    and in a cumulative ratchet the bounded total is what the next observation adds to (so a step-up after
    the floor was reached raises the margin at once). Neither bounds a single step.

    Parameters
    ----------
    adj : array_like, shape (S, O)
        Adjustment earned at each observation [bp].
    failure : array_like, shape (O,)
        Adjustment of a reporting failure at each observation [bp].
    cumulative : bool
        Running total across observations (else each observation replaces the last).
    cap_bp : float, optional
        The total is held within ±cap [bp].
    floor_bp : float, optional
        Lowest total adjustment [bp], = margin floor − contractual margin (e.g. 0 − 30 = −30): the margin never
        goes below its floor.

    Returns
    -------
    numpy.ndarray, shape (S, 1 + 2*O) [bp]
        Column 0 = 0; column 1+2o = certified result of o; column 2+2o = reporting failure at o.
    """
    a = np.atleast_2d(np.asarray(adj, dtype=float))
    f = np.asarray(failure, dtype=float)
    n_s, n_o = a.shape
    cap = np.inf if cap_bp is None else float(cap_bp)
    lo = -cap if floor_bp is None else max(-cap, float(floor_bp))
    out = np.zeros((n_s, 1 + 2 * n_o))
    prev = np.zeros(n_s)
    for o in range(n_o):
        base = prev if cumulative else 0.0
        out[:, regime_actual(o)] = np.clip(base + a[:, o], lo, cap)
        out[:, regime_failure(o)] = np.clip(base + f[o], lo, cap)
        prev = out[:, regime_actual(o)]
    return out


@dataclasses.dataclass(frozen=True)
class MarginEvent:
    """A dated change of the regime in force.

    Attributes
    ----------
    date : datetime.date
        First accrual day of the new regime.
    regime : int
        Regime id (see the module docstring).
    observation : int
        Index of the observation that triggered it.
    reason : str
        Why the margin changes (certificate delivered / reporting failure, with dates).
    """

    date: dt.date
    regime: int
    observation: int
    reason: str


def effective_date(trigger: dt.date, timing, period_starts: list[dt.date], calendar) -> dt.date | None:
    """First accrual date of a new margin after a certificate (or its missed due date).

    Parameters
    ----------
    trigger : datetime.date
        Certificate delivery date, or the due date for a reporting failure. With ``timing.notices =
        "next_business_day"`` a non-business day counts as the next business day (LMA notices clause).
    timing : finance.terms.Timing
        ``next_period``: the first interest period starting after the (deemed) delivery date;
        ``business_days``: ``N`` business days after it on the loan's calendar.
    period_starts : list of datetime.date
        Start dates of the interest periods, in order.
    calendar : finance.calendars.Calendar

    Returns
    -------
    datetime.date or None
        None when no interest period starts after ``trigger`` (no effect before maturity).
    """
    if getattr(timing, "notices", "next_business_day") == "next_business_day":
        trigger = calendar.adjust(trigger, "following")
    if timing.rule == "business_days":
        return calendar.add_business_days(trigger, timing.business_days)
    for s in period_starts:
        if s > trigger:
            return s
    return None


def margin_events(observations, timing, period_starts, calendar, maturity: dt.date) -> list[MarginEvent]:
    """Dated regime changes from the certificates of each observation.

    Parameters
    ----------
    observations : list of objects with ``date``, ``certificate_due`` and ``certificate_delivered``
        A missing delivery date means delivered on the due date.
    timing : finance.terms.Timing
    period_starts : list of datetime.date
    calendar : finance.calendars.Calendar
    maturity : datetime.date

    Returns
    -------
    list of MarginEvent, sorted by date; events on or after maturity are dropped (they have no accrual).
    """
    events = []
    for o, obs in enumerate(observations):
        due = obs.certificate_due
        delivered = obs.certificate_delivered or due
        eff = effective_date(delivered, timing, period_starts, calendar)
        if delivered > due:
            eff_f = effective_date(due, timing, period_starts, calendar)
            # the reporting failure has an accrual only if it starts before the late certificate takes effect
            if eff_f is not None and eff_f < maturity and (eff is None or eff_f < eff):
                events.append(MarginEvent(eff_f, regime_failure(o), o,
                                          f"obs {obs.date}: certificate due {due} not delivered, all targets missed"))
        if eff is not None and eff < maturity:
            late = f", {(delivered - due).days} days late" if delivered > due else ""
            when = (f"certificate delivered {delivered}{late}" if obs.certificate_delivered
                    else f"certificate assumed delivered on its due date {due}")
            events.append(MarginEvent(eff, regime_actual(o), o, f"obs {obs.date}: {when}"))
    events.sort(key=lambda e: (e.date, e.regime))
    return events
