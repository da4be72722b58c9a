"""Baselines for sustainability-linked loan targets, and their recalculation.

A baseline is the KPI level that milestone targets (SPTs) improve on. Following the Sustainability-Linked
Loan Principles [1]_ it is one year, or the average of up to three years, of **verified** data; at index level
(the GCPI total) and for every indicator. A facility still being planned or built has no metered year: its
baseline is a **design-stage** baseline, from a period of design values (status ``design``), to be replaced by
a verified baseline once the facility has 12 months of operation.

Averaging: each KPI is the arithmetic mean of its yearly values (index points, PUE, shares...), the
convention of SLL baselines stated "as the average of FY2022–FY2024". A KPI missing in one of the years is
averaged over the years that have it, and the result says so.

Recalculation events (acquisition or disposal of capacity above a threshold, a new methodology version, a
restatement of data) recompute the baseline and the SPTs; :class:`Recalculation` keeps the old and the new
values with the reason. The capacity threshold is data (``data/targets/recalculation.toml``, 5 % of design IT
power by default).

References
----------
.. [1] LMA / APLMA / LSTA (2023) *Sustainability-Linked Loan Principles*, §2 (Calibration of SPTs: baseline,
   benchmarking, recalculation) and guidance on recalculation of baselines.
"""

from __future__ import annotations

import tomllib
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from index.engine import score
from index.errors import InputError
from index.methodology import load_methodology
from index.models import Facility, PeriodData
from index.reference import data_dir

#: most years averaged in a baseline (SLLP practice: up to three)
MAX_BASELINE_YEARS = 3
STATUS_RANK = {"design": 0, "reported": 1, "verified": 2}
#: KPIs derived here from period figures (not indicators of the methodology)
DERIVED_KPIS = ("erf",)


def kpi_from_result(result, period: PeriodData, kpi: str) -> float | None:
    """A KPI value of one scored period [KPI unit].

    ``index`` (total), ``core``, ``addon``, any indicator id (its raw value, e.g. ``pue`` [-],
    ``renewable_share`` [fraction]), the engine's extra quantities, or ``erf`` (waste heat reused / total
    energy [fraction], ISO/IEC 30134-6).

    Raises
    ------
    InputError
        Unknown KPI name.
    """
    if kpi == "erf":
        w, t = period.waste_heat_reused_kwh, period.total_energy_kwh
        if w is None or t is None or t.value == 0:
            return None
        return w.value / t.value
    try:
        return result.kpi(kpi)
    except KeyError as exc:
        raise InputError(str(exc.args[0]), field="kpi", value=kpi) from None


class Baseline(BaseModel):
    """A KPI baseline.

    Attributes
    ----------
    facility_id : str
    periods : tuple of str
        Period labels the baseline is computed from (1 to 3).
    base_year : int
        The (last) baseline year; SPT paths start here.
    method : {"single_year", "average", "design"}
    status : {"design", "reported", "verified"}
        Weakest status of the periods used.
    as_of : datetime.date
        End of the last baseline period (the baseline's date).
    kpis : dict
        KPI → baseline value [KPI unit] (``index`` in points, indicators in their unit); None when missing.
    per_period : dict
        Period label → KPI → value, the yearly values averaged.
    grade : str or None
        Grade of the last baseline period.
    version : int
        1 for the first baseline, +1 at each recalculation.
    reason : str or None
        Why this version exists (set on recalculation).
    notes : tuple of str
        In English.
    note_codes : tuple of dict
        The same notes as codes for a reader's language: ``{"code", "params"}`` with code
        ``baseline.not_consecutive`` (``years``), ``baseline.partial_average`` (``kpi``, ``n``, ``of``),
        ``baseline.design_stage`` (``stage``) or ``baseline.provisional``; one per note, in the same order.
    """

    model_config = ConfigDict(frozen=True)

    facility_id: str
    periods: tuple[str, ...]
    base_year: int
    method: Literal["single_year", "average", "design"]
    status: Literal["design", "reported", "verified"]
    as_of: date
    kpis: dict[str, float | None]
    per_period: dict[str, dict[str, float | None]]
    grade: str | None = None
    methodology_id: str
    methodology_sha256: str
    version: int = 1
    reason: str | None = None
    notes: tuple[str, ...] = ()
    note_codes: tuple[dict, ...] = ()

    def value(self, kpi: str) -> float:
        """Baseline value of a KPI.

        Raises
        ------
        InputError
            KPI not in the baseline, or missing in every baseline period.
        """
        if kpi not in self.kpis:
            raise InputError(f"KPI {kpi!r} is not in the baseline; it has {', '.join(self.kpis)}", field="kpi",
                             value=kpi)
        v = self.kpis[kpi]
        if v is None:
            raise InputError(f"KPI {kpi!r} is missing in every baseline period ({', '.join(self.periods)})",
                             field=kpi, row=", ".join(self.periods))
        return v


