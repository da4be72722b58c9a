"""The GCPI engine: facility + period + methodology → :class:`~index.result.IndexResult`.

One computation serves both entry points, so their numbers are identical:

- :func:`score` scores one facility-period and returns a full :class:`IndexResult`;
- :func:`score_frame` scores many facility-periods from a pandas DataFrame (one row each, columns as built by
  :func:`inputs_frame`) with numpy, vectorised, returning one row of scores per input row.

Pipeline: inputs (numbers, ``nan`` when missing) → raw quantities (:mod:`index.metrics`) → scores on the
methodology's curves → weighted core, add-on, total → grade (bands on the total, then the PUE guard).
Missing indicators score 0 and are listed; completeness is reported (DESIGN.md §3.2).

Reference data come from a :class:`~index.reference.ReferenceBundle` (default: the shipped one; a deal passes the
bundle it pinned); every result records the bundle's SHA-256 and the factors it used. Rules a methodology
switches on in its ``[rules]`` table (gcpi-2025; none in gcpi-2024, whose results are unchanged):
``gec_quality_criteria`` (GEC lots count only with id, cancellation record, vintage in the period and market,
:func:`gec_lot_problems`), ``gec_share_cap`` (unbundled GECs up to the provincial consumption-responsibility
weight), ``acquisition_basis = "total_energy"``, ``computing_efficiency_power = "it"``, ``precision_conversion``,
``utilisation_weighting = "it_power"``, ``explicit_zero_needs_source``, ``operation_min_days`` and
``proxy_not_for_loan_test``. An indicator's ``allow_missing`` decides which scope 1 parts may be zero-filled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from index import metrics
from index.errors import InputError
from index.methodology import Methodology, _parse_curve, load_methodology
from index.models import FIGURE_UNITS, RENEWABLE_CHANNELS, Facility, PeriodData
from index.reference import ReferenceBundle, default_bundle, pinned_bundle
from index.result import FactorUsed, IndexResult, IndicatorResult, NodeResult, Note

NUMERIC_INPUTS: tuple[str, ...] = tuple(FIGURE_UNITS) + (
    "hours", "refrigerant_kgco2e", "grid_factor_location", "grid_factor_residual", "precision_ok",
    "diesel_factor", "gas_factor", "renewable_floor", "onsite_null_kwh")
#: scope 1 parts as named in a methodology's ``allow_missing`` -> engine input
SCOPE1_PARTS = {"diesel_l": "diesel_l", "natural_gas_m3": "natural_gas_m3", "refrigerants": "refrigerant_kgco2e"}

#: inputs each indicator's raw value is computed from (for status and source)
INDICATOR_INPUTS: dict[str, tuple[str, ...]] = {
    "computing_efficiency": ("compute_capacity_tflops", "compute_fp32_tflops", "storage_capacity_tb",
                             "total_energy_kwh", "it_energy_kwh", "pue"),
    "scale": ("standard_racks", "design_it_power_kw"),
    "availability": ("availability",),
    "rack_utilisation": ("racks_occupied", "racks_ready", "rack_utilisation"),
    "it_load_rate": ("it_power_avg_kw", "it_power_rated_kw", "it_energy_kwh"),
    "cpu_gpu_utilisation": ("cpu_utilisation", "gpu_utilisation", "gpu_power_share"),
    "pue": ("total_energy_kwh", "it_energy_kwh", "pue"),
    "wue": ("water_m3", "it_energy_kwh", "total_energy_kwh", "pue"),
    "renewable_share": (*RENEWABLE_CHANNELS, "grid_kwh", "gec_mwh", "renewable_share", "total_energy_kwh",
                        "onsite_certificates_sold_mwh"),
    "renewable_acquisition": (*RENEWABLE_CHANNELS, "grid_kwh", "gec_mwh", "onsite_certificates_sold_mwh",
                              "cfe_score", "hourly_matched_share"),
    "cue": ("total_energy_kwh", "it_energy_kwh", "pue", *RENEWABLE_CHANNELS, "grid_kwh", "gec_mwh",
            "renewable_share", "diesel_l", "natural_gas_m3"),
    "carbon_efficiency": ("compute_capacity_tflops", "total_energy_kwh", "it_energy_kwh", "pue",
                          *RENEWABLE_CHANNELS, "grid_kwh", "gec_mwh", "renewable_share", "diesel_l",
                          "natural_gas_m3"),
    "resource_recycling": ("waste_heat_reused_kwh", "total_energy_kwh"),
}
STATUS_ORDER = {"design": 0, "reported": 1, "verified": 2}
#: figures held on the facility (design by nature), not on a period
FACILITY_FIGURES = ("design_it_power_kw", "standard_racks")


def _nz(a: np.ndarray) -> np.ndarray:
    """Missing (nan) as zero: for channels and scope 1 parts that are absent when not used."""
    return np.nan_to_num(a, nan=0.0)


def _compute(inp: Mapping[str, np.ndarray], cat: Mapping[str, np.ndarray], m: Methodology) -> dict:
    """Raw values and scores for n rows. ``inp`` numeric arrays (nan = missing), ``cat`` categorical /
    checklist arrays. Returns a dict of arrays: ``raw.<id>``, ``score.<id>``, ``contrib.<id>``, ``core``,
    ``addon``, ``total``, ``grade_idx`` etc."""
    g = inp.get
    n = len(inp["hours"])
    nan = np.full(n, np.nan)
    rules = m.rules
    total = g("total_energy_kwh", nan)
    it = g("it_energy_kwh", nan)
    pue_fig = g("pue", nan)
    # Fill one energy from a published PUE (status 'computed').
    it = np.where(np.isnan(it) & ~np.isnan(total) & ~np.isnan(pue_fig), total / pue_fig, it)
    total = np.where(np.isnan(total) & ~np.isnan(it) & ~np.isnan(pue_fig), it * pue_fig, total)
    hours = inp["hours"]
    out: dict[str, np.ndarray] = {}
    raw: dict[str, np.ndarray] = {}

    raw["pue"] = np.where(~np.isnan(total) & ~np.isnan(it), metrics.pue(total, it), pue_fig)
    raw["wue"] = metrics.wue(g("water_m3", nan), it)

    # Supply: known when any channel (or the grid purchase, or GECs) is reported.
    ch = {c: g(c, nan) for c in (*RENEWABLE_CHANNELS, "grid_kwh", "gec_mwh")}
    any_channel = np.zeros(n, dtype=bool)
    for a in ch.values():
        any_channel |= ~np.isnan(a)
    ren_phys = sum(_nz(ch[c]) for c in RENEWABLE_CHANNELS)
    grid = np.where(np.isnan(ch["grid_kwh"]), total - ren_phys, ch["grid_kwh"])
    gec_cov = metrics.gec_covered_kwh(_nz(grid), _nz(ch["gec_mwh"]))
    out["gec_excess_kwh"] = np.maximum(_nz(ch["gec_mwh"]) * 1000.0 - gec_cov, 0.0)
    # On-site generation whose certificates were sold is null power: not renewable for the facility
    # (GHG Protocol Scope 2 Guidance ch. 7.5, no double claim); 0 when not reported.
    null_kwh = np.minimum(_nz(g("onsite_null_kwh", nan)), _nz(ch["onsite_renewable_kwh"]))
    onsite_own = _nz(ch["onsite_renewable_kwh"]) - null_kwh
    floor = g("renewable_floor", nan)
    if rules.get("gec_share_cap") == "provincial_renewable_weight":
        # Unbundled GECs fill the renewable share up to the province's consumption-responsibility weight
        # and no further (data/methodology/README.md §GEC).
        other = onsite_own + _nz(ch["sgls_kwh"]) + _nz(ch["direct_supply_kwh"]) + _nz(ch["green_trading_kwh"])
        room = np.maximum(np.where(np.isnan(floor), 0.0, floor) * _nz(total) - other, 0.0)
        gec_used = np.minimum(gec_cov, room)
    else:
        gec_used = gec_cov
    out["gec_counted_kwh"] = gec_used
    ren_kwh = metrics.renewable_supply_kwh(onsite_own, _nz(ch["sgls_kwh"]),
                                           _nz(ch["direct_supply_kwh"]), _nz(ch["green_trading_kwh"]), gec_used)
    share_fig = g("renewable_share", nan)
    share = np.where(any_channel, metrics.renewable_share(ren_kwh, total), share_fig)
    raw["renewable_share"] = share
    out["renewable_share_physical"] = np.where(any_channel, metrics.renewable_share(
        onsite_own + _nz(ch["sgls_kwh"]) + _nz(ch["direct_supply_kwh"]), total), np.nan)
    out["renewable_share_bundled"] = np.where(any_channel, metrics.renewable_share(
        _nz(ch["green_trading_kwh"]), total), np.nan)
    out["renewable_share_gec"] = np.where(any_channel, metrics.renewable_share(gec_used, total), np.nan)
    # rounded so that a share filled exactly to the floor (GECs) is not 1e-17 below it
    raw["renewable_floor_margin"] = np.round(share - floor, 12)
    q = m.acquisition_quality
    by_channel = {"onsite": onsite_own, "sgls": _nz(ch["sgls_kwh"]), "direct": _nz(ch["direct_supply_kwh"]),
                  "trading": _nz(ch["green_trading_kwh"]), "gec": gec_used}
    if rules.get("acquisition_basis") == "total_energy":
        quality = metrics.acquisition_quality_by_volume(by_channel, q, total)
    else:
        quality = metrics.acquisition_quality(by_channel, q)
    raw["renewable_acquisition"] = np.where(any_channel, quality, np.nan)
    # Acquisition with channels but no renewable at all scores 0 (not missing).
    raw["renewable_acquisition"] = np.where(any_channel & (ren_kwh == 0), 0.0, raw["renewable_acquisition"])

    # Emissions [kg]. A missing scope 1 part counts 0 only where the indicator's allow_missing lists it
    # (gcpi-2024 lists all three; gcpi-2025 none: missing means missing).
    def scope1(iid: str) -> np.ndarray:
        allowed = m.indicators[iid].allow_missing if iid in m.indicators else tuple(SCOPE1_PARTS)
        part = {k: (_nz(g(v, nan)) if k in allowed else g(v, nan)) for k, v in SCOPE1_PARTS.items()}
        return metrics.scope1_kg(part["diesel_l"], part["natural_gas_m3"], part["refrigerants"],
                                 inp["diesel_factor"], inp["gas_factor"])

    s1 = scope1("cue")
    s1_ce = scope1("carbon_efficiency")
    onsite = _nz(ch["onsite_renewable_kwh"])
    s2_loc = metrics.scope2_location_kg(total - onsite, inp["grid_factor_location"])
    uncovered = np.where(any_channel, _nz(grid) - gec_used + null_kwh, total * (1.0 - share_fig))
    s2_mkt = metrics.scope2_market_kg(uncovered, inp["grid_factor_residual"])
    out["scope1_kg"], out["scope2_location_kg"], out["scope2_market_kg"] = s1, s2_loc, s2_mkt
    basis = m.constants.get("cue_basis", "market")
    s2 = s2_mkt if basis == "market" else s2_loc
    out["cue_location"] = metrics.cue(s1 + s2_loc, it)
    out["cue_market"] = metrics.cue(s1 + s2_mkt, it)
    all_gec = np.where(any_channel, _nz(grid) - gec_cov + null_kwh, total * (1.0 - share_fig))
    out["cue_market_all_gec"] = metrics.cue(s1 + metrics.scope2_market_kg(all_gec, inp["grid_factor_residual"]), it)
    raw["cue"] = out["cue_market"] if basis == "market" else out["cue_location"]

    cap = np.where(inp["precision_ok"] > 0, g("compute_capacity_tflops", nan), np.nan)
    if rules.get("computing_efficiency_power") == "it":
        # Seed 001 note 17: 算效 = compute capacity / IT-equipment power (not facility power).
        raw["computing_efficiency"] = metrics.computing_efficiency(cap, it, hours)
    else:
        raw["computing_efficiency"] = metrics.computing_efficiency(cap, total, hours)
    raw["compute_efficiency_it"] = metrics.computing_efficiency(cap, it, hours)
    out["compute_efficiency_it"] = raw["compute_efficiency_it"]
    raw["storage_efficiency"] = metrics.storage_efficiency(g("storage_capacity_tb", nan), it, hours)
    raw["carbon_efficiency"] = metrics.carbon_efficiency(cap, (s1_ce + s2) / 1000.0, hours)
    counted = metrics.rack_utilisation(g("racks_occupied", nan), g("racks_ready", nan))
    raw["rack_utilisation"] = np.where(np.isnan(counted), g("rack_utilisation", nan), counted)
    avg_kw = np.where(np.isnan(g("it_power_avg_kw", nan)), metrics.average_power_kw(it, hours),
                      g("it_power_avg_kw", nan))
    raw["it_load_rate"] = metrics.it_load_rate(avg_kw, g("it_power_rated_kw", nan))
    cpu, gpu = g("cpu_utilisation", nan), g("gpu_utilisation", nan)
    if rules.get("utilisation_weighting") == "it_power":
        raw["cpu_gpu_utilisation"] = metrics.cpu_gpu_utilisation_weighted(cpu, gpu, g("gpu_power_share", nan))
    else:
        both = np.stack([cpu, gpu])
        cnt = (~np.isnan(both)).sum(axis=0)
        raw["cpu_gpu_utilisation"] = np.where(cnt > 0, np.nansum(both, axis=0) / np.maximum(cnt, 1), np.nan)
    racks = g("standard_racks", nan)
    design = g("design_it_power_kw", nan)
    raw["scale"] = np.where(np.isnan(racks),
                            metrics.standard_racks(design, float(m.constants.get("standard_rack_kw", 2.5))),
                            racks)
    raw["erf"] = metrics.erf(g("waste_heat_reused_kwh", nan), total)
    # hourly matching (issue 15): figures computed from interval data by index.cfe; a methodology may score
    # them (e.g. as a part of a composite curve), otherwise they are KPIs only
    raw["cfe_score"] = g("cfe_score", nan)
    raw["hourly_matched_share"] = g("hourly_matched_share", nan)
    out["cfe_score"], out["hourly_matched_share"] = raw["cfe_score"], raw["hourly_matched_share"]

    scores: dict[str, np.ndarray] = {}
    for iid, ind in m.indicators.items():
        c = ind.curve
        if c.type in ("piecewise", "steps"):
            scores[iid] = c.evaluate(raw[iid])
            if c.zero_below == "provincial_renewable_weight":
                # 2025 national green-DC index 指标2: no score below the province's consumption weight
                scores[iid] = np.where(np.round(raw[iid] - floor, 12) < 0, 0.0, scores[iid])
        elif c.type == "bands":
            scores[iid] = c.evaluate_bands(cat.get(iid, np.full(n, None, dtype=object)), field=iid)
            raw[iid] = scores[iid]
        elif c.type == "checklist":
            raw[iid], scores[iid] = _checklist(iid, c, cat, n)
        elif c.type == "composite":
            parts = np.zeros(n)
            have = np.zeros(n, dtype=bool)
            for metric, w, sub in c.parts:
                if sub.type == "checklist":
                    _, s = _checklist(iid, sub, cat, n)
                else:
                    s = sub.evaluate(raw[metric])
                have |= ~np.isnan(s)
                parts = parts + w * _nz(s)
            scores[iid] = np.where(have, parts, np.nan)
            raw[iid] = scores[iid]
    for iid in m.indicators:
        out[f"raw.{iid}"] = raw[iid]
        out[f"missing.{iid}"] = np.isnan(scores[iid])
        out[f"score.{iid}"] = _nz(scores[iid])
    core = np.zeros(n)
    addon = np.zeros(n)
    present = np.zeros(n)
    present_w = np.zeros(n)
    for iid, ind in m.indicators.items():
        s = out[f"score.{iid}"]
        if ind.addon:
            contrib = m.addon_max_points * ind.weight * s / 100.0
            addon = addon + contrib
        else:
            contrib = ind.weight * s
            core = core + contrib
            present_w = present_w + ind.weight * (~out[f"missing.{iid}"])
        present = present + (~out[f"missing.{iid}"])
        out[f"contrib.{iid}"] = contrib
    out["core"], out["addon"], out["total"] = core, addon, core + addon
    out["completeness"] = present / len(m.indicators)
    out["completeness_weighted"] = present_w
    # Grades: bands on the total (best first), then the PUE guard; the lower of the two.
    mins = np.array([mn for _, mn in m.grades])
    score_idx = _bands(out["total"], mins)
    guard_max = np.array([mx for mx, _ in m.pue_guard])
    guard_rank = np.array([m.grade_rank(gr) for _, gr in m.pue_guard])
    pue_raw = raw["pue"]
    pos = np.searchsorted(guard_max, pue_raw, side="left")
    ungraded = len(m.grades)
    pue_idx = np.where(pos < len(guard_max), guard_rank[np.minimum(pos, len(guard_max) - 1)], ungraded)
    pue_idx = np.where(np.isnan(pue_raw), m.grade_rank(m.pue_missing_grade), pue_idx)
    out["score_grade_idx"] = score_idx
    out["pue_grade_idx"] = pue_idx
    out["grade_idx"] = np.maximum(score_idx, pue_idx)
    for gate in m.gates:
        v = raw.get(gate["metric"])
        if v is None:
            continue
        ok = v >= gate["value"] if gate["comparator"] == ">=" else v <= gate["value"]
        hit = ~np.isnan(v) & ~ok
        if gate.get("missing") == "hit":  # a condition that must be shown: not reported = not met
            hit = hit | np.isnan(v)
        out[f"gate.{gate['id']}"] = hit
        if gate.get("effect") == "cap":
            out["grade_idx"] = np.where(hit, np.maximum(out["grade_idx"], m.grade_rank(gate["cap_grade"])),
                                        out["grade_idx"])
    return out


def _bands(total: np.ndarray, mins: np.ndarray) -> np.ndarray:
    """Index of the best grade band whose minimum the total reaches (len(mins) when none)."""
    reached = total[:, None] >= mins[None, :]
    return np.where(reached.any(axis=1), reached.argmax(axis=1), len(mins))


def _checklist(iid: str, curve, cat: Mapping[str, np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Share of capability weight present (0–1) and its score (0–100); nan when the checklist is absent."""
    num = np.zeros(n)
    den = 0.0
    have = np.zeros(n, dtype=bool)
    for it in curve.items:
        col = cat.get(f"checklist.{iid}.{it['id']}")
        w = float(it.get("weight", 1))
        den += w
        if col is None:
            continue
        col = np.asarray(col, dtype=float)
        have |= ~np.isnan(col)
        num = num + w * _nz(col)
    share = np.where(have, num / den, np.nan)
    return share, share * 100.0


