"""Target-path simulator: lever widgets' ranges, one deal's Monte Carlo, and the tables and chart frames.

The page (``app_pages/simulator.py``) stays thin; everything it shows comes from here.

- **Numbers**: :func:`simulate_deal` runs :func:`workflows.simulate_run`, the step ``dcsll simulate`` runs
  (:func:`index.simulate.fit_bau` on all monthly data, :func:`index.simulate.simulate` over the observation
  years without a result, actual results where observed, SPT status per path → ratchet adjustments →
  valuation over the distinct outcome rows). Same deal, facility, monthly data, levers, paths and seed → the
  same numbers as the CLI.
- **Inputs**: the deal, the facility and its monthly metered series come from the deal book (the page passes
  them in; the series through :func:`monthly_key`, cached on the book's audit count).
- **Lever widgets**: one lever of each kind of :mod:`index.levers`, its amount 0 meaning "not used".
  Units come from the lever models' field descriptions; ranges from the models' bounds intersected with the
  facility's latest period (:func:`lever_specs`, each bound stating its basis); presets are the deal book's
  lever presets (``Store.lever_presets``, :func:`preset_values`).
- **Caching**: :func:`cached_simulation` (``st.cache_data``) is keyed by JSON strings of every input, so a
  rerun with the same inputs re-computes nothing and a changed deal or facility in the deal book is a new
  key; the fitted BAU models are shared through ``st.cache_resource`` (:func:`cached_bau`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

import workflows
from app_support.designer import _monthly, monthly_frame
from app_support.engine import methodology
from app_support.store import app_store, database_url
from finance.deal import Deal, deal_from_dict
from finance.simulated import jsonable as _jsonable
from finance.simulated import ratchet_kpis as _ratchet_kpis
from index import levers as L
from index.cfe.settings import load_settings as load_cfe_settings
from index.engine import inputs_frame
from index.errors import InputError
from index.levers import KINDS, check_dates, parse_levers, pv_yield, pv_yields
from index.models import Facility
from index.simulate import fit_bau
from workflows import simulated_years as _years
from workflows.settings import DEFAULTS
from workflows.sources import StoreSource

ROOT = Path(__file__).resolve().parents[1]
#: quantiles of the fan chart [fraction]: 5–95 % and 25–75 % bands and the median (issue 7)
FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: space above and below the chart's values, as a share of their range (keeps the SPT markers inside the frame)
CHART_PAD = 0.08
#: widget step = 10^(⌊log10(range bound)⌋ − STEP_DIGITS): about a hundredth of the range's order of magnitude
STEP_DIGITS = 2


# ------------------------------------------------------------------------------------------ CLI defaults


def cli_defaults() -> dict:
    """Defaults of ``dcsll simulate`` (``paths``, ``seed``, ``model``): :data:`workflows.DEFAULTS`, the one
    settings object the CLI's options also start from, so the two give the same numbers out of the box."""

    return {"paths": DEFAULTS.simulate_paths, "seed": DEFAULTS.seed, "model": DEFAULTS.model}


#: range of the number of paths accepted by :func:`index.simulate.simulate` (its docstring: 1 to 200,000)
PATHS_RANGE = (1, 200_000)  # = workflows.DEFAULTS.paths_range


# ------------------------------------------------------------------------------------------ inputs


def monthly_key(store, facility_id: str) -> str | None:
    """Cache key of a facility's monthly series in the deal book (``"<facility id>@<audit count>"``: every
    write adds an audit row, so an upload gives a new key), None when the facility has no monthly series."""

    if monthly_frame(store, facility_id) is None:
        return None
    return f"{facility_id}@{store.audit_count()}"


def monthly_of(key: str):
    """The monthly series of :func:`monthly_key` (cached per key)."""

    fid, version = key.rsplit("@", 1)
    return _monthly(database_url(), fid, int(version))


def deal_from_document(doc: dict):
    """A :class:`finance.deal.Deal` from a deal-book document, checked like a deal file.

    Raises
    ------
    index.errors.InputErrors
        Structural or business-rule failures (:func:`finance.deal.validate_deal`).
    """

    return deal_from_dict(doc, file=f"deal book: deal {doc.get('id')}")


def simulated_years(deal) -> list[int]:
    """Observation years without a result (verified or facility period): the years the CLI simulates
    (:func:`workflows.simulated_years`)."""

    return _years(deal)


