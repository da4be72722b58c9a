"""The workflow steps: load → score → evaluate a deal / targets / simulate / statement (see :mod:`workflows`).

Each step orders calls to the engines (:mod:`index`, :mod:`finance`) and carries their results; it has no
figures of its own. Inputs come from a :class:`workflows.sources.Source`; errors raised while working on a
record name where it came from (:func:`named`).

The engine modules are imported inside the steps that need them, so ``dcsll score`` loads the index engine
only (not the finance, forecasting and statement stack): the CLI starts in well under a second.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from pydantic import ValidationError

from common.errors import InputError, from_validation_error
from finance.deal import DealRun, deal_schedule, deal_valuation, run_deal, scored_periods
from finance.monitoring import RecordedObservation, margin_events_from_record, recorded_run
from finance.schedule import price, schedule_frame
from finance.simulated import deal_plan, jsonable, observation_values, price_paths, ratchet_kpis
from finance.statement import Verifier
from finance.statement_build import build_statement as _build
from finance.valuation import value
from index.ambition import ambition_report, verdicts
from index.baseline import compute_baseline
from index.engine import pinned  # deals that pin: the methodology and bundle agreed at signing
from index.engine import score as _score
from index.levers import check_dates
from index.models import facility_from_dict
from index.targets import meets, propose_plan
from workflows.scoring import named
from workflows.settings import DEFAULTS


def facility_of(deal, source):
    """The deal's facility: inline in the deal, or by id from ``source``.

    Raises
    ------
    InputError
        The deal names no facility, or ``source`` does not have it.
    """

    if isinstance(deal.facility, dict):
        return facility_from_dict(deal.facility, file=source.origin("deal", deal.id))
    if deal.facility is None:
        raise InputError("the deal names no facility", file=source.origin("deal", deal.id), field="facility")
    return source.facility(deal.facility)


#: fields of a deal that pin, at signing, what its results are scored with (methodology id and SHA-256,
#: reference-data bundle SHA-256); absent or empty = the methodology of the source and the shipped bundle
PIN_FIELDS = ("methodology", "methodology_sha256", "reference_sha256")


def deal_scorer(deal, methodology, source=None):
    """``scorer(facility, period) -> IndexResult`` for a deal's periods: with what the deal pins
    (:data:`PIN_FIELDS`, resolved by ``source.pinned``: the deal book's stored version for a
    :class:`~workflows.sources.StoreSource`; :func:`index.engine.pinned` of the shipped files without a source),
    else with ``methodology`` and the shipped reference data.

    Raises
    ------
    InputError
        The pinned methodology no longer has its pinned SHA-256, or the pinned bundle is unknown.
    """

    pins = tuple(getattr(deal, k, None) for k in PIN_FIELDS)
    if not any(pins):
        return lambda f, p: _score(f, p, methodology)

    resolve = getattr(source, "pinned", None) or pinned
    meth, ref = resolve(*pins)
    return lambda f, p: _score(f, p, meth, ref)


def observation_results(deal, facility, methodology, source=None) -> dict:
    """Index result of each facility period the deal's observations name (:func:`finance.deal.scored_periods`),
    by period label, scored as :func:`deal_scorer` says (pins resolved by ``source``); periods the facility does
    not have are left out (the finance engine names them)."""

    have = {p.label: p for p in facility.periods}
    todo = [label for label in scored_periods(deal) if label in have]
    if not todo:
        return {}
    scorer = deal_scorer(deal, methodology, source)
    return {label: scorer(facility, have[label]) for label in todo}


# ----------------------------------------------------------------------------------------- deals


@dataclass
class DealEvaluation:
    """A deal with the index results it needs: its schedule per scenario and its valuation.

    Attributes
    ----------
    deal : finance.deal.Deal
    results : dict of str to index.result.IndexResult
        Index result of each facility period an observation names.
    origin : str or None
        Where the deal came from (named in errors).
    """

    deal: object
    results: dict = field(default_factory=dict)
    origin: str | None = None
    recorded: list | None = None
    approved: set | None = None
    as_of: dt.date | None = None
    changes: list = field(default_factory=list)
    period_status: dict = field(default_factory=dict)

    @property
    def on_record(self) -> bool:
        """True when the deal book holds verified records for the deal: the past is priced on the recorded,
        approved margins (:func:`finance.monitoring.recorded_run`), not on the facility's figures."""
        return self.recorded is not None

    @property
    def indicative(self) -> list:
        """Changes computed from figures that are only reported (``finance.monitoring.MarginChange`` with
        status ``indicative``): shown, labelled, never in force."""
        return [c for c in self.changes if c.status == "indicative"]

    def basis(self) -> dict:
        """``{observation date: basis}`` of each observation's margin: ``verified, approved``, ``verified,
        approval pending``, ``reporting failure, approved`` / ``… pending``, ``indicative (reported figures)``,
        ``scored from facility figures`` (no record: the file form) or ``future``."""
        out = {}
        for o in self.deal.observations:
            mine = [c for c in self.changes if c.observation_date == o.date]
            rec = [c for c in mine if c.status != "indicative"]
            if rec:
                c = rec[-1]
                what = "reporting failure" if c.kind == "reporting_failure" else "verified"
                ok = (o.date, c.kind) in (self.approved or set())
                out[o.date] = f"{what}, {'approved' if ok else 'approval pending'}"
            elif mine:
                out[o.date] = "indicative (reported figures)"
            elif not self.on_record and o.period and o.period in self.results:
                st_ = self.period_status.get(o.period)
                out[o.date] = ("verified facility figures (not on the record)" if st_ == "verified" else
                               f"INDICATIVE: {st_ or 'unverified'} figures of period {o.period}, not verified")
            else:
                out[o.date] = "future"
        return out

    def _recorded_run(self, scenarios: list[str]):
        with named(self.origin):
            # on the record "actual" is what was recorded: no assumption for the observations still to come
            scenarios = ["none" if n == "actual" else n for n in scenarios]
            run = recorded_run(self.deal, self.recorded, self.as_of, scenarios, approved=self.approved)
        return DealRun(self.deal, run.plan, run.names, run.regime_adj_bp, [run.notes] * len(run.names))

    def schedule(self, scenario: str | None = None):
        """:func:`finance.deal.deal_schedule` under ``scenario`` (default the deal's ``default_scenario``); on the
        record (:attr:`on_record`) the recorded, approved margins for the past and ``scenario`` for the future."""
        if self.on_record:
            run = self._recorded_run([scenario or self.deal.default_scenario or "none"])
            return schedule_frame(run.plan, price(run.plan, run.regime_adj_bp), 0, run.notes[0])

        with named(self.origin):
            return deal_schedule(self.deal, scenario, results=self.results)

    def valuation(self, discount_rate_pct: float | None = DEFAULTS.discount_rate_pct,
                  scenarios: list[str] | None = None):
        """:func:`finance.deal.deal_valuation` (discount rate [% p.a.], None = the loan's own rate); on the record
        the recorded, approved margins for the past and the scenarios for the future."""
        if self.on_record:
            deal = self.deal
            names = scenarios or [s.name for s in deal.scenarios] or ["met", "missed"]
            probs = None
            if deal.scenarios and names == [s.name for s in deal.scenarios]:
                probs = [s.probability for s in deal.scenarios]
            run = self._recorded_run(names)
            with named(self.origin):
                return value(run.plan, run.regime_adj_bp, names=names, probabilities=probs,
                             discount_rate_pct=discount_rate_pct, valuation_date=deal.valuation_date,
                             verification_cost_per_year=deal.verification_cost_per_year,
                             verification_dates=[o.certificate_due for o in deal.observations])

        with named(self.origin):
            return deal_valuation(self.deal, discount_rate_pct, results=self.results, scenarios=scenarios)

    def run(self, scenarios: list[str]):
        """:func:`finance.deal.run_deal`: the plan and regime adjustments of ``scenarios`` (on the record:
        :func:`finance.monitoring.recorded_run`)."""
        if self.on_record:
            return self._recorded_run(list(scenarios))

        with named(self.origin):
            return run_deal(self.deal, scenarios, self.results)