# ------------------------------------------------------------------ single facility-period

def _period_inputs(facility: Facility, period: PeriodData, m: Methodology,
                   ref: ReferenceBundle | None = None) -> tuple[dict, dict, dict, list]:
    """Length-1 arrays for :func:`_compute`, the statuses/sources of the inputs, and notes.

    ``meta`` also holds ``_factors`` (the :class:`FactorUsed` list), ``_flags`` (gates raised here) and
    ``_note_codes`` (the :class:`Note` of each note here that has a code).
    """
    ref = ref or default_bundle()
    rules = m.rules
    notes: list[str] = []
    coded: list[Note] = []
    factors: list[FactorUsed] = []
    flags: list[str] = []
    inp: dict[str, np.ndarray] = {}
    meta: dict = {}
    for name in FIGURE_UNITS:
        fig = getattr(period, name, None) if name in PeriodData.model_fields else getattr(facility, name, None)
        if (fig is not None and rules.get("explicit_zero_needs_source") and fig.value == 0
                and name in SCOPE1_PARTS and not (fig.source or "").strip()):
            notes.append(f"{name} = 0 without a source is not evidence of zero: treated as missing")
            coded.append(Note(code="zero_without_source", params={"figure": name}, text=notes[-1]))
            fig = None
        inp[name] = np.array([fig.value if fig is not None else np.nan])
        if fig is not None:
            meta[name] = (fig.status, fig.source)
    inp["hours"] = np.array([period.hours])
    if period.refrigerants is not None:
        assessment = str(m.constants.get("gwp_assessment", "ar5"))
        kg = 0.0
        for r in period.refrigerants:
            g_ = ref.gwp(r.gas, assessment)
            kg += float(metrics.refrigerant_kgco2e(r.kg, g_))
            factors.append(FactorUsed(name=f"gwp.{r.gas}", value=g_, unit="kgCO2e/kg",
                                      source=f"data/reference/gwp.csv, IPCC {assessment.upper()} GWP-100"))
        inp["refrigerant_kgco2e"] = np.array([kg])
        meta["refrigerants"] = (min((r.status for r in period.refrigerants), key=lambda s: STATUS_ORDER.get(s, 9),
                                    default=period.status), None)
    else:
        inp["refrigerant_kgco2e"] = np.array([np.nan])
    for fuel, key, unit in (("diesel", "diesel_factor", "kgCO2/L"), ("natural_gas", "gas_factor", "kgCO2/m3")):
        v = ref.fuel_factor(fuel)
        inp[key] = np.array([v])
        factors.append(FactorUsed(name=f"fuel_factor.{fuel}", value=v, unit=unit, source=ref.fuel_source(fuel)))
    for basis, prov, level in (("location", facility.province, "provincial"), ("residual", None, "national")):
        try:
            f = ref.grid_factor(period.year, prov, basis=basis, level=level)
        except InputError as exc:  # no factor published for this year or earlier: CUE cannot be computed
            inp[f"grid_factor_{basis}"] = np.array([np.nan])
            notes.append(f"{basis} grid factor: {exc.message}; emissions-based indicators not scored")
            coded.append(Note(code="grid_factor_none", params={"basis": basis, "year": period.year}, text=notes[-1]))
            continue
        inp[f"grid_factor_{basis}"] = np.array([f.value])
        factors.append(FactorUsed(name=f"grid_factor_{basis}", value=f.value, unit="kgCO2/kWh", year=f.year,
                                  level=f.level, region=f.region_code, source=f.source, note=f.note))
        if f.note:
            notes.append(f"{f.basis} grid factor: {f.note}")
            coded.append(Note(code="grid_factor", params={"basis": f.basis}, text=notes[-1], parts=f.fallbacks))
    try:
        w = ref.renewable_weight(facility.province, period.year)
        inp["renewable_floor"] = np.array([w.value])
        factors.append(FactorUsed(name="renewable_consumption_weight", value=w.value, unit="fraction", year=w.year,
                                  level="provincial", region=w.province, source=w.source, note=w.note))
    except InputError as exc:
        inp["renewable_floor"] = np.array([np.nan])
        if rules:
            notes.append(f"renewables floor: {exc.message}")
            coded.append(Note(code="renewables_floor_none", params={"province": str(exc.value),
                                                                   "year": period.year}, text=notes[-1]))
    # On-site generation whose certificates were sold (null power).
    sold = period.onsite_certificates_sold_mwh
    inp["onsite_null_kwh"] = np.array([sold.value * 1000.0 if sold is not None else np.nan])
    if rules.get("gec_quality_criteria"):
        _qualify_gecs(period, m, inp, meta, notes, coded)
    wanted = m.constants.get("compute_precision")
    ok = period.compute_precision is None or period.compute_precision == wanted
    if not ok and rules.get("precision_conversion") == "declared_fp32" and period.compute_fp32_tflops is not None:
        fp32 = period.compute_fp32_tflops
        inp["compute_capacity_tflops"] = np.array([fp32.value])
        meta["compute_capacity_tflops"] = (fp32.status, fp32.source)
        notes.append(f"compute capacity declared at {period.compute_precision}; its declared FP32 peak "
                     f"{fp32.value:,.0f} TFLOPS (source: {fp32.source or 'not given'}) is scored")
        coded.append(Note(code="precision_fp32", params={"precision": period.compute_precision,
                                                         "tflops": fp32.value, "source": fp32.source or ""},
                          text=notes[-1]))
        ok = True
    elif not ok:
        notes.append(f"compute capacity declared at {period.compute_precision}, the methodology scores "
                     f"{wanted}: computing and carbon efficiency not scored")
        coded.append(Note(code="precision_unscored", params={"precision": period.compute_precision,
                                                             "wanted": str(wanted)}, text=notes[-1]))
        if rules.get("precision_conversion"):
            notes.append("give compute_fp32_tflops (FP32 peak from the device datasheets, with its source) to "
                         "score computing and carbon efficiency")
            coded.append(Note(code="precision_give_fp32", text=notes[-1]))
            flags.append("compute_precision_unscored")
    inp["precision_ok"] = np.array([1.0 if ok else 0.0])
    meta["_factors"] = factors
    meta["_flags"] = flags
    meta["_note_codes"] = coded
    cat: dict[str, np.ndarray] = {}
    if period.availability is not None:
        cat["availability"] = np.array([period.availability.value], dtype=object)
        meta["availability"] = (period.availability.status, period.availability.source)
    for iid, ind in m.indicators.items():
        curves = [ind.curve] if ind.curve.type == "checklist" else [
            p[2] for p in ind.curve.parts if p[2].type == "checklist"]
        for c in curves:
            cl = period.checklists.get(iid)
            known = set(c.item_ids())
            if cl is not None:
                unknown = [x for x in cl.items if x not in known]
                if unknown:
                    raise InputError(f"unknown capability id(s) {', '.join(unknown)} for {iid}; the methodology "
                                     f"lists {', '.join(sorted(known))}", field=f"checklists.{iid}",
                                     row=f"period {period.label}")
                meta[f"checklist.{iid}"] = (cl.status, cl.source)
            for item in known:
                v = np.nan if cl is None else (1.0 if item in cl.items else 0.0)
                cat[f"checklist.{iid}.{item}"] = np.array([v])
    unknown_lists = set(period.checklists) - {i for i, ind in m.indicators.items()
                                               if ind.curve.type in ("checklist", "composite")}
    if unknown_lists:
        raise InputError(f"checklists given for indicator(s) that are not checklists: "
                         f"{', '.join(sorted(unknown_lists))}", field="checklists", row=f"period {period.label}")
    return inp, cat, meta, notes


