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
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import types
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from finance import ratchet as R
from finance.calendars import get_calendar
from finance.conventions import conventions
from finance.schedule import build_plan, interest_periods, price, schedule_frame
from finance.terms import BusinessDayConvention, InterpolatedRatchet, ScoreGridRatchet, SptRatchet
from index.errors import InputError

DueStatus = Literal["upcoming", "due", "overdue", "delivered"]
ChangeKind = Literal["result", "reporting_failure", "cure"]
ChangeStatus = Literal["in_force", "scheduled", "indicative"]

# error messages (what is wrong and what is needed)
ERR_UNKNOWN_OBSERVATION = ("recorded observation {date} is not an observation date of deal '{deal}' "
                           "(its dates are {dates}): record it against one of those dates")
ERR_OTHER_DEAL = "recorded observation belongs to deal '{got}', not '{want}'"
ERR_OUTCOME_MISMATCH = ("recorded outcome for KPI '{kpi}' at {date} is '{recorded}', but the verified value {value} "
                        "against the SPT {spt} gives '{computed}' under the deal's ratchet: re-issue the statement "
                        "or correct the record")
ERR_VERIFIED_NEEDS = ("a verified observation needs the statement id, the statement SHA-256 and the date the "
                      "certificate was delivered (missing: {missing})")