def compute_baseline(facility: Facility, periods=None, *, methodology=None, allow_reported: bool = False,
                     file: str | None = None) -> Baseline:
    """Baseline of every KPI from one period or the average of up to three.

    Parameters
    ----------
    facility : Facility
    periods : sequence of str, optional
        Period labels (1 to 3). Default: the latest verified period (operation stage) or the latest
        period (planning / construction stage: a design baseline).
    methodology : Methodology, optional
    allow_reported : bool
        Accept reported (unverified) periods for a provisional baseline; the baseline's status is then
        ``reported``. Loan baselines should be verified.
    file : str, optional
        Facility file, for error messages.

    Returns
    -------
    Baseline

    Raises
    ------
    InputError
        No period, more than three, an unknown label, an unverified period (unless ``allow_reported``),
        a design-status period for a facility in operation, or a period that is not a calendar year.

    Examples
    --------
    >>> from index.models import load_facility
    >>> f = load_facility("data/facilities/demo-zjk-hyperscale.toml")
    >>> b = compute_baseline(f, ["2023", "2024"])
    >>> round(b.kpis["pue"], 3)   # (1.25 + 1.21) / 2
    1.23
    """

    m = methodology or load_methodology()
    design_stage = facility.lifecycle_stage in ("planning", "construction")
    if periods is None:
        if not facility.periods:
            raise InputError(f"facility {facility.id!r} has no period to take a baseline from", file=file,
                             field="periods")
        if design_stage:
            periods = [facility.periods[-1].label]
        else:
            ok = [p for p in facility.periods if p.status == "verified" or (allow_reported and p.status == "reported")]
            if not ok:
                raise InputError(f"facility {facility.id!r} has no verified period for a baseline; verify one or "
                                 "pass allow_reported for a provisional baseline", file=file, field="periods")
            periods = [ok[-1].label]
    periods = [str(p) for p in periods]
    if not 1 <= len(periods) <= MAX_BASELINE_YEARS:
        raise InputError(f"a baseline uses 1 to {MAX_BASELINE_YEARS} periods, got {len(periods)}", file=file,
                         field="baseline.periods", value=periods)
    if len(set(periods)) != len(periods):
        raise InputError("a baseline period is listed twice", file=file, field="baseline.periods", value=periods)
    pers = []
    for lab in periods:
        try:
            pers.append(facility.period(lab))
        except InputError as exc:
            raise InputError(exc.message, file=file, field="baseline.periods", value=lab) from None
    pers.sort(key=lambda p: p.start)
    notes: list[str] = []
    codes: list[dict] = []
    for p in pers:
        if (p.end - p.start).days not in (364, 365):
            raise InputError(f"baseline period {p.label} runs {p.start} to {p.end}: a baseline year must be 12 "
                             "months", file=file, field="baseline.periods", row=f"period {p.label}")
        if p.status == "design" and not design_stage:
            raise InputError(f"period {p.label} holds design values but the facility is in operation: an operating "
                             "facility's baseline uses metered data", file=file, field="status",
                             row=f"period {p.label}", value=p.status)
        if p.status == "reported" and not (allow_reported or design_stage):
            raise InputError(f"period {p.label} is reported, not verified: a loan baseline uses verified data "
                             "(pass allow_reported for a provisional baseline)", file=file, field="status",
                             row=f"period {p.label}", value=p.status)
    years = [p.year for p in pers]
    if len(years) > 1 and any(b - a != 1 for a, b in zip(years, years[1:], strict=False)):
        notes.append(f"baseline years are not consecutive: {', '.join(map(str, years))}")
        codes.append({"code": "baseline.not_consecutive", "params": {"years": years}})
    per_period: dict[str, dict[str, float | None]] = {}
    results = []
    for p in pers:
        r = score(facility, p, m)
        results.append(r)
        vals: dict[str, float | None] = {"index": r.total, "core": r.core, "addon": r.addon}
        for iid in m.indicators:
            vals[iid] = r.indicators[iid].raw_value if not r.indicators[iid].missing else None
        for extra in ("cue_location", "scope1_t", "scope2_location_t", "scope2_market_t", "cfe_score",
                      "hourly_matched_share"):
            vals[extra] = r.extra.get(extra)
        for d in DERIVED_KPIS:
            vals[d] = kpi_from_result(r, p, d)
        per_period[p.label] = vals
    kpis: dict[str, float | None] = {}
    for k in per_period[pers[0].label]:
        xs = [per_period[p.label][k] for p in pers if per_period[p.label][k] is not None]
        kpis[k] = sum(xs) / len(xs) if xs else None
        if xs and len(xs) < len(pers):
            notes.append(f"{k}: averaged over {len(xs)} of {len(pers)} baseline periods (missing in the others)")
            codes.append({"code": "baseline.partial_average", "params": {"kpi": k, "n": len(xs), "of": len(pers)}})
    status = min((p.status for p in pers), key=STATUS_RANK.__getitem__)
    if design_stage:
        method = "design"
        status = "design" if status != "verified" else status
        notes.append(f"design-stage baseline ({facility.lifecycle_stage}): replace it with a verified baseline "
                     "after 12 months of operation")
        codes.append({"code": "baseline.design_stage", "params": {"stage": facility.lifecycle_stage}})
    else:
        method = "single_year" if len(pers) == 1 else "average"
    if status == "reported":
        notes.append("provisional baseline from reported (unverified) data")
        codes.append({"code": "baseline.provisional", "params": {}})
    return Baseline(facility_id=facility.id, periods=tuple(p.label for p in pers), base_year=pers[-1].year,
                    method=method, status=status, as_of=pers[-1].end, kpis=kpis, per_period=per_period,
                    grade=results[-1].grade, methodology_id=m.id, methodology_sha256=m.sha256, notes=tuple(notes),
                    note_codes=tuple(codes))