def evaluate_deal(deal, source=None, *, facility=None, methodology=None, as_of: dt.date | None = None
                  ) -> DealEvaluation:
    """Score what the deal's observations need and return the deal ready to schedule and value.

    On the deal book (a source with a ``store``) holding verified records or prepared margin changes of the deal
    (issue 12), the past is
    priced on the recorded margins a second credit officer **approved** and the future on the ratchet
    (:func:`finance.monitoring.recorded_run`); reported-only figures give indicative changes
    (:attr:`DealEvaluation.indicative`) that never change the margin in force. Otherwise (the file form, or no
    verified record yet) each observation is scored from the facility's figures as before.

    Parameters
    ----------
    deal : finance.deal.Deal
    source : Source, optional
        Where the facility and methodology come from (not needed when both are given, or when no observation
        names a facility period).
    facility : index.models.Facility, optional
    methodology : index.methodology.Methodology, optional
    as_of : datetime.date, optional
        Day of the record (default today).

    Raises
    ------
    InputError
        The deal's facility cannot be found.
    """

    store = getattr(source, "store", None)
    if store is not None and hasattr(store, "monitoring_records"):
        recs = store.monitoring_records(deal.id)
        if any(r.status == "verified" for r in recs) or store.margin_change_records(deal.id):
            # cycle: workflows.monitoring builds statements with this module's build_statement/targets
            from workflows.monitoring import (  # noqa: PLC0415
                approved_changes,
                margin_changes,
                recorded_observations,
            )

            day = as_of or dt.date.today()
            origin = source.origin("deal", deal.id)
            with named(origin):
                views = margin_changes(store, deal, day)
                recorded = recorded_observations(store, deal.id)
                indicative = _reported_observations(deal, source, recorded, facility, methodology)
                changes = margin_events_from_record(deal, recorded + indicative, day)
            return DealEvaluation(deal, {}, origin, recorded, approved_changes(store, deal, day, views), day, changes)

    origin = source.origin("deal", deal.id) if source is not None else None
    results = {}
    status = {}
    if scored_periods(deal) and deal.facility is not None:
        with named(origin):
            fac = facility if facility is not None else facility_of(deal, source)
            meth = methodology if methodology is not None else source.methodology()
            results = observation_results(deal, fac, meth, source)
            status = {p.label: p.status for p in fac.periods}
    return DealEvaluation(deal, results, origin, period_status=status)


