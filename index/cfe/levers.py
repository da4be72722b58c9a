"""Operator levers on hourly matching, simulated hour by hour: an added clean PPA and an added battery.

- :class:`PPALever`: ``annual_kwh`` [kWh] of contracted clean supply delivered with an hourly ``shape``
  (e.g. the EIA-930 ``SUN`` column of the facility's grid, or its own on-site solar channel), added to the
  ``ppa`` channel.
- :class:`StorageLever`: a battery of ``energy_kwh`` [kWh] and ``power_kw`` [kW] dispatched greedily in time
  order: it charges only from the hour's clean surplus ``max(c − load, 0)`` (so all its discharge is clean
  under either storage rule of ``data/cfe/cfe.toml``) and discharges into the hour's deficit
  ``max(load − c, 0)``; round-trip losses are taken on charging (``[levers] storage_round_trip_efficiency``).
  It starts empty. Greedy dispatch is the upper bound of what a battery without price signals can add to
  hourly matching; the result says so.

:func:`simulate_levers` returns the CFE result without and with the levers (applied in the order given),
so an SPT on the CFE score or the hourly matched share can be tested against a PPA or storage plan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from common.errors import InputError
from index.cfe.engine import CFEResult, clean_supply, hourly_cfe
from index.cfe.grid import GridCFE
from index.cfe.settings import CLEAN_CHANNELS, CFESettings, load_settings


@dataclass(frozen=True)
class PPALever:
    """Added contracted clean supply [kWh per year] with an hourly shape (any non-negative weights)."""

    name: str
    annual_kwh: float
    shape: tuple[float, ...] | np.ndarray


@dataclass(frozen=True)
class StorageLever:
    """Added battery: usable energy [kWh] and charge / discharge power [kW]."""

    name: str
    energy_kwh: float
    power_kw: float


def dispatch_storage(load, clean, energy_kwh: float, power_kw: float, efficiency: float):
    """Greedy hourly dispatch of a battery that charges from clean surplus only.

    Parameters
    ----------
    load, clean : array_like
        Hourly load and contracted clean supply [kWh], shape (hours,).
    energy_kwh : float
        Usable capacity [kWh].
    power_kw : float
        Power limit [kW] = energy per hour [kWh/h].
    efficiency : float
        Round-trip efficiency (0, 1]; losses taken when charging.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Energy drawn for charging and energy discharged per hour [kWh], shape (hours,).

    Examples
    --------
    Load 10 kWh each hour, clean supply (30, 0, 0), a 12 kWh / 8 kW battery at 100 % efficiency: hour 1 charges
    8 kWh (power limit), hour 2 discharges 8 kWh (deficit 10, stored 8), hour 3 has nothing left.

    >>> ch, dis = dispatch_storage([10, 10, 10], [30, 0, 0], 12, 8, 1.0)
    >>> ch.tolist(), dis.tolist()
    ([8.0, 0.0, 0.0], [0.0, 8.0, 0.0])
    """
    if energy_kwh < 0 or power_kw < 0 or not 0 < efficiency <= 1:
        raise InputError("storage lever needs energy ≥ 0 [kWh], power ≥ 0 [kW] and 0 < efficiency ≤ 1",
                         field="storage", value=(energy_kwh, power_kw, efficiency))
    L = np.asarray(load, float)
    c = np.asarray(clean, float)
    surplus = np.maximum(c - L, 0.0).tolist()
    deficit = np.maximum(L - c, 0.0).tolist()
    charge = [0.0] * len(surplus)
    discharge = [0.0] * len(surplus)
    soc = 0.0
    for h in range(len(surplus)):  # state of charge carries from hour to hour: sequential by nature
        if surplus[h] > 0:
            take = min(surplus[h], power_kw, (energy_kwh - soc) / efficiency)
            charge[h] = take
            soc += take * efficiency
        elif deficit[h] > 0 and soc > 0:
            give = min(deficit[h], power_kw, soc)
            discharge[h] = give
            soc -= give
    return np.array(charge), np.array(discharge)


def apply_levers(hourly: pd.DataFrame, levers, *, settings: CFESettings | None = None) -> pd.DataFrame:
    """The hourly channels with the levers applied (PPA added to ``ppa``; storage to ``storage_*``).

    Raises
    ------
    InputError
        A PPA shape of another length than the hours, negative or all zero; a bad storage lever.
    """
    st = settings or load_settings()
    h = hourly.copy()
    for lv in levers:
        if isinstance(lv, PPALever):
            shape = np.asarray(lv.shape, float)
            if shape.shape != (len(h),) or (shape < 0).any() or shape.sum() <= 0:
                raise InputError(f"PPA lever {lv.name!r}: the hourly shape needs {len(h)} non-negative values, "
                                 "not all zero", field="shape", value=len(shape))
            if lv.annual_kwh < 0:
                raise InputError(f"PPA lever {lv.name!r}: energy must be ≥ 0", field="annual_kwh", unit="kWh",
                                 value=lv.annual_kwh)
            add = shape / shape.sum() * lv.annual_kwh * (len(h) / 8760.0)
            h["ppa"] = (h["ppa"] if "ppa" in h.columns else 0.0) + add
        elif isinstance(lv, StorageLever):
            cols = {c: h[c].to_numpy(float) if c in h.columns else np.zeros(len(h)) for c in CLEAN_CHANNELS}
            ch0 = h["storage_charge"].to_numpy(float) if "storage_charge" in h.columns else None
            dis0 = h["storage_discharge"].to_numpy(float) if "storage_discharge" in h.columns else None
            c_now = clean_supply(*cols.values(), charge=ch0, discharge=dis0, load=h["load"].to_numpy(float),
                                 rule=st.storage_rule)
            ch, dis = dispatch_storage(h["load"], c_now, lv.energy_kwh, lv.power_kw,
                                       st.storage_round_trip_efficiency)
            h["storage_charge"] = (h["storage_charge"] if "storage_charge" in h.columns else 0.0) + ch
            h["storage_discharge"] = (h["storage_discharge"] if "storage_discharge" in h.columns else 0.0) + dis
        else:
            raise InputError(f"unknown lever {lv!r}", field="lever")
    return h


def simulate_levers(hourly: pd.DataFrame, grid: GridCFE, levers, *,
                    settings: CFESettings | None = None) -> dict[str, CFEResult]:
    """CFE without levers (``"as metered"``) and after each lever in turn (cumulative, keyed by lever name).

    Returns
    -------
    dict of str to CFEResult
    """
    st = settings or load_settings()
    out = {"as metered": hourly_cfe(hourly, grid, settings=st)}
    applied = []
    for lv in levers:
        applied.append(lv)
        h = apply_levers(hourly, applied, settings=st)
        r = hourly_cfe(h, grid, settings=st)
        if isinstance(lv, StorageLever):
            r = _with_note(r, "storage lever dispatched greedily from clean surplus (an upper bound without "
                              "price signals)")
        out[lv.name] = r
    return out


def _with_note(r: CFEResult, note: str) -> CFEResult:
    return replace(r, notes=(*r.notes, note))