# ------------------------------------------------------------------------------------------ lever widgets


@dataclass(frozen=True)
class FieldSpec:
    """One numeric field of a lever as a widget.

    Attributes
    ----------
    name : str
        Field of the lever model (``pue_change``, ``mwh_per_year`` …).
    unit : str
        Unit from the field's description in :mod:`index.levers` (the text in brackets).
    min_value, max_value, step : float
        Widget range and step [unit].
    default : float or None
        Value with the lever not used: 0 for amounts; the province's default yield for PV (None if none).
    basis : str
        Catalogue key (``sim.basis.*``) saying where the range comes from; ``basis_args`` its placeholders.
    """

    name: str
    unit: str
    min_value: float
    max_value: float
    step: float
    default: float | None
    basis: str
    basis_args: dict = field(default_factory=dict)
    label: str = ""  #: catalogue key under ``sim.field`` when not ``name`` (e.g. a PPA's MW vs a battery's MW)


@dataclass(frozen=True)
class LeverSpec:
    """A lever kind as widgets: its start date range and fields (the first is the amount; 0 = not used), and
    its text choices (``{field: options}``, e.g. a PPA's profile and zone)."""

    kind: str
    fields: tuple[FieldSpec, ...]
    start_min: date
    start_max: date
    start_default: date
    choices: dict = field(default_factory=dict)


def _model(kind: str):
    return {"cooling_retrofit": L.CoolingRetrofit, "green_trading": L.GreenPower, "direct_supply": L.GreenPower,
            "gec": L.GreenPower, "onsite_pv": L.OnsitePV, "rack_growth": L.RackGrowth,
            "waste_heat": L.WasteHeat, "water_recycling": L.WaterRecycling, "ppa": L.HourlyPPA,
            "storage": L.Storage}[kind]


#: numeric fields shown per lever kind, amount first (the fields of the lever models in index/levers.py)
LEVER_FIELDS: dict[str, tuple[str, ...]] = {
    "cooling_retrofit": ("pue_change",), "green_trading": ("mwh_per_year",), "direct_supply": ("mwh_per_year",),
    "gec": ("mwh_per_year",), "onsite_pv": ("kwp", "yield_kwh_per_kwp"),
    "rack_growth": ("racks_per_year", "ready_racks_per_year"), "waste_heat": ("mwh_per_year",),
    "water_recycling": ("m3_per_year",), "ppa": ("mw", "capacity_factor"),
    "storage": ("mwh", "mw", "round_trip_efficiency"),
}
#: optional fields: empty = the engine's default (shown in the widget's help with its source)
OPTIONAL_FIELDS = {("onsite_pv", "yield_kwh_per_kwp"), ("ppa", "capacity_factor"), ("storage", "round_trip_efficiency")}
#: catalogue keys of fields whose name means different things in different levers
FIELD_LABELS = {("ppa", "mw"): "ppa_mw", ("storage", "mw"): "storage_mw"}
#: the 24/7 CFE KPIs simulated hour by hour (index.cfe.paths), in the order the page shows them
CFE_KPIS = ("cfe_score", "hourly_matched_share", "annual_volumetric_share")


def lever_choices(kind: str) -> dict[str, tuple[str, ...]]:
    """Text fields of a lever as choices: a PPA's ``profile`` (EIA-930 solar, wind, or the stored interval data)
    and ``zone`` (the balancing authorities :func:`index.cfe.paths.profile` knows, the default zone first)."""
    if kind != "ppa":
        return {}
    st_ = load_cfe_settings()
    cols = pd.read_csv(st_.profiles_file, nrows=0).columns
    zones = sorted({c.rsplit("_", 1)[0] for c in cols if c != "hour_of_year"})
    zones.remove(st_.default_profile_zone)
    return {"profile": ("SUN", "WND", "stored"), "zone": (st_.default_profile_zone, *zones)}


def field_unit(kind: str, name: str) -> str:
    """Unit of a lever field: the bracketed text of its description in :mod:`index.levers` (``[MWh/yr]``)."""
    desc = _model(kind).model_fields[name].description or ""
    m = re.search(r"\[([^\]]+)\]", desc)
    return m.group(1) if m else ""


