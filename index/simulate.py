"""Monte Carlo of a facility's KPI paths, scored through the GCPI engine, with operator levers.

What is simulated (business as usual, then levers on top):

- monthly **PUE** — ETS(A,Ad,A) on log(PUE − 1) (:func:`index.forecast.fit_monthly`), simulated with
  statsmodels' own ``simulate``; a cooling retrofit shifts the simulated months from its start month;
- monthly **average IT power** [kW] — ETS(A,Ad,N) on log(power), simulated (stays positive); IT energy =
  power × hours of the month;
- monthly **WUE** [L/kWh] — ETS(A,Ad,A) on log(WUE), simulated; water = WUE × IT energy;
- the ETS damping is bounded at :data:`BAU_MAX_DAMPING` (0.90): business as usual lets the recent trend
  fade within about a year instead of extrapolating past improvement programmes;
- yearly **racks occupied** — OLS trend on the facility's periods, simulated from its predictive
  distribution (held at the last value when there are fewer than three periods);
- **renewable supply** by channel — BAU holds the last data year's contracted volumes (on-site PV,
  source-grid-load-storage, direct supply, green trading, GECs); levers add volumes; the grid purchase is the
  rest of the total energy;
- **24/7 CFE KPIs** (with an hourly base, a ``ppa`` or ``storage`` lever, or ``cfe=True``): each path's
  monthly total energy spread over the hours and matched hour by hour with the contracted clean supply, the
  PPA and the battery levers (:mod:`index.cfe.paths`); a PPA lever's energy also counts as direct supply in the
  annual inputs;
- everything else (checklists, availability, diesel, refrigerants, CPU/GPU utilisation, grid emission
  factors) is held at the base period (the facility's latest period). Rated IT power and compute capacity
  scale with IT energy (constant IT load rate and compute per kWh), so growth alone does not move those
  indicators.

Yearly totals per path: total energy = Σ IT energy × PUE over the months, so the annual PUE is the
energy-weighted mean of the monthly PUEs (ISO/IEC 30134-2). Each path-year becomes a row of the engine's
input frame (:func:`index.engine.inputs_frame` of the base period, columns overwritten) and is scored with
:func:`index.engine.score_frame`, so the index of a path is computed exactly as for a real year.

Reproducibility: one ``numpy.random.SeedSequence(seed)`` spawns a generator per model; the same seed,
data and levers give the same numbers.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from index import levers as L
from index.cfe.paths import HourlyBase, cfe_paths, hourly_base, ppa_annual_kwh
from index.engine import inputs_frame, score_frame
from index.errors import InputError
from index.forecast import FittedModel, fit_annual, fit_monthly
from index.methodology import load_methodology
from index.targets import meets

#: columns of the renewable channels carried from the monthly data / base period
CHANNELS = ("onsite_renewable_kwh", "sgls_kwh", "direct_supply_kwh", "green_trading_kwh", "gec_mwh")
#: upper bound of the ETS damping φ for BAU fits (see index.forecast.fit_monthly)
BAU_MAX_DAMPING = 0.90
#: lever kind → channel it adds to
LEVER_CHANNEL = {"green_trading": "green_trading_kwh", "direct_supply": "direct_supply_kwh", "gec": "gec_mwh"}


@dataclass
class BauModels:
    """The fitted BAU models of one facility (see the module docstring)."""

    pue: FittedModel
    it_kw: FittedModel
    wue: FittedModel | None
    racks: FittedModel | None
    last_month: object
    channels: dict[str, float]
    notes: list[str] = field(default_factory=list)

    def describe(self) -> list[dict]:
        """Model, reason and number of observations per series."""
        out = []
        for m in (self.pue, self.it_kw, self.wue, self.racks):
            if m is not None:
                out.append({"series": m.kpi, "model": m.model, "reason": m.reason, "n_obs": m.n_obs,
                            "aic": m.aic})
        return out


def fit_bau(monthly, facility, *, model: str = "ets", until_year: int | None = None) -> BauModels:
    """Fit the BAU models of a facility from its monthly data (:func:`index.forecast.load_monthly`).

    ``until_year`` fits on the data up to the end of that year only (a BAU forecast as of a baseline year).

    Raises
    ------
    InsufficientData
        Too few months for a seasonal model.
    InputError
        The monthly data do not end with a full calendar year (December).
    """
    if until_year is not None:
        monthly = monthly[monthly.index.year <= until_year]
        if not len(monthly):
            raise InputError(f"no monthly data up to {until_year}", field="month")
    last = monthly.index[-1]
    if last.month != 12:
        raise InputError(f"monthly data end in {last}: give complete calendar years (ending in December) so that "
                         "the simulated years are whole", field="month", row=str(last))
    damp = BAU_MAX_DAMPING if model == "ets" else None
    pue = fit_monthly(monthly["pue"], "pue", seasonal=True, model=model, log=model == "ets", offset=1.0,
                      max_damping=damp)
    it_kw = fit_monthly(monthly["it_kw"], "it_kw", seasonal=False, model=model, log=model == "ets",
                        max_damping=damp)
    wue = (fit_monthly(monthly["wue"], "wue", seasonal=True, model=model, log=model == "ets", max_damping=damp)
           if "wue" in monthly else None)
    notes: list[str] = []
    racks = None
    occ = {p.year: p.racks_occupied.value for p in facility.periods
           if p.racks_occupied is not None and p.year <= last.year}
    if len(occ) >= 3:
        racks = fit_annual(occ, "racks_occupied")
    else:
        notes.append(f"racks occupied held at the last value: {len(occ)} yearly value(s), a trend needs 3")
    last_year = monthly[monthly.index.year == last.year]
    channels = {c: float(last_year[c].sum()) for c in CHANNELS if c in monthly.columns}
    return BauModels(pue=pue, it_kw=it_kw, wue=wue, racks=racks, last_month=last, channels=channels, notes=notes)


@dataclass
class Simulation:
    """Simulated paths, scored.

    Attributes
    ----------
    years : list of int
        Simulated observation years (calendar years after the data).
    n_paths, seed : int
    values : dict of str to numpy.ndarray
        KPI → values, shape (n_paths, n_years) [KPI unit]: ``index``, ``core``, ``grade`` (str), ``erf`` and
        every indicator's raw value.
    inputs : dict of str to numpy.ndarray
        Engine inputs per path and year (``total_energy_kwh`` …), shape (n_paths, n_years).
    models : list of dict
    levers : list
    notes : list of str
    """

    years: list[int]
    n_paths: int
    seed: int
    values: dict[str, np.ndarray]
    inputs: dict[str, np.ndarray]
    models: list[dict]
    levers: list
    notes: list[str]

    def kpi(self, name: str) -> np.ndarray:
        """Values of one KPI, shape (n_paths, n_years).

        Raises
        ------
        InputError
            Unknown KPI.
        """
        if name not in self.values:
            raise InputError(f"KPI {name!r} was not simulated; known: {', '.join(sorted(self.values))}", field="kpi",
                             value=name)
        return self.values[name]

    def _col(self, year: int) -> int:
        if year not in self.years:
            raise InputError(f"year {year} was not simulated ({self.years[0]}–{self.years[-1]})", field="year",
                             value=year)
        return self.years.index(year)

    def probability(self, kpi: str, year: int, target: float, comparator: str) -> tuple[float, float]:
        """Probability that the KPI meets ``target`` in ``year`` and its Monte Carlo standard error."""
        met = meets(self.kpi(kpi)[:, self._col(year)], target, comparator)
        p = float(met.mean())
        return p, float(np.sqrt(p * (1 - p) / self.n_paths))

    def spt_table(self, plan) -> list[dict]:
        """Per observation year and SPT of an :class:`~index.targets.SptPlan`: the probability of meeting it.

        Years of the plan that were not simulated (already observed) are skipped.
        """
        rows = []
        for kpi, path in plan.paths.items():
            for ms in path.milestones:
                if ms.year not in self.years:
                    continue
                p, se = self.probability(kpi, ms.year, ms.value, path.comparator)
                v = self.kpi(kpi)[:, self._col(ms.year)]
                rows.append({"year": ms.year, "kpi": kpi, "comparator": path.comparator, "spt": ms.value,
                             "p_met": p, "se": se, "median": float(np.nanmedian(v)),
                             "p05": float(np.nanquantile(v, 0.05)), "p95": float(np.nanquantile(v, 0.95))})
        return rows

    def met_matrix(self, kpi: str, targets: dict[int, float], comparator: str) -> np.ndarray:
        """Met (True) per path and given year, shape (n_paths, len(targets)), years in ``targets`` order."""
        cols = [self._col(y) for y in targets]
        return meets(self.kpi(kpi)[:, cols], np.array(list(targets.values()), dtype=float), comparator)

    def distribution(self, kpi: str = "index", quantiles=(0.05, 0.25, 0.5, 0.75, 0.95)) -> list[dict]:
        """Per year: mean and quantiles of a KPI (default the index score)."""
        v = self.kpi(kpi)
        out = []
        for j, y in enumerate(self.years):
            row = {"year": y, "mean": float(np.nanmean(v[:, j]))}
            for q in quantiles:
                row[f"p{round(q * 100):02d}"] = float(np.nanquantile(v[:, j], q))
            out.append(row)
        return out

    def grade_shares(self) -> list[dict]:
        """Per year: share of paths in each grade."""
        g = self.values["grade"]
        out = []
        for j, y in enumerate(self.years):
            vals, counts = np.unique(g[:, j].astype(str), return_counts=True)
            out.append({"year": y, **{str(k): float(c) / self.n_paths for k, c in zip(vals, counts, strict=True)}})
        return out

    def bau_band(self, kpi: str, year: int, alpha: float = 0.10) -> dict:
        """Mean and central ``1 − alpha`` interval of a KPI in a year (the BAU forecast when no levers)."""
        v = self.kpi(kpi)[:, self._col(year)]
        return {"mean": float(np.nanmean(v)), "lower": float(np.nanquantile(v, alpha / 2)),
                "upper": float(np.nanquantile(v, 1 - alpha / 2)), "alpha": alpha, "n_paths": self.n_paths}


def _month_hours(months) -> np.ndarray:
    return np.array([calendar.monthrange(m.year, m.month)[1] * 24.0 for m in months])


def simulate(facility, monthly, years, *, n_paths: int = 10_000, seed: int = 0, levers=(), methodology=None,
             bau: BauModels | None = None, model: str = "ets", base_period: str | None = None,
             hourly: HourlyBase | None = None, cfe: bool = False) -> Simulation:
    """Simulate ``n_paths`` KPI paths of a facility and score them through the index.

    Parameters
    ----------
    facility : Facility
        Its latest period is the base period (held inputs, checklists, racks ready, grid factors).
    monthly : pandas.DataFrame
        Monthly data (:func:`index.forecast.load_monthly`), ending in December.
    years : iterable of int
        Observation years to simulate, each after the last data year.
    n_paths : int
        Number of paths (1 to 200,000).
    seed : int
        Seed of the ``SeedSequence`` (reproducible).
    levers : sequence of levers (:mod:`index.levers`)
    methodology : Methodology, optional
    bau : BauModels, optional
        Pre-fitted models (fitted here when not given).
    model : {"ets", "sarimax"}
    base_period : str, optional
        Label of the period whose inputs are held (default the facility's latest period).
    hourly : index.cfe.paths.HourlyBase, optional
        Hourly shapes and grid of the facility (:func:`index.cfe.paths.hourly_base`); default flat load and the
        province's annual grid fallback.
    cfe : bool
        Simulate the 24/7 CFE KPIs (``cfe_score``, ``hourly_matched_share``, ``annual_volumetric_share``)
        hour by hour; they are also simulated whenever ``hourly`` or a ``ppa`` / ``storage`` lever is given.

    Returns
    -------
    Simulation

    Raises
    ------
    InputError
        A year not after the data, ``n_paths`` out of range, an unknown PV yield.
    """

    m = methodology or load_methodology()
    if not 1 <= int(n_paths) <= 200_000:
        raise InputError("number of paths must be between 1 and 200,000", field="paths", value=n_paths)
    n = int(n_paths)
    bau = bau or fit_bau(monthly, facility, model=model)
    last = bau.last_month
    ys = sorted({int(y) for y in years})
    if not ys:
        raise InputError("no years to simulate", field="years")
    if ys[0] <= last.year:
        raise InputError(f"year {ys[0]} is not after the monthly data (last month {last}): observed years are "
                         "scored from data, not simulated", field="years", value=ys[0])
    months = pd.period_range(last + 1, pd.Period(f"{ys[-1]}-12", freq="M"), freq="M")
    h = len(months)
    hours_m = _month_hours(months)
    ss = np.random.SeedSequence(int(seed))
    g_pue, g_it, g_wue, g_racks = (np.random.default_rng(s) for s in ss.spawn(4))
    notes = list(bau.notes)
    levers = list(levers)

    pue_m = bau.pue.simulate(h, n, g_pue).T + L.pue_shift(levers, months)[None, :]
    low = pue_m < 1.0
    if low.any():
        notes.append(f"{low.mean():.3%} of simulated monthly PUE values fell below 1.0 and were set to 1.0")
        pue_m = np.maximum(pue_m, 1.0)
    it_kw = bau.it_kw.simulate(h, n, g_it).T
    if (it_kw < 0).any():
        notes.append(f"{(it_kw < 0).mean():.2%} of simulated IT power values were negative and were set to 0")
        it_kw = np.maximum(it_kw, 0.0)
    it_m = it_kw * hours_m[None, :]
    total_m = it_m * pue_m
    if bau.wue is not None:
        water_m = bau.wue.simulate(h, n, g_wue).T * it_m / 1000.0
    else:
        water_m = None
    # yearly sums
    yidx = np.array([mm.year for mm in months])
    sel = [yidx == y for y in ys]
    it_y = np.stack([it_m[:, s].sum(axis=1) for s in sel], axis=1)
    total_y = np.stack([total_m[:, s].sum(axis=1) for s in sel], axis=1)
    hours_y = np.array([hours_m[s].sum() for s in sel])
    base = facility.period(base_period) if base_period is not None else facility.periods[-1]
    base_row = inputs_frame([(facility, base)], m).iloc[0]
    ny = len(ys)
    inp: dict[str, np.ndarray] = {"total_energy_kwh": total_y, "it_energy_kwh": it_y,
                                  "hours": np.broadcast_to(hours_y, (n, ny)).copy()}
    if water_m is not None:
        water_y = np.stack([water_m[:, s].sum(axis=1) for s in sel], axis=1)
        saved = L.annual_amount(levers, "water_recycling", "m3_per_year", ys)
        if saved.any():
            after = water_y - saved[None, :]
            if (after < 0).any():
                notes.append("water recycling lever larger than the simulated water use in some paths: water set to 0")
            water_y = np.maximum(after, 0.0)
            recycled0 = 0.0 if pd.isna(base_row.get("water_recycled_m3")) else float(base_row["water_recycled_m3"])
            inp["water_recycled_m3"] = np.broadcast_to(recycled0 + saved, (n, ny)).copy()
        inp["water_m3"] = water_y
    # renewable channels: BAU volumes of the last data year, plus levers
    ch = {c: np.full(ny, bau.channels.get(c, 0.0)) for c in CHANNELS}
    for kind, col in LEVER_CHANNEL.items():
        scale = 1.0 if col == "gec_mwh" else 1000.0
        ch[col] = ch[col] + L.annual_amount(levers, kind, "mwh_per_year", ys, scale)
    pv, used = L.pv_kwh(levers, ys, facility.province)
    ch["onsite_renewable_kwh"] = ch["onsite_renewable_kwh"] + pv
    notes += used
    # 24/7 CFE KPIs hour by hour (index.cfe.paths): with an hourly base, hourly levers, or when asked
    hourly_levers = [lv for lv in levers if lv.kind in L.HOURLY_KINDS]
    cfe_vals = None
    if hourly is not None or hourly_levers or cfe:
        hb = hourly if hourly is not None else hourly_base(facility.province)
        volumes = {c: ch[c] for c in CHANNELS if c != "gec_mwh"}  # the PPA levers are shaped by their profile
        cfe_vals, cfe_notes = cfe_paths(hb, ys, total_m, months, volumes, hourly_levers)
        notes += cfe_notes
        ppa_y = ppa_annual_kwh(hourly_levers, ys, hb)
        if ppa_y.any():
            ch["direct_supply_kwh"] = ch["direct_supply_kwh"] + ppa_y
            notes.append("PPA levers counted as direct supply / PPA in the annual index inputs: "
                         + ", ".join(f"{y} {v / 1000:,.0f} MWh" for y, v in zip(ys, ppa_y, strict=True)))
        for k in ("cfe_score", "hourly_matched_share"):  # a methodology that weights them scores the paths
            inp[k] = cfe_vals[k]
    phys = sum(ch[c] for c in CHANNELS if c != "gec_mwh")
    grid = total_y - phys[None, :]
    if (grid < 0).any():
        notes.append(f"in {(grid < 0).mean():.1%} of path-years the physical renewable supply exceeds the total "
                     "energy: the surplus is exported, not counted (grid purchase set to 0)")
        # scale physical channels down to the total so the shares stay physical
        scale = np.minimum(1.0, total_y / np.maximum(phys[None, :], 1e-9))
        for c in CHANNELS:
            if c != "gec_mwh":
                inp[c] = ch[c][None, :] * scale
        grid = np.maximum(grid, 0.0)
    else:
        for c in CHANNELS:
            if c != "gec_mwh":
                inp[c] = np.broadcast_to(ch[c], (n, ny)).copy()
    inp["gec_mwh"] = np.broadcast_to(ch["gec_mwh"], (n, ny)).copy()
    inp["grid_kwh"] = grid
    # racks
    ready0 = float(base_row["racks_ready"]) if not pd.isna(base_row.get("racks_ready")) else np.nan
    occ0 = float(base_row["racks_occupied"]) if not pd.isna(base_row.get("racks_occupied")) else np.nan
    add_occ, add_ready = L.rack_additions(levers, ys)
    if bau.racks is not None:
        steps = ys[-1] - int(bau.racks.last)
        sim = bau.racks.simulate(steps, n, g_racks).T  # (n, steps) for last+1 … ys[-1]
        occ = sim[:, [y - int(bau.racks.last) - 1 for y in ys]]
    else:
        occ = np.full((n, ny), occ0)
    ready = np.broadcast_to(ready0 + add_ready, (n, ny)).copy()
    occ = occ + add_occ[None, :]
    over = occ > ready
    if over.any():
        notes.append(f"racks occupied reached the racks ready in {over.mean():.1%} of path-years: capped at ready")
        occ = np.minimum(occ, ready)
    inp["racks_occupied"] = np.maximum(occ, 0.0)
    inp["racks_ready"] = ready
    # waste heat
    wh0 = 0.0 if pd.isna(base_row.get("waste_heat_reused_kwh")) else float(base_row["waste_heat_reused_kwh"])
    inp["waste_heat_reused_kwh"] = np.broadcast_to(
        wh0 + L.annual_amount(levers, "waste_heat", "mwh_per_year", ys, 1000.0), (n, ny)).copy()
    # scale rated IT power and compute capacity with IT energy (constant load rate and compute per kWh)
    it0 = float(base_row["it_energy_kwh"])
    for col in ("it_power_rated_kw", "compute_capacity_tflops", "it_power_avg_kw"):
        if col in base_row.index and not pd.isna(base_row[col]):
            inp[col] = float(base_row[col]) * it_y / it0
    # assemble the engine frame: base row repeated, simulated columns overwritten
    rows = n * ny
    cols = {}
    for c, v in base_row.items():
        if c in inp:
            cols[c] = np.asarray(inp[c], dtype=float).reshape(rows)
        elif isinstance(v, (int, float, np.floating)) and not isinstance(v, bool):
            cols[c] = np.full(rows, float(v))
        else:
            cols[c] = np.full(rows, v, dtype=object)
    for c, v in inp.items():
        if c not in cols:
            cols[c] = np.asarray(v, dtype=float).reshape(rows)
    df = pd.DataFrame(cols)
    scored = score_frame(df, m)
    values: dict[str, np.ndarray] = {
        "index": scored["total"].to_numpy().reshape(n, ny),
        "core": scored["core"].to_numpy().reshape(n, ny),
        "grade": scored["grade"].to_numpy().reshape(n, ny),
        "cue_location": scored["cue_location"].to_numpy().reshape(n, ny)}
    for iid in m.indicators:
        values[iid] = scored[f"raw.{iid}"].to_numpy().reshape(n, ny)
    if cfe_vals is not None:
        values.update(cfe_vals)
    with np.errstate(divide="ignore", invalid="ignore"):
        values["erf"] = np.where(total_y > 0, inp["waste_heat_reused_kwh"] / total_y, np.nan)
    notes.append(f"held at the base period {base.label}: checklists, availability, CPU/GPU utilisation, diesel, "
                 f"refrigerants, grid emission factors ({base_row['grid_factor_location']:.4f} location, "
                 f"{base_row['grid_factor_residual']:.4f} residual kgCO2/kWh)")
    return Simulation(years=ys, n_paths=n, seed=int(seed), values=values,
                      inputs={k: np.asarray(v).reshape(n, ny) for k, v in inp.items()},
                      models=bau.describe(), levers=levers, notes=notes)