def _monitoring_defaults() -> dict:
    return conventions().raw["monitoring"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class MonitoringTerms(_Model):
    """Monitoring terms of a deal (the ``[monitoring]`` table of a deal file).

    Empty fields take the defaults of ``data/finance/conventions.toml`` ``[monitoring]`` (with their sources).
    """

    report_lead_days: int | None = Field(
        None, ge=0, description="The borrower's KPI report is due this many calendar days before the compliance "
        "certificate [days].")
    report_business_day_convention: BusinessDayConvention | None = Field(
        None, description="How a report due date on a non-business day moves (default: preceding).")

    def resolved(self) -> MonitoringTerms:
        """A copy with every empty field filled in from conventions.toml ``[monitoring]``."""
        d = _monitoring_defaults()
        return MonitoringTerms(
            report_lead_days=int(d["report_lead_days"]) if self.report_lead_days is None else self.report_lead_days,
            report_business_day_convention=self.report_business_day_convention or d["report_business_day_convention"])


def _terms(deal) -> MonitoringTerms:
    return (getattr(deal, "monitoring", None) or MonitoringTerms()).resolved()


def report_due_date(deal, certificate_due: dt.date) -> dt.date:
    """Due date of the borrower's KPI report for a certificate due on ``certificate_due``.

    report due = certificate due − ``report_lead_days`` [days], adjusted on the deal's calendar with
    ``report_business_day_convention`` (:class:`MonitoringTerms`; sources in conventions.toml ``[monitoring]``).
    """
    t = _terms(deal)
    cal = get_calendar(deal.loan.resolved().calendar)
    return cal.adjust(certificate_due - dt.timedelta(days=t.report_lead_days), t.report_business_day_convention)


# ================================================================================ recorded observations


class SptOutcome(_Model):
    """One KPI of one observation: value, SPT, outcome and what it moves [bp]."""

    kpi: str
    value: float | None = Field(description="KPI value [KPI unit]; None = not reported.")
    spt: float | None = Field(None, description="SPT [KPI unit]; None for score-grid and interpolated ratchets.")
    direction: Literal["higher", "lower"] | None = None
    outcome: Literal["met", "band", "missed", "scored"] = Field(
        description="met / band (within the no-change band) / missed; 'scored' for grid and interpolated ratchets.")
    effect_bp: float = Field(description="This KPI's share of the adjustment: weight × step [bp].")


class RecordedObservation(_Model):
    """What the deal book recorded for one observation date of a deal.

    ``status = "verified"``: figures of an issued verification statement (needs ``statement_id``,
    ``statement_sha256`` and ``certificate_delivered``); they move the margin. ``status = "reported"``: the
    operator's figures before verification; they only give *indicative* changes.
    """

    deal_id: str
    observation_date: dt.date
    status: Literal["verified", "reported"]
    kpis: dict[str, float | None] = Field(
        description="Values of the ratchet's KPIs [KPI unit]: 'index' (GCPI total), 'core', indicator ids "
        "such as 'pue'. None = not reported (counts as missed).")
    grade: str | None = Field(None, description="Grade, for score-grid ratchets by grade.")
    outcomes: dict[str, Literal["met", "band", "missed"]] = Field(
        default_factory=dict, description="SPT outcome per KPI as the statement recorded it (checked against "
        "the values and the deal's SPTs).")
    statement_id: str | None = None
    statement_sha256: str | None = None
    certificate_delivered: dt.date | None = Field(None, description="Date the compliance certificate was delivered.")
    reported_on: dt.date | None = Field(None, description="Date the reported figures reached the bank.")
    record_id: int | None = Field(None, description="Deal-book id of the observation record, if any.")

    @model_validator(mode="after")
    def _verified_complete(self) -> RecordedObservation:
        if self.status == "verified":
            missing = [f for f in ("statement_id", "statement_sha256", "certificate_delivered")
                       if getattr(self, f) is None]
            if missing:
                raise ValueError(ERR_VERIFIED_NEEDS.format(missing=", ".join(missing)))
        return self


def recorded_observation_from_statement(statement, *, deal_id: str, statement_sha256: str,
                                        certificate_delivered: dt.date, record_id: int | None = None
                                        ) -> RecordedObservation:
    """The recorded observation of an issued verification statement.

    Parameters
    ----------
    statement : finance.statement.VerificationStatement
        The issued statement: its SPT rows give the verified KPI values and outcomes, ``index`` the GCPI total.
    deal_id : str
    statement_sha256 : str
        SHA-256 the deal book holds for the issued PDF [64 hex characters].
    certificate_delivered : datetime.date
        Date the compliance certificate (with the statement) reached the bank.
    record_id : int, optional

    Returns
    -------
    RecordedObservation
        ``status = "verified"``; KPI values from the SPT rows plus ``index`` / ``core`` from the index summary.
    """
    kpis: dict[str, float | None] = {"index": statement.index.total, "core": statement.index.core}
    outcomes = {}
    for s in statement.spts:
        kpis[s.kpi] = s.verified_value
        outcomes[s.kpi] = "band" if s.within_band else "met" if s.met else "missed"
    return RecordedObservation(deal_id=deal_id, observation_date=statement.observation_date, status="verified",
                               kpis=kpis, grade=statement.index.grade, outcomes=outcomes,
                               statement_id=statement.statement_id, statement_sha256=statement_sha256,
                               certificate_delivered=certificate_delivered, record_id=record_id)


# ================================================================================ observation calendar


@dataclasses.dataclass(frozen=True)
class DueItem:
    """One observation date of a deal and where its report and certificate stand on ``as_of``.

    Attributes
    ----------
    deal_id, deal_name : str
    observation : int
        1-based row of the observation in the deal.
    observation_date, report_due, certificate_due : datetime.date
    certificate_delivered : datetime.date or None
        Delivery date, when on or before ``as_of``.
    status : {"upcoming", "due", "overdue", "delivered"}
        Of the certificate (see the module docstring).
    report_status : {"upcoming", "due", "overdue", "delivered"}
    next_kind : {"report", "certificate"} or None
        The next deadline not yet met (None once the certificate is delivered).
    next_due : datetime.date or None
    days_left : int or None
        ``next_due − as_of`` [days]; negative = overdue by that many days.
    provisional : bool
        A due date lies in a year the official calendar does not cover yet (fallback calendar).
    as_of : datetime.date
    """

    deal_id: str
    deal_name: str
    observation: int
    observation_date: dt.date
    report_due: dt.date
    certificate_due: dt.date
    certificate_delivered: dt.date | None
    status: DueStatus
    report_status: DueStatus
    next_kind: Literal["report", "certificate"] | None
    next_due: dt.date | None
    days_left: int | None
    provisional: bool
    as_of: dt.date

    @property
    def overdue(self) -> bool:
        """The report or the certificate is overdue (shown in red)."""
        return "overdue" in (self.status, self.report_status)

    def as_dict(self) -> dict:
        """Plain dict with ISO dates and the ``overdue`` flag (for JSON output)."""
        out = dataclasses.asdict(self)
        out["overdue"] = self.overdue
        return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in out.items()}