def field_bounds(kind: str, name: str) -> tuple[float | None, float | None]:
    """(lower, upper) bounds of a lever field from its model's constraints (``gt``/``ge``/``lt``/``le``)."""
    lo = hi = None
    for c in _model(kind).model_fields[name].metadata:
        for attr in ("gt", "ge"):
            if getattr(c, attr, None) is not None:
                lo = float(getattr(c, attr))
        for attr in ("lt", "le"):
            if getattr(c, attr, None) is not None:
                hi = float(getattr(c, attr))
    return lo, hi


def _step(bound: float) -> float:
    return 10.0 ** (math.floor(math.log10(abs(bound))) - STEP_DIGITS)


def _up(x: float, step: float) -> float:
    return round(math.ceil(x / step - 1e-9) * step, 10)


def _down(x: float, step: float) -> float:
    return round(math.floor(x / step + 1e-9) * step, 10)


def base_inputs(facility) -> dict[str, float]:
    """Engine inputs of the facility's latest period (the simulation's base period) used for lever ranges:
    ``total_energy_kwh``, ``it_energy_kwh`` [kWh], ``water_m3`` [m³], ``racks_ready`` [racks]; NaN when missing."""

    row = inputs_frame([(facility, facility.periods[-1])], methodology()).iloc[0]
    out = {}
    for c in ("total_energy_kwh", "it_energy_kwh", "water_m3", "racks_ready"):
        v = row.get(c)
        out[c] = float("nan") if v is None or pd.isna(v) else float(v)
    return out


def lever_specs(deal, facility) -> list[LeverSpec]:
    """Widget specs of every lever kind that the facility's latest period can bound.

    Ranges [field unit], each the model's own bound intersected with a physical one from the latest period:

    - cooling retrofit ``pue_change``: from −(PUE − 1) (monthly PUE cannot go below 1) to 0;
    - green trading, direct supply, GECs, waste heat ``mwh_per_year``: 0 to the period's total energy
      (100 % of consumption; heat delivered cannot exceed the electricity turned into heat);
    - on-site PV ``kwp``: 0 to the array that would generate the period's total energy at the lowest default
      provincial yield (:func:`index.levers.pv_yields`); ``yield_kwh_per_kwp``: the model's bounds, default the province's
      yield (:func:`index.levers.pv_yield`; none when the province is not in the table);
    - rack growth ``racks_per_year`` and ``ready_racks_per_year``: 0 to the period's racks ready;
    - water recycling ``m3_per_year``: 0 to the period's water use;
    - hourly PPA ``mw``: 0 to the capacity that would deliver the period's total energy at the lowest default PV
      yield (MWh per MW = kWh per kWp); ``capacity_factor``: (0, 1], empty = the engine's default;
    - battery ``mwh``: 0 to one day of the period's average consumption; ``mw``: 0 to its average power;
      ``round_trip_efficiency``: (0, 1], empty = the engine's (:class:`index.cfe.settings.CFESettings`).

    A lever whose bound is missing in the data (e.g. no water figure) is left out. Start dates range over the
    loan (:func:`index.levers.check_dates`); the default start is 1 January of the first simulated year.
    """

    b = base_inputs(facility)
    energy_mwh = b["total_energy_kwh"] / 1000.0
    pue0 = b["total_energy_kwh"] / b["it_energy_kwh"] if b["it_energy_kwh"] > 0 else float("nan")
    try:
        y_default, y_source = pv_yield(facility.province)
    except InputError:
        y_default, y_source = None, ""
    kwp_max = b["total_energy_kwh"] / min(pv_yields())
    upper = {
        ("cooling_retrofit", "pue_change"): (pue0 - 1.0, "sim.basis.pue", {"pue": pue0}),
        ("onsite_pv", "kwp"): (kwp_max, "sim.basis.pv", {"mwh": energy_mwh, "y": min(pv_yields())}),
        ("rack_growth", "racks_per_year"): (b["racks_ready"], "sim.basis.racks", {"racks": b["racks_ready"]}),
        ("rack_growth", "ready_racks_per_year"): (b["racks_ready"], "sim.basis.racks", {"racks": b["racks_ready"]}),
        ("water_recycling", "m3_per_year"): (b["water_m3"], "sim.basis.water", {"m3": b["water_m3"]}),
    }
    for k in ("green_trading", "direct_supply", "gec", "waste_heat"):
        upper[(k, "mwh_per_year")] = (energy_mwh, "sim.basis.energy", {"mwh": energy_mwh})
    upper[("ppa", "mw")] = (energy_mwh / min(pv_yields()), "sim.basis.ppa", {"mwh": energy_mwh, "y": min(pv_yields())})
    upper[("storage", "mwh")] = (energy_mwh / 365, "sim.basis.storage_mwh", {"mwh": energy_mwh / 365})
    upper[("storage", "mw")] = (energy_mwh / 8760, "sim.basis.storage_mw", {"mw": energy_mwh / 8760})
    cfe_st = load_cfe_settings()
    optional = {("onsite_pv", "yield_kwh_per_kwp"): (y_default, "sim.basis.yield", {"source": y_source or "—"}),
                ("ppa", "capacity_factor"): (None, "sim.basis.cf", {
                    "solar": cfe_st.solar_capacity_factor, "wind": cfe_st.wind_capacity_factor}),
                ("storage", "round_trip_efficiency"): (None, "sim.basis.rte", {
                    "rte": cfe_st.storage_round_trip_efficiency,
                    "source": cfe_st.sources.get("levers.storage_round_trip_efficiency", "")})}
    years = simulated_years(deal)
    start_min, start_max = deal.loan.start_date, deal.loan.maturity_date
    start_default = min(max(date(years[0], 1, 1), start_min), start_max) if years else start_min
    specs = []
    for kind in KINDS:
        fields = []
        for name in LEVER_FIELDS[kind]:
            lo, hi = field_bounds(kind, name)
            if (kind, name) in OPTIONAL_FIELDS:  # empty = the engine's default
                step = _step(hi)
                top = _down(hi - step, step) if (kind, name) == ("onsite_pv", "yield_kwh_per_kwp") else hi  # lt / le
                default, basis, args = optional[(kind, name)]
                fields.append(FieldSpec(name, field_unit(kind, name), step, top, step, default, basis, args))
                continue
            bound, basis, args = upper[(kind, name)]
            if not (bound > 0 and math.isfinite(bound)):
                break
            step = _step(bound)
            if kind == "cooling_retrofit":  # negative change: [max(model bound, −(PUE − 1)), 0]
                mn = max(_up(-bound, step), _up(lo, step) if lo is not None else -math.inf)
                fields.append(FieldSpec(name, field_unit(kind, name), mn, 0.0, step, 0.0, basis, args))
            else:
                fields.append(FieldSpec(name, field_unit(kind, name), 0.0, _up(bound, step), step, 0.0, basis, args,
                                        FIELD_LABELS.get((kind, name), "")))
        else:
            specs.append(LeverSpec(kind, tuple(fields), start_min, start_max, start_default, lever_choices(kind)))
    return specs