def _reported_observations(deal, source, recorded, facility=None, methodology=None) -> list:
    """Indicative records of the observations the deal book has no record for but whose facility period holds
    figures that are not verified: scored as they stand (``status="reported"``), so that
    :func:`finance.monitoring.margin_events_from_record` shows them as *indicative* changes, never in force."""

    if not scored_periods(deal) or deal.facility is None:
        return []
    fac = facility if facility is not None else facility_of(deal, source)
    have = {p.label: p for p in fac.periods}
    done = {r.observation_date for r in recorded}
    todo = [o for o in deal.observations if o.period and o.period in have and o.date not in done
            and have[o.period].status != "verified"]
    if not todo:
        return []
    scorer = deal_scorer(deal, methodology if methodology is not None else source.methodology(), source)
    out = []
    for o in todo:
        res = scorer(fac, have[o.period])
        kpis = {"index": res.total, "core": res.core}
        for k in (o.spt or {}):
            if k not in kpis and k != "grade":
                try:
                    kpis[k] = res.kpi(k)
                except KeyError:
                    kpis[k] = None
        out.append(RecordedObservation(deal_id=deal.id, observation_date=o.date, status="reported", kpis=kpis,
                                       grade=res.grade))
    return out


# ----------------------------------------------------------------------------------------- targets


@dataclass
class TargetInputs:
    """What :func:`targets` and :func:`simulate` work on, loaded from one source."""

    deal: object
    facility: object
    methodology: object
    settings: dict
    monthly: object
    origin: str


