"""Reference tables shipped in ``data/reference/`` (CSV with ``source`` columns), loaded once and cached.

- ``provinces.csv``: province codes, names and aliases, MEE regional grid, national computing hub node.
- ``grid_emission_factors.csv``: MEE/NBS electricity CO₂ factors by year, national / regional / provincial,
  location-based (average) and residual (market-based, excluding market-traded non-fossil power).
- ``gwp.csv``: refrigerant global warming potentials (IPCC AR4 / AR5 / AR6, 100-year).
- ``fuel_factors.csv``: diesel and natural-gas CO₂ factors (Chinese GHG accounting guideline defaults).
- ``benchmarks.csv`` and ``policy_thresholds.csv``: peer figures and regulatory thresholds.
- ``renewable_consumption_weights.csv``: provincial renewable consumption-responsibility weights
  (可再生能源电力消纳责任权重), the renewables floor of the 2025 national green data-centre notice.

The data directory is found by :func:`common.settings.data_dir` (re-exported here): ``$DCSLL_DATA`` when set,
else ``data/`` beside the packages (a source checkout or an editable install), else the installed package
``dcsll_data`` (a wheel or ``pip install .``, which ships ``data/`` under that name; see ``[tool.setuptools]`` in
``pyproject.toml``).

Reference bundle
----------------
All of these tables plus ``data/validation/plausibility.toml`` form one :class:`ReferenceBundle` with a
SHA-256 over their exact bytes. Every :class:`~index.result.IndexResult` carries that hash and the factor
values (with year, level and source) it used, so a result is reproducible from the methodology hash and the
bundle hash. Snapshots of published bundles are kept in ``data/reference/bundles/<sha256>.json``; a deal that
pins a bundle hash is re-scored with :func:`pinned_bundle`, so publishing newer factors (e.g. the MEE's 2024
grid factors) never moves its past scores.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from common.errors import InputError
from common.settings import data_dir  # re-exported: index.reference.data_dir
from index.result import Note


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
    #: the fallbacks of ``note`` as codes: ``factor_year`` (year, used), ``factor_level`` (wanted_level,
    #: wanted_region, level, region); their texts joined by "; " make ``note``
    fallbacks: tuple[Note, ...] = ()


def _factor_rows_of(rows) -> dict[tuple[str, str, str], dict[int, tuple[float, str]]]:
    out: dict[tuple[str, str, str], dict[int, tuple[float, str]]] = {}
    for r in rows:
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
    return default_bundle().grid_factor(year, province, basis=basis, level=level)


def _grid_factor(rows, year: int, province: str | None, basis: str, level: str) -> GridFactor:
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
            notes.append(Note(code="factor_year", params={"year": year, "used": y},
                              text=f"no {year} factor published; {y} factor used"))
        if (lvl, code) != wanted:
            notes.append(Note(code="factor_level", params={"wanted_level": wanted[0], "wanted_region": wanted[1],
                                                           "level": lvl, "region": code},
                              text=f"no {wanted[0]} factor for {wanted[1]}; {lvl} ({code}) factor used"))
        return GridFactor(value, y, lvl, code, basis, source, "; ".join(n.text for n in notes) or None,
                          tuple(notes))
    raise InputError(f"no {basis} grid emission factor for {year} or earlier in "
                     "data/reference/grid_emission_factors.csv", field="year", value=year)


def gwp_table(assessment: str = "ar5") -> dict[str, float]:
    """Refrigerant GWP-100 values by gas designation (e.g. ``R134a``), from ``gwp.csv``.

    Parameters
    ----------
    assessment : {"ar4", "ar5", "ar6"}
        IPCC assessment report whose values to use.
    """
    return default_bundle().gwp_table(assessment)


def _gwp_table_of(rows, assessment: str) -> dict[str, float]:
    col = f"gwp_{assessment.lower()}"
    out = {}
    for r in rows:
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
    return default_bundle().gwp(gas, assessment)


def _gwp(table: dict[str, float], gas: str, assessment: str) -> float:
    key = gas.upper().replace("-", "").replace(" ", "")
    if key not in table:
        raise InputError(f"refrigerant {gas!r} has no {assessment.upper()} GWP in data/reference/gwp.csv; "
                         f"known: {', '.join(sorted(table))}", field="refrigerants.gas", value=gas)
    return table[key]


def fuel_factor(fuel: str) -> float:
    """CO₂ emission factor of a fuel [kgCO2 per litre of diesel, per m³ of natural gas].

    Raises
    ------
    InputError
        If the fuel is not in ``data/reference/fuel_factors.csv``.
    """
    return default_bundle().fuel_factor(fuel)


def _fuel_factor(rows, fuel: str) -> float:
    for r in rows:
        if r["fuel"] == fuel:
            return float(r["kgco2e_per_unit"])
    raise InputError(f"no emission factor for fuel {fuel!r} in data/reference/fuel_factors.csv")


# ------------------------------------------------------------------ reference-data bundle

#: files of the bundle, relative to the data directory (README files and snapshots are not part of it)
BUNDLE_FILES: tuple[str, ...] = (
    "reference/benchmarks.csv",
    "reference/fuel_factors.csv",
    "reference/grid_emission_factors.csv",
    "reference/gwp.csv",
    "reference/policy_thresholds.csv",
    "reference/provinces.csv",
    "reference/renewable_consumption_weights.csv",
    "validation/plausibility.toml",
)
#: folder (under the data directory) holding snapshots of published bundles, one ``<sha256>.json`` each
BUNDLE_ARCHIVE = "reference/bundles"


def bundle_sha256(texts: Mapping[str, str]) -> str:
    """SHA-256 of a bundle: over each file's name and UTF-8 bytes, in name order.

    The same bytes give the same hash whether read from ``data/`` or from a snapshot.
    """
    h = hashlib.sha256()
    for name in sorted(texts):
        h.update(name.encode("utf-8") + b"\0" + texts[name].encode("utf-8") + b"\0")
    return h.hexdigest()


@dataclass(frozen=True)
class RenewableWeight:
    """A province's renewable consumption-responsibility weight (可再生能源电力消纳责任权重)."""

    value: float  #: total weight [fraction]
    year: int
    province: str
    source: str
    note: str | None = None


