"""Hourly 24/7 carbon-free-energy (CFE) matching, after Google's methodology [1]_.

For each hour ``h`` with facility load ``L_h`` [kWh], contracted clean supply
``c_h = onsite_renewable + ppa + green_trading (+ clean storage discharge, see below)`` [kWh] and the grid's
carbon-free share ``g_h`` [-]:

- matched energy ``m_h = min(L_h, c_h)``
- **CFE score** ``= Σ (m_h + g_h · (L_h − m_h)) / Σ L_h`` — the share of consumption that is carbon-free in
  the hour it is used, counting the grid's own carbon-free share on the unmatched remainder [1]_;
- **hourly matched share** ``= Σ m_h / Σ L_h`` — contracted clean supply alone, hour by hour;
- **annual volumetric share** ``= min(Σ c_h, Σ L_h) / Σ L_h`` — what annual matching reports.

Surplus clean supply in one hour never covers another hour (that is the point of hourly matching).

Storage (``data/cfe/cfe.toml`` ``[storage] rule``): with ``clean_charged_share`` the battery charges first from
the hour's clean surplus ``max(c⁰_h − L_h, 0)``; the fraction ``f = Σ min(charge_h, surplus_h) / Σ charge_h`` of
charged energy that was clean is the fraction of each hour's discharge counted as clean supply, and the clean
energy put into the battery leaves that hour's supply (it was surplus, so ``m_h`` does not change):
``c_h = c⁰_h − min(charge_h, surplus_h) + f · discharge_h``. With ``exclude`` storage is ignored. Charging is
not added to ``L_h`` (the ``load`` channel is the facility's consumption; the battery is metered separately).

References
----------
.. [1] Google (2021), *24/7 Carbon-Free Energy: Methodologies and Metrics*,
   https://sustainability.google/reports/24x7-carbon-free-energy-methodologies-metrics/ (hourly CFE score:
   contracted carbon-free energy matched hour by hour plus the grid's carbon-free share of the rest).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from common.errors import InputError
from index.cfe.grid import GridCFE
from index.cfe.settings import CLEAN_CHANNELS, CFESettings, load_settings


def clean_supply(onsite, ppa, green, *, charge=None, discharge=None, load=None, rule: str = "clean_charged_share"):
    """Contracted clean supply per hour ``c`` [kWh] under the storage rule.

    Parameters
    ----------
    onsite, ppa, green : array_like
        Clean supply channels [kWh], shape (..., hours); broadcastable.
    charge, discharge : array_like, optional
        Storage charge and discharge [kWh], same shape.
    load : array_like, optional
        Load [kWh]; needed when storage is given.
    rule : {"clean_charged_share", "exclude"}

    Returns
    -------
    numpy.ndarray
        ``c`` [kWh], shape (..., hours).

    Examples
    --------
    A 2-hour battery case: hour 1 has 30 kWh clean surplus and charges 40 kWh (30 clean, 10 grid), hour 2
    discharges 32 kWh; f = 30/40 = 0.75, so 24 kWh of the discharge count as clean:

    >>> clean_supply([130, 0], [0, 0], [0, 0], charge=[40, 0], discharge=[0, 32], load=[100, 100]).tolist()
    [100.0, 24.0]
    """
    c0 = np.asarray(onsite, float) + np.asarray(ppa, float) + np.asarray(green, float)
    if charge is None and discharge is None:
        return c0
    if rule == "exclude":
        return c0
    if rule != "clean_charged_share":
        raise InputError("unknown storage rule", field="storage.rule", value=rule)
    if load is None:
        raise ValueError("load is needed to apply a storage rule")
    ch = np.zeros_like(c0) if charge is None else np.asarray(charge, float)
    dis = np.zeros_like(c0) if discharge is None else np.asarray(discharge, float)
    surplus = np.maximum(c0 - np.asarray(load, float), 0.0)
    clean_ch = np.minimum(ch, surplus)
    tot_ch = ch.sum(axis=-1, keepdims=True)
    f = np.divide(clean_ch.sum(axis=-1, keepdims=True), tot_ch, out=np.zeros_like(tot_ch), where=tot_ch > 0)
    return c0 - clean_ch + f * dis


def cfe_arrays(load, clean, grid_share) -> dict[str, np.ndarray]:
    """The three shares from hourly arrays (vectorised over any leading axes, e.g. facilities).

    Parameters
    ----------
    load : array_like
        Facility load per hour [kWh], shape (..., hours), ≥ 0, no NaN.
    clean : array_like
        Contracted clean supply per hour [kWh], same shape.
    grid_share : array_like
        Grid carbon-free share per hour [-], broadcastable to the same shape (e.g. shape (hours,)).

    Returns
    -------
    dict of numpy.ndarray, each of shape (...)
        ``cfe_score``, ``hourly_matched_share``, ``annual_volumetric_share`` [-], ``load_kwh``, ``clean_kwh``,
        ``matched_kwh``, ``grid_cfe_kwh`` [kWh]. Shares are NaN where Σ load = 0.

    Examples
    --------
    Flat 10 kWh load, 40 kWh of solar in the middle hour only, grid 50 % clean (3 hours):
    m = (0, 10, 0), CFE = (10 + 0.5·(10 + 10)) / 30 = 2/3, matched = 1/3, volumetric = min(40, 30)/30 = 1.

    >>> r = cfe_arrays([10, 10, 10], [0, 40, 0], 0.5)
    >>> round(float(r["cfe_score"]), 4), round(float(r["hourly_matched_share"]), 4), float(r["annual_volumetric_share"])
    (0.6667, 0.3333, 1.0)
    """
    L = np.asarray(load, float)
    c = np.asarray(clean, float)
    g = np.asarray(grid_share, float)
    m = np.minimum(L, c)
    sum_l = L.sum(axis=-1)
    sum_m = m.sum(axis=-1)
    sum_c = c.sum(axis=-1)
    grid_cfe = (g * (L - m)).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pos = sum_l > 0
        cfe = np.where(pos, (sum_m + grid_cfe) / np.where(pos, sum_l, 1), np.nan)
        hm = np.where(pos, sum_m / np.where(pos, sum_l, 1), np.nan)
        vol = np.where(pos, np.minimum(sum_c, sum_l) / np.where(pos, sum_l, 1), np.nan)
    return {"cfe_score": cfe, "hourly_matched_share": hm, "annual_volumetric_share": vol, "load_kwh": sum_l,
            "clean_kwh": sum_c, "matched_kwh": sum_m, "grid_cfe_kwh": grid_cfe}


@dataclass(frozen=True)
class CFEResult:
    """Hourly CFE of one facility over a window.

    Attributes
    ----------
    cfe_score, hourly_matched_share, annual_volumetric_share : float
        [-], see module docstring.
    hours : int
        Hours in the calculation.
    load_kwh, clean_kwh, matched_kwh, grid_cfe_kwh : float
        Σ L, Σ c, Σ m, Σ g·(L − m) [kWh].
    grid_basis : str
        ``hourly`` or ``annual`` (fallback: the result is then not a 24/7 score of the grid part).
    grid_source : str
    storage_rule : str
    hourly : pandas.DataFrame
        Per UTC hour: ``load``, ``clean``, ``matched``, ``unmatched``, ``grid_share``, ``grid_cfe`` [kWh / -].
    notes : tuple of str
    settings_sha256 : str
        SHA-256 of the settings file used.
    """

    cfe_score: float
    hourly_matched_share: float
    annual_volumetric_share: float
    hours: int
    load_kwh: float
    clean_kwh: float
    matched_kwh: float
    grid_cfe_kwh: float
    grid_basis: str
    grid_source: str
    storage_rule: str
    hourly: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()
    settings_sha256: str = ""

    def monthly(self, tz: str = "UTC") -> pd.DataFrame:
        """Matched and unmatched energy per calendar month in ``tz`` [kWh], with the month's CFE score."""
        h = self.hourly
        month = h.index.tz_convert(tz).tz_localize(None).to_period("M")
        out = h[["load", "clean", "matched", "unmatched", "grid_cfe"]].groupby(month).sum()
        out["cfe_score"] = (out["matched"] + out["grid_cfe"]) / out["load"]
        out["hourly_matched_share"] = out["matched"] / out["load"]
        return out

    def heatmap(self, tz: str = "UTC") -> pd.DataFrame:
        """Hourly matched share by day (rows) × local hour of day (columns 0–23) [-]."""
        h = self.hourly
        local = h.index.tz_convert(tz)
        share = (h["matched"] / h["load"]).where(h["load"] > 0)
        return share.groupby([local.date, local.hour]).mean().unstack(1)

    def as_dict(self) -> dict:
        """Figures for JSON output (no hourly series)."""
        return {k: getattr(self, k) for k in (
            "cfe_score", "hourly_matched_share", "annual_volumetric_share", "hours", "load_kwh", "clean_kwh",
            "matched_kwh", "grid_cfe_kwh", "grid_basis", "grid_source", "storage_rule", "settings_sha256")} | {
            "notes": list(self.notes)}