def load_target_inputs(deal, source) -> TargetInputs:
    """The deal's facility, methodology, targets settings and monthly data.

    Raises
    ------
    InputError
        No targets settings or no monthly data for the deal (naming where they were looked for).
    """
    facility = facility_of(deal, source)
    origin = source.origin("targets", deal.id)
    cfg = source.targets_settings(deal.id)
    if cfg is None:
        if origin.startswith("deal book"):
            how = "save them in the deal book (credit officer; `dcsll db import` of a targets TOML file)"
        else:
            how = f"write {origin} (see data/targets/demo-zjk-sll-2025.toml) or pass --targets"
        raise InputError(f"no targets settings for deal {deal.id!r}: {how}", file=origin)
    monthly = source.monthly(facility.id)
    if monthly is None:
        raise InputError(f"no monthly metered data for facility {facility.id!r}", file=origin, field="monthly")
    return TargetInputs(deal, facility, source.methodology(), cfg, monthly, origin)


@dataclass
class TargetsReport:
    """Baseline, the deal's and the proposed SPT plans, the BAU forecast and the ambition checks."""

    deal: object
    facility: object
    baseline: object
    plans: dict            #: {"deal": SptPlan, "proposed": SptPlan}
    sim: object            #: index.simulate.Simulation of the BAU
    bau: dict              #: plan name -> (kpi, year) -> BAU band dict with that plan's p_meets and model
    checks: dict           #: plan name -> list of ambition checks
    years: list
    paths: int
    seed: int

    def bau_basis(self) -> str:
        """Why this BAU differs from ``dcsll simulate``'s: the as-of date, the data and the held period."""
        b = self.baseline
        idx = b.kpis.get("index")
        itxt = f"index {idx:.2f}" if idx is not None else "index — (not in the baseline)"
        return (f"BAU as of the baseline: models fitted on monthly data up to {b.base_year}-12, inputs held at "
                f"period {b.periods[-1]} ({itxt}), {self.paths:,} paths, "
                f"seed {self.seed}; `dcsll simulate` forecasts from the latest data instead (all months, the "
                "facility's latest period held, its own paths and seed), so its medians differ")

    def forecast_rows(self) -> list[dict]:
        """One row per (KPI, year): the BAU band and P(BAU meets) the SPT of each plan (``p_meets``: plan ->
        probability [0–1]; a plan without an SPT for that KPI and year is left out)."""
        rows: dict = {}
        for name, per_plan in self.bau.items():
            for (k, y), v in per_plan.items():
                row = rows.setdefault((k, y), {"kpi": k, "year": y,
                                               **{f: x for f, x in v.items() if f not in ("p_meets", "spt")},
                                               "spt": {}, "p_meets": {}})
                row["spt"][name] = v["spt"]
                row["p_meets"][name] = v["p_meets"]
        return [rows[key] for key in sorted(rows)]

    def verdicts(self) -> dict:
        return {name: verdicts(cs) for name, cs in self.checks.items()}

    def to_dict(self) -> dict:
        """The JSON of ``dcsll targets --json``."""

        return jsonable({
            "deal": self.deal.id, "facility": self.facility.id,
            "baseline": self.baseline.model_dump(mode="json", exclude={"per_period"}),
            "bau": {"fitted_on": f"monthly data up to {self.baseline.base_year}-12", "paths": self.paths,
                    "seed": self.seed, "models": self.sim.models, "notes": self.sim.notes,
                    "base_period": self.baseline.periods[-1], "why_not_simulate": self.bau_basis(),
                    "forecast": self.forecast_rows()},
            "spts": {name: plan.to_rows() for name, plan in self.plans.items()},
            "ambition": {name: [c.to_dict() for c in cs] for name, cs in self.checks.items()},
            "verdicts": {name: [{"kpi": k, "year": y, "ambitious": v} for (k, y), v in vs.items()]
                         for name, vs in self.verdicts().items()},
        })


