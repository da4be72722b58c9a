"""24/7 CFE KPIs on the Monte Carlo paths of a deal, hour by hour, with a PPA and a storage lever (issue 15).

:func:`index.simulate.simulate` gives, per path, the facility's total energy of every simulated month. This
module spreads it over the hours of the month, adds the contracted clean supply hour by hour and scores each
path-year with the formulas of :mod:`index.cfe.engine` (Google 2021 [1]_):

- **load** ``L[p, h] = E[p, month(h)] · ℓ[h] / Σ_{h' ∈ month(h)} ℓ[h']`` [kWh]: the path's monthly energy
  ``E`` [kWh] shaped by the load profile ``ℓ`` of :class:`HourlyBase` (the facility's stored interval data,
  else flat — a data centre's load varies little within a month; the result says which);
- **contracted clean supply** ``c[h]`` [kWh]: each year's simulated volume of on-site renewables, direct supply /
  source-grid-load-storage (``ppa``) and bundled green trading, each spread over the year's hours by its own
  shape (stored interval channel, else solar for on-site renewables and flat for contracts — flat is an upper
  bound of matching for a contract without a settlement curve; the result says so), plus the PPA levers;
  unbundled certificates (GECs) are not contracted supply in the hour and never count;
- **PPA lever** (:class:`index.levers.HourlyPPA`): ``1000 · MW · CF · r[h]`` [kWh] in each hour it is active,
  ``r`` the relative output of the EIA-930 ``SUN`` / ``WND`` profile of a zone (mean 1 over the year,
  ``data/cfe/profiles_eia930.csv``) or of the facility's stored ``onsite_renewable`` / ``ppa`` channel; ``CF`` the
  lever's capacity factor, else the province's PV yield / 8,760 h for solar in China (``data/targets/
  pv_yield.csv``), else ``data/cfe/cfe.toml`` ``[levers]``;
- **storage lever** (:class:`index.levers.Storage`), dispatch rule: in time order, the battery charges only
  from the hour's clean surplus ``max(c − L, 0)`` up to its power and free capacity (losses taken on charging,
  round-trip efficiency of the lever, else ``cfe.toml``), and discharges into the hour's unmatched load
  ``max(L − c, 0)`` up to its power and stored energy; it starts each simulated year empty. This is the greedy
  rule of :func:`index.cfe.levers.dispatch_storage` (an upper bound without price signals); all its discharge
  is clean, so matched energy rises by the discharge and the charged surplus leaves ``c``;
- **grid** ``g[h]``: an hourly grid file on the typical year, or the annual fallback of the facility's province
  for each simulated year (:func:`index.cfe.grid.annual_fallback`).

Per path-year: ``m = min(L, c)``; CFE score ``= (Σ m + D + Σ g·(L − m) − Σ g·d) / Σ L``, hourly matched share
``= (Σ m + D) / Σ L``, annual volumetric share ``= min(Σ c − Σ q + D, Σ L) / Σ L``, with ``q`` the battery's
charge, ``d`` its discharge per hour and ``D = Σ d``.

Hours are a typical year of 8,760 local standard-time hours (``cfe.toml`` ``facility_utc_offset_hours``); a
leap year's 29 February takes the shapes of 28 February.

Cost (``bench/bench_cfe.py``): the matched sums are exact without forming the paths × hours matrix (hours of
each month sorted by clean supply / load weight, one ``searchsorted`` per path and month,
:func:`_matched_sums`; the dense (paths × hours) form, in blocks of paths, is :func:`_matched_sums_dense`).
Storage state carries from hour to hour, so the battery is vectorised over paths with a loop over the hours.

References
----------
.. [1] Google (2021), *24/7 Carbon-Free Energy: Methodologies and Metrics*,
   https://sustainability.google/reports/24x7-carbon-free-energy-methodologies-metrics/
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from common.errors import InputError
from index.cfe.grid import GridCFE, annual_fallback
from index.cfe.settings import CFESettings, load_settings
from index.levers import pv_yield

#: hours of the typical year
HOURS = 8760
#: interval channels → the simulated annual volumes (index.simulate channels) spread over the hours
VOLUME_CHANNELS = {"onsite_renewable": ("onsite_renewable_kwh",), "ppa": ("direct_supply_kwh", "sgls_kwh"),
                   "green_trading": ("green_trading_kwh",)}
#: paths per block of the vectorised (paths × hours) computation: bounds a block to about 2 million values
BLOCK_VALUES = 2_000_000


@cache
def _profiles(path: str) -> pd.DataFrame:
    return pd.read_csv(path)


def profile(kind: str, zone: str | None = None, *, settings: CFESettings | None = None) -> np.ndarray:
    """Relative hourly output of solar (``SUN``) or wind (``WND``) of an EIA-930 zone, shape (8760,), mean 1.

    Raises
    ------
    InputError
        A zone or kind not in ``data/cfe/profiles_eia930.csv`` (the known zones are named).
    """
    st = settings or load_settings()
    z = zone or st.default_profile_zone
    df = _profiles(st.profiles_file)
    col = f"{z}_{kind}"
    if col not in df.columns:
        zones = sorted({c.rsplit("_", 1)[0] for c in df.columns if c != "hour_of_year"})
        raise InputError(f"no {kind} profile for zone {z!r}; zones: {', '.join(zones)}", file="data/cfe/"
                         "profiles_eia930.csv", field="zone", value=z)
    return df[col].to_numpy(float)


def year_hours(year: int) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """The local hours of ``year``: their positions in the typical year, their months (1–12) and the hours.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, pandas.DatetimeIndex)
        Shapes (H,) with H = 8,760 or 8,784; 29 February takes the positions of 28 February.
    """
    hrs = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="h", inclusive="left")
    doy = hrs.day_of_year.to_numpy() - 1
    if hrs.is_leap_year[0]:
        doy = np.where(doy > 59, doy - 1, np.where(doy == 59, 58, doy))
    return doy * 24 + hrs.hour.to_numpy(), hrs.month.to_numpy(), hrs


def typical_year(series: pd.Series, utc_offset_hours: float) -> np.ndarray:
    """A UTC-hourly series on the 8,760 local standard-time hours of a typical year (mean where a position
    occurs more than once, NaN where it does not occur), shape (8760,)."""
    idx = pd.DatetimeIndex(series.index)
    local = (idx.tz_convert("UTC").tz_localize(None) if idx.tz is not None else idx) + pd.Timedelta(
        hours=utc_offset_hours)
    doy = local.day_of_year.to_numpy() - 1
    leap = local.is_leap_year
    doy = np.where(leap & (doy > 59), doy - 1, np.where(leap & (doy == 59), 58, doy))
    pos = doy * 24 + local.hour.to_numpy()
    out = pd.Series(series.to_numpy(float)).groupby(pos).mean()
    arr = np.full(HOURS, np.nan)
    arr[out.index.to_numpy()] = out.to_numpy()
    return arr


def _complete(arr: np.ndarray, what: str, notes: list[str]) -> np.ndarray:
    """Fill positions the data does not cover with the mean of the same hour of day (and say so)."""
    miss = np.isnan(arr)
    if not miss.any():
        return arr
    hod = np.arange(HOURS) % 24
    means = pd.Series(arr).groupby(hod).mean().reindex(range(24)).to_numpy()
    if np.isnan(means).any():
        raise InputError(f"the stored interval data of {what} does not cover every hour of the day; a shape for "
                         "the simulation needs at least one reading of each hour", field="timestamp")
    notes.append(f"{what}: stored interval data cover {HOURS - int(miss.sum())} of the typical year's {HOURS} h; "
                 "the other hours take the mean of the same hour of day")
    return np.where(miss, means[hod], arr)


@dataclass(frozen=True)
class HourlyBase:
    """The hourly shapes a facility's simulated years are built on (see the module docstring).

    Attributes
    ----------
    load : numpy.ndarray
        Load profile ``ℓ``, shape (8760,), > 0 (only its shape within each month matters).
    shapes : dict of str to numpy.ndarray
        Shape of each volume channel (:data:`VOLUME_CHANNELS`), shape (8760,), ≥ 0.
    stored : dict of str to numpy.ndarray
        Clean channels of the stored interval data (for a PPA lever with ``profile = "stored"``), shape (8760,).
    grid : GridCFE or None
        Hourly or annual grid share; None: the annual fallback of ``province`` per simulated year.
    province : str
    source : str
        Where the load shape comes from.
    notes : tuple of str
    """

    load: np.ndarray
    shapes: dict[str, np.ndarray]
    stored: dict[str, np.ndarray] = field(default_factory=dict)
    grid: GridCFE | None = None
    province: str = "cn"
    source: str = ""
    notes: tuple[str, ...] = ()


def hourly_base(province: str, hourly: pd.DataFrame | None = None, *, grid: GridCFE | None = None,
                source: str = "", settings: CFESettings | None = None) -> HourlyBase:
    """The :class:`HourlyBase` of a facility.

    Parameters
    ----------
    province : str
        The facility's province (PV yield and grid fallback).
    hourly : pandas.DataFrame, optional
        Stored interval data per UTC hour (:meth:`index.cfe.IntervalData.hourly`), channels [kWh]; without it
        the load is flat and contracted volumes take the default shapes.
    grid : GridCFE, optional
    source : str
        Where ``hourly`` comes from (named in the notes).

    Raises
    ------
    InputError
        Interval data without a load channel or not covering every hour of the day.
    """
    st = settings or load_settings()
    notes: list[str] = []
    off = st.facility_utc_offset_hours
    solar = profile("SUN", settings=st)
    flat = np.ones(HOURS)
    shapes = {"onsite_renewable": solar, "ppa": flat, "green_trading": flat}
    stored: dict[str, np.ndarray] = {}
    if hourly is None or "load" not in hourly.columns:
        if hourly is not None:
            raise InputError("stored interval data without a 'load' channel", file=source or None, field="channel",
                             value="load")
        load = flat
        notes.append("no interval data: load flat within each month; on-site renewables shaped like the "
                     f"{st.default_profile_zone} EIA-930 solar profile; direct supply and green trading spread "
                     "evenly over the hours (an upper bound of hourly matching for contracts without a "
                     "settlement curve)")
        src = "flat (no interval data)"
    else:
        h = hourly  # hours with an unfilled gap are NaN: left out of the typical year's means
        load = _complete(typical_year(h["load"], off), "load", notes)
        src = f"interval data ({source})" if source else "interval data"
        for ch in VOLUME_CHANNELS:
            if ch in h.columns and float(h[ch].sum()) > 0:
                arr = _complete(typical_year(h[ch], off), ch, notes)
                shapes[ch] = arr
                stored[ch] = arr
        if "storage_charge" in h.columns or "storage_discharge" in h.columns:
            notes.append("the stored storage channels are not carried into the simulated years; a storage lever "
                         "adds a battery")
    if (load < 0).any() or load.sum() <= 0:
        raise InputError("load profile must be non-negative and not all zero", field="load", unit="kWh")
    return HourlyBase(load=load, shapes=shapes, stored=stored, grid=grid, province=province, source=src,
                      notes=tuple(notes))


def _capacity_factor(lv, base: HourlyBase, st: CFESettings) -> tuple[float, str]:
    if lv.capacity_factor is not None:
        return float(lv.capacity_factor), "the lever's capacity factor"
    if lv.profile == "WND":
        return st.wind_capacity_factor, st.sources.get("levers.wind_capacity_factor", "cfe.toml")
    try:
        y, src = pv_yield(base.province)
        return y / HOURS, f"province PV yield {y:,.0f} kWh/kWp/yr / 8,760 h ({src})"
    except InputError:
        return st.solar_capacity_factor, st.sources.get("levers.solar_capacity_factor", "cfe.toml")


def _relative(lv, base: HourlyBase, st: CFESettings) -> tuple[np.ndarray, str]:
    if lv.profile == "stored":
        ch = next((c for c in ("onsite_renewable", "ppa") if c in base.stored), None)
        if ch is None:
            raise InputError("a PPA lever with profile 'stored' needs the facility's interval data with an "
                             "onsite_renewable or ppa channel in the deal book", field="profile", value="stored")
        arr = base.stored[ch]
        return arr / arr.mean(), f"stored interval channel {ch}"
    zone = lv.zone or st.default_profile_zone
    return profile(lv.profile, zone, settings=st), f"EIA-930 {zone} {lv.profile} (data/cfe/profiles_eia930.csv)"


def _active(lv, hrs: pd.DatetimeIndex) -> np.ndarray:
    on = hrs >= pd.Timestamp(lv.start)
    if lv.end is not None:
        on &= hrs < pd.Timestamp(lv.end)
    return np.asarray(on, dtype=float)


def ppa_hourly(levers, year: int, base: HourlyBase, *, settings: CFESettings | None = None
               ) -> tuple[np.ndarray, list[str]]:
    """Energy of the PPA levers in each local hour of ``year`` [kWh], shape (H,), and how it was shaped."""
    st = settings or load_settings()
    pos, _, hrs = year_hours(year)
    out = np.zeros(len(pos))
    used = []
    for lv in levers:
        if lv.kind != "ppa":
            continue
        cf, cf_src = _capacity_factor(lv, base, st)
        rel, how = _relative(lv, base, st)
        out += 1000.0 * lv.mw * cf * rel[pos] * _active(lv, hrs)
        used.append(f"PPA {lv.mw:g} MW from {lv.start}: {how}, capacity factor {cf:.3f} ({cf_src})")
    return out, used


def ppa_annual_kwh(levers, years, base: HourlyBase, *, settings: CFESettings | None = None) -> np.ndarray:
    """Annual energy of the PPA levers [kWh], shape (Y,) (what the annual index counts as direct supply)."""
    return np.array([ppa_hourly(levers, y, base, settings=settings)[0].sum() for y in years])


def _grid_year(base: HourlyBase, year: int, pos: np.ndarray, st: CFESettings) -> tuple[np.ndarray, str]:
    if base.grid is None:
        g = annual_fallback(base.province, year)
        return np.full(len(pos), float(g.annual_share)), g.source
    if base.grid.basis == "annual":
        return np.full(len(pos), float(base.grid.annual_share)), base.grid.source
    arr = typical_year(base.grid.share, st.facility_utc_offset_hours)
    if np.isnan(arr).any():
        arr = pd.Series(arr).interpolate(limit_direction="both").to_numpy()
    return arr[pos], f"{base.grid.source} (typical year)"


def _matched_sums(s, mi, w, c, g):
    """Σ L, Σ m, Σ g·L, Σ g·m per path [kWh], each shape (S,), for ``L[p, h] = s[p, mi[h]] · w[h]``.

    Exact, without forming the (S, H) matrix: within a month ``min(s·w_h, c_h)`` is ``s·w_h`` where the hour's
    ratio ``r_h = c_h / w_h ≥ s`` and ``c_h`` where ``r_h < s``, so with the month's hours sorted by ``r`` and
    cumulative sums of ``w``, ``c``, ``g·w`` and ``g·c``, each path needs one ``searchsorted`` per month:
    O(H log H + S · 12 · log H) instead of O(S · H). :func:`_matched_sums_dense` is the direct (S, H) form.
    """
    n = s.shape[0]
    sum_l, sum_m, sum_gl, sum_gm = (np.zeros(n) for _ in range(4))
    for k in range(s.shape[1]):
        sel = mi == k
        if not sel.any():
            continue
        wk, ck, gk = w[sel], c[sel], g[sel]
        with np.errstate(divide="ignore"):
            r = np.where(wk > 0, ck / np.where(wk > 0, wk, 1.0), np.inf)
        o = np.argsort(r, kind="stable")
        r, wk, ck, gk = r[o], wk[o], ck[o], gk[o]
        zero = np.zeros(1)
        cw = np.concatenate((zero, np.cumsum(wk)))
        cc = np.concatenate((zero, np.cumsum(ck)))
        cgw = np.concatenate((zero, np.cumsum(gk * wk)))
        cgc = np.concatenate((zero, np.cumsum(gk * ck)))
        sk = s[:, k]
        i = np.searchsorted(r, sk, side="left")          # hours with r < s: capped at c
        sum_l += sk * cw[-1]
        sum_gl += sk * cgw[-1]
        sum_m += sk * (cw[-1] - cw[i]) + cc[i]
        sum_gm += sk * (cgw[-1] - cgw[i]) + cgc[i]
    return sum_l, sum_m, sum_gl, sum_gm


def _matched_sums_dense(s, mi, w, c, g):
    """The same sums as :func:`_matched_sums`, computed on the (paths × hours) matrix block by block."""
    n = s.shape[0]
    sum_l, sum_m, sum_gl, sum_gm = (np.empty(n) for _ in range(4))
    block = max(1, BLOCK_VALUES // len(w))
    for a in range(0, n, block):
        L = s[a:a + block][:, mi] * w
        m = np.minimum(L, c)
        sum_l[a:a + block] = L.sum(axis=1)
        sum_m[a:a + block] = m.sum(axis=1)
        sum_gl[a:a + block] = L @ g
        sum_gm[a:a + block] = m @ g
    return sum_l, sum_m, sum_gl, sum_gm


def _battery(s, month_idx, w, c, g, batteries, out):
    """Greedy dispatch vectorised over paths, hour by hour; adds Σ discharge, Σ g·discharge, Σ charge to out."""
    n = s.shape[0]
    soc = [np.zeros(n) for _ in batteries]
    d = np.empty(n)
    tmp = np.empty(n)
    for h in range(len(w)):
        np.multiply(s[:, month_idx[h]], w[h], out=d)
        d -= c[h]                                   # > 0 unmatched load, < 0 clean surplus [kWh]
        for b, (e_kwh, p_kw, eff, active) in enumerate(batteries):
            p = p_kw * active[h]
            if p == 0.0:
                continue
            x = soc[b]
            np.negative(d, out=tmp)                 # surplus
            np.clip(tmp, 0.0, p, out=tmp)
            np.minimum(tmp, (e_kwh - x) / eff, out=tmp)
            x += tmp * eff
            out["charge"] += tmp
            d += tmp
            np.clip(d, 0.0, p, out=tmp)             # unmatched load up to the power limit
            np.minimum(tmp, x, out=tmp)
            x -= tmp
            out["discharge"] += tmp
            out["discharge_g"] += tmp * g[h]
            d -= tmp


def cfe_paths(base: HourlyBase, years, total_m: np.ndarray, months, volumes: dict[str, np.ndarray], levers=(), *,
              settings: CFESettings | None = None) -> tuple[dict[str, np.ndarray], list[str]]:
    """CFE score, hourly matched share and annual volumetric share of every path and year.

    Parameters
    ----------
    base : HourlyBase
    years : sequence of int
        Simulated years, shape (Y,).
    total_m : numpy.ndarray
        Total facility energy per path and simulated month [kWh], shape (S, M).
    months : sequence of pandas.Period
        The M months of ``total_m``; they cover every month of ``years``.
    volumes : dict of str to numpy.ndarray
        Annual contracted clean volumes [kWh], shape (Y,), keyed by ``onsite_renewable_kwh``, ``sgls_kwh``,
        ``direct_supply_kwh``, ``green_trading_kwh`` (without the hourly PPA levers).
    levers : sequence
        Levers; those of kind ``ppa`` and ``storage`` act here.

    Returns
    -------
    (dict of str to numpy.ndarray, list of str)
        ``cfe_score``, ``hourly_matched_share``, ``annual_volumetric_share`` [fraction], each shape (S, Y), and
        notes (shapes, grid, lever parameters with their sources).

    Raises
    ------
    InputError
        A month of ``years`` missing from ``months``; a PPA zone without a profile; ``profile = "stored"``
        without stored interval data.
    """
    st = settings or load_settings()
    ys = list(years)
    n = total_m.shape[0]
    out = {k: np.full((n, len(ys)), np.nan) for k in ("cfe_score", "hourly_matched_share", "annual_volumetric_share")}
    notes = [f"24/7 CFE KPIs simulated hour by hour (Google 2021): load shape {base.source}", *base.notes]
    col = {(m.year, m.month): j for j, m in enumerate(months)}
    storage = [lv for lv in levers if lv.kind == "storage"]
    for lv in storage:
        eff = lv.round_trip_efficiency or st.storage_round_trip_efficiency
        src = "the lever" if lv.round_trip_efficiency else st.sources.get("levers.storage_round_trip_efficiency", "")
        notes.append(f"battery {lv.mwh:g} MWh / {lv.mw:g} MW from {lv.start}, round-trip efficiency {eff:.2f} "
                     f"({src}); dispatch: charges from clean surplus only, discharges into unmatched load, greedy "
                     "in time order (an upper bound without price signals), empty at the start of each year")
    for j, year in enumerate(ys):
        pos, moh, hrs = year_hours(year)
        try:
            cols = [col[(year, mm)] for mm in range(1, 13)]
        except KeyError:
            raise InputError(f"year {year} is not fully simulated", field="years", value=year) from None
        s = np.ascontiguousarray(total_m[:, cols])                       # (S, 12) [kWh]
        mi = moh - 1
        lw = base.load[pos]
        msum = np.bincount(mi, weights=lw, minlength=12)
        if (msum <= 0).any():
            raise InputError("the load profile is zero for a whole month", field="load")
        w = lw / msum[mi]                                                # sums to 1 within each month
        c = np.zeros(len(pos))
        for ch, names in VOLUME_CHANNELS.items():
            vol = sum(float(volumes.get(nm, np.zeros(len(ys)))[j]) for nm in names)
            if vol > 0:
                sh = base.shapes[ch][pos]
                c += vol * sh / sh.sum()
        ppa, used = ppa_hourly(levers, year, base, settings=st)
        c += ppa
        if j == 0:
            notes += used
        g, gsrc = _grid_year(base, year, pos, st)
        if j == 0:
            notes.append(f"grid carbon-free share: {gsrc}")
        sum_l, sum_m, sum_gl, sum_gm = _matched_sums(s, mi, w, c, g)
        acc = {"charge": np.zeros(n), "discharge": np.zeros(n), "discharge_g": np.zeros(n)}
        if storage:
            bats = [(1000.0 * lv.mwh, 1000.0 * lv.mw, lv.round_trip_efficiency or st.storage_round_trip_efficiency,
                     _active(lv, hrs)) for lv in storage]
            if any(b[3].any() for b in bats):
                _battery(s, mi, w, c, g, bats, acc)
        matched = sum_m + acc["discharge"]
        with np.errstate(invalid="ignore", divide="ignore"):
            pos_l = sum_l > 0
            den = np.where(pos_l, sum_l, 1.0)
            out["cfe_score"][:, j] = np.where(pos_l, (matched + sum_gl - sum_gm - acc["discharge_g"]) / den, np.nan)
            out["hourly_matched_share"][:, j] = np.where(pos_l, matched / den, np.nan)
            clean = c.sum() - acc["charge"] + acc["discharge"]
            out["annual_volumetric_share"][:, j] = np.where(pos_l, np.minimum(clean, sum_l) / den, np.nan)
    return out, notes