def preset_values(specs: list[LeverSpec], document: dict | None) -> tuple[dict[str, dict], list[str]]:
    """Widget values of a lever set: business as usual (``document`` None) or the levers of a preset
    (``{"levers": [...]}``, as ``Store.lever_presets`` gives it).

    Returns
    -------
    (dict, list of str)
        ``{kind: {"start": date, <field>: value}}`` for every spec, and notes on what the widgets cannot hold
        (a second lever of the same kind, an ``end`` date, a kind without a widget), in English.

    Raises
    ------
    index.errors.InputError
        The preset is not a valid levers document (:func:`index.levers.parse_levers`).
    """

    values = {s.kind: {"start": s.start_default, **{f.name: f.default for f in s.fields},
                       **{c: opts[0] for c, opts in s.choices.items()}} for s in specs}
    notes: list[str] = []
    if document is None:
        return values, notes
    seen = set()
    for lv in parse_levers(list(document.get("levers", []))):
        if lv.kind not in values:
            notes.append(f"{lv.kind}: no widget for this lever (no bound in the facility's data); left out")
            continue
        if lv.kind in seen:
            notes.append(f"{lv.kind}: only the first lever of this kind is shown")
            continue
        seen.add(lv.kind)
        v = values[lv.kind]
        v["start"] = lv.start
        for f in LEVER_FIELDS[lv.kind]:
            if getattr(lv, f) is not None:
                v[f] = float(getattr(lv, f))
        for c in lever_choices(lv.kind):
            if getattr(lv, c) is not None:
                v[c] = getattr(lv, c)
        if lv.end is not None:
            notes.append(f"{lv.kind}: end date {lv.end} dropped (the widgets run levers to the loan's maturity)")
    return values, notes


