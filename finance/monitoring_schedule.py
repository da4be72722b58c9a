"""Cash flows on the record: recorded margins for the past, the ratchet for the future.

Part of :mod:`finance.monitoring` (split by concern; import the public names from there).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types

import numpy as np

from finance import ratchet as R
from finance.calendars import get_calendar
from finance.monitoring_changes import _kpi_steps, _regimes, _spt_text, _state, observation_adjustment
from finance.monitoring_records import RecordedObservation
from finance.schedule import build_plan, interest_periods, price, schedule_frame
from finance.terms import SptRatchet
from index.errors import InputError


@dataclasses.dataclass(frozen=True)
class RecordedRun:
    """A deal's plan on the record and the regime adjustments of ``S`` future scenarios.

    Attributes
    ----------
    plan : finance.schedule.Plan
        Interest periods split at the recorded margin changes and at the assumed future ones.
    names : list of str
        Future scenario per row of ``regime_adj_bp``.
    regime_adj_bp : numpy.ndarray, shape (S, 1 + 2*O)
        Total ratchet adjustment under each regime [bp] (:func:`finance.ratchet.regime_adjustments`); the columns
        of recorded observations are the same in every row.
    notes : dict
        Text per regime id, for the schedule's ``reason`` column.
    """

    plan: object
    names: list[str]
    regime_adj_bp: np.ndarray
    notes: dict[int, str]


def _future_adjustment(deal, i: int, outcome) -> float:
    r = deal.ratchet
    if outcome == "missed":
        return R.failure_adjustment(r, deal.loan.margin_bp)   # every SPT missed
    if outcome == "met":
        if isinstance(r, SptRatchet):
            return float(sum(d for d, _ in _kpi_steps(r)))
        spt = deal.observations[i].spt
        return observation_adjustment(deal, i, {k: v for k, v in spt.items() if not isinstance(v, str)},
                                      spt.get("grade"))[0]
    # an inline result (finance.deal.VerifiedResult) of a deal scenario
    kpis = dict(outcome.kpis)
    kpis.update({"index": outcome.index_total, "core": outcome.core})
    return observation_adjustment(deal, i, kpis, outcome.grade)[0]


def recorded_run(deal, observations: list[RecordedObservation], as_of: dt.date,
                 scenarios: list[str] | tuple[str, ...] = ("none",), *,
                 approved: set[tuple[dt.date, str]] | None = None) -> RecordedRun:
    """Recorded margins for the past, the ratchet under one or more scenarios for the future.

    Parameters
    ----------
    deal : finance.deal.Deal
    observations : list of RecordedObservation
    as_of : datetime.date
    scenarios : list of str
        Outcome assumed for the observations neither recorded nor past their certificate due date ("future"):
        ``"none"`` = no change (only as the single scenario), ``"met"`` / ``"missed"`` = all SPTs met / missed,
        or the name of one of the deal's ``[[scenarios]]`` (its outcome for each future observation). Future
        certificates are assumed delivered on their due date (:func:`finance.ratchet.margin_events`). Reported
        (indicative) figures are never used.
    approved : set of (datetime.date, str), optional
        Maker-checker (issue 12): only the recorded changes whose ``(observation_date, kind)`` is in this set
        take effect; the others are pending approval and leave the margin as it was (their observation gets no
        future assumption either). None = every recorded change takes effect.

    Returns
    -------
    RecordedRun
        ``finance.valuation.value(run.plan, run.regime_adj_bp, names=run.names, ...)`` values it;
        :func:`recorded_schedule` prints one scenario.

    Raises
    ------
    InputError
        ``"none"`` with other scenarios; an unknown scenario; a deal scenario whose outcome for a future
        observation is ``"actual"``.
    """

    scenarios = list(scenarios)
    custom = {sc.name: sc for sc in getattr(deal, "scenarios", [])}
    for name in scenarios:
        if name not in ("none", "met", "missed") and name not in custom:
            raise InputError(f"unknown future scenario '{name}': use none, met, missed or one of {sorted(custom)}",
                             field="scenarios", value=name)
    if "none" in scenarios and len(scenarios) > 1:
        raise InputError("'none' (no future change) can only be the single scenario", field="scenarios")
    st = _state(deal, observations, as_of)
    if approved is not None:
        kept = [(e, k) for e, k in st.events if (deal.observations[e.observation].date, k) in approved]
        adj0 = st.adj.copy()
        for i in st.verified:
            if not any(e.observation == i and k != "reporting_failure" for e, k in kept):
                adj0[i] = 0.0   # pending: its verified result counts nowhere (also not in a cumulative total)
        st = dataclasses.replace(st, events=kept, adj=adj0)
    loan = deal.loan.resolved()
    r = deal.ratchet
    n = len(deal.observations)
    events = [e for e, _ in st.events]
    notes: dict[int, str] = {}
    for e, kind in st.events:
        notes[e.regime] = ("recorded: reporting failure, all SPTs missed" if kind == "reporting_failure"
                           else "recorded: " + _spt_text(st.spts[e.observation])[0])
    adj = np.repeat(st.adj[None, :], len(scenarios), axis=0)
    if scenarios != ["none"] and st.future:
        periods = interest_periods(loan)
        cal = get_calendar(loan.calendar)
        proxies = [types.SimpleNamespace(date=deal.observations[i].date,
                                         certificate_due=deal.observations[i].certificate_due,
                                         certificate_delivered=None) for i in st.future]
        for e in R.margin_events(proxies, r.timing, [p.start for p in periods], cal, periods[-1].end):
            i = st.future[e.observation]
            events.append(R.MarginEvent(e.date, R.regime_actual(i), i, e.reason + " (future: assumed)"))
        for s_, name in enumerate(scenarios):
            for i in st.future:
                oc = name if name in ("met", "missed") else custom[name].outcomes[i]
                if oc == "actual":
                    raise InputError(f"scenario '{name}' gives 'actual' for observation {deal.observations[i].date}, "
                                     "which has no verified record yet", field=f"scenarios.{name}.outcomes[{i}]",
                                     row=i + 1)
                adj[s_, i] = _future_adjustment(deal, i, oc)
    reg = _regimes(deal, adj)
    try:
        plan = build_plan(loan, events, n, r.margin_floor_bp)
    except LookupError as exc:
        raise InputError(str(exc), field="loan.base_rate.path", unit="% p.a.") from None
    return RecordedRun(plan, scenarios, reg, notes)


def recorded_schedule(deal, observations: list[RecordedObservation], as_of: dt.date, future: str = "none", *,
                      approved: set[tuple[dt.date, str]] | None = None):
    """Cash-flow schedule on the record: recorded margins for the past, the ratchet for the future.

    Parameters
    ----------
    deal : finance.deal.Deal
    observations : list of RecordedObservation
    as_of : datetime.date
    future : str
        One future scenario (see :func:`recorded_run`): ``none`` (the margin in force stays), ``met``, ``missed``
        or a scenario of the deal.
    approved : set of (datetime.date, str), optional
        See :func:`recorded_run`.

    Returns
    -------
    finance.schedule.Schedule
        Built with :func:`finance.schedule.price` and :func:`finance.schedule.schedule_frame` on the recorded
        margin events; the ``reason`` column names the recorded change (or the assumption) behind each row.
    """

    run = recorded_run(deal, observations, as_of, [future], approved=approved)
    return schedule_frame(run.plan, price(run.plan, run.regime_adj_bp), 0, run.notes)