def _status(as_of: dt.date, start: dt.date, due: dt.date, delivered: dt.date | None) -> DueStatus:
    if delivered is not None and delivered <= as_of:
        return "delivered"
    if as_of > due:
        return "overdue"
    if as_of >= start:
        return "due"
    return "upcoming"


def _latest(records, status: str) -> dict[dt.date, RecordedObservation]:
    out = {}
    for r in records or []:
        if r.status == status:
            out[r.observation_date] = r
    return out


def observation_calendar(deal, as_of: dt.date, recorded: list[RecordedObservation] | None = None) -> list[DueItem]:
    """Observation dates of a deal with their report and certificate due dates and status on ``as_of``.

    Parameters
    ----------
    deal : finance.deal.Deal
    as_of : datetime.date
        The day the statuses are taken on.
    recorded : list of RecordedObservation, optional
        What the deal book holds: a verified record's ``certificate_delivered`` marks the certificate delivered;
        a reported or verified record marks the report delivered (on ``reported_on`` if given). Without records the
        deal's own ``certificate_delivered`` dates are used.

    Returns
    -------
    list of DueItem, one per observation, in date order.

    Notes
    -----
    Report due date: :func:`report_due_date` (conventions.toml ``[monitoring]``, overridable per deal). The
    certificate due date is the deal's (a contractual date, shown as agreed, not moved).
    """
    loan = deal.loan.resolved()
    cal = get_calendar(loan.calendar)
    ver = _latest(recorded, "verified")
    out = []
    for i, o in enumerate(deal.observations):
        rdue = report_due_date(deal, o.certificate_due)
        v = ver.get(o.date)
        delivered = v.certificate_delivered if v is not None else o.certificate_delivered
        if delivered is not None and delivered > as_of:
            delivered = None
        # the report arrived with the earliest record of figures (a delivered certificate covers a report)
        seen = [(r.reported_on or r.certificate_delivered or as_of) for r in recorded or []
                if r.observation_date == o.date]
        if delivered is not None:
            seen.append(delivered)
        r_on = min(seen) if seen else None
        status = _status(as_of, o.date, o.certificate_due, delivered)
        rstatus = _status(as_of, o.date, rdue, r_on)
        if status == "delivered":
            nxt, nxt_due = None, None
        elif rstatus in ("upcoming", "due"):
            nxt, nxt_due = "report", rdue
        else:
            nxt, nxt_due = "certificate", o.certificate_due
        out.append(DueItem(
            deal_id=deal.id, deal_name=deal.name, observation=i + 1, observation_date=o.date, report_due=rdue,
            certificate_due=o.certificate_due, certificate_delivered=delivered, status=status, report_status=rstatus,
            next_kind=nxt, next_due=nxt_due, days_left=None if nxt_due is None else (nxt_due - as_of).days,
            provisional=cal.is_provisional(rdue) or cal.is_provisional(o.certificate_due), as_of=as_of))
    return out


def due_items(deals, as_of: dt.date, days: int | None = None,
              recorded: dict[str, list[RecordedObservation]] | None = None) -> list[DueItem]:
    """The credit officer's "due and overdue" list across deals.

    Parameters
    ----------
    deals : iterable of finance.deal.Deal
    as_of : datetime.date
    days : int, optional
        Look-ahead window [calendar days]; default ``due_view_days`` of conventions.toml ``[monitoring]`` (90).
    recorded : dict, optional
        Recorded observations per deal id (see :func:`observation_calendar`).

    Returns
    -------
    list of DueItem
        Every observation whose report or certificate is overdue, and every one whose next deadline falls within
        ``[as_of, as_of + days]``; overdue first, then by next deadline.

    Raises
    ------
    InputError
        A negative window.
    """
    if days is None:
        days = int(_monitoring_defaults()["due_view_days"])
    if days < 0:
        raise InputError("the look-ahead window must be zero or more days", field="days", unit="days", value=days)
    horizon = as_of + dt.timedelta(days=days)
    out = []
    for deal in deals:
        for it in observation_calendar(deal, as_of, (recorded or {}).get(deal.id)):
            if it.status == "delivered":
                continue
            if it.status == "overdue" or it.report_status == "overdue" or it.next_due <= horizon:
                out.append(it)
    out.sort(key=lambda it: (it.status != "overdue", it.next_due, it.deal_id, it.observation))
    return out