def targets(deal, source, *, paths: int = DEFAULTS.targets_paths, seed: int = DEFAULTS.seed,
            inputs: TargetInputs | None = None) -> TargetsReport:
    """Baseline of the deal's facility, the deal's and dcsll's proposed SPTs, each checked against the BAU
    forecast (fitted on the monthly data up to the baseline year), binding regulation and peers.

    Steps: :func:`index.baseline.compute_baseline` → :func:`finance.simulated.deal_plan` and
    :func:`index.targets.propose_plan` → :func:`index.simulate.fit_bau` / :func:`index.simulate.simulate`
    (BAU band and P(BAU meets) per milestone) → :func:`index.ambition.ambition_report`.

    Raises
    ------
    InputError
        See :func:`load_target_inputs`; bad baseline or proposal settings (naming the targets settings).
    """
    from index.simulate import fit_bau  # noqa: PLC0415 - index.simulate loads pandas (and statsmodels fits); dcsll score needs neither
    from index.simulate import simulate as _simulate  # noqa: PLC0415 - as above

    inp = inputs or load_target_inputs(deal, source)
    facility, cfg, m, f = inp.facility, inp.settings, inp.methodology, inp.origin
    with named(f):
        bcfg = cfg.get("baseline", {})
        baseline = compute_baseline(facility, bcfg.get("periods"), methodology=m,
                                    allow_reported=bool(bcfg.get("allow_reported", False)), file=f)
        agreed = deal_plan(deal, baseline, m)
        years = sorted({o.date.year for o in deal.observations})
        proposed = propose_plan(baseline, years, cfg.get("proposal", {}), methodology=m, file=f)
        bau_models = fit_bau(inp.monthly, facility, until_year=baseline.base_year)
        sim_years = [y for y in years if y > baseline.base_year]
        sim = _simulate(facility, inp.monthly, sim_years, n_paths=paths, seed=seed, methodology=m, bau=bau_models,
                        base_period=baseline.periods[-1])
        model_of = {d["series"]: d["model"] for d in sim.models}
        plans = {"deal": agreed, "proposed": proposed}
        # one BAU dict per plan: the band is the same, P(BAU meets) depends on that plan's SPT (the deal's and
        # the proposed SPT of a (KPI, year) differ, so they must not share a key)
        bau: dict = {name: {} for name in plans}
        for name, plan in plans.items():
            for kpi, path in plan.paths.items():
                for ms in path.milestones:
                    if ms.year in sim.years and kpi in sim.values:
                        b = sim.bau_band(kpi, ms.year, alpha=DEFAULTS.bau_alpha)
                        b["p_meets"] = float(meets(sim.kpi(kpi)[:, sim.years.index(ms.year)], ms.value,
                                                   path.comparator).mean())
                        b["model"] = (f"Monte Carlo of {paths} BAU paths scored through the index "
                                      f"(PUE: {model_of.get('pue', '?')})")
                        b["median"] = float(np.nanmedian(sim.kpi(kpi)[:, sim.years.index(ms.year)]))
                        b["spt"] = ms.value
                        bau[name][(kpi, ms.year)] = b
        profile = cfg.get("regulatory_profile", {})
        checks = {name: ambition_report(plan, facility, bau[name], **profile) for name, plan in plans.items()}
    return TargetsReport(deal, facility, baseline, plans, sim, bau, checks, years, paths, seed)


# ----------------------------------------------------------------------------------------- simulate


def simulated_years(deal) -> list[int]:
    """Observation years without a result (verified inline or a facility period): the years simulated."""
    return sorted({o.date.year for o in deal.observations if o.verified is None and o.period is None})


@dataclass
class SimulationRun:
    """One Monte Carlo run of a deal: the simulation, KPI values per observation and the priced ratchet."""

    sim: object               #: index.simulate.Simulation
    values: dict              #: KPI -> ndarray (S, O) [KPI unit]
    observation_source: list  #: per observation, where its values come from
    finance: dict             #: finance.simulated.price_paths output

    def to_dict(self) -> dict:
        """A run of ``dcsll simulate --json`` (``runs.bau`` / ``runs.levers``)."""
        cfe = {k: self.sim.distribution(k) for k in (*CFE_KPIS, "annual_volumetric_share") if k in self.sim.values}
        return {"index": self.sim.distribution("index"), "grades": self.sim.grade_shares(), "notes": self.sim.notes,
                "observation_source": self.observation_source, **({"cfe": cfe} if cfe else {}), **self.finance}