def gec_lot_problems(lot, period: PeriodData, boundary: str, excluded: set[str], seen: set[str]) -> list[str]:
    """Why a GEC lot fails the GHG Protocol Scope 2 quality criteria (empty list: it counts).

    Criteria (GHG Protocol Scope 2 Guidance, 2015, ch. 7.5): a unique, tracked certificate id; retired
    (cancelled) for the reporting entity, with the record; vintage within the reporting period; issued in the
    market where the facility consumes (``boundary``); not also claimed through bundled green-power trading
    or sold from the facility's own on-site generation. The same reasons as codes: :func:`gec_lot_reasons`.
    """
    return [n.text for n in gec_lot_reasons(lot, period, boundary, excluded, seen)]


def gec_lot_reasons(lot, period: PeriodData, boundary: str, excluded: set[str], seen: set[str]) -> list[Note]:
    """:func:`gec_lot_problems` as :class:`Note` (code ``gec_*``, params, the same English text)."""
    why = []
    if not lot.id.strip():
        why.append(Note(code="gec_no_id", text="no certificate id"))
    elif lot.id in seen:
        why.append(Note(code="gec_id_twice", params={"id": lot.id}, text=f"id {lot.id} claimed twice"))
    elif lot.id in excluded:
        why.append(Note(code="gec_id_excluded", params={"id": lot.id},
                        text=f"id {lot.id} is also in a green-power trading settlement or was sold from on-site "
                             "generation"))
    if not (lot.evidence or "").strip() or not (lot.retired_for or "").strip():
        why.append(Note(code="gec_no_cancellation", text="no cancellation record naming the beneficiary"))
    if lot.generation_start is None or lot.generation_end is None:
        why.append(Note(code="gec_no_vintage", text="no vintage (generation period)"))
    elif lot.generation_start < period.start or lot.generation_end > period.end:
        why.append(Note(code="gec_vintage_outside",
                        params={"start": lot.generation_start.isoformat(), "end": lot.generation_end.isoformat(),
                                "period_start": period.start.isoformat(), "period_end": period.end.isoformat()},
                        text=f"vintage {lot.generation_start}–{lot.generation_end} outside the reporting period "
                             f"{period.start}–{period.end}"))
    if (lot.market or "").strip().upper() != boundary.upper():
        why.append(Note(code="gec_market", params={"market": lot.market or "", "boundary": boundary},
                        text=f"market {lot.market or 'not given'} is not the facility's market {boundary}"))
    if lot.mwh <= 0:
        why.append(Note(code="gec_empty", text="no certificates in the lot"))
    return why