def to_ics(items: list[DueItem], *, prodid: str = "-//dcsll//SLL monitoring calendar//EN") -> bytes:
    """iCalendar (RFC 5545) export of the due dates, built with the ``icalendar`` package.

    Two all-day events per item (the KPI report due date and the certificate due date), each with a stable UID
    (``<deal>/<observation date>/<kind>@dcsll``) so a calendar client updates rather than duplicates them on a
    re-import. ``DTSTAMP`` is the items' ``as_of`` day (00:00 UTC), so the bytes depend only on the input.

    Returns
    -------
    bytes
        The ``.ics`` file (UTF-8, CRLF line ends).
    """
    import icalendar  # noqa: PLC0415 - heavy library, only this path needs it; finance is imported by every deal workflow

    cal = icalendar.Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "dcsll SLL due dates")
    for it in items:
        stamp = dt.datetime.combine(it.as_of, dt.time(0, 0), tzinfo=dt.UTC)
        for kind, day, status in (("report", it.report_due, it.report_status),
                                  ("certificate", it.certificate_due, it.status)):
            what = "KPI report due" if kind == "report" else "Compliance certificate due"
            ev = icalendar.Event()
            ev.add("uid", f"{it.deal_id}/{it.observation_date.isoformat()}/{kind}@dcsll")
            ev.add("dtstamp", stamp)
            ev.add("dtstart", day)
            ev.add("dtend", day + dt.timedelta(days=1))
            ev.add("summary", f"{what}: {it.deal_id} (observation {it.observation_date.isoformat()})")
            desc = (f"Deal {it.deal_id} {it.deal_name}\nObservation {it.observation} on "
                    f"{it.observation_date.isoformat()}\n{what} {day.isoformat()}\nStatus on {it.as_of.isoformat()}: "
                    f"{status}")
            if it.provisional:
                desc += "\nDate on the provisional (fallback) calendar"
            ev.add("description", desc)
            ev.add("categories", ["SLL", kind])
            ev.add("transp", "TRANSPARENT")
            cal.add_component(ev)
    return cal.to_ical()


# ================================================================================ margin changes


class MarginChange(_Model):
    """A dated change of the margin of a deal, following from a recorded observation (or a missing one).

    ``margin_after_bp`` = max(margin floor, contractual margin + ``ratchet_adjustment_bp``) [bp], the adjustment
    being the ratchet's total in force under this change (after cap and cumulation,
    :func:`finance.ratchet.regime_adjustments`). ``margin_before_bp`` is the margin in force the day before.
    """

    deal_id: str
    observation: int = Field(description="1-based row of the observation in the deal.")
    observation_date: dt.date
    kind: ChangeKind = Field(description="result: verified results on time; reporting_failure: certificate not "
                             "delivered by its due date, all SPTs missed; cure: the late certificate's results.")
    status: ChangeStatus = Field(description="in_force (effective on or before as_of), scheduled (after), "
                                 "indicative (reported figures only: never in force).")
    effective_date: dt.date = Field(description="First accrual day at the new margin.")
    trigger_date: dt.date = Field(description="Certificate delivery date, or the missed due date.")
    certificate_due: dt.date
    certificate_delivered: dt.date | None = None
    contractual_margin_bp: float
    ratchet_adjustment_bp: float = Field(description="Total ratchet adjustment in force from the effective date [bp].")
    margin_before_bp: float
    margin_after_bp: float
    spts: list[SptOutcome] = Field(default_factory=list)
    statement_id: str | None = None
    statement_sha256: str | None = None
    record_id: int | None = None
    regime: int = Field(description="Ratchet regime id (finance.ratchet: 1+2o result, 2+2o reporting failure).")
    reason_en: str
    reason_zh: str

    @property
    def change_bp(self) -> float:
        """New margin − old margin [bp]."""
        return self.margin_after_bp - self.margin_before_bp

    @property
    def key(self) -> tuple[str, dt.date, str]:
        """(deal, observation date, kind): at most one recorded change per key; use it to record each once."""
        return (self.deal_id, self.observation_date, self.kind)

    @property
    def indicative(self) -> bool:
        """True for a change computed from reported (not verified) figures."""
        return self.status == "indicative"


