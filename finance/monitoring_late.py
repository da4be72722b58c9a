"""When an observation's certificate moves the margin: on time, late (reporting failure, then cure) or missing.

Part of :mod:`finance.monitoring` (split by concern). The contractual rule (LMA/APLMA/LSTA *Sustainability-Linked
Loan Principles* (2023) and *Guidance on the SLLP*, "Reporting" and "Verification"; DESIGN.md §4 "Timing"): a
certificate not delivered by its due date counts as *all targets missed* from the due date, by the deal's timing
rule, until it is delivered (the *cure*, from the delivery date by the same rule). The dates come from
:func:`finance.ratchet.margin_events` and :func:`finance.ratchet.effective_date`.
"""

from __future__ import annotations

import datetime as dt
import types

from finance import ratchet as R
from finance.monitoring_records import ChangeKind


def certificate_events(i: int, observation, delivered: dt.date | None, as_of: dt.date, timing, starts: list,
                       cal, maturity: dt.date) -> list[tuple[R.MarginEvent, ChangeKind]] | None:
    """The dated margin events of observation ``i`` from its certificate's delivery, on ``as_of``.

    Parameters
    ----------
    i : int
        0-based observation index (regime ids :func:`finance.ratchet.regime_actual` /
        :func:`~finance.ratchet.regime_failure` of it).
    observation : finance.deal.Observation
        Its ``date`` and ``certificate_due``.
    delivered : datetime.date or None
        Delivery date of the verified certificate (on or before ``as_of``), None if none.
    as_of : datetime.date
    timing : finance.terms.Timing
    starts : list of datetime.date
        Interest period start dates; ``cal`` the deal's calendar; ``maturity`` the last accrual end.

    Returns
    -------
    list of (finance.ratchet.MarginEvent, kind) or None
        * delivered on time: one ``result`` event from the delivery date;
        * delivered late: the ``reporting_failure`` from the due date and the ``cure`` from the delivery date
          (the failure is dropped when the cure takes effect first, as in :func:`finance.ratchet.margin_events`);
        * not delivered and the due date passed: the ``reporting_failure`` from the due date (none when it would
          take effect on or after maturity);
        * not delivered and not yet due: None (the observation is still in the future).
    """
    o = observation
    due = o.certificate_due
    events: list[tuple[R.MarginEvent, ChangeKind]] = []
    if delivered is not None:
        proxy = types.SimpleNamespace(date=o.date, certificate_due=due, certificate_delivered=delivered)
        for e in R.margin_events([proxy], timing, starts, cal, maturity):
            if e.regime == R.regime_failure(0):
                events.append((R.MarginEvent(e.date, R.regime_failure(i), i, e.reason), "reporting_failure"))
            else:
                events.append((R.MarginEvent(e.date, R.regime_actual(i), i, e.reason),
                               "cure" if delivered > due else "result"))
        return events
    if as_of > due:
        eff = R.effective_date(due, timing, starts, cal)
        if eff is not None and eff < maturity:
            events.append((R.MarginEvent(eff, R.regime_failure(i), i,
                                         f"obs {o.date}: certificate due {due} not delivered, all targets missed"),
                           "reporting_failure"))
        return events
    return None