def _qualify_gecs(period: PeriodData, m: Methodology, inp: dict, meta: dict, notes: list[str],
                  coded: list[Note]) -> None:
    """Replace ``gec_mwh`` by the MWh of lots that meet the quality criteria (nan when none do); the notes on
    certificates not counted go to ``notes`` (English) and ``coded`` (:class:`Note`)."""
    boundary = str(m.rule("gec_market_boundary", "CN"))
    excluded = set(period.green_trading_certificate_ids or ()) | set(period.onsite_certificate_ids_sold or ())
    seen: set[str] = set()
    good = 0.0
    bad = 0.0
    statuses = []
    lots_mwh = sum(lot.mwh for lot in period.gec_certificates or ())
    if period.gec_mwh is not None and not (period.gec_certificates and abs(period.gec_mwh.value - lots_mwh) < 1e-6):
        bad += period.gec_mwh.value
        notes.append(f"{period.gec_mwh.value:,.0f} MWh of GECs given without lot evidence (id, vintage, market, "
                     "cancellation record): not counted")
        coded.append(Note(code="gec_no_lot_evidence", params={"mwh": period.gec_mwh.value}, text=notes[-1]))
    for lot in period.gec_certificates or ():
        why = gec_lot_reasons(lot, period, boundary, excluded, seen)
        seen.add(lot.id)
        if why:
            bad += lot.mwh
            notes.append(f"GEC lot {lot.id or '(no id)'} ({lot.mwh:,.0f} MWh) not counted: "
                         f"{'; '.join(n.text for n in why)}")
            coded.append(Note(code="gec_lot_not_counted", params={"lot": lot.id, "mwh": lot.mwh}, text=notes[-1],
                              parts=tuple(why)))
        else:
            good += lot.mwh
            statuses.append(lot.status)
    inp["gec_mwh"] = np.array([good if good > 0 else np.nan])
    inp["gec_qualified_mwh"] = np.array([good])
    inp["gec_unqualified_mwh"] = np.array([bad])
    meta.pop("gec_mwh", None)
    if good > 0:
        meta["gec_mwh"] = (_weakest(statuses), "GEC cancellation records")