def _timing_text(timing, failure: bool = False) -> tuple[str, str]:
    en, zh = ("the due date", "证书应交付日") if failure else ("the certificate", "证书交付")
    if timing.rule == "business_days":
        return f"{timing.business_days} business days after {en}", f"{zh}后第{timing.business_days}个工作日起"
    return f"the first interest period starting after {en}", f"{zh}后首个计息期起"


def _kpi_steps(r: SptRatchet) -> list[tuple[float, float]]:
    """(step-down, step-up) [bp] per KPI: the ratchet's own ``kpi_steps`` when it has per-KPI steps, else
    weight × the ratchet's steps (the rule of :func:`finance.ratchet.spt_adjustments`)."""
    if hasattr(r, "kpi_steps"):
        return [(float(d), float(u)) for d, u in r.kpi_steps()]
    return [(k.weight * r.step_down_bp, k.weight * r.step_up_bp) for k in r.kpis]


def observation_adjustment(deal, o: int, kpis: dict[str, float | None], grade: str | None = None
                           ) -> tuple[float, list[SptOutcome]]:
    """Adjustment earned by one observation's KPI values, before cap and cumulation [bp].

    Uses :func:`finance.ratchet.spt_status` and :func:`finance.ratchet.spt_adjustments` (SPT ratchet),
    :func:`finance.ratchet.grid_adjustments` (score grid) or :func:`finance.ratchet.interpolated_adjustments`.

    Parameters
    ----------
    deal : finance.deal.Deal
    o : int
        0-based observation index.
    kpis : dict
        KPI values [KPI unit]; a missing or None value counts as not reported (missed).
    grade : str, optional

    Returns
    -------
    (adjustment [bp], list of SptOutcome)
    """
    r = deal.ratchet
    obs = deal.observations[o]

    def val(k):
        v = kpis.get(k)
        return np.nan if v is None else float(v)

    if isinstance(r, SptRatchet):
        status = np.zeros((1, 1, len(r.kpis)), dtype=np.int8)
        rows = []
        steps = _kpi_steps(r)
        for k, rule in enumerate(r.kpis):
            direction = R.kpi_direction(rule)
            st = int(R.spt_status([[val(rule.kpi)]], [obs.spt[rule.kpi]], direction, rule.no_change_band)[0, 0])
            status[0, 0, k] = st
            step = steps[k][0] if st == R.MET else steps[k][1] if st == R.MISSED else 0.0
            word = {R.MET: "met", R.BAND: "band", R.MISSED: "missed"}[st]
            rows.append(SptOutcome(kpi=rule.kpi, value=kpis.get(rule.kpi), spt=float(obs.spt[rule.kpi]),
                                   direction=direction, outcome=word, effect_bp=step))
        return float(R.spt_adjustments(r, status)[0, 0]), rows
    if isinstance(r, ScoreGridRatchet):
        adj = float(R.grid_adjustments(r, scores=[[val(r.kpi)]], grades=np.array([[grade]], dtype=object))[0, 0])
    elif isinstance(r, InterpolatedRatchet):
        adj = float(R.interpolated_adjustments(r, [[val(r.kpi)]], deal.loan.margin_bp)[0, 0])
    else:  # pragma: no cover - the union has three designs
        raise TypeError(f"unknown ratchet design {type(r).__name__}")
    return adj, [SptOutcome(kpi=r.kpi, value=kpis.get(r.kpi), outcome="scored", effect_bp=adj)]


def _regimes(deal, adj) -> np.ndarray:
    """Total adjustment in force per regime, shape (S, 1 + 2*O) [bp], with the deal's cap and cumulation.

    The one place the ratchet's totals are formed (:func:`finance.ratchet.regime_adjustments`, a reporting failure
    = :func:`finance.ratchet.failure_adjustment` at every observation), as :func:`finance.deal.run_deal` does.
    """
    r = deal.ratchet
    n = len(deal.observations)
    fail = np.full(n, R.failure_adjustment(r, deal.loan.margin_bp))
    kw = {"cumulative": bool(getattr(r, "cumulative", False)), "cap_bp": r.cap_bp}
    if "floor_bp" in inspect.signature(R.regime_adjustments).parameters:  # margin floor bounds the running total
        kw["floor_bp"] = r.margin_floor_bp - deal.loan.margin_bp
    return R.regime_adjustments(np.atleast_2d(adj), fail, **kw)


