"""Reference tables shipped in ``data/reference/`` (CSV with ``source`` columns), loaded once and cached.

- ``provinces.csv``: province codes, names and aliases, MEE regional grid, national computing hub node.
- ``grid_emission_factors.csv``: MEE/NBS electricity CO₂ factors by year, national / regional / provincial,
  location-based (average) and residual (market-based, excluding market-traded non-fossil power).
- ``gwp.csv``: refrigerant global warming potentials (IPCC AR4 / AR5 / AR6, 100-year).
- ``fuel_factors.csv``: diesel and natural-gas CO₂ factors (Chinese GHG accounting guideline defaults).
- ``benchmarks.csv`` and ``policy_thresholds.csv``: peer figures and regulatory thresholds.

The data directory is ``data/`` beside the packages, or ``$DCSLL_DATA`` when set.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from common.errors import InputError
from common.settings import data_dir  # re-exported: index.reference.data_dir


def read_table(name: str) -> list[dict[str, str]]:
    """Rows of ``data/reference/<name>`` as dicts of strings.

    Raises
    ------
    FileNotFoundError
        If the table is not shipped.
    """
    return list(_read_table(str(data_dir() / "reference" / name)))


@cache
def _read_table(path: str) -> tuple[dict[str, str], ...]:
    with open(path, encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


@dataclass(frozen=True)
class ProvinceInfo:
    code: str
    name_zh: str
    name_en: str
    grid_region: str
    hub_node: str | None
    hub_zone: str | None
    pv_yield_kwh_per_kwp: float | None


@cache
def _province_index() -> dict[str, ProvinceInfo]:
    idx: dict[str, ProvinceInfo] = {}
    for r in read_table("provinces.csv"):
        pv = r.get("pv_yield_kwh_per_kwp") or ""
        info = ProvinceInfo(r["province_code"], r["name_zh"], r["name_en"], r["grid_region_code"],
                            r.get("hub_node") or None, r.get("hub_zone") or None, float(pv) if pv else None)
        keys = {r["province_code"], r["name_zh"], r["name_en"], *(r.get("aliases") or "").split(";")}
        for k in keys:
            if k.strip():
                idx[k.strip().lower()] = info
    return idx


def province_info(name: str) -> ProvinceInfo:
    """Look up a province by code (``hebei``), Chinese name (``河北`` / ``河北省``) or English name.

    Raises
    ------
    InputError
        If the name is not a mainland province in ``data/reference/provinces.csv``.
    """
    info = _province_index().get(name.strip().lower())
    if info is None:
        raise InputError(f"unknown province {name!r}; use a code, Chinese or English name listed in "
                         "data/reference/provinces.csv (e.g. 'hebei', '河北', 'Inner Mongolia')",
                         field="province", value=name)
    return info


@dataclass(frozen=True)
class GridFactor:
    """An electricity CO₂ emission factor and what was actually used."""

    value: float  #: [kgCO2/kWh]
    year: int  #: year of the factor used
    level: str  #: national / regional / provincial
    region_code: str
    basis: str  #: location / residual
    source: str
    note: str | None = None  #: set when a fallback (earlier year or coarser level) was used


@cache
def _factor_rows() -> dict[tuple[str, str, str], dict[int, tuple[float, str]]]:
    out: dict[tuple[str, str, str], dict[int, tuple[float, str]]] = {}
    for r in read_table("grid_emission_factors.csv"):
        key = (r["basis"], r["level"], r["region_code"])
        out.setdefault(key, {})[int(r["year"])] = (float(r["factor_kgco2_per_kwh"]), r["source"])
    return out


def grid_factor(year: int, province: str | None = None, *, basis: str = "location",
                level: str = "provincial") -> GridFactor:
    """Electricity CO₂ emission factor for a year and place.

    Parameters
    ----------
    year : int
        Reporting year. When the table has no factor for it, the latest earlier year is used and a note
        says so (MEE/NBS publish factors about two years after the year they describe).
    province : str, optional
        Province code/name; needed for ``level`` provincial or regional.
    basis : {"location", "residual"}
        Average grid factor (location-based scope 2) or the national residual factor excluding
        market-traded non-fossil power (market-based scope 2).
    level : {"provincial", "regional", "national"}
        Finest level wanted; falls back to coarser levels (provincial → regional → national) with a note.

    Returns
    -------
    GridFactor
        The factor [kgCO2/kWh] with the year, level and source actually used.

    Raises
    ------
    InputError
        If no factor of that basis exists for that year or any earlier year.

    References
    ----------
    .. [1] 生态环境部 国家统计局, 2021/2022/2023 年电力二氧化碳排放因子 (公告 2024 年第 12、33 号, 2025 年第 47 号).
    """
    rows = _factor_rows()
    chain: list[tuple[str, str]] = []
    if province is not None and level in ("provincial", "regional"):
        info = province_info(province)
        if level == "provincial":
            chain.append(("provincial", info.code))
        chain.append(("regional", info.grid_region))
    chain.append(("national", "cn"))
    wanted = chain[0]
    for lvl, code in chain:
        years = rows.get((basis, lvl, code))
        if not years:
            continue
        usable = [y for y in years if y <= year]
        if not usable:
            continue
        y = max(usable)
        value, source = years[y]
        notes = []
        if y != year:
            notes.append(f"no {year} factor published; {y} factor used")
        if (lvl, code) != wanted:
            notes.append(f"no {wanted[0]} factor for {wanted[1]}; {lvl} ({code}) factor used")
        return GridFactor(value, y, lvl, code, basis, source, "; ".join(notes) or None)
    raise InputError(f"no {basis} grid emission factor for {year} or earlier in "
                     "data/reference/grid_emission_factors.csv", field="year", value=year)


@cache
def gwp_table(assessment: str = "ar5") -> dict[str, float]:
    """Refrigerant GWP-100 values by gas designation (e.g. ``R134a``), from ``gwp.csv``.

    Parameters
    ----------
    assessment : {"ar4", "ar5", "ar6"}
        IPCC assessment report whose values to use.
    """
    col = f"gwp_{assessment.lower()}"
    out = {}
    for r in read_table("gwp.csv"):
        if r.get(col):
            out[r["gas"].upper().replace("-", "")] = float(r[col])
    return out


def gwp(gas: str, assessment: str = "ar5") -> float:
    """GWP-100 of a refrigerant [kgCO2e/kg].

    Raises
    ------
    InputError
        If the gas is not in ``data/reference/gwp.csv``.
    """
    table = gwp_table(assessment)
    key = gas.upper().replace("-", "").replace(" ", "")
    if key not in table:
        raise InputError(f"refrigerant {gas!r} has no {assessment.upper()} GWP in data/reference/gwp.csv; "
                         f"known: {', '.join(sorted(table))}", field="refrigerants.gas", value=gas)
    return table[key]


@cache
def fuel_factor(fuel: str) -> float:
    """CO₂ emission factor of a fuel [kgCO2 per litre of diesel, per m³ of natural gas].

    Raises
    ------
    InputError
        If the fuel is not in ``data/reference/fuel_factors.csv``.
    """
    for r in read_table("fuel_factors.csv"):
        if r["fuel"] == fuel:
            return float(r["kgco2e_per_unit"])
    raise InputError(f"no emission factor for fuel {fuel!r} in data/reference/fuel_factors.csv")