def levers_from_values(values: dict[str, dict]) -> list[dict]:
    """Lever tables (the ``[[levers]]`` of a levers file, dates as ISO strings) from widget values.

    A kind whose amount (first field) is 0 or empty is not used. Fields left empty are omitted (a PV yield then
    falls back to the province default in the engine).
    """
    out = []
    for kind, v in values.items():
        names = LEVER_FIELDS[kind]
        amount = v.get(names[0])
        if amount is None or float(amount) == 0.0:
            continue
        item = {"kind": kind, "start": v["start"].isoformat() if hasattr(v["start"], "isoformat") else v["start"]}
        for n in names:
            if v.get(n) is not None:
                item[n] = float(v[n])
        for c in lever_choices(kind):
            if v.get(c):
                item[c] = str(v[c])
        out.append(item)
    return out


# ------------------------------------------------------------------------------------------ simulation


def simulate_deal(deal, facility, monthly, levers: list, *, n_paths: int, seed: int, model: str = "ets",
                  methodology, bau=None, hourly=None, source=None) -> dict:
    """One target-path simulation of a deal, as ``dcsll simulate`` computes a run.

    Parameters
    ----------
    deal : finance.deal.Deal
        Needs an SPT ratchet.
    facility : index.models.Facility
    monthly : pandas.DataFrame
        :func:`index.forecast.load_monthly` of the deal's monthly data.
    levers : list
        Validated levers (:func:`index.levers.parse_levers`); checked against the loan dates here.
    n_paths, seed : int
    model : {"ets", "sarimax"}
    bau : index.simulate.BauModels, optional
        Pre-fitted on all monthly data with ``model`` (fitted here when not given).
    methodology : Methodology
        The deal book's methodology (:func:`app_support.engine.methodology`); the app never falls back to the
        shipped file (DESIGN.md §2).
    hourly : index.cfe.paths.HourlyBase, optional
        Hourly shapes of the 24/7 CFE KPIs (:func:`workflows.hourly_inputs`; flat load when not given).
    source : workflows.sources.StoreSource, optional
        Where the deal's pinned methodology version and reference bundle are resolved for its observed periods
        (:func:`workflows.observation_results`); the app passes the deal book. Without it, the shipped files.

    Returns
    -------
    dict
        JSON-safe: ``deal``, ``facility``, ``paths``, ``seed``, ``model``, ``levers``, ``years``;
        ``distribution`` (KPI → per simulated year ``mean`` and ``p05`` … ``p95`` [KPI unit]) for each ratchet KPI;
        ``observed`` (per observation with a result: ``date``, KPI values); and the CLI's run fields:
        ``per_observation`` (per date: per KPI ``spt``, ``p_met``, ``p_band``, ``p_missed``;
        ``expected_adjustment_bp``, ``margin_bp_expected`` [bp]), ``expected_pv_saving``, ``pv_saving_p05``,
        ``pv_saving_p95``, ``net_pv``, ``break_even_cost_per_year`` [currency], ``currency``, ``discount``,
        ``distinct_outcomes``, ``observation_source``, ``notes``, ``models``; ``observation_kind`` (per
        observation ``{"kind": "verified" | "period" | "simulated", "period": label}``); ``cfe`` (per 24/7 CFE
        KPI simulated hour by hour, :data:`CFE_KPIS`: per year ``mean`` and ``p05`` … ``p95`` [fraction]) when
        the deal sets SPTs on them or a lever is a PPA or battery.

    Raises
    ------
    index.errors.InputError
        A lever outside the loan, a deal without an SPT ratchet, bad paths, an observation that can be neither
        scored nor simulated.
    index.forecast.InsufficientData
        Too few months of data.
    """

    m = methodology
    kpis = _ratchet_kpis(deal)
    check_dates(levers, deal.loan.start_date, deal.loan.maturity_date)
    results = workflows.observation_results(deal, facility, m, source)
    run = workflows.simulate_run(deal, facility, monthly, m, levers=levers, paths=n_paths, seed=seed, bau=bau,
                                 model=model, hourly=hourly, results=results)
    sim, vals, source, fin = run.sim, run.values, run.observation_source, run.finance
    observed = [{"date": o.date.isoformat(), "year": o.date.year, **{k.kpi: float(vals[k.kpi][0, i]) for k in kpis}}
                for i, o in enumerate(deal.observations) if o.date.year not in sim.years]
    return _jsonable({
        "deal": deal.id, "facility": facility.id, "paths": int(n_paths), "seed": int(seed), "model": model,
        "levers": [lv.model_dump(mode="json") for lv in levers], "years": sim.years,
        "kpis": [k.kpi for k in kpis],
        "distribution": {k.kpi: sim.distribution(k.kpi, FAN_QUANTILES) for k in kpis},
        "observed": observed, "index": sim.distribution("index"), "notes": sim.notes,
        "observation_source": source, "models": sim.models,
        "observation_kind": [{"kind": "verified"} if o.verified is not None else {"kind": "period", "period": o.period}
                             if o.period is not None else {"kind": "simulated"} for o in deal.observations],
        **({"cfe": {k: sim.distribution(k, FAN_QUANTILES) for k in CFE_KPIS if k in sim.values}}
           if "cfe_score" in sim.values else {}), **fin})