def _spt_text(spts: list[SptOutcome]) -> tuple[str, str]:
    zh_word = {"met": "达成", "band": "容差内不调整", "missed": "未达成", "scored": "评分"}
    en, zh = [], []
    for s in spts:
        v = "not reported" if s.value is None else f"{s.value:g}"
        vz = "未报告" if s.value is None else f"{s.value:g}"
        tgt = "" if s.spt is None else f" vs SPT {s.spt:g}"
        tgz = "" if s.spt is None else f"，目标{s.spt:g}"
        en.append(f"{s.kpi} {v}{tgt} {s.outcome} ({s.effect_bp:+g} bp)")
        zh.append(f"{s.kpi} {vz}{tgz} {zh_word[s.outcome]}（{s.effect_bp:+g} bp）")
    return "; ".join(en), "；".join(zh)


@dataclasses.dataclass(frozen=True)
class _State:
    """Everything :func:`margin_events_from_record` and :func:`recorded_schedule` share."""

    verified: dict[int, RecordedObservation]
    reported: dict[int, RecordedObservation]
    adj: np.ndarray                         # (O,) verified adjustment per observation [bp], 0 where none
    spts: dict[int, list[SptOutcome]]
    ind_adj: dict[int, float]
    ind_spts: dict[int, list[SptOutcome]]
    events: list[tuple[R.MarginEvent, ChangeKind]]   # recorded (non-indicative) events
    indicative: list[R.MarginEvent]
    future: list[int]                       # observations neither recorded nor past due


def _check_records(deal, observations) -> dict[dt.date, int]:
    by_date = {o.date: i for i, o in enumerate(deal.observations)}
    for j, rec in enumerate(observations):
        if rec.deal_id != deal.id:
            raise InputError(ERR_OTHER_DEAL.format(got=rec.deal_id, want=deal.id), field="deal_id", row=j + 1,
                             value=rec.deal_id)
        if rec.observation_date not in by_date:
            raise InputError(ERR_UNKNOWN_OBSERVATION.format(
                date=rec.observation_date, deal=deal.id, dates=", ".join(str(d) for d in by_date)),
                field="observation_date", row=j + 1, unit="date YYYY-MM-DD", value=str(rec.observation_date))
        if rec.certificate_delivered is not None and rec.certificate_delivered < rec.observation_date:
            raise InputError(f"certificate delivered {rec.certificate_delivered} before the observation date "
                             f"{rec.observation_date}", field="certificate_delivered", row=j + 1,
                             unit="date YYYY-MM-DD", value=str(rec.certificate_delivered))
    return by_date


def _state(deal, observations: list[RecordedObservation], as_of: dt.date) -> _State:

    by_date = _check_records(deal, observations)
    loan = deal.loan.resolved()
    r = deal.ratchet
    cal = get_calendar(loan.calendar)
    periods = interest_periods(loan)
    starts = [p.start for p in periods]
    maturity = periods[-1].end
    n = len(deal.observations)

    verified: dict[int, RecordedObservation] = {}
    reported: dict[int, RecordedObservation] = {}
    for rec in observations:  # later records supersede earlier ones (a restatement is recorded after)
        i = by_date[rec.observation_date]
        if rec.status == "verified" and rec.certificate_delivered <= as_of:
            verified[i] = rec
        elif rec.status == "reported" and (rec.reported_on or deal.observations[i].date) <= as_of:
            reported[i] = rec
    adj = np.zeros(n)
    spts: dict[int, list[SptOutcome]] = {}
    for i, rec in verified.items():
        adj[i], spts[i] = observation_adjustment(deal, i, rec.kpis, rec.grade)
        for s in spts[i]:
            want = rec.outcomes.get(s.kpi)
            if want is not None and s.outcome != "scored" and want != s.outcome:
                raise InputError(ERR_OUTCOME_MISMATCH.format(kpi=s.kpi, date=rec.observation_date, recorded=want,
                                                             value=s.value, spt=s.spt, computed=s.outcome),
                                 field=f"outcomes.{s.kpi}", row=i + 1, value=want)
    ind_adj, ind_spts = {}, {}
    for i, rec in reported.items():
        if i not in verified:
            ind_adj[i], ind_spts[i] = observation_adjustment(deal, i, rec.kpis, rec.grade)

    events: list[tuple[R.MarginEvent, ChangeKind]] = []
    indicative: list[R.MarginEvent] = []
    future: list[int] = []
    for i, o in enumerate(deal.observations):
        due = o.certificate_due
        if i in verified:
            d = verified[i].certificate_delivered
            proxy = types.SimpleNamespace(date=o.date, certificate_due=due, certificate_delivered=d)
            for e in R.margin_events([proxy], r.timing, starts, cal, maturity):
                if e.regime == R.regime_failure(0):
                    events.append((R.MarginEvent(e.date, R.regime_failure(i), i, e.reason), "reporting_failure"))
                else:
                    events.append((R.MarginEvent(e.date, R.regime_actual(i), i, e.reason),
                                   "cure" if d > due else "result"))
        elif as_of > due:
            eff = R.effective_date(due, r.timing, starts, cal)
            if eff is not None and eff < maturity:
                events.append((R.MarginEvent(eff, R.regime_failure(i), i,
                                             f"obs {o.date}: certificate due {due} not delivered, all targets missed"),
                               "reporting_failure"))
        else:
            future.append(i)
            if i in ind_adj:
                eff = R.effective_date(due, r.timing, starts, cal)
                if eff is not None and eff < maturity:
                    indicative.append(R.MarginEvent(eff, R.regime_actual(i), i,
                                                    f"obs {o.date}: reported figures, certificate assumed on {due}"))
    events.sort(key=lambda t: (t[0].date, t[0].regime))
    return _State(verified, reported, adj, spts, ind_adj, ind_spts, events, indicative, future)