class ReferenceBundle:
    """The reference data one result was computed with, identified by :attr:`sha256`.

    Parameters
    ----------
    texts : mapping of str -> str
        File name (as in :data:`BUNDLE_FILES`) -> file content.

    Examples
    --------
    >>> b = default_bundle()
    >>> b.grid_factor(2022, None, basis="location", level="national").value
    0.5366
    """

    def __init__(self, texts: Mapping[str, str]):
        missing = [f for f in BUNDLE_FILES if f not in texts]
        if missing:
            raise InputError(f"reference bundle misses {', '.join(missing)}", field="bundle")
        self.texts: dict[str, str] = {k: texts[k] for k in BUNDLE_FILES}
        self.sha256: str = bundle_sha256(self.texts)
        self._tables: dict[str, tuple[dict[str, str], ...]] = {}
        self._factors = None

    def __repr__(self) -> str:
        return f"ReferenceBundle(sha256={self.sha256[:12]}…)"

    @classmethod
    def from_dir(cls, root: str | Path | None = None) -> ReferenceBundle:
        """The bundle in a data directory (default :func:`data_dir`).

        Raises
        ------
        FileNotFoundError
            If a bundle file is absent.
        """
        base = Path(root) if root is not None else data_dir()
        return cls({f: (base / f).read_text(encoding="utf-8") for f in BUNDLE_FILES})

    @classmethod
    def from_snapshot(cls, snapshot: Mapping) -> ReferenceBundle:
        """A bundle from a snapshot made by :meth:`to_snapshot`.

        Raises
        ------
        InputError
            If the content does not hash to the snapshot's ``sha256`` (altered snapshot).
        """
        b = cls(snapshot["files"])
        if b.sha256 != snapshot.get("sha256"):
            raise InputError(f"reference snapshot content hashes to {b.sha256}, not {snapshot.get('sha256')}",
                             field="sha256", value=snapshot.get("sha256"))
        return b

    def to_snapshot(self) -> dict:
        """``{"sha256": ..., "files": {name: text}}`` (JSON-serialisable)."""
        return {"sha256": self.sha256, "files": dict(self.texts)}

    def with_file(self, name: str, text: str) -> ReferenceBundle:
        """A new bundle with one file replaced (e.g. a newer grid-factor table)."""
        return ReferenceBundle({**self.texts, name: text})

    def table(self, name: str) -> tuple[dict[str, str], ...]:
        """Rows of ``reference/<name>`` as dicts of strings."""
        if name not in self._tables:
            self._tables[name] = tuple(csv.DictReader(io.StringIO(self.texts[f"reference/{name}"])))
        return self._tables[name]

    def grid_factor(self, year: int, province: str | None = None, *, basis: str = "location",
                    level: str = "provincial") -> GridFactor:
        """As :func:`index.reference.grid_factor`, from this bundle's table."""
        if self._factors is None:
            self._factors = _factor_rows_of(self.table("grid_emission_factors.csv"))
        return _grid_factor(self._factors, year, province, basis, level)

    def gwp_table(self, assessment: str = "ar5") -> dict[str, float]:
        return _gwp_table_of(self.table("gwp.csv"), assessment)

    def gwp(self, gas: str, assessment: str = "ar5") -> float:
        """As :func:`index.reference.gwp`, from this bundle. [kgCO2e/kg]"""
        return _gwp(self.gwp_table(assessment), gas, assessment)

    def fuel_factor(self, fuel: str) -> float:
        """As :func:`index.reference.fuel_factor`, from this bundle."""
        return _fuel_factor(self.table("fuel_factors.csv"), fuel)

    def fuel_source(self, fuel: str) -> str:
        for r in self.table("fuel_factors.csv"):
            if r["fuel"] == fuel:
                return r["source"]
        return ""

    def renewable_weight(self, province: str, year: int) -> RenewableWeight:
        """The province's total renewable consumption-responsibility weight for ``year`` (latest earlier year
        when that year's is not in the table, with a note).

        Raises
        ------
        InputError
            If the province has no weight for that year or earlier (e.g. Tibet, not assessed).
        """
        code = province_info(province).code
        rows = [r for r in self.table("renewable_consumption_weights.csv") if r["province_code"] == code]
        usable = [r for r in rows if int(r["year"]) <= year] or []
        if not usable:
            raise InputError(f"no renewable consumption-responsibility weight for {code} in {year} or earlier in "
                             "data/reference/renewable_consumption_weights.csv", field="province", value=code)
        r = max(usable, key=lambda r: int(r["year"]))
        y = int(r["year"])
        note = f"no {year} weight in the table; {y} weight used" if y != year else None
        return RenewableWeight(float(r["total_weight"]), y, code, r["source"], note)


