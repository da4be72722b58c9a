"""Operator levers for target-path simulation: what the operator plans to do, and from when.

A levers file is TOML with one ``[[levers]]`` table per action::

    [[levers]]
    kind = "cooling_retrofit"      # PUE change from a date (monthly paths)
    start = 2027-05-01
    pue_change = -0.04             # [-]

    [[levers]]
    kind = "green_trading"         # also "direct_supply" and "gec" (unbundled certificates)
    start = 2026-01-01
    mwh_per_year = 200000          # [MWh/yr]

    [[levers]]
    kind = "onsite_pv"
    start = 2026-07-01
    kwp = 5000                     # [kWp]
    yield_kwh_per_kwp = 1450       # [kWh/kWp/yr] site-specific; default: data/targets/pv_yield.csv

    [[levers]]
    kind = "rack_growth"           # more racks occupied (and optionally fitted out) per year
    start = 2026-01-01
    racks_per_year = 1500          # [racks/yr]
    ready_racks_per_year = 0       # [racks/yr]

    [[levers]]
    kind = "waste_heat"            # waste heat delivered to a district-heating network
    start = 2026-10-01
    mwh_per_year = 30000           # [MWh/yr]

    [[levers]]
    kind = "water_recycling"       # make-up water saved by recycling blow-down / reclaimed water
    start = 2026-01-01
    m3_per_year = 40000            # [m³/yr]

    [[levers]]
    kind = "ppa"                   # a PPA simulated hour by hour (24/7 CFE KPIs, index.cfe.paths)
    start = 2027-01-01
    mw = 20                        # [MW] contracted capacity
    profile = "SUN"                # "SUN" / "WND" (data/cfe/profiles_eia930.csv) or "stored" (the deal book's
    zone = "ERCO"                  #   interval data of the facility); zone: EIA-930 balancing authority
    capacity_factor = 0.24         # [fraction] optional; default data/cfe/cfe.toml [levers] / province PV yield

    [[levers]]
    kind = "storage"               # a battery dispatched hour by hour from clean surplus (index.cfe.paths)
    start = 2027-01-01
    mwh = 40                       # [MWh] usable energy
    mw = 10                        # [MW] charge / discharge power
    round_trip_efficiency = 0.85   # [fraction] optional; default data/cfe/cfe.toml [levers]

Every lever may have an ``end`` date (exclusive). Annual quantities are pro-rated by the days a lever is
active in a year; a cooling retrofit applies to whole months from its start month. Lever dates must fall
within the loan (:func:`check_dates`).
"""

from __future__ import annotations

import csv
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from common.errors import InputError, from_validation_error
from common.tomlio import read_toml
from index.models import PLAUSIBILITY
from index.reference import data_dir