#: KPIs computed hour by hour from interval data (index.cfe): a deal with SPTs on them simulates them hourly
CFE_KPIS = ("cfe_score", "hourly_matched_share")


def hourly_inputs(facility, source=None):
    """The hourly shapes a simulation of ``facility`` builds its 24/7 CFE KPIs on
    (:func:`index.cfe.paths.hourly_base`): the facility's latest stored interval data when ``source`` has
    some (``source.intervals``), else a flat load; grid: the province's annual fallback.

    Raises
    ------
    InputError
        Stored interval data without a load channel or not covering every hour of the day.
    """
    from index.cfe.paths import hourly_base  # noqa: PLC0415 - loads pandas; dcsll score needs it not

    found = source.intervals(facility.id) if source is not None and hasattr(source, "intervals") else None
    if found is None:
        return hourly_base(facility.province)
    period, data = found
    return hourly_base(facility.province, data.hourly(), source=f"deal book interval data, period {period}")


def needs_hourly(deal, levers=()) -> bool:
    """Whether a simulation of ``deal`` with ``levers`` simulates the 24/7 CFE KPIs hour by hour: an SPT
    ratchet on :data:`CFE_KPIS` or a ``ppa`` / ``storage`` lever."""
    from index.levers import HOURLY_KINDS  # noqa: PLC0415 - as above

    return any(k.kpi in CFE_KPIS for k in ratchet_kpis(deal)) or any(lv.kind in HOURLY_KINDS for lv in levers)


def simulate_run(deal, facility, monthly, methodology, *, levers=(), paths: int = DEFAULTS.simulate_paths,
                 seed: int = DEFAULTS.seed, bau=None, model: str = DEFAULTS.model,
                 results: dict | None = None, hourly=None) -> SimulationRun:
    """Simulate the deal's open observation years and price the ratchet over the paths.

    Steps: :func:`index.simulate.simulate` over :func:`simulated_years` → :func:`finance.simulated.
    observation_values` (actual results where observed, simulated otherwise) → :func:`finance.simulated.
    price_paths` (SPT status per path → ratchet adjustments → valuation over the distinct outcome rows).

    Parameters
    ----------
    bau : index.simulate.BauModels, optional
        Fitted on all monthly data with ``model`` (fitted here when not given).
    results : dict of str to IndexResult, optional
        Results of the periods the observations name (scored here when not given).
    hourly : index.cfe.paths.HourlyBase, optional
        Hourly shapes for the 24/7 CFE KPIs (:func:`hourly_inputs`); built from a flat load when the deal
        needs them (:func:`needs_hourly`) and none is given.

    Raises
    ------
    InputError
        A deal without an SPT ratchet, bad paths, an observation neither scored nor simulated.
    """
    from index.simulate import fit_bau  # noqa: PLC0415 - index.simulate loads pandas (and statsmodels fits); dcsll score needs neither
    from index.simulate import simulate as _simulate  # noqa: PLC0415 - as above

    kpis = ratchet_kpis(deal)
    bau = bau or fit_bau(monthly, facility, model=model)
    if results is None:
        results = observation_results(deal, facility, methodology)
    if hourly is None and needs_hourly(deal, levers):
        hourly = hourly_inputs(facility)
    sim = _simulate(facility, monthly, simulated_years(deal), n_paths=paths, seed=seed, levers=list(levers),
                    methodology=methodology, bau=bau, hourly=hourly)
    vals, src = observation_values(deal, facility, sim, kpis, results)
    return SimulationRun(sim, vals, src, price_paths(deal, vals))


@dataclass
class SimulationReport:
    """Business as usual and (with levers) the levers run of one deal."""

    deal: object
    facility: object
    paths: int
    seed: int
    bau: object           #: index.simulate.BauModels
    levers: list
    runs: dict            #: "bau" / "levers" -> SimulationRun

    def to_dict(self) -> dict:
        """The JSON of ``dcsll simulate --json``."""

        runs = {name: r.to_dict() for name, r in self.runs.items()}
        out = {"deal": self.deal.id, "facility": self.facility.id, "paths": self.paths, "seed": self.seed,
               "models": self.bau.describe(), "levers": [lv.model_dump(mode="json") for lv in self.levers],
               "runs": runs}
        if self.levers:
            out["levers_value"] = {"expected_pv_saving_gain": runs["levers"]["expected_pv_saving"]
                                   - runs["bau"]["expected_pv_saving"]}
        return jsonable(out)