@st.cache_resource(show_spinner=False, max_entries=8)
def cached_bau(facility_json: str, monthly: str, model: str):
    """BAU models of a facility (:func:`index.simulate.fit_bau`), fitted once per facility, monthly series
    (:func:`monthly_key`) and model."""

    return fit_bau(monthly_of(monthly), Facility.model_validate_json(facility_json), model=model)


@st.cache_data(show_spinner=False, max_entries=32)
def cached_simulation(deal_json: str, facility_json: str, monthly: str, levers_json: str, n_paths: int,
                      seed: int, model: str = "ets") -> dict:
    """:func:`simulate_deal` keyed by its inputs as JSON strings (deal, facility, levers) and values.

    Raises
    ------
    index.errors.InputError, index.errors.InputErrors
        Invalid levers (:func:`index.levers.parse_levers`) or any error of :func:`simulate_deal`.
    """

    deal = Deal.model_validate_json(deal_json)
    facility = Facility.model_validate_json(facility_json)
    levers = parse_levers(json.loads(levers_json))
    hourly = cached_hourly(facility_json, monthly) if workflows.needs_hourly(deal, levers) else None
    return simulate_deal(deal, facility, monthly_of(monthly), levers, n_paths=n_paths, seed=seed,
                         model=model, bau=cached_bau(facility_json, monthly, model), methodology=methodology(),
                         hourly=hourly, source=StoreSource(app_store()))


@st.cache_resource(show_spinner=False, max_entries=8)
def cached_hourly(facility_json: str, monthly: str):
    """Hourly shapes of a facility's 24/7 CFE KPIs (:func:`workflows.hourly_inputs` on the deal book: its
    latest stored interval data, else a flat load), once per facility and deal-book state (:func:`monthly_key`
    changes with every write)."""

    return workflows.hourly_inputs(Facility.model_validate_json(facility_json), StoreSource(app_store()))


# ------------------------------------------------------------------------------------------ tables, chart


def spt_table(deal) -> pd.DataFrame:
    """The deal's SPTs: one row per observation date, one column per ratchet KPI [KPI unit]."""

    kpis = [k.kpi for k in _ratchet_kpis(deal)]
    return pd.DataFrame([{"date": o.date, **{k: o.spt.get(k) for k in kpis}} for o in deal.observations])


def probability_frame(result: dict) -> pd.DataFrame:
    """Per observation date and ratchet KPI: SPT, P(met), P(no change), P(missed) [fraction], expected margin
    and adjustment [bp], and the observation's ``source`` (``verified``, ``period`` or ``simulated``) and
    ``period`` (facility period label or None)."""
    rows = []
    for o, src in zip(result["per_observation"], result["observation_kind"], strict=True):
        for k in result["kpis"]:
            s = o[k]
            rows.append({"date": o["date"], "kpi": k, "spt": s["spt"], "p_met": s["p_met"], "p_band": s["p_band"],
                         "p_missed": s["p_missed"], "margin_bp": o["margin_bp_expected"],
                         "adjustment_bp": o["expected_adjustment_bp"], "source": src["kind"],
                         "period": src.get("period")})
    return pd.DataFrame(rows)