def margin_events_from_record(deal, observations: list[RecordedObservation], as_of: dt.date) -> list[MarginChange]:
    """Margin changes of a deal from what the deal book recorded, on a given day.

    Parameters
    ----------
    deal : finance.deal.Deal
    observations : list of RecordedObservation
        Recorded observations of this deal, oldest first (a later record of the same observation date and status
        supersedes an earlier one, e.g. a restated statement). Verified records count from their certificate
        delivery date, reported ones from ``reported_on`` (else the observation date); later ones are ignored.
    as_of : datetime.date
        The day of the view: a certificate due before ``as_of`` and not delivered by then is a reporting failure.

    Returns
    -------
    list of MarginChange
        Recorded changes (``in_force`` / ``scheduled``) in effective-date order, then the ``indicative`` ones.
        Per observation:

        * verified, certificate on time: one ``result`` change, effective by the deal's timing rule from the
          delivery date (:func:`finance.ratchet.effective_date`);
        * verified, certificate late: a ``reporting_failure`` (all SPTs missed,
          :func:`finance.ratchet.failure_adjustment`) effective by the timing rule from the due date, then the
          ``cure`` with the verified results from the delivery date (the failure is dropped when the cure takes
          effect first, as in :func:`finance.ratchet.margin_events`);
        * nothing verified and the due date passed: a ``reporting_failure``, automatically;
        * reported figures only, due date not passed: an ``indicative`` change assuming the certificate is
          delivered on its due date; it is never in force and never moves ``margin_before_bp`` of later changes.

        Totals follow :func:`finance.ratchet.regime_adjustments` (cap, cumulation) and the margin floor. Changes
        that take effect on or after maturity are dropped (no accrual left).

    Raises
    ------
    InputError
        A record of another deal or of a date that is not an observation date of the deal; a recorded SPT outcome
        that the verified value and the deal's SPT contradict.
    """
    st = _state(deal, observations, as_of)
    loan = deal.loan
    r = deal.ratchet
    reg = _regimes(deal, st.adj[None, :])[0]
    floor = r.margin_floor_bp
    t_en, t_zh = _timing_text(r.timing)
    f_en, f_zh = _timing_text(r.timing, failure=True)

    def margin(total):
        return max(floor, loan.margin_bp + float(total))

    out: list[MarginChange] = []
    current = float(loan.margin_bp)
    in_force_at: list[tuple[dt.date, float]] = []
    for ev, kind in st.events:
        i = ev.observation
        o = deal.observations[i]
        rec = st.verified.get(i)
        total = float(reg[ev.regime])
        after = margin(total)
        d = rec.certificate_delivered if rec is not None else None
        if kind == "reporting_failure":
            en = (f"Observation {o.date}: compliance certificate due {o.certificate_due} not delivered by its due "
                  f"date; all SPTs counted as missed ({total:+g} bp in force) from {ev.date} ({f_en}).")
            zh = (f"观察日{o.date}：合规证书应于{o.certificate_due}交付而未交付，全部可持续发展绩效目标视为未达成"
                  f"（调整合计{total:+g} bp），自{ev.date}起生效（{f_zh}）。")
            spts = []
        else:
            s_en, s_zh = _spt_text(st.spts[i])
            late = (d - o.certificate_due).days
            when_en = (f"certificate delivered {d}, {late} days late (cures the reporting failure)" if kind == "cure"
                       else f"certificate delivered {d}")
            when_zh = f"证书于{d}交付，逾期{late}天（纠正报告违约）" if kind == "cure" else f"证书于{d}交付"
            en = (f"Observation {o.date}: verified results {s_en}; statement {rec.statement_id}; {when_en}; "
                  f"total adjustment {total:+g} bp from {ev.date} ({t_en}).")
            zh = (f"观察日{o.date}：核证结果 {s_zh}；核证声明{rec.statement_id}；{when_zh}；"
                  f"调整合计{total:+g} bp，自{ev.date}起生效（{t_zh}）。")
            spts = st.spts[i]
        out.append(MarginChange(
            deal_id=deal.id, observation=i + 1, observation_date=o.date, kind=kind,
            status="in_force" if ev.date <= as_of else "scheduled", effective_date=ev.date,
            trigger_date=o.certificate_due if kind == "reporting_failure" else d, certificate_due=o.certificate_due,
            certificate_delivered=d, contractual_margin_bp=float(loan.margin_bp), ratchet_adjustment_bp=total,
            margin_before_bp=current, margin_after_bp=after, spts=spts,
            statement_id=rec.statement_id if rec is not None and kind != "reporting_failure" else None,
            statement_sha256=rec.statement_sha256 if rec is not None and kind != "reporting_failure" else None,
            record_id=rec.record_id if rec is not None else None, regime=ev.regime, reason_en=en, reason_zh=zh))
        in_force_at.append((ev.date, after))
        current = after

    if st.indicative:
        adj_ind = st.adj.copy()
        for i, a in st.ind_adj.items():
            adj_ind[i] = a
        reg_ind = _regimes(deal, adj_ind[None, :])[0]
        for ev in st.indicative:
            i = ev.observation
            o = deal.observations[i]
            rec = st.reported[i]
            total = float(reg_ind[ev.regime])
            before = next((m for d_, m in reversed(in_force_at) if d_ <= ev.date), float(loan.margin_bp))
            s_en, s_zh = _spt_text(st.ind_spts[i])
            en = (f"INDICATIVE, reported figures not verified: observation {o.date}: {s_en}; would give a total "
                  f"adjustment of {total:+g} bp from {ev.date} if verified as reported and certified by "
                  f"{o.certificate_due}. Does not change the margin in force.")
            zh = (f"仅供参考（报告数据，未经核证）：观察日{o.date}：{s_zh}；若按报告数据核证并于{o.certificate_due}前"
                  f"交付证书，调整合计{total:+g} bp，自{ev.date}起生效。不改变现行利差。")
            out.append(MarginChange(
                deal_id=deal.id, observation=i + 1, observation_date=o.date, kind="result", status="indicative",
                effective_date=ev.date, trigger_date=o.certificate_due, certificate_due=o.certificate_due,
                contractual_margin_bp=float(loan.margin_bp), ratchet_adjustment_bp=total,
                margin_before_bp=before, margin_after_bp=margin(total), spts=st.ind_spts[i],
                record_id=rec.record_id, regime=ev.regime, reason_en=en, reason_zh=zh))
    return out


def margin_in_force(changes: list[MarginChange], on: dt.date, contractual_margin_bp: float) -> float:
    """Margin in force on a day [bp]: the latest non-indicative change effective on or before ``on``."""
    m = float(contractual_margin_bp)
    for c in sorted((c for c in changes if c.status != "indicative"), key=lambda c: (c.effective_date, c.regime)):
        if c.effective_date <= on:
            m = c.margin_after_bp
    return m


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