def simulate(deal, source, *, levers=(), paths: int = DEFAULTS.simulate_paths, seed: int = DEFAULTS.seed,
             model: str = DEFAULTS.model, inputs: TargetInputs | None = None,
             levers_origin: str | None = None) -> SimulationReport:
    """Monte Carlo of the deal's KPIs from models fitted on all its monthly data: per observation date
    P(SPT met / no change / missed), the index distribution, the expected margin and PV of the ratchet;
    with ``levers``, also the same run with the levers (same seed). The 24/7 CFE KPIs are simulated hour by
    hour (both runs on the same :func:`hourly_inputs`) when the deal sets SPTs on them or a lever is a
    ``ppa`` or ``storage``.

    Raises
    ------
    InputError
        See :func:`load_target_inputs` and :func:`simulate_run`; a lever outside the loan's life.
    """
    from index.simulate import fit_bau  # noqa: PLC0415 - index.simulate loads pandas (and statsmodels fits); dcsll score needs neither

    inp = inputs or load_target_inputs(deal, source)
    levers = list(levers)
    ratchet_kpis(deal)
    if levers:
        check_dates(levers, deal.loan.start_date, deal.loan.maturity_date, file=levers_origin)
    with named(inp.origin):
        bau = fit_bau(inp.monthly, inp.facility, model=model)
        results = observation_results(deal, inp.facility, inp.methodology, source)
        hourly = hourly_inputs(inp.facility, source) if needs_hourly(deal, levers) else None
        runs = {}
        for name, lv in (("bau", []), ("levers", levers)) if levers else (("bau", []),):
            runs[name] = simulate_run(deal, inp.facility, inp.monthly, inp.methodology, levers=lv, paths=paths,
                                      seed=seed, bau=bau, results=results, hourly=hourly)
    return SimulationReport(deal, inp.facility, paths, seed, bau, levers, runs)


# ----------------------------------------------------------------------------------------- statements


def build_statement(deal, source, period: str, verifier=None, engagement: dict | None = None, *,
                    facility=None, methodology=None, today=None):
    """The verification statement of one observation (:func:`finance.statement_build.build_statement`).

    Parameters
    ----------
    deal : finance.deal.Deal
    source : Source or None
        Facility, methodology, verifier and engagement when not given (None: all given).
    period : str
        Facility period label of the observation.
    verifier : finance.statement.Verifier or mapping, optional
        Default: ``source.verifier()``.
    engagement : dict, optional
        Default: ``source.engagement(deal.id, period)`` (None = no engagement data).
    facility, methodology : optional
        Default: the deal's facility and the methodology of ``source``.

    Raises
    ------
    InputError
        Whatever the statement builder refuses (no observation for the period, no verified figures, ...).
    """

    fac = facility if facility is not None else facility_of(deal, source)
    meth = methodology if methodology is not None else source.methodology()
    vf = verifier if verifier is not None else source.verifier()
    if not isinstance(vf, Verifier):
        try:
            vf = Verifier.model_validate(dict(vf))
        except ValidationError as exc:
            raise from_validation_error(exc, file=source.origin("verifier", "") if source else None,
                                        prefix="verifier.") from None
    eng = engagement if engagement is not None or source is None else source.engagement(deal.id, str(period))
    eng_origin = source.origin("engagement", f"{deal.id} {period}") if eng is not None and source else None
    with named(source.origin("deal", deal.id) if source else None):
        scorer = deal_scorer(deal, meth, source)
    return _build(deal, fac, str(period), vf, scorer=scorer, engagement=eng,
                  engagement_file=eng_origin, today=today, file=source.origin("deal", deal.id) if source else None)