# ------------------------------------------------------------------ recalculation


def recalculation_policy() -> dict:
    """The recalculation thresholds of ``data/targets/recalculation.toml`` (with their sources)."""

    with open(data_dir() / "targets" / "recalculation.toml", "rb") as f:
        return tomllib.load(f)


class RecalculationEvent(BaseModel):
    """Something that may require the baseline and the SPTs to be recomputed.

    Attributes
    ----------
    kind : {"acquisition", "disposal", "methodology", "restatement"}
    date : datetime.date
    reason : str
        In words, for the record (e.g. "hall 5 acquired from X, 12 MW").
    capacity_change_kw : float, optional
        Design IT power acquired (+) or disposed of (−) [kW]; required for acquisition / disposal.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["acquisition", "disposal", "methodology", "restatement"]
    date: date
    reason: str = Field(min_length=1)
    capacity_change_kw: float | None = None


class Recalculation(BaseModel):
    """Outcome of a recalculation event: old and new baseline and SPT plan, both kept, with the reason.

    Attributes
    ----------
    triggered : bool
        False when the event is below the threshold (the old values stay in force).
    share : float or None
        Capacity change / design IT power [fraction] (acquisition / disposal).
    threshold : float or None
    note : str
        The outcome in words (English).
    note_code, note_params
        The same as a code for a reader's language: ``recalc.below_threshold`` (``share``, ``threshold``
        [fraction]) or ``recalc.changed`` (``old_version``, ``new_version``, ``changed``: KPI values changed).
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    event: RecalculationEvent
    triggered: bool
    share: float | None = None
    threshold: float | None = None
    old_baseline: Baseline
    new_baseline: Baseline
    old_plan: object | None = None
    new_plan: object | None = None
    note: str
    note_code: str = ""
    note_params: dict = Field(default_factory=dict)