def hourly_cfe(hourly: pd.DataFrame, grid: GridCFE, *, settings: CFESettings | None = None,
               file: str | None = None) -> CFEResult:
    """Hourly CFE of one facility.

    Parameters
    ----------
    hourly : pandas.DataFrame
        Per UTC hour (``DatetimeIndex``, tz UTC), columns from :data:`index.cfe.settings.CHANNELS` [kWh];
        ``load`` is required, absent supply channels count as 0 (e.g. from
        :meth:`index.cfe.intervals.IntervalData.hourly`).
    grid : GridCFE
        Hourly or annual grid carbon-free share.
    settings : CFESettings, optional

    Returns
    -------
    CFEResult

    Raises
    ------
    InputError
        No ``load`` channel; NaN (missing, unfilled) hours in any channel; negative values; grid data not
        covering the hours.
    """
    st = settings or load_settings()
    if "load" not in hourly.columns:
        raise InputError("the interval data has no 'load' channel (facility total); CFE is a share of load",
                         file=file, field="channel", value="load")
    h = hourly.copy()
    nan = h.isna()
    if nan.to_numpy().any():
        cols = [c for c in h.columns if nan[c].any()]
        first = h.index[nan.any(axis=1).to_numpy()][0]
        raise InputError(f"{int(nan.any(axis=1).sum())} hours have missing readings (channels {', '.join(cols)}; "
                         f"first {first.isoformat()}); fill or supply them before matching", file=file,
                         field="kwh", unit="kWh")
    if (h.to_numpy() < 0).any():
        raise InputError("negative hourly energy", file=file, field="kwh", unit="kWh")
    zero = np.zeros(len(h))

    def col(name):
        return h[name].to_numpy(float) if name in h.columns else zero

    load = col("load")
    has_storage = "storage_charge" in h.columns or "storage_discharge" in h.columns
    clean = clean_supply(*(col(c) for c in CLEAN_CHANNELS),
                         charge=col("storage_charge") if has_storage else None,
                         discharge=col("storage_discharge") if has_storage else None,
                         load=load, rule=st.storage_rule)
    g = grid.on(h.index, file=file)
    r = cfe_arrays(load, clean, g)
    matched = np.minimum(load, clean)
    table = pd.DataFrame({"load": load, "clean": clean, "matched": matched, "unmatched": load - matched,
                          "grid_share": g, "grid_cfe": g * (load - matched)}, index=h.index)
    notes = list(grid.notes)
    if has_storage:
        notes.append(f"storage counted by rule '{st.storage_rule}'")
    return CFEResult(cfe_score=float(r["cfe_score"]), hourly_matched_share=float(r["hourly_matched_share"]),
                     annual_volumetric_share=float(r["annual_volumetric_share"]), hours=len(h),
                     load_kwh=float(r["load_kwh"]), clean_kwh=float(r["clean_kwh"]),
                     matched_kwh=float(r["matched_kwh"]), grid_cfe_kwh=float(r["grid_cfe_kwh"]),
                     grid_basis=grid.basis, grid_source=grid.source, storage_rule=st.storage_rule, hourly=table,
                     notes=tuple(notes), settings_sha256=st.sha256)
