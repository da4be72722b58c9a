"""SPT outcomes priced over simulated paths: the deal's SPT plan, KPI values per path and observation, and the
ratchet's expected adjustments and valuation (used by ``dcsll simulate`` and the app's target-path simulator).

Shapes: S simulated paths, O observation dates of the deal, K ratchet KPIs.
"""

from __future__ import annotations

import numpy as np

from common.errors import InputError
from finance import ratchet as R
from finance.deal import loan_plan
from finance.deal_checks import require_loan_test_usable
from finance.terms import SptRatchet
from finance.valuation import value
from index.targets import KpiPath, Milestone, SptPlan, kpi_comparator


def ratchet_kpis(deal):
    """The KPI rules of the deal's SPT ratchet.

    Raises
    ------
    common.errors.InputError
        The ratchet is not SPT-based (probabilities of SPT outcomes need one).
    """

    if not isinstance(deal.ratchet, SptRatchet):
        raise InputError("SPT probabilities need an SPT-based ratchet (design = \"spt\"); this deal has "
                         f"{deal.ratchet.design}", field="ratchet.design")
    return deal.ratchet.kpis


def deal_plan(deal, baseline, methodology):
    """The deal's agreed SPTs as an SptPlan (observation year = year of the observation date)."""

    paths = {}
    years = [o.date.year for o in deal.observations]
    for rule in ratchet_kpis(deal):
        comp = {"lower": "<=", "higher": ">="}.get(rule.direction or "", None) or kpi_comparator(rule.kpi, methodology)
        ms = tuple(Milestone(year=o.date.year, value=float(o.spt[rule.kpi]), method="deal",
                             note=f"observation {o.date}") for o in deal.observations if rule.kpi in o.spt)
        paths[rule.kpi] = KpiPath(kpi=rule.kpi, comparator=comp, baseline_value=baseline.value(rule.kpi),
                                  baseline_year=baseline.base_year, method="manual", milestones=ms)
    return SptPlan(facility_id=baseline.facility_id, baseline=baseline, years=tuple(years), paths=paths)


def jsonable(x):
    """``x`` with numpy scalars, tuples and dates turned into JSON types (NaN/inf → None)."""

    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return None if not np.isfinite(x) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    if hasattr(x, "isoformat"):
        return x.isoformat()
    return x


def observation_values(deal, facility, sim, kpis, results=None):
    """KPI values per path and observation, shape (S, O) per KPI: actual where observed, simulated otherwise.

    Parameters
    ----------
    deal : finance.deal.Deal
    facility : index.models.Facility
        The deal's facility (the status of a scored period's figures is named in the source).
    sim : index.simulate.SimulationResult
        Simulated KPI paths (``kpi(name)`` → array (S, Y) over ``years``).
    kpis : list of finance.terms.KpiRule
        The ratchet's KPI rules (:func:`ratchet_kpis`).
    results : mapping of str to index.result.IndexResult, optional
        Index result of each facility period an observation names (by period label).

    Returns
    -------
    (dict of str to ndarray (S, O), list of str)
        Values per KPI [KPI unit], and per observation where its values come from.

    Raises
    ------
    InputError
        An observation with no result whose year is not simulated, or naming a period without a result.
    """

    n = sim.n_paths
    vals = {k.kpi: np.full((n, len(deal.observations)), np.nan) for k in kpis}
    source = []
    for o_i, o in enumerate(deal.observations):
        if o.verified is not None or o.period is not None:
            if o.verified is not None:
                get = o.verified.value
                src = "verified (given in the deal)"
            else:
                res = (results or {}).get(o.period)
                if res is None:
                    raise InputError(f"facility has no period '{o.period}'", field=f"observations[{o_i}].period",
                                     row=o_i + 1, value=o.period)
                require_loan_test_usable(res, list(vals), field=f"observations[{o_i}].period", row=o_i + 1)

                def get(k, res=res):
                    v = res.kpi(k)
                    return np.nan if v is None else v
                src = f"period {o.period} ({facility.period(o.period).status}) scored"
            for k in vals:
                vals[k][:, o_i] = get(k)
            source.append(src)
        elif o.date.year in sim.years:
            for k in vals:
                vals[k][:, o_i] = sim.kpi(k)[:, sim.years.index(o.date.year)]
            source.append(f"simulated ({n} paths)")
        else:
            raise InputError(f"observation {o.date} has no result and its year is not simulated "
                             f"({sim.years[0]}–{sim.years[-1]}); give the period's data", field=f"observations[{o_i}]",
                             row=o_i + 1)
    return vals, source


def price_paths(deal, vals):
    """Ratchet adjustments per path, expected adjustments and the valuation (unique outcome rows weighted).

    Parameters
    ----------
    deal : finance.deal.Deal
    vals : dict of str -> ndarray (S, O)
        KPI values per path and observation (:func:`observation_values`).

    Returns
    -------
    dict
        ``per_observation`` (expected adjustment [bp], expected margin [bp], P(met / band / missed) per KPI),
        ``expected_pv_saving``, ``pv_saving_p05``, ``pv_saving_p95``, ``net_pv``, ``break_even_cost_per_year``
        [currency], ``currency``, ``discount``, ``distinct_outcomes``.
    """

    r = deal.ratchet
    rules = ratchet_kpis(deal)
    obs = deal.observations
    status = np.stack([R.spt_status(vals[k.kpi], [float(o.spt[k.kpi]) for o in obs], R.kpi_direction(k),
                                    k.no_change_band) for k in rules], axis=2)
    adj = R.spt_adjustments(r, status)
    fail = np.array([R.failure_adjustment(r, deal.loan.margin_bp)] * len(obs))
    reg = R.regime_adjustments(adj, fail, cumulative=bool(getattr(r, "cumulative", False)), cap_bp=r.cap_bp,
                               floor_bp=r.margin_floor_bp - deal.loan.margin_bp)
    uniq, counts = np.unique(reg, axis=0, return_counts=True)
    probs = counts / counts.sum()
    val = value(loan_plan(deal), uniq, names=[f"outcome {i}" for i in range(len(uniq))], probabilities=probs,
                valuation_date=deal.valuation_date, verification_cost_per_year=deal.verification_cost_per_year,
                verification_dates=[o.certificate_due for o in obs])
    per_obs = []
    for o_i, o in enumerate(obs):
        row = {"date": o.date.isoformat(), "expected_adjustment_bp": float(reg[:, R.regime_actual(o_i)].mean()),
               "margin_bp_expected": float(deal.loan.margin_bp + reg[:, R.regime_actual(o_i)].mean())}
        for k_i, k in enumerate(rules):
            st = status[:, o_i, k_i]
            row[k.kpi] = {"spt": float(o.spt[k.kpi]), "p_met": float((st == R.MET).mean()),
                          "p_band": float((st == R.BAND).mean()), "p_missed": float((st == R.MISSED).mean())}
        per_obs.append(row)
    return {"per_observation": per_obs, "expected_pv_saving": val.expected_pv_saving,
            "pv_saving_p05": float(np.quantile(np.repeat(val.pv_saving, counts), 0.05)),
            "pv_saving_p95": float(np.quantile(np.repeat(val.pv_saving, counts), 0.95)),
            "net_pv": val.net_pv, "break_even_cost_per_year": val.break_even_cost_per_year,
            "currency": val.currency, "discount": val.discount, "distinct_outcomes": int(len(uniq))}
