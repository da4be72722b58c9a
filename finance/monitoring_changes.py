"""Margin changes of a sustainability-linked loan from what the deal book recorded.

Part of :mod:`finance.monitoring` (split by concern; import the public names from there): recorded observations
(verified KPI values, SPTs met / missed, statement id and hash, certificate delivery date) become dated margin
changes with the deal's ratchet and timing rule, reusing :mod:`finance.ratchet`; a late or missing certificate by
:func:`finance.monitoring_late.certificate_events`. Reported-only figures give **indicative** changes that never
enter the margin in force.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import inspect

import numpy as np
from pydantic import Field

from finance import ratchet as R
from finance.calendars import get_calendar
from finance.monitoring_late import certificate_events
from finance.monitoring_records import (
    ERR_OTHER_DEAL,
    ERR_OUTCOME_MISMATCH,
    ERR_UNKNOWN_OBSERVATION,
    ChangeKind,
    ChangeStatus,
    RecordedObservation,
    SptOutcome,
    _Model,
)
from finance.schedule import interest_periods
from finance.statement import load_catalogue
from finance.terms import InterpolatedRatchet, ScoreGridRatchet, SptRatchet
from index.errors import InputError
from index.methodology import load_methodology


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


@functools.cache
def kpi_name(kpi: str, lang: str) -> str:
    """A KPI by name in ``lang`` (``zh`` / ``en``): the index totals and derived KPIs from the statement catalogue
    (``data/statements/catalogue.toml`` ``[kpi_names]``), an indicator by its methodology name (``name_zh`` /
    ``name_en`` of the default methodology); an unknown id as given."""
    names = load_catalogue().get("kpi_names", {})
    if kpi in names:
        return names[kpi][lang]
    ind = load_methodology().indicators.get(kpi)
    if ind is None:
        return kpi
    return ind.name_zh if lang == "zh" else ind.name_en


def _spt_text(spts: list[SptOutcome]) -> tuple[str, str]:
    """The SPT outcomes in words: English by KPI id (as recorded), Chinese by KPI name (:func:`kpi_name`)."""
    zh_word = {"met": "达成", "band": "容差内不调整", "missed": "未达成", "scored": "评分"}
    en, zh = [], []
    for s in spts:
        v = "not reported" if s.value is None else f"{s.value:g}"
        vz = "未报告" if s.value is None else f"{s.value:g}"
        tgt = "" if s.spt is None else f" vs SPT {s.spt:g}"
        tgz = "" if s.spt is None else f"，目标{s.spt:g}"
        en.append(f"{s.kpi} {v}{tgt} {s.outcome} ({s.effect_bp:+g} bp)")
        zh.append(f"{kpi_name(s.kpi, 'zh')} {vz}{tgz} {zh_word[s.outcome]}（{s.effect_bp:+g} bp）")
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
        got = certificate_events(i, o, verified[i].certificate_delivered if i in verified else None, as_of,
                                 r.timing, starts, cal, maturity)
        if got is not None:
            events += got
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


#: order of recorded changes of one deal: the later effective date wins; on the same day the later ratchet regime
#: (a cure after the reporting failure it cures). :func:`margin_in_force` and the portfolio's vectorised
#: margin in force (``workflows.portfolio``) both sort by these fields.
MARGIN_ORDER = ("effective_date", "regime")


def margin_order(c: MarginChange) -> tuple:
    """Sort key of :data:`MARGIN_ORDER` for one change."""
    return tuple(getattr(c, f) for f in MARGIN_ORDER)


def margin_in_force(changes: list[MarginChange], on: dt.date, contractual_margin_bp: float) -> float:
    """Margin in force on a day [bp]: the latest non-indicative change effective on or before ``on``
    (order :data:`MARGIN_ORDER`)."""
    m = float(contractual_margin_bp)
    for c in sorted((c for c in changes if c.status != "indicative"), key=margin_order):
        if c.effective_date <= on:
            m = c.margin_after_bp
    return m