def recalculate(baseline: Baseline, event: RecalculationEvent, facility: Facility, *, methodology=None,
                plan=None, allow_reported: bool = False) -> Recalculation:
    """Recompute a baseline (and its SPT plan) after a recalculation event.

    Parameters
    ----------
    baseline : Baseline
        The baseline in force.
    event : RecalculationEvent
    facility : Facility
        The facility *after* the event: restated period data, or the new perimeter (its baseline periods
        pro-forma including the acquired capacity / excluding the disposed one), with the same period labels.
    methodology : Methodology, optional
        The new methodology (``methodology`` events) or the one in force.
    plan : index.targets.SptPlan, optional
        The SPT plan to rebase (see :meth:`index.targets.SptPlan.rebase`).

    Returns
    -------
    Recalculation

    Raises
    ------
    InputError
        Acquisition / disposal without ``capacity_change_kw``, a facility without design IT power, or a
        different facility id.
    """
    if facility.id != baseline.facility_id:
        raise InputError(f"the baseline is for {baseline.facility_id!r}, not {facility.id!r}", field="facility.id")
    share = threshold = None
    if event.kind in ("acquisition", "disposal"):
        if event.capacity_change_kw is None:
            raise InputError(f"a {event.kind} needs the capacity change", field="capacity_change_kw", unit="kW")
        if facility.design_it_power_kw is None or facility.design_it_power_kw.value <= 0:
            raise InputError("design IT power is needed to weigh a capacity change", field="design_it_power_kw",
                             unit="kW")
        before = facility.design_it_power_kw.value - event.capacity_change_kw
        share = abs(event.capacity_change_kw) / (before if before > 0 else facility.design_it_power_kw.value)
        threshold = float(recalculation_policy()["capacity_change"]["threshold_share"])
        if share < threshold:
            return Recalculation(event=event, triggered=False, share=share, threshold=threshold,
                                 old_baseline=baseline, new_baseline=baseline, old_plan=plan, new_plan=plan,
                                 note=f"capacity change {share:.1%} of design IT power is below the "
                                      f"{threshold:.0%} recalculation threshold: baseline and SPTs unchanged",
                                 note_code="recalc.below_threshold", note_params={"share": share,
                                                                                  "threshold": threshold})
    new = compute_baseline(facility, list(baseline.periods), methodology=methodology,
                           allow_reported=allow_reported or baseline.status == "reported")
    new = new.model_copy(update={"version": baseline.version + 1,
                                 "reason": f"{event.kind} on {event.date}: {event.reason}"})
    new_plan = plan.rebase(new, reason=new.reason) if plan is not None else None
    changed = [k for k in new.kpis if new.kpis[k] != baseline.kpis.get(k)]
    return Recalculation(event=event, triggered=True, share=share, threshold=threshold, old_baseline=baseline,
                         new_baseline=new, old_plan=plan, new_plan=new_plan,
                         note=f"baseline v{baseline.version} → v{new.version}; "
                              f"{len(changed)} KPI value(s) changed",
                         note_code="recalc.changed", note_params={"old_version": baseline.version,
                                                                  "new_version": new.version,
                                                                  "changed": len(changed)})