def compare_frame(a: dict, b: dict) -> pd.DataFrame:
    """Lever set B against A per observation date and KPI: P(met) of each and B − A [fraction], expected
    margin of each and B − A [bp]."""
    fa, fb = probability_frame(a), probability_frame(b)
    out = fa[["date", "kpi", "spt"]].copy()
    out["p_met_a"], out["p_met_b"] = fa["p_met"], fb["p_met"]
    out["p_met_diff"] = fb["p_met"] - fa["p_met"]
    out["margin_a"], out["margin_b"] = fa["margin_bp"], fb["margin_bp"]
    out["margin_diff"] = fb["margin_bp"] - fa["margin_bp"]
    return out


def fan_frames(result: dict, kpi: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Chart data of one KPI: (fan: year, p05 … p95 per simulated year; spt: year, spt per observation;
    observed: year, value per observation with a result)."""
    fan = pd.DataFrame(result["distribution"][kpi] if kpi in result["distribution"] else result["cfe"][kpi])
    spt = pd.DataFrame([{"year": int(o["date"][:4]), "spt": o[kpi]["spt"]} for o in result["per_observation"]
                        if kpi in o], columns=["year", "spt"])
    obs = pd.DataFrame([{"year": o["year"], "value": o[kpi]} for o in result["observed"] if kpi in o],
                       columns=["year", "value"])
    return fan, spt, obs


def fan_chart(result: dict, kpi: str, labels: dict[str, str]):
    """Altair fan chart: 5–95 % and 25–75 % bands and the median of the simulated KPI per year, the SPTs as
    red triangles and observed values as black points. ``labels``: translated ``year`` and ``value`` axis titles.
    """

    fan, spt, obs = fan_frames(result, kpi)
    years = sorted(set(fan["year"]) | set(spt["year"]))
    vals = pd.concat([fan["p05"], fan["p95"], spt["spt"].astype(float), obs["value"].astype(float)]).dropna()
    pad = CHART_PAD * (float(vals.max() - vals.min()) or abs(float(vals.max())) or 1.0)
    y_scale = alt.Scale(domain=[float(vals.min()) - pad, float(vals.max()) + pad], zero=False, nice=False)
    x = alt.X("year:Q", title=labels["year"], scale=alt.Scale(domain=[years[0] - 0.3, years[-1] + 0.3]),
              axis=alt.Axis(format="d", values=years))
    base = alt.Chart(fan)
    wide = base.mark_area(opacity=0.25, color="#4c78a8").encode(
        x=x, y=alt.Y("p05:Q", title=labels["value"], scale=y_scale), y2="p95:Q",
        tooltip=[alt.Tooltip("year:Q", format="d"), alt.Tooltip("p05:Q", format=".3f"),
                 alt.Tooltip("p95:Q", format=".3f")])
    mid = base.mark_area(opacity=0.45, color="#4c78a8").encode(x=x, y="p25:Q", y2="p75:Q")
    med = base.mark_line(color="#1f3b73", point=True).encode(
        x=x, y="p50:Q", tooltip=[alt.Tooltip("year:Q", format="d"), alt.Tooltip("p50:Q", format=".3f")])
    sp = alt.Chart(spt).mark_point(shape="triangle-down", size=140, filled=True, color="#d62728").encode(
        x=x, y="spt:Q", tooltip=[alt.Tooltip("year:Q", format="d"), alt.Tooltip("spt:Q", format=".3f")])
    layers = [wide, mid, med, sp] if len(spt) else [wide, mid, med]
    if len(obs):
        layers.append(alt.Chart(obs).mark_point(size=90, filled=True, color="black").encode(
            x=x, y="value:Q", tooltip=[alt.Tooltip("year:Q", format="d"), alt.Tooltip("value:Q", format=".3f")]))
    return alt.layer(*layers).properties(height=320)


def cfe_frame(result: dict) -> pd.DataFrame:
    """Per simulated year: median and 5–95 % of each 24/7 CFE KPI of a run [%] (columns ``year``,
    ``<kpi>_p50``, ``<kpi>_p05``, ``<kpi>_p95``); empty when the run has no CFE KPIs."""
    cfe = result.get("cfe") or {}
    rows = {}
    for k in CFE_KPIS:
        for r in cfe.get(k, []):
            row = rows.setdefault(r["year"], {"year": r["year"]})
            for q in ("p50", "p05", "p95"):
                row[f"{k}_{q}"] = 100.0 * r[q]
    return pd.DataFrame(list(rows.values()))