def pinned(methodology_id: str | None = None, methodology_sha256: str | None = None,
           reference_sha256: str | None = None) -> tuple[Methodology, ReferenceBundle | None]:
    """The methodology and reference bundle a deal pinned at signing, for :func:`score`.

    Parameters
    ----------
    methodology_id : str, optional
        Shipped methodology id (``gcpi-2025``) or file; default the product default.
    methodology_sha256 : str, optional
        SHA-256 the methodology file must still have.
    reference_sha256 : str, optional
        Reference bundle to score on (:func:`index.reference.pinned_bundle`); None = the shipped bundle.

    Returns
    -------
    (Methodology, ReferenceBundle or None)

    Raises
    ------
    InputError
        The methodology file no longer has the pinned hash, or the pinned bundle is neither shipped nor archived.
    """

    meth = load_methodology(methodology_id) if methodology_id else load_methodology()
    if methodology_sha256 and meth.sha256 != methodology_sha256:
        raise InputError(f"methodology {meth.id} has SHA-256 {meth.sha256}, not the {methodology_sha256} pinned "
                         "by the deal", field="methodology_sha256", value=methodology_sha256)
    return meth, (pinned_bundle(reference_sha256) if reference_sha256 else None)


def _weakest(statuses: Iterable[str]) -> str:
    st = [s for s in statuses if s in STATUS_ORDER]
    if not st:
        return "computed"
    return min(st, key=STATUS_ORDER.__getitem__)


