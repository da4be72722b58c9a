"""The annual monitoring loop of a sustainability-linked loan: due dates, recorded observations, margin changes.

Pure functions over a :class:`finance.deal.Deal` and what the deal book recorded (DESIGN.md §2: "a loan's life is
recorded, not recomputed"). Nothing here reads a file or a database; the store and the workflows pass objects in.

Observation calendar
    Per observation date of a deal: the borrower's KPI report due date, the compliance certificate due date and
    where each stands on a given day (:func:`observation_calendar`, :func:`due_items`, :func:`to_ics`).
    The report is due ``report_lead_days`` calendar days before the certificate, moved to a business day of the
    deal's calendar (:class:`MonitoringTerms`; defaults in ``data/finance/conventions.toml`` ``[monitoring]``).
Margin changes from the record
    :func:`margin_events_from_record` turns recorded observations (verified KPI values, SPTs met / missed,
    statement id and hash, certificate delivery date) into dated margin changes with the deal's ratchet and timing
    rule, reusing :mod:`finance.ratchet` (``spt_status``, ``spt_adjustments``, ``regime_adjustments``,
    ``margin_events``, ``effective_date``). A certificate not delivered by its due date counts as *all targets
    missed* from the due date (same timing rule) until it is delivered (the *cure*) [1]_. Figures that are only
    *reported* (not verified) give **indicative** changes, flagged as such, which never enter the margin in force.
Cash flows on the record
    :func:`recorded_schedule` prices the loan with the recorded margins for the past and the ratchet (an assumed
    outcome) for observations not yet due.

Status words
------------
An observation's certificate is ``upcoming`` before the observation date, ``due`` from the observation date to its
due date, ``overdue`` after the due date until delivered, ``delivered`` once delivered (on or before ``as_of``).
The report has the same four words against the report due date; a report counts as delivered when the deal book
holds reported or verified figures for the observation.

References
----------
.. [1] LMA/APLMA/LSTA, *Sustainability-Linked Loan Principles* (2023) and *Guidance on the SLLP*, "Reporting" and
   "Verification"; DESIGN.md §4 "Timing".

Modules (split by concern; every name stays importable from here)
------------------------------------------------------------------
``finance.monitoring_records``    recorded observations (``RecordedObservation``, ``SptOutcome``)
``finance.monitoring_calendar``   due dates (``MonitoringTerms``, ``observation_calendar``, ``due_items``, ``to_ics``)
``finance.monitoring_late``       late and missing certificates (``certificate_events``)
``finance.monitoring_changes``    margin changes (``MarginChange``, ``margin_events_from_record``,
                                  ``margin_in_force``)
``finance.monitoring_schedule``   cash flows on the record (``recorded_run``, ``recorded_schedule``)
"""

from __future__ import annotations

from finance import monitoring_calendar as _cal
from finance import monitoring_changes as _chg
from finance import monitoring_schedule as _sch
from finance.monitoring_calendar import (
    DueItem,
    MonitoringTerms,
    due_items,
    observation_calendar,
    report_due_date,
    to_ics,
)
from finance.monitoring_changes import (
    MARGIN_ORDER,
    MarginChange,
    margin_events_from_record,
    margin_in_force,
    margin_order,
    observation_adjustment,
)
from finance.monitoring_late import certificate_events
from finance.monitoring_records import (
    ERR_OTHER_DEAL,
    ERR_OUTCOME_MISMATCH,
    ERR_UNKNOWN_OBSERVATION,
    ERR_VERIFIED_NEEDS,
    ChangeKind,
    ChangeStatus,
    DueStatus,
    RecordedObservation,
    SptOutcome,
    recorded_observation_from_statement,
)
from finance.monitoring_schedule import RecordedRun, recorded_run, recorded_schedule

# private helpers, still reachable as finance.monitoring._name for code written before the split
_latest, _monitoring_defaults, _status, _terms = (_cal._latest, _cal._monitoring_defaults, _cal._status,
                                                  _cal._terms)
_check_records, _kpi_steps, _regimes, _spt_text, _State, _state, _timing_text = (
    _chg._check_records, _chg._kpi_steps, _chg._regimes, _chg._spt_text, _chg._State, _chg._state, _chg._timing_text)
_future_adjustment = _sch._future_adjustment

__all__ = [
    "ERR_OTHER_DEAL", "ERR_OUTCOME_MISMATCH", "ERR_UNKNOWN_OBSERVATION", "ERR_VERIFIED_NEEDS",
    "ChangeKind", "ChangeStatus", "DueItem", "DueStatus", "MarginChange", "MonitoringTerms", "RecordedObservation",
    "RecordedRun", "SptOutcome", "certificate_events", "due_items", "margin_events_from_record", "margin_in_force",
    "MARGIN_ORDER", "margin_order",
    "observation_adjustment", "observation_calendar", "recorded_observation_from_statement", "recorded_run",
    "recorded_schedule", "report_due_date", "to_ics",
]