class _Lever(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    start: date = Field(description="First day the lever acts")
    end: date | None = Field(None, description="Day it stops acting (exclusive); none = to the end")
    note: str | None = None

    def days_active(self, year: int) -> int:
        """Days of ``year`` on which the lever acts."""
        a = max(self.start, date(year, 1, 1))
        b = min(self.end or date(year + 1, 1, 1), date(year + 1, 1, 1))
        return max((b - a).days, 0)

    def fraction(self, year: int) -> float:
        """Share of ``year`` on which the lever acts [fraction]."""
        n = (date(year + 1, 1, 1) - date(year, 1, 1)).days
        return self.days_active(year) / n


class CoolingRetrofit(_Lever):
    """Cooling retrofit (e.g. liquid cooling, indirect evaporative cooling): PUE change from ``start``."""

    kind: Literal["cooling_retrofit"]
    pue_change: float = Field(lt=0, gt=-1, description="Change of monthly PUE [-], negative")


class GreenPower(_Lever):
    """Renewable electricity bought: bundled green-power trading, direct supply / PPA, or unbundled GECs."""

    kind: Literal["green_trading", "direct_supply", "gec"]
    mwh_per_year: float = Field(gt=0, description="Volume per year [MWh/yr]")


class OnsitePV(_Lever):
    """On-site PV: annual generation = kWp × yield [kWh/kWp/yr], all consumed on site."""

    kind: Literal["onsite_pv"]
    kwp: float = Field(gt=0, description="Installed PV [kWp]")
    yield_kwh_per_kwp: float | None = Field(None, gt=0, lt=3000,
                                            description="Specific yield [kWh/kWp/yr]; default per province")


class RackGrowth(_Lever):
    """Rack occupancy growth: racks occupied (and fitted out) added per year."""

    kind: Literal["rack_growth"]
    racks_per_year: float = Field(ge=0, description="Racks occupied added per year [racks/yr]")
    ready_racks_per_year: float = Field(0.0, ge=0, description="Racks fitted out added per year [racks/yr]")


class WasteHeat(_Lever):
    """Waste-heat reuse outside the data centre (district heating, greenhouses)."""

    kind: Literal["waste_heat"]
    mwh_per_year: float = Field(gt=0, description="Heat delivered [MWh/yr]")


class WaterRecycling(_Lever):
    """Water recycling: site water consumption reduced by recycled / reclaimed water."""

    kind: Literal["water_recycling"]
    m3_per_year: float = Field(gt=0, description="Water saved [m³/yr]")


class HourlyPPA(_Lever):
    """A PPA simulated hour by hour: ``mw`` × annual capacity factor × the profile's relative output per hour.

    Its annual energy also counts as direct supply / PPA in the annual index inputs (``direct_supply_kwh``).
    """

    kind: Literal["ppa"]
    mw: float = Field(gt=0, description="Contracted capacity [MW]")
    profile: Literal["SUN", "WND", "stored"] = Field(
        "SUN", description="Hourly shape: EIA-930 solar / wind of a zone, or the facility's stored interval data")
    zone: str | None = Field(None, description="EIA-930 balancing authority of the profile (default in cfe.toml)")
    capacity_factor: float | None = Field(None, gt=0, le=1, description="Annual capacity factor [fraction]")


class Storage(_Lever):
    """A battery simulated hour by hour: charges from clean surplus only, discharges into unmatched load.

    It changes no annual index input (the battery is metered apart from the facility's load).
    """

    kind: Literal["storage"]
    mwh: float = Field(gt=0, description="Usable energy [MWh]")
    mw: float = Field(gt=0, description="Charge and discharge power [MW]")
    round_trip_efficiency: float | None = Field(None, gt=0, le=1, description="Round-trip efficiency [fraction]")


Lever = Annotated[CoolingRetrofit | GreenPower | OnsitePV | RackGrowth | WasteHeat | WaterRecycling | HourlyPPA
                  | Storage, Field(discriminator="kind")]
_LEVERS = TypeAdapter(list[Lever])
KINDS = ("cooling_retrofit", "green_trading", "direct_supply", "gec", "onsite_pv", "rack_growth", "waste_heat",
         "water_recycling", "ppa", "storage")
#: lever kinds simulated hour by hour (they move the 24/7 CFE KPIs, index.cfe.paths)
HOURLY_KINDS = ("ppa", "storage")


def parse_levers(items: list[dict], file: str | None = None) -> list:
    """Validate lever tables (the ``[[levers]]`` array).

    Raises
    ------
    InputErrors
        Every invalid lever, naming file, lever number, field and unit.
    """
    units = {"pue_change": "-", "mwh_per_year": "MWh/yr", "kwp": "kWp", "yield_kwh_per_kwp": "kWh/kWp/yr",
             "racks_per_year": "racks/yr", "ready_racks_per_year": "racks/yr", "m3_per_year": "m3/yr",
             "mw": "MW", "mwh": "MWh", "capacity_factor": "fraction", "round_trip_efficiency": "fraction"}
    if not isinstance(items, list):
        raise InputError("levers must be an array of tables ([[levers]])", file=file, field="levers")
    for i, it in enumerate(items):
        if not isinstance(it, dict) or it.get("kind") not in KINDS:
            raise InputError(f"kind must be one of {', '.join(KINDS)}", file=file, field=f"levers[{i}].kind",
                             row=i + 1, value=it.get("kind") if isinstance(it, dict) else it)
    for i, it in enumerate(items):
        for k, v in it.items():
            if isinstance(v, bool):
                raise InputError("expected a number, got a boolean", file=file, field=f"levers[{i}].{k}", row=i + 1,
                                 unit=units.get(k), value=v)
    try:
        levers = _LEVERS.validate_python(items)
    except ValidationError as exc:
        raise from_validation_error(exc, file=file, units=units, union_tags={"*": set(KINDS)},
                                    prefix="levers") from None

    caps = {"mwh_per_year": "MWh", "kwp": "kW", "racks_per_year": "racks", "ready_racks_per_year": "racks",
            "m3_per_year": "m3", "mwh": "MWh"}  # bounded like one period's figure (plausibility.toml figure_max)
    lo, hi = int(PLAUSIBILITY["period.min_year"]), int(PLAUSIBILITY["period.max_year"])
    for i, lv in enumerate(levers):
        for name, u in caps.items():
            v = getattr(lv, name, None)
            if v is not None and (v != v or v > PLAUSIBILITY[f"figure_max.{u}"]):
                raise InputError(f"{v:g} is above the largest plausible value {PLAUSIBILITY[f'figure_max.{u}']:g} "
                                 "(data/validation/plausibility.toml)", file=file, field=f"levers[{i}].{name}",
                                 row=i + 1, unit=units[name], value=v)
        mw = getattr(lv, "mw", None)
        if mw is not None and mw * 1000.0 > PLAUSIBILITY["figure_max.kW"]:
            raise InputError(f"{mw:g} MW is above the largest plausible power {PLAUSIBILITY['figure_max.kW']:g} kW "
                             "(data/validation/plausibility.toml)", file=file, field=f"levers[{i}].mw", row=i + 1,
                             unit="MW", value=mw)
        for name in ("start", "end"):
            d = getattr(lv, name)
            if d is not None and not lo <= d.year <= hi:
                raise InputError(f"{d} is outside the years {lo}-{hi}", file=file, field=f"levers[{i}].{name}",
                                 row=i + 1, unit="date YYYY-MM-DD", value=str(d))
        if lv.end is not None and lv.end <= lv.start:
            raise InputError(f"end {lv.end} is not after start {lv.start}", file=file, field=f"levers[{i}].end",
                             row=i + 1, value=str(lv.end))
    return levers


def load_levers(path: str | Path) -> list:
    """Read a levers TOML file (layout in the module docstring).

    Raises
    ------
    InputError
        Bad TOML or an invalid lever (file, lever number, field, unit named).
    """
    p = Path(path)
    raw = read_toml(p)
    extra = set(raw) - {"levers"}
    if extra:
        raise InputError(f"unknown top-level key(s) {', '.join(sorted(extra))}; put each lever in [[levers]]",
                         file=str(p), field=sorted(extra)[0])
    if not raw.get("levers"):
        raise InputError("no levers: give at least one [[levers]] table", file=str(p), field="levers")
    return parse_levers(raw["levers"], file=str(p))


def check_dates(levers, loan_start: date, loan_end: date, file: str | None = None) -> None:
    """Refuse levers that start before the loan or after its maturity (they cannot move its SPTs).

    Raises
    ------
    InputError
        Naming the lever and its date.
    """
    for i, lv in enumerate(levers):
        if lv.start < loan_start or lv.start > loan_end:
            raise InputError(f"lever {lv.kind} starts on {lv.start}, outside the loan ({loan_start} to {loan_end}); "
                             "a lever already in place belongs in the baseline data", file=file,
                             field=f"levers[{i}].start", row=i + 1, value=str(lv.start))
        if lv.end is not None and lv.end > loan_end:
            raise InputError(f"lever {lv.kind} ends on {lv.end}, after the loan's maturity {loan_end}", file=file,
                             field=f"levers[{i}].end", row=i + 1, value=str(lv.end))


@cache
def _pv_table() -> dict[str, dict]:
    with open(data_dir() / "targets" / "pv_yield.csv", encoding="utf-8", newline="") as f:
        return {r["province_code"]: r for r in csv.DictReader(f)}


def pv_yield(province: str) -> tuple[float, str]:
    """Default PV specific yield of a province [kWh/kWp/yr] and its source.

    The table holds the minimum guaranteed full-load hours of 发改能源〔2016〕1150号 (a conservative proxy of
    the yield, and not verified from a stored copy): give a site-specific yield when there is one.

    Raises
    ------
    InputError
        Province not in the table.
    """
    row = _pv_table().get(province)
    if row is None:
        raise InputError(f"no default PV yield for province {province!r} (data/targets/pv_yield.csv covers "
                         f"{', '.join(sorted(_pv_table()))}); give yield_kwh_per_kwp from the PV design report",
                         field="yield_kwh_per_kwp", unit="kWh/kWp/yr", value=province)
    note = "" if row["verified"] == "true" else " [NOT verified from a stored copy]"
    return float(row["pv_yield_kwh_per_kwp"]), f"{row['source']} ({row['region_within_province']}){note}"


def pv_yields() -> list[float]:
    """Every province's default PV specific yield of the table behind :func:`pv_yield` [kWh/kWp/yr]."""
    return [float(r["pv_yield_kwh_per_kwp"]) for r in _pv_table().values()]


def annual_amount(levers, kind: str | tuple[str, ...], attr: str, years, scale: float = 1.0) -> np.ndarray:
    """Sum over the levers of ``kind`` of ``attr`` × active fraction of each year × ``scale``, shape (Y,)."""
    kinds = (kind,) if isinstance(kind, str) else kind
    out = np.zeros(len(years))
    for lv in levers:
        if lv.kind in kinds:
            out += np.array([getattr(lv, attr) * lv.fraction(y) for y in years]) * scale
    return out


def pue_shift(levers, months) -> np.ndarray:
    """Monthly PUE change from cooling retrofits, shape (H,) [-], for months (pandas Periods)."""
    out = np.zeros(len(months))
    for lv in levers:
        if lv.kind == "cooling_retrofit":
            for j, mth in enumerate(months):
                first = date(mth.year, mth.month, 1)
                if first >= date(lv.start.year, lv.start.month, 1) and (lv.end is None or first < lv.end):
                    out[j] += lv.pue_change
    return out


def pv_kwh(levers, years, province: str) -> tuple[np.ndarray, list[str]]:
    """On-site PV generation per year [kWh], shape (Y,), and the yields used (with sources)."""
    out = np.zeros(len(years))
    used = []
    for lv in levers:
        if lv.kind == "onsite_pv":
            if lv.yield_kwh_per_kwp is not None:
                y, src = lv.yield_kwh_per_kwp, "site-specific yield from the levers file"
            else:
                y, src = pv_yield(province)
            out += np.array([lv.kwp * y * lv.fraction(yr) for yr in years])
            used.append(f"on-site PV {lv.kwp:,.0f} kWp × {y:,.0f} kWh/kWp/yr ({src})")
    return out, used


def rack_additions(levers, years) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative racks occupied and racks ready added by the end of each year, shape (Y,) each."""
    occ = np.zeros(len(years))
    ready = np.zeros(len(years))
    for lv in levers:
        if lv.kind == "rack_growth":
            for j, y in enumerate(years):
                frac = sum(lv.fraction(yy) for yy in range(lv.start.year, y + 1))
                occ[j] += lv.racks_per_year * frac
                ready[j] += lv.ready_racks_per_year * frac
    return occ, ready