def _bundle_key() -> tuple:
    base = data_dir()
    return (str(base), tuple((base / f).stat().st_mtime_ns for f in BUNDLE_FILES))


@cache
def _bundle_cached(_key: tuple) -> ReferenceBundle:
    return ReferenceBundle.from_dir(Path(_key[0]))


def default_bundle() -> ReferenceBundle:
    """The reference bundle shipped in the data directory (latest published data)."""
    return _bundle_cached(_bundle_key())


def archive_bundle(bundle: ReferenceBundle, archive: str | Path | None = None) -> Path:
    """Write ``bundle``'s snapshot to ``<archive>/<sha256>.json`` (default ``data/reference/bundles``).

    Returns
    -------
    Path
        The snapshot file (left unchanged when it already exists).
    """
    folder = Path(archive) if archive is not None else data_dir() / BUNDLE_ARCHIVE
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{bundle.sha256}.json"
    if not path.exists():
        path.write_text(json.dumps(bundle.to_snapshot(), ensure_ascii=False, indent=0, sort_keys=True) + "\n",
                        encoding="utf-8")
    return path


def pinned_bundle(sha256: str, archive: str | Path | None = None) -> ReferenceBundle:
    """The bundle a deal pinned, by hash: the shipped bundle when it matches, else its archived snapshot.

    Raises
    ------
    InputError
        If no bundle with that hash is shipped or archived.
    """
    current = default_bundle()
    if current.sha256 == sha256:
        return current
    folder = Path(archive) if archive is not None else data_dir() / BUNDLE_ARCHIVE
    path = folder / f"{sha256}.json"
    if not path.exists():
        raise InputError(f"reference bundle {sha256} is neither the shipped bundle nor archived in {folder}",
                         field="reference_sha256", value=sha256)
    return ReferenceBundle.from_snapshot(json.loads(path.read_text(encoding="utf-8")))