def score(facility: Facility, period: PeriodData | str | int, methodology: Methodology | None = None,
          reference: ReferenceBundle | None = None) -> IndexResult:
    """Score one facility-period.

    Parameters
    ----------
    facility : Facility
    period : PeriodData or str or int
        The period, or its label (e.g. ``2024``).
    methodology : Methodology, optional
        Default: ``data/methodology/gcpi-2024.toml``.
    reference : ReferenceBundle, optional
        Reference data (grid, residual and fuel factors, GWPs, provincial weights). Default: the shipped
        bundle; a deal passes the bundle it pinned (:func:`index.reference.pinned_bundle`).

    Returns
    -------
    IndexResult

    Raises
    ------
    InputError
        Unknown period label, unknown capability ids, no grid factor for the year, an unknown category.

    Examples
    --------
    >>> from index.models import load_facility
    >>> from index.reference import data_dir
    >>> f = load_facility(data_dir() / "facilities" / "baidu-fleet.toml")
    >>> score(f, "2023").indicators["pue"].raw_value
    1.19
    """
    m = methodology or load_methodology()
    ref = reference or default_bundle()
    if not isinstance(period, PeriodData):
        period = facility.period(period)
    inp, cat, meta, notes = _period_inputs(facility, period, m, ref)
    factors = meta.pop("_factors")
    flags = meta.pop("_flags")
    note_codes = meta.pop("_note_codes")
    try:
        out = _compute(inp, cat, m)
    except InputError as exc:
        raise InputError(exc.message, field=exc.field, row=f"period {period.label}",
                         value=exc.value) from None
    if float(out["gec_excess_kwh"][0]) > 0:
        notes.append(f"{out['gec_excess_kwh'][0] / 1000:,.0f} MWh of GECs exceed the grid purchase and are not "
                     "counted")
        note_codes.append(Note(code="gec_excess", params={"mwh": float(out["gec_excess_kwh"][0]) / 1000},
                               text=notes[-1]))
    if facility.lifecycle_stage == "operation":
        design = sorted(k for k, (s, _) in meta.items() if s == "design" and k not in FACILITY_FIGURES)
        if design:
            notes.append(f"design values used in the operation stage: {', '.join(design)}")
            note_codes.append(Note(code="design_in_operation", params={"figures": tuple(design)}, text=notes[-1]))
    inds: dict[str, IndicatorResult] = {}
    for iid, ind in m.indicators.items():
        missing = bool(out[f"missing.{iid}"][0])
        used = INDICATOR_INPUTS.get(iid, (f"checklist.{iid}",))
        if ind.curve.type == "composite":
            used = used + (f"checklist.{iid}",)
        if iid == "cue" or iid == "carbon_efficiency":
            used = used + ("refrigerants",)
        st = [meta[k][0] for k in used if k in meta]
        srcs = sorted({meta[k][1] for k in used if k in meta and meta[k][1]})
        rv = out[f"raw.{iid}"][0]
        ind_notes: list[str] = []
        ind_coded: list[Note] = []
        if ind.allow_missing and not missing:
            absent = [f for f in ind.allow_missing if f not in meta]
            if absent:
                ind_notes.append(f"not reported, counted as zero: {', '.join(absent)}")
                ind_coded.append(Note(code="counted_as_zero", params={"figures": tuple(absent)}, text=ind_notes[-1]))
        items = None
        if ind.curve.type == "checklist" or ind.curve.type == "composite":
            cl = period.checklists.get(iid)
            items = tuple(cl.items) if cl is not None else None
        inds[iid] = IndicatorResult(
            id=iid, name_zh=ind.name_zh, name_en=ind.name_en, pillar=ind.pillar, criterion=ind.criterion,
            addon=ind.addon, raw_value=None if missing or np.isnan(rv) or ind.curve.type == "bands" else float(rv),
            raw_text=period.availability.value if ind.curve.type == "bands" and period.availability else None,
            unit=ind.unit,
            score=float(out[f"score.{iid}"][0]), weight=ind.weight, contribution=float(out[f"contrib.{iid}"][0]),
            status="missing" if missing else _weakest(st), source="; ".join(srcs) or None, missing=missing,
            items_present=items, notes=tuple(ind_notes), note_codes=tuple(ind_coded))
    grades = [gr for gr, _ in m.grades] + [m.ungraded]
    score_grade = grades[int(out["score_grade_idx"][0])]
    pue_grade = grades[int(out["pue_grade_idx"][0])]
    gates = []
    if out["pue_grade_idx"][0] > out["score_grade_idx"][0]:
        gates.append("pue_grade_guard")
    for gate in m.gates:
        if bool(out.get(f"gate.{gate['id']}", [False])[0]):
            gates.append(gate["id"])
    gates.extend(flags)
    extra = {k: _f(out[k][0]) for k in ("cue_location", "cue_market", "cfe_score", "hourly_matched_share")} | {
        "scope1_t": _f(out["scope1_kg"][0] / 1000), "scope2_location_t": _f(out["scope2_location_kg"][0] / 1000),
        "scope2_market_t": _f(out["scope2_market_kg"][0] / 1000)}
    usable = True
    proxies: tuple[str, ...] = ()
    if m.rules:
        extra |= {k: _f(out[k][0]) for k in ("cue_market_all_gec", "renewable_share_physical",
                                               "renewable_share_bundled", "renewable_share_gec")}
        extra |= {"gec_qualified_mwh": _f(inp.get("gec_qualified_mwh", np.array([np.nan]))[0]),
                  "gec_unqualified_mwh": _f(inp.get("gec_unqualified_mwh", np.array([np.nan]))[0]),
                  "gec_counted_mwh": _f(out["gec_counted_kwh"][0] / 1000.0),
                  "compute_efficiency_it_gflops_per_w": _f(out["compute_efficiency_it"][0]),
                  "renewable_floor": _f(inp["renewable_floor"][0])}
        loc_curve = m.raw.get("reporting", {}).get("cue_location_curve")
        if loc_curve is not None:

            c = _parse_curve(loc_curve, m.path, "reporting.cue_location_curve")
            extra["cue_location_score"] = _f(c.evaluate(out["cue_location"])[0])
        min_days = m.rule("operation_min_days")
        days = (period.end - period.start).days + 1
        if min_days and facility.lifecycle_stage == "operation" and days < int(min_days):
            gates.append("operation_period_short")
            notes.append(f"operation-stage score on {days} days of data; {min_days} days (12 months) of measured "
                         "data are needed for a loan test")
            note_codes.append(Note(code="operation_short", params={"days": days, "min_days": int(min_days)},
                                   text=notes[-1]))
            usable = False
        proxies = tuple(sorted(k for k in FIGURE_UNITS if _is_proxy(facility, period, k)))
        if proxies and m.rule("proxy_not_for_loan_test"):
            gates.append("proxy_inputs")
            notes.append(f"proxy figures (not the facility's own): {', '.join(proxies)}; indicative only, "
                         "not usable in a loan test")
            note_codes.append(Note(code="proxy_figures", params={"figures": proxies}, text=notes[-1]))
            usable = False
            for iid, r in list(inds.items()):
                if any(p in INDICATOR_INPUTS.get(iid, ()) for p in proxies) and not r.missing:
                    inds[iid] = r.model_copy(update={"status": "proxy"})
    return IndexResult(
        facility_id=facility.id, facility_name=facility.name, period=period.label, period_start=period.start,
        period_end=period.end, lifecycle_stage=facility.lifecycle_stage, total=float(out["total"][0]),
        core=float(out["core"][0]), addon=float(out["addon"][0]), grade=grades[int(out["grade_idx"][0])],
        score_grade=score_grade, pue_grade=pue_grade, pillars=_nodes(m.pillars, inds, m, "pillar"),
        criteria=_nodes(m.criteria, inds, m, "criterion"), indicators=inds,
        completeness=float(out["completeness"][0]), completeness_weighted=float(out["completeness_weighted"][0]),
        missing=tuple(i for i in m.indicators if inds[i].missing), gates=tuple(gates), notes=tuple(notes),
        note_codes=tuple(note_codes), extra=extra, methodology_id=m.id, methodology_version=m.version, methodology_sha256=m.sha256,
        reference_sha256=ref.sha256, factors=tuple(factors), loan_test_usable=usable, proxies=proxies)


