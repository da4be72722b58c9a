"""Deal files: one facility, loan terms, ratchet terms, SPTs and KPI outcomes per observation date.

A deal file is TOML (``dcsll schema deal`` prints its JSON schema; ``data/deals/`` has a sample). Per
observation date the outcome is either a *verified* index result given inline (``[observations.verified]``:
``index_total``, ``grade``, KPI values) or the label of one of the facility's periods, scored with the GCPI
index engine (``index.engine.score``, called by :mod:`workflows`). An observation with neither is in the future: a scenario supplies it.

Scenarios: ``actual`` (every observation must have an outcome), ``met`` / ``missed`` (observations without an
outcome are all met / all missed; those with one keep it), and the deal's own ``[[scenarios]]`` with a
probability and one outcome per observation (``"met"``, ``"missed"``, ``"actual"`` or a verified result).

The engines here take a :class:`Deal` and, for observations that name a facility period, that period's
:class:`index.result.IndexResult` (``results`` keyed by period label; :mod:`workflows` scores them). Nothing
here reads a file except :func:`load_deal`, the loader of the CLI's file form.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from common.errors import InputError, InputErrors, from_validation_error
from common.inputfile import check_tree
from common.tomlio import read_toml
from finance import conventions as C
from finance import ratchet as R
from finance.calendars import get_calendar
from finance.deal_checks import plausibility_errors, require_loan_test_usable
from finance.monitoring import MonitoringTerms
from finance.ratchet import kpi_direction
from finance.schedule import build_plan, interest_periods, payment_period, price, schedule_frame
from finance.terms import (
    InterpolatedRatchet,
    LoanTerms,
    RatchetTerms,
    RateFixing,
    ScoreGridRatchet,
    SptRatchet,
)
from finance.valuation import value

BUILTIN_SCENARIOS = ("actual", "met", "missed")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ObservationResult(_Model):
    """The index result of one observation date: verified inline in the deal (``[observations.verified]``,
    what the verifier's statement certifies, ``source = "verified"``), scored by the index engine from the
    facility period the observation names (``source`` names period and methodology; the figures are whatever
    the period's status says, reported or verified), or assumed by a scenario."""

    index_total: float | None = Field(None, description="GCPI total, core plus add-on [score 0-110].")
    core: float | None = Field(None, description="GCPI core score [score 0-100].")
    grade: str | None = Field(None, description="Grade, '5A'..'1A' or 'below 1A'.")
    kpis: dict[str, float] = Field(default_factory=dict, description="Indicator values by id, e.g. pue [-].")
    methodology_id: str | None = None
    statement_id: str | None = Field(None, description="Verification statement reference.")
    source: str = "verified"

    def value(self, kpi: str) -> float:
        """KPI value, NaN when not reported ('index' = total, 'core' = core score)."""
        v = {"index": self.index_total, "core": self.core}.get(kpi, self.kpis.get(kpi))
        return math.nan if v is None else float(v)


#: former name of :class:`ObservationResult` (a result scored from reported figures is not verified)
VerifiedResult = ObservationResult


class Observation(_Model):
    """One observation (test) date with its SPTs and certificate dates."""

    date: dt.date = Field(description="Observation (test) date, the end of the test period.")
    test_period_start: dt.date | None = None
    test_period_end: dt.date | None = None
    period: str | None = Field(None, description="Facility period label scored with the index engine, e.g. '2025'.")
    certificate_due: dt.date = Field(description="Date the compliance certificate is due.")
    certificate_delivered: dt.date | None = Field(
        None, description="Date it was delivered; empty = on the due date (future certificates).")
    spt: dict[str, float | str] = Field(description="SPT per KPI [KPI unit], e.g. {index = 72, pue = 1.25}.")
    verified: ObservationResult | None = None


class Scenario(_Model):
    """An outcome path: one outcome per observation date, with a probability."""

    name: str
    probability: float = Field(ge=0, le=1)
    outcomes: list[Literal["met", "missed", "actual"] | ObservationResult]


class Deal(_Model):
    """A sustainability-linked loan deal."""

    id: str
    name: str = ""
    borrower: str = ""
    facility: str | dict | None = Field(None, description="Facility id in data/facilities/, or an inline facility.")
    loan: LoanTerms
    ratchet: RatchetTerms
    observations: list[Observation] = Field(min_length=1)
    scenarios: list[Scenario] = Field(default_factory=list)
    monitoring: MonitoringTerms = Field(default_factory=MonitoringTerms,
                                        description="Monitoring terms (KPI report due date rule); issue 12.")
    verification_cost_per_year: float | None = Field(None, ge=0, description="Yearly verification cost [ccy/yr].")
    valuation_date: dt.date | None = None
    default_scenario: str = Field("actual", description="Scenario used by `dcsll cashflows` without --scenario.")
    methodology: str | None = Field(None, description="Pinned GCPI methodology id (e.g. 'gcpi-2025'); default: "
                                    "the product default (gcpi-2024).")
    methodology_sha256: str | None = Field(None, description="SHA-256 of the methodology file pinned at signing.")
    reference_sha256: str | None = Field(None, description="SHA-256 of the reference-data bundle pinned at signing "
                                         "(index.reference.pinned_bundle); later data never moves past scores.")


def with_fixings(deal: Deal, fixings: list[dict]) -> Deal:
    """The deal with published base-rate fixings merged into ``loan.base_rate.path``.

    Parameters
    ----------
    deal : Deal
    fixings : list of dict
        ``{"from": date, "rate_pct": float}`` entries [% p.a.], e.g. from
        :func:`finance.conventions.parse_rate_fixings` (CME Term SOFR or SOFR prints dated by fixing date, LPR
        quotations dated by publication).

    Returns
    -------
    Deal
        A copy whose rate path is the union of the deal's own path and ``fixings``; where both give a rate for
        the same date, the published fixing wins (the path is a step function: a rate applies from its date on).
    """
    path = {f.from_date: f.rate_pct for f in deal.loan.base_rate.path}
    path.update({f["from"]: float(f["rate_pct"]) for f in fixings})
    new_path = [RateFixing.model_validate({"from": d, "rate_pct": r}) for d, r in sorted(path.items())]
    loan = deal.loan.model_copy(update={"base_rate": deal.loan.base_rate.model_copy(update={"path": new_path})})
    return deal.model_copy(update={"loan": loan})


def deal_json_schema() -> dict:
    """JSON schema of the deal file (``dcsll schema deal``)."""
    return Deal.model_json_schema()


_UNITS = {"amount": "CNY or USD", "rate_pct": "% p.a.", "floor_pct": "% p.a.", "margin_bp": "bp",
          "step_down_bp": "bp", "step_up_bp": "bp", "cap_bp": "bp", "adjustment_bp": "bp", "not_reported_bp": "bp",
          "margin_low_bp": "bp", "margin_high_bp": "bp", "margin_floor_bp": "bp", "business_days": "business days",
          "weight": "share 0-1", "probability": "share 0-1", "verification_cost_per_year": "ccy/yr",
          "index_total": "score 0-110", "core": "score 0-100", "interest_day": "day of month"}


def _unit(field: str) -> str | None:
    last = field.rsplit(".", 1)[-1].split("[")[0]
    if "date" in last or last in ("from", "maturity", "grace_end", "certificate_due", "certificate_delivered"):
        return "date YYYY-MM-DD"
    return _UNITS.get(last)


#: discriminated union of the ratchet terms: its tag is left out of field names in errors
_RATCHET_TAGS = {"ratchet": {"spt", "score_grid", "interpolated"}}


def deal_from_dict(document: Mapping, *, file: str | None = None) -> Deal:
    """Validate a deal document (the mapping of a deal TOML file, or a deal-book document).

    Parameters
    ----------
    document : mapping
    file : str, optional
        Where the document came from, named in errors (a path, ``"deal book: deal X"`` ...).

    Raises
    ------
    common.errors.InputErrors
        Every structural, business-rule (:func:`validate_deal`) and plausibility failure found
        (:func:`finance.deal_checks.plausibility_errors`: finite numbers, bounds from
        ``data/validation/deal_limits.toml``, grades, facility id, calendar years), each naming file, field,
        row (1-based index of the array element) and unit.
    """

    if not isinstance(document, Mapping):
        raise InputError(f"a deal must be a table, got {type(document).__name__}", file=file)
    check_tree(document, file=file)  # inf / nan / 400-digit numbers / deep nesting, before pydantic
    try:
        deal = Deal.model_validate(dict(document))
    except ValidationError as exc:
        raise from_validation_error(exc, file=file, units=_unit, union_tags=_RATCHET_TAGS) from None
    errs = plausibility_errors(deal, file, _unit)  # bounds from data/validation/deal_limits.toml
    if not any(e.unit == "date YYYY-MM-DD" for e in errs):  # the schedule checks need calendar-covered dates
        errs += validate_deal(deal, file=file)
    if errs:
        raise InputErrors(errs)
    return deal


def load_deal(path) -> Deal:
    """Read and validate a deal file (:func:`deal_from_dict` of its TOML).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    common.errors.InputErrors
        See :func:`deal_from_dict`; errors name the file.
    """
    return deal_from_dict(read_toml(path), file=str(path))


#: the name the deal book's validator (:mod:`finance.deal_book`) calls :func:`deal_from_dict` by
parse_deal = deal_from_dict


def validate_deal(deal: Deal, file: str | None = None) -> list[InputError]:
    """Business-rule checks of a deal; returns every failure (empty list = valid).

    Checks: currency/base-rate match; maturity after start; drawdowns within the facility amount and the
    availability period; custom repayments summing to the amount drawn; grace end before maturity; base-rate
    path dates unique; observation dates strictly increasing, not after maturity, certificates not before the
    observation; test periods not overlapping; SPT ratchet steps of the right sign, weights summing to 1, cap
    not below one step, an SPT for every ratchet KPI at every observation; score-grid bands covering every
    score; scenario outcomes one per observation and probabilities summing to 1.
    """
    errs: list[InputError] = []

    def err(msg, field, row=None, value=None):
        errs.append(InputError(msg, file=file, field=field, row=row, unit=_unit(field), value=value))

    loan = deal.loan
    conv = C.conventions()
    allowed = conv.currency[loan.currency]["base_rates"]
    if loan.base_rate.index not in allowed:
        err(C.ERR_CURRENCY_BASE_RATE.format(base=loan.base_rate.index, ccy=loan.currency, allowed=allowed),
            "loan.base_rate.index", value=loan.base_rate.index)
    if loan.maturity_date <= loan.start_date:
        err("maturity_date must be after start_date", "loan.maturity_date", value=str(loan.maturity_date))
        return errs
    froms = [f.from_date for f in loan.base_rate.path]
    for i, f in enumerate(froms):
        if i and f <= froms[i - 1]:
            err(f"rate path periods overlap or are not in time order: {froms[i - 1]} then {f}",
                f"loan.base_rate.path[{i}].from", row=i + 1, value=str(f))
    if loan.grace_end is not None and loan.grace_end >= loan.maturity_date:
        err(C.ERR_GRACE_TOO_LONG.format(grace_end=loan.grace_end, maturity=loan.maturity_date), "loan.grace_end",
            value=str(loan.grace_end))
    draws = loan.drawdown_schedule()
    drawn = sum(d.amount for d in draws)
    if drawn > loan.amount + 0.005:
        err(C.ERR_DRAWDOWNS_EXCEED.format(drawn=drawn, amount=loan.amount), "loan.drawdowns", value=drawn)
    avail_end = loan.grace_end or loan.start_date
    if loan.repayment == "bullet":
        avail_end = loan.maturity_date
    elif loan.repayment == "custom" and loan.repayments:
        avail_end = min(r.date for r in loan.repayments)
    for i, d in enumerate(loan.drawdowns):
        if not (loan.start_date <= d.date <= avail_end) or d.date >= loan.maturity_date:
            err(C.ERR_DRAWDOWN_OUTSIDE.format(date=d.date, start=loan.start_date, end=avail_end),
                f"loan.drawdowns[{i}].date", row=i + 1, value=str(d.date))
    if loan.repayment == "custom":
        repaid = sum(r.amount for r in loan.repayments)
        if abs(repaid - drawn) > 0.005:
            err(C.ERR_REPAYMENTS_SUM.format(repaid=repaid, drawn=drawn), "loan.repayments", value=repaid)
        if not errs:
            periods = interest_periods(loan)
            for i, r in enumerate(loan.repayments):
                if payment_period(loan, periods, r.date) is None:
                    err("custom repayment date is not an interest payment date", f"loan.repayments[{i}].date",
                        row=i + 1, value=str(r.date))
    elif loan.repayments:
        err(f"repayments are only used with repayment = 'custom' (got '{loan.repayment}')", "loan.repayments")

    obs = deal.observations
    for i, o in enumerate(obs):
        f = f"observations[{i}]"
        if i and o.date <= obs[i - 1].date:
            err(C.ERR_OBSERVATIONS_NOT_ORDERED.format(prev=obs[i - 1].date, this=o.date), f + ".date", i + 1, str(o.date))
        if o.date > loan.maturity_date:
            err(C.ERR_OBSERVATION_AFTER_MATURITY.format(obs=o.date, maturity=loan.maturity_date), f + ".date", i + 1,
                str(o.date))
        if o.certificate_due < o.date:
            err(C.ERR_CERTIFICATE_BEFORE_OBSERVATION.format(due=o.certificate_due, obs=o.date), f + ".certificate_due",
                i + 1, str(o.certificate_due))
        if o.certificate_delivered is not None and o.certificate_delivered < o.date:
            err("certificate delivered before the observation date", f + ".certificate_delivered", i + 1,
                str(o.certificate_delivered))
        if (o.test_period_start is None) != (o.test_period_end is None):
            err("give both test_period_start and test_period_end, or neither", f + ".test_period_start", i + 1)
        elif o.test_period_start is not None:
            if o.test_period_end < o.test_period_start:
                err("test period ends before it starts", f + ".test_period_end", i + 1, str(o.test_period_end))
            if o.test_period_end > o.date:
                err("test period ends after the observation date", f + ".test_period_end", i + 1, str(o.test_period_end))
            prev = next((p for p in reversed(obs[:i]) if p.test_period_end is not None), None)
            if prev is not None and o.test_period_start <= prev.test_period_end:
                err(C.ERR_TEST_PERIODS_OVERLAP.format(this=f"{o.test_period_start}..{o.test_period_end}",
                                                      prev=f"{prev.test_period_start}..{prev.test_period_end}"),
                    f + ".test_period_start", i + 1, str(o.test_period_start))
        if o.period is not None and o.verified is not None:
            err("give either period (scored by the index engine) or verified, not both", f + ".period", i + 1)

    r = deal.ratchet
    if isinstance(r, SptRatchet):
        own = [k.step_down_bp is not None for k in r.kpis]
        if any(own) and not all(own):
            err(C.ERR_KPI_STEPS_MIXED, "ratchet.kpis", value=sum(own))
        elif r.step_down_bp is None and not all(own):
            err(C.ERR_STEP_DOWN_MISSING, "ratchet.step_down_bp")
        if r.step_down_bp is not None and r.step_down_bp >= 0:
            err(C.ERR_STEP_DOWN_SIGN, "ratchet.step_down_bp", value=r.step_down_bp)
        if r.step_up_bp < 0:
            err(C.ERR_STEP_UP_SIGN, "ratchet.step_up_bp", value=r.step_up_bp)
        for j, k in enumerate(r.kpis):
            if k.step_down_bp is not None and k.step_down_bp >= 0:
                err(C.ERR_STEP_DOWN_SIGN, f"ratchet.kpis[{j}].step_down_bp", j + 1, k.step_down_bp)
            if k.step_up_bp is not None and k.step_up_bp < 0:
                err(C.ERR_STEP_UP_SIGN, f"ratchet.kpis[{j}].step_up_bp", j + 1, k.step_up_bp)
        if not any(own):
            total = sum(k.weight for k in r.kpis)
            if abs(total - 1.0) > 1e-9:
                err(C.ERR_WEIGHTS_SUM.format(total=total), "ratchet.kpis", value=total)
        # the cap bounds the total: it must let at least the smallest single KPI step apply in full
        single = [abs(x) for pair in r.kpi_steps() for x in pair if x]
        if r.cap_bp is not None and single and r.cap_bp < min(single):
            err(C.ERR_CAP_BELOW_STEP.format(cap=r.cap_bp, step=min(single)), "ratchet.cap_bp", value=r.cap_bp)
        for j, k in enumerate(r.kpis):
            try:
                kpi_direction(k)
            except KeyError:
                err(C.ERR_KPI_UNKNOWN.format(kpi=k.kpi), f"ratchet.kpis[{j}].kpi", j + 1, k.kpi)
            for i, o in enumerate(obs):
                if k.kpi not in o.spt:
                    err(C.ERR_SPT_MISSING.format(obs=o.date, kpi=k.kpi), f"observations[{i}].spt", i + 1)
                elif not isinstance(o.spt[k.kpi], int | float):
                    err(f"SPT for '{k.kpi}' must be a number", f"observations[{i}].spt.{k.kpi}", i + 1, o.spt[k.kpi])
    elif isinstance(r, ScoreGridRatchet):
        by_grade = [b.grade is not None for b in r.bands]
        by_score = [b.min_score is not None for b in r.bands]
        if not (all(by_grade) and not any(by_score)) and not (all(by_score) and not any(by_grade)):
            err("score-grid bands must all give a grade, or all give a min_score", "ratchet.bands")
        elif all(by_score) and min(b.min_score for b in r.bands) > 0:
            err("the lowest score band must start at 0 so every score has an adjustment", "ratchet.bands",
                value=min(b.min_score for b in r.bands))
        steps = [abs(b.adjustment_bp) for b in r.bands if b.adjustment_bp] + [abs(r.not_reported_bp)]
        if r.cap_bp is not None and steps and r.cap_bp < min(s for s in steps if s > 0):
            err(C.ERR_CAP_BELOW_STEP.format(cap=r.cap_bp, step=min(steps)), "ratchet.cap_bp", value=r.cap_bp)
    elif isinstance(r, InterpolatedRatchet):
        if r.score_high <= r.score_low:
            err("score_high must be above score_low", "ratchet.score_high", value=r.score_high)
        if r.margin_low_bp > r.margin_high_bp:
            err("margin_low_bp (best score) must not exceed margin_high_bp", "ratchet.margin_low_bp", value=r.margin_low_bp)
    if r.timing.rule == "business_days" and r.timing.business_days == 0:
        pass  # same-day application is a valid agreement

    names = set(BUILTIN_SCENARIOS)
    for i, s in enumerate(deal.scenarios):
        if s.name in names:
            err(f"scenario name '{s.name}' is used twice or is built in ({', '.join(BUILTIN_SCENARIOS)})",
                f"scenarios[{i}].name", i + 1, s.name)
        names.add(s.name)
        if len(s.outcomes) != len(obs):
            err(f"{len(s.outcomes)} outcomes for {len(obs)} observation dates: give one per observation",
                f"scenarios[{i}].outcomes", i + 1, len(s.outcomes))
    if deal.scenarios:
        tot = sum(s.probability for s in deal.scenarios)
        if abs(tot - 1.0) > 1e-9:
            err(f"scenario probabilities sum to {tot}, they must sum to 1", "scenarios", value=tot)
    if deal.default_scenario not in names:
        err(C.ERR_SCENARIO_UNKNOWN.format(name=deal.default_scenario, allowed=sorted(names)), "default_scenario",
            value=deal.default_scenario)
    return errs


# --------------------------------------------------------------------------------- outcomes


def scored_periods(deal: Deal) -> list[str]:
    """Labels of the facility periods the deal's observations name (``[[observations]] period = ...``), in
    observation order: the :class:`index.result.IndexResult` s that :func:`run_deal` needs."""
    return [o.period for o in deal.observations if o.period is not None]


def period_results(deal: Deal, results: Mapping[str, object] | None) -> dict[int, ObservationResult]:
    """The outcome of each observation that names a facility period, from that period's index result.

    Parameters
    ----------
    deal : Deal
    results : mapping of str to index.result.IndexResult
        Index result per facility period label (:func:`index.engine.score`); must hold every label of
        :func:`scored_periods`.

    Returns
    -------
    dict of int to ObservationResult
        By observation index: total, core, grade and the ratchet KPIs' values; ``source`` says which period and
        methodology (id and SHA-256) scored it. Whether the figures were reported or verified is the
        period's own status; nothing here makes a reported figure verified.

    Raises
    ------
    InputError
        An observation names a period without a result (the deal names no facility, or the facility has no
        such period); a result that cannot serve a loan test (proxy figures, fewer than 12 months of measured
        operation data: :func:`finance.deal_checks.require_loan_test_usable`).
    """
    todo = [(i, o) for i, o in enumerate(deal.observations) if o.period is not None]
    if not todo:
        return {}
    if deal.facility is None:
        raise InputError("observations give facility periods but the deal names no facility", field="facility")
    if results is None:
        i, o = todo[0]
        raise InputError(f"observation {o.date} names facility period '{o.period}': give its index result "
                         "(results by period label, e.g. from workflows.evaluate_deal)",
                         field=f"observations[{i}].period", row=i + 1, value=o.period)
    kpis = _ratchet_kpis(deal.ratchet)
    out = {}
    for i, o in todo:
        res = results.get(o.period)
        if res is None:
            raise InputError(f"facility has no period '{o.period}' (has {sorted(results)})",
                             field=f"observations[{i}].period", row=i + 1, value=o.period)
        require_loan_test_usable(res, kpis, field=f"observations[{i}].period", row=i + 1)
        vals = {}
        for k in kpis:
            if k in ("index", "core"):
                continue
            v = res.kpi(k)
            if v is not None:
                vals[k] = float(v)
        ref = getattr(res, "reference_sha256", None)  # the reference-data bundle, where results carry it
        out[i] = ObservationResult(index_total=res.total, core=res.core, grade=res.grade, kpis=vals,
                                   methodology_id=res.methodology_id,
                                   source=f"index engine: period {o.period}, methodology {res.methodology_id} "
                                          f"sha256 {str(res.methodology_sha256)[:12]}"
                                          + (f", reference bundle {ref[:12]}" if ref else ""))
    return out


def _ratchet_kpis(r) -> list[str]:
    return [k.kpi for k in r.kpis] if isinstance(r, SptRatchet) else [r.kpi]


Outcome = ObservationResult | Literal["met", "missed"]


def scenario_outcomes(deal: Deal, name: str, observed: Mapping[int, ObservationResult] | None = None) -> list[Outcome]:
    """Outcome per observation date under a named scenario.

    Parameters
    ----------
    deal : Deal
    name : str
        ``actual``, ``met``, ``missed`` or one of the deal's ``[[scenarios]]``.
    observed : mapping of int to ObservationResult, optional
        Results of observations that name a facility period, by observation index (:func:`period_results`);
        inline ``[observations.verified]`` results are taken from the deal itself.

    Raises
    ------
    InputError
        Unknown scenario, or (``actual``) an observation without an outcome.
    """
    actual = {i: o.verified for i, o in enumerate(deal.observations) if o.verified is not None}
    actual.update(observed or {})
    custom = {s.name: s for s in deal.scenarios}
    out: list[Outcome] = []
    for i, o in enumerate(deal.observations):
        if name in ("met", "missed"):
            out.append(actual.get(i, name))
        elif name == "actual":
            if i not in actual:
                raise InputError(C.ERR_NO_OUTCOME.format(obs=o.date), field=f"observations[{i}]", row=i + 1)
            out.append(actual[i])
        elif name in custom:
            oc = custom[name].outcomes[i]
            if oc == "actual":
                if i not in actual:
                    raise InputError(C.ERR_NO_OUTCOME.format(obs=o.date), field=f"scenarios.{name}.outcomes[{i}]",
                                     row=i + 1)
                oc = actual[i]
            out.append(oc)
        else:
            raise InputError(C.ERR_SCENARIO_UNKNOWN.format(name=name, allowed=list(BUILTIN_SCENARIOS) + list(custom)),
                             field="scenario", value=name)
    return out


def observation_adjustments(deal: Deal, paths: list[list[Outcome]]) -> tuple[np.ndarray, list[list[str]]]:
    """Ratchet adjustment earned at each observation, for S outcome paths.

    Returns
    -------
    adj : numpy.ndarray, shape (S, O) [bp]
    notes : list of list of str
        Per scenario and observation, which KPI was met or missed and what it moved.
    """

    r = deal.ratchet
    obs = deal.observations
    n_s, n_o = len(paths), len(obs)
    notes = [["" for _ in range(n_o)] for _ in range(n_s)]
    if isinstance(r, SptRatchet):
        status = np.zeros((n_s, n_o, len(r.kpis)), dtype=np.int8)
        for k, rule in enumerate(r.kpis):
            direction = R.kpi_direction(rule)
            for s, path in enumerate(paths):
                for o, oc in enumerate(path):
                    if isinstance(oc, str):
                        status[s, o, k] = R.MET if oc == "met" else R.MISSED
                    else:
                        status[s, o, k] = R.spt_status([[oc.value(rule.kpi)]], [obs[o].spt[rule.kpi]], direction,
                                                       rule.no_change_band)[0, 0]
        adj = R.spt_adjustments(r, status)
        word = {R.MET: "met", R.BAND: "no change (within band)", R.MISSED: "missed"}
        for s, path in enumerate(paths):
            for o, oc in enumerate(path):
                parts = []
                for k, rule in enumerate(r.kpis):
                    st = int(status[s, o, k])
                    bp = R.kpi_step_bp(r, k, st)
                    val = f"assumed {oc}" if isinstance(oc, str) else f"{oc.value(rule.kpi):g}"
                    parts.append(f"{rule.kpi} {val} vs SPT {obs[o].spt[rule.kpi]:g} {word[st]} ({bp:+g} bp)")
                notes[s][o] = "; ".join(parts)
        return adj, notes
    scores = np.full((n_s, n_o), np.nan)
    grades = np.full((n_s, n_o), None, dtype=object)
    for s, path in enumerate(paths):
        for o, oc in enumerate(path):
            if oc == "met":
                target = obs[o].spt.get(r.kpi)
                grades[s, o] = obs[o].spt.get("grade")
                if target is None and grades[s, o] is None:
                    raise InputError(f"scenario 'met' needs an SPT for '{r.kpi}' (or a grade) at this observation",
                                     field=f"observations[{o}].spt", row=o + 1)
                scores[s, o] = np.nan if target is None else float(target)
            elif isinstance(oc, ObservationResult):
                scores[s, o] = oc.value(r.kpi)
                grades[s, o] = oc.grade
            notes[s][o] = (f"{r.kpi} {scores[s, o]:g}" if not np.isnan(scores[s, o]) else f"{r.kpi} not reported") + (
                f", grade {grades[s, o]}" if grades[s, o] else "")
    if isinstance(r, ScoreGridRatchet):
        adj = R.grid_adjustments(r, scores=scores, grades=grades)
    else:
        adj = R.interpolated_adjustments(r, scores, deal.loan.margin_bp)
    return adj, notes


# --------------------------------------------------------------------------------- orchestration


@dataclasses.dataclass(frozen=True)
class DealRun:
    """A deal's plan and the regime adjustments of a set of scenarios (see :func:`run_deal`)."""

    deal: Deal
    plan: object
    names: list[str]
    regime_adj_bp: np.ndarray
    notes: list[dict[int, str]]


def _cumulative(r) -> bool:
    return bool(getattr(r, "cumulative", False))


def loan_plan(deal: Deal):
    """The loan's interest periods and margin regimes (:func:`finance.schedule.build_plan`), before any outcome.

    Raises
    ------
    InputError
        The base-rate path does not cover an interest period.
    """

    loan = deal.loan.resolved()
    periods = interest_periods(loan)
    events = R.margin_events(deal.observations, deal.ratchet.timing, [p.start for p in periods],
                             get_calendar(loan.calendar), periods[-1].end)
    try:
        return build_plan(loan, events, len(deal.observations), deal.ratchet.margin_floor_bp)
    except LookupError as exc:
        raise InputError(str(exc), field="loan.base_rate.path", unit="% p.a.") from None


def run_deal(deal: Deal, scenarios: list[str], results: Mapping[str, object] | None = None) -> DealRun:
    """Build the deal's plan and the regime adjustments [bp] of each named scenario (shape (S, G)).

    Parameters
    ----------
    deal : Deal
    scenarios : list of str
    results : mapping of str to index.result.IndexResult, optional
        Index result per facility period the observations name (:func:`scored_periods`); not needed when
        no observation names a period.

    Raises
    ------
    InputError
        See :func:`loan_plan`, :func:`period_results` and :func:`scenario_outcomes`.
    """

    loan = deal.loan.resolved()
    r = deal.ratchet
    plan = loan_plan(deal)
    observed = period_results(deal, results)
    paths = [scenario_outcomes(deal, n, observed) for n in scenarios]
    adj, notes = observation_adjustments(deal, paths)
    fail = np.array([R.failure_adjustment(r, loan.margin_bp)] * len(deal.observations))
    reg = R.regime_adjustments(adj, fail, cumulative=_cumulative(r), cap_bp=r.cap_bp,
                               floor_bp=r.margin_floor_bp - loan.margin_bp)
    reg_notes = []
    for s in range(len(scenarios)):
        d = {}
        for o in range(len(deal.observations)):
            d[R.regime_actual(o)] = f"{notes[s][o]}; total adjustment {reg[s, R.regime_actual(o)]:+g} bp"
            d[R.regime_failure(o)] = f"all targets missed; total adjustment {reg[s, R.regime_failure(o)]:+g} bp"
        reg_notes.append(d)
    return DealRun(deal, plan, list(scenarios), reg, reg_notes)


def deal_schedule(deal: Deal, scenario: str | None = None, *, results: Mapping[str, object] | None = None):
    """Cash-flow schedule of a deal under one scenario (``results`` as in :func:`run_deal`).

    Returns
    -------
    finance.schedule.Schedule
    """

    run = run_deal(deal, [scenario or deal.default_scenario], results)
    return schedule_frame(run.plan, price(run.plan, run.regime_adj_bp), 0, run.notes[0])


def deal_valuation(deal: Deal, discount_rate_pct=None, *, results: Mapping[str, object] | None = None,
                   scenarios: list[str] | None = None):
    """Value a deal's ratchet: the deal's own scenarios with their probabilities, else 'met' and 'missed'.

    ``discount_rate_pct`` [% p.a.] overrides the loan's own rate; ``results`` as in :func:`run_deal`.

    Returns
    -------
    finance.valuation.Valuation
    """

    if scenarios is None:
        scenarios = [s.name for s in deal.scenarios] or ["met", "missed"]
    probs = None
    if deal.scenarios and scenarios == [s.name for s in deal.scenarios]:
        probs = [s.probability for s in deal.scenarios]
    run = run_deal(deal, scenarios, results)
    return value(run.plan, run.regime_adj_bp, names=scenarios, probabilities=probs,
                 discount_rate_pct=discount_rate_pct, valuation_date=deal.valuation_date,
                 verification_cost_per_year=deal.verification_cost_per_year,
                 verification_dates=[o.certificate_due for o in deal.observations])