def _is_proxy(facility: Facility, period: PeriodData, name: str) -> bool:
    fig = getattr(period, name, None) if name in PeriodData.model_fields else getattr(facility, name, None)
    return bool(getattr(fig, "proxy", None))


def _f(v: float) -> float | None:
    return None if np.isnan(v) else float(v)


def _nodes(nodes, inds: dict[str, IndicatorResult], m: Methodology, attr: str) -> tuple[NodeResult, ...]:
    res = []
    for node in nodes:
        members = [i for i in inds.values() if getattr(i, attr) == node.id]
        w = sum(i.weight for i in members)
        c = sum(i.contribution for i in members)
        scale = m.addon_max_points / 100.0 if node.addon else 1.0
        s = c / (w * scale) if w and scale else 0.0
        res.append(NodeResult(id=node.id, name_zh=node.name_zh, name_en=node.name_en, addon=node.addon, weight=w,
                              contribution=c, score=s, indicators=tuple(i.id for i in members)))
    return tuple(res)


# ------------------------------------------------------------------ many facility-periods

def inputs_frame(pairs: Iterable[tuple[Facility, PeriodData]], methodology: Methodology | None = None,
                 reference: ReferenceBundle | None = None):
    """One DataFrame row of engine inputs per facility-period (the layout :func:`score_frame` reads).

    Columns: ``facility_id``, ``period``, ``lifecycle_stage``, every numeric input of :data:`NUMERIC_INPUTS`
    (nan when missing), ``availability`` (category), ``checklist.<indicator>.<item>`` (1 / 0, nan when the
    checklist is absent) and ``proxy.<figure>`` (1.0 for a figure tagged ``proxy``; the column exists only when
    some row has one, nan elsewhere).
    """
    import pandas as pd  # noqa: PLC0415 - pandas is heavy; index.engine is on dcsll score path, which scores without frames

    m = methodology or load_methodology()
    rows = []
    for fac, per in pairs:
        inp, cat, _, _ = _period_inputs(fac, per, m, reference)
        row = {"facility_id": fac.id, "period": per.label, "lifecycle_stage": fac.lifecycle_stage}
        row.update({k: float(v[0]) for k, v in inp.items()})
        row.update({f"proxy.{k}": 1.0 for k in FIGURE_UNITS if _is_proxy(fac, per, k)})
        row.update({k: v[0] for k, v in cat.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def _factor_or_nan(ref: ReferenceBundle, year: int, province: str | None, basis: str) -> float:
    try:
        return ref.grid_factor(year, province, basis=basis, level="provincial" if province else "national").value
    except InputError:
        return float("nan")


def score_frame(df, methodology: Methodology | None = None, reference: ReferenceBundle | None = None):
    """Score many facility-periods at once (vectorised).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per facility-period with the columns of :func:`inputs_frame`. Numeric columns that are
        absent count as missing. ``grid_factor_location``/``grid_factor_residual`` may be omitted when
        ``province`` and ``year`` columns are given (looked up in the MEE table).

    Returns
    -------
    pandas.DataFrame
        Same index; columns ``total``, ``core``, ``addon``, ``grade``, ``score_grade``, ``pue_grade``,
        ``completeness``, ``completeness_weighted``, ``cue_location``, ``cue_market``, per indicator
        ``raw.<id>``, ``score.<id>``, ``contrib.<id>`` and ``proxy.<id>`` (bool: scored from a figure tagged
        ``proxy``, as :attr:`IndicatorResult.status` ``"proxy"``), and per period the loan-test flags
        ``period_short`` (operation stage with fewer days than the rule ``operation_min_days``),
        ``proxy_inputs`` (some figure is a proxy, rule ``proxy_not_for_loan_test``) and ``loan_test_usable``.
        Numbers and flags equal :func:`score`'s for the same inputs (flags are all False / usable True under
        methodologies without those rules, e.g. gcpi-2024).

    Raises
    ------
    InputError
        A column of the wrong type or an unknown category (row named); no ``lifecycle_stage`` column under a
        methodology with the rule ``operation_min_days``.
    """
    import pandas as pd  # noqa: PLC0415 - pandas is heavy; index.engine is on dcsll score path, which scores without frames

    m = methodology or load_methodology()
    ref = reference or default_bundle()
    n = len(df)
    inp: dict[str, np.ndarray] = {}
    for name in NUMERIC_INPUTS:
        if name in df.columns:
            try:
                inp[name] = df[name].to_numpy(dtype=float, na_value=np.nan)
            except (TypeError, ValueError):
                raise InputError("column must be numeric", field=name) from None
    if "hours" not in inp:
        raise InputError("column 'hours' (period length [h]) is required", field="hours")
    if "precision_ok" not in inp:
        inp["precision_ok"] = np.ones(n)
    for basis in ("location", "residual"):
        col = f"grid_factor_{basis}"
        if col not in inp:
            if not {"year", "province"} <= set(df.columns):
                raise InputError(f"give '{col}' or 'year' and 'province' columns", field=col)
            keys = list(zip(df["year"].astype(int), df["province"].astype(str), strict=True))
            table = {k: _factor_or_nan(ref, k[0], k[1] if basis == "location" else None, basis) for k in set(keys)}
            inp[col] = np.array([table[k] for k in keys])
    for key, fuel in (("diesel_factor", "diesel"), ("gas_factor", "natural_gas")):
        if key not in inp:
            inp[key] = np.full(n, ref.fuel_factor(fuel))
    if "renewable_floor" not in inp:
        if {"year", "province"} <= set(df.columns):
            def _w(y, p):
                try:
                    return ref.renewable_weight(p, y).value
                except InputError:
                    return np.nan
            inp["renewable_floor"] = np.array([_w(int(y), str(p)) for y, p in zip(df["year"], df["province"],
                                                                                  strict=True)])
        else:
            inp["renewable_floor"] = np.full(n, np.nan)
    cat = {c: df[c].to_numpy() for c in df.columns if c.startswith("checklist.")}
    if "availability" in df.columns:
        cat["availability"] = df["availability"].to_numpy(dtype=object)
    out = _compute(inp, cat, m)
    grades = np.array([gr for gr, _ in m.grades] + [m.ungraded], dtype=object)
    res = {k: out[k] for k in ("total", "core", "addon", "completeness", "completeness_weighted",
                              "cue_location", "cue_market")}
    res["grade"] = grades[out["grade_idx"]]
    res["score_grade"] = grades[out["score_grade_idx"]]
    res["pue_grade"] = grades[out["pue_grade_idx"]]
    for iid in m.indicators:
        for k in ("raw", "score", "contrib"):
            res[f"{k}.{iid}"] = out[f"{k}.{iid}"]
    res.update(_frame_loan_flags(df, inp["hours"], out, m))
    frame = pd.DataFrame(res, index=df.index)
    for k in ("facility_id", "period"):
        if k in df.columns:
            frame.insert(0, k, df[k].to_numpy())
    return frame


def _frame_loan_flags(df, hours: np.ndarray, out: Mapping[str, np.ndarray], m: Methodology) -> dict[str, np.ndarray]:
    """The loan-test flags of :func:`score_frame` (same rules as :func:`score`): ``proxy.<indicator>``,
    ``period_short``, ``proxy_inputs``, ``loan_test_usable`` (bool arrays)."""
    n = len(hours)
    prox = {k: np.nan_to_num(df[f"proxy.{k}"].to_numpy(dtype=float, na_value=np.nan), nan=0.0) > 0
            for k in FIGURE_UNITS if f"proxy.{k}" in df.columns}
    use_proxy = bool(m.rules) and bool(m.rule("proxy_not_for_loan_test"))
    any_proxy = np.zeros(n, dtype=bool)
    for v in prox.values():
        any_proxy |= v
    res: dict[str, np.ndarray] = {}
    for iid in m.indicators:
        hit = np.zeros(n, dtype=bool)
        for k in INDICATOR_INPUTS.get(iid, ()):
            if k in prox:
                hit |= prox[k]
        res[f"proxy.{iid}"] = hit & use_proxy & any_proxy & ~np.asarray(out[f"missing.{iid}"], dtype=bool)
    short = np.zeros(n, dtype=bool)
    min_days = m.rule("operation_min_days") if m.rules else None
    if min_days:
        if "lifecycle_stage" not in df.columns:
            raise InputError("column 'lifecycle_stage' is needed: the methodology's rule operation_min_days "
                             "flags operation-stage periods shorter than 12 months", field="lifecycle_stage")
        short = (df["lifecycle_stage"].to_numpy(dtype=object) == "operation") & (hours / 24.0 < int(min_days))
    res["period_short"] = short
    res["proxy_inputs"] = any_proxy & use_proxy
    res["loan_test_usable"] = ~(short | res["proxy_inputs"])
    return res
