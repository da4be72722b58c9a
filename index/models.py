"""Input models: a data-centre :class:`Facility` and its reporting periods (:class:`PeriodData`).

Every number is a :class:`Figure` carrying its value in the unit the field name states, its status
(design / reported / verified, or default / computed when the engine derives it) and an optional source.
In a facility TOML file a figure may be written as a bare number (it takes the period's ``status`` and
``source``) or as an inline table ``{value = 1.2, status = "verified", source = "...", unit = "MWh"}``; a
``unit`` different from the field's is converted (:mod:`index.units`), a unit of another dimension is refused.

Units are in the field names: ``*_kwh`` [kWh], ``*_mwh`` [MWh], ``*_m3`` [m³], ``*_l`` [L], ``*_kw`` [kW],
``*_kg`` [kg], ``*_tflops`` [TFLOPS at the declared precision], shares ``*_share`` and utilisations
``*_utilisation`` as fractions 0–1 (give ``{value = 86, unit = "%"}`` for per cent).

File layout (one facility, one or more periods)::

    [facility]
    id = "demo-zjk-hyperscale"
    name = "..."
    province = "hebei"          # code, Chinese or English name (data/reference/provinces.csv)
    design_it_power_kw = 60000
    lifecycle_stage = "operation"

    [[periods]]
    label = "2024"
    status = "verified"
    total_energy_kwh = 4.1e8
    it_energy_kwh = 3.4e8
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from common.errors import error_params
from index.errors import InputError, InputErrors
from index.reference import data_dir, province_info
from index.tomlfile import read_toml
from index.units import convert


class FieldErrors(ValueError):
    """Several field-level problems found by one validator: ``items`` is a list of (field, message)."""

    def __init__(self, items: list[tuple[str, str]]):
        self.items = items
        super().__init__("; ".join(f"{f}: {m}" for f, m in items))


Status = Literal["design", "reported", "verified", "default", "computed"]
INPUT_STATUSES = ("design", "reported", "verified")
LifecycleStage = Literal["planning", "construction", "operation"]
ComputingType = Literal["general", "intelligent", "supercomputing", "mixed"]
Precision = Literal["FP64", "FP32", "TF32", "FP16", "BF16", "FP8", "INT8"]


class Figure(BaseModel):
    """One number with its provenance.

    Attributes
    ----------
    value : float
        The value in the unit of the field that holds it.
    status : {"design", "reported", "verified", "default", "computed"}
    source : str, optional
        Where the value comes from (document, meter, evidence reference).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    value: float
    status: Status = "reported"
    source: str | None = None
    proxy: bool | None = Field(None, description="True when the figure stands in for the facility's own value "
                               "(a region's power mix, a company-wide total): shown, never used in a loan test")

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError("must be a finite number")
        return v


class Category(BaseModel):
    """A categorical value (e.g. GB 50174-2017 class ``"A"``) with its provenance."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    value: str
    status: Status = "reported"
    source: str | None = None


class Checklist(BaseModel):
    """The capabilities present for a checklist indicator (ids from the methodology file)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    items: tuple[str, ...] = ()
    status: Status = "reported"
    source: str | None = None


class RefrigerantTopUp(BaseModel):
    """Refrigerant charged to replace leakage over the period (scope 1, fugitive). [kg]"""

    model_config = ConfigDict(frozen=True, extra="forbid")
    gas: str = Field(description="Refrigerant designation as in data/reference/gwp.csv, e.g. R134a")
    kg: float = Field(ge=0, description="Mass topped up [kg]")
    status: Status = "reported"
    source: str | None = None


class GecCertificate(BaseModel):
    """One unbundled green electricity certificate lot (绿证, 1 GEC = 1 MWh) claimed for the period.

    The fields are the evidence the GHG Protocol Scope 2 Guidance (2015) ch. 7.5 quality criteria ask for:
    a unique id, the generation period (vintage), the market it was issued and cancelled in, and the
    cancellation record naming the beneficiary. :mod:`index.engine` counts a lot only when all are present
    and consistent (methodologies with ``rules.gec_quality_criteria``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(description="Certificate serial / lot id from the registry (绿证编号)")
    mwh: float = Field(ge=0, description="Certificates in the lot [MWh]")
    generation_start: date | None = Field(None, description="First day of generation (vintage)")
    generation_end: date | None = Field(None, description="Last day of generation (vintage)")
    market: str | None = Field(None, description="Market / registry boundary, e.g. 'CN' (China GEC registry)")
    retired_for: str | None = Field(None, description="Beneficiary named on the cancellation record")
    evidence: str | None = Field(None, description="Cancellation (retirement) record reference")
    status: Status = "reported"
    source: str | None = None


#: field name -> unit it is held in (the unit a ``{value, unit}`` table is converted to)
FIGURE_UNITS: dict[str, str] = {
    "total_energy_kwh": "kWh",
    "it_energy_kwh": "kWh",
    "grid_kwh": "kWh",
    "onsite_renewable_kwh": "kWh",
    "sgls_kwh": "kWh",
    "direct_supply_kwh": "kWh",
    "green_trading_kwh": "kWh",
    "gec_mwh": "MWh",
    "renewable_share": "fraction",
    "pue": "-",
    "water_m3": "m3",
    "water_recycled_m3": "m3",
    "diesel_l": "L",
    "natural_gas_m3": "m3 gas",
    "compute_capacity_tflops": "TFLOPS",
    "compute_fp32_tflops": "TFLOPS",
    "storage_capacity_tb": "TB",
    "gpu_power_share": "fraction",
    "onsite_certificates_sold_mwh": "MWh",
    "rack_utilisation": "fraction",
    "racks_ready": "racks",
    "racks_occupied": "racks",
    "it_power_rated_kw": "kW",
    "it_power_avg_kw": "kW",
    "cpu_utilisation": "fraction",
    "gpu_utilisation": "fraction",
    "waste_heat_reused_kwh": "kWh",
    "cfe_score": "fraction",
    "hourly_matched_share": "fraction",
    "design_it_power_kw": "kW",
    "standard_racks": "racks",
}

OptFigure = Annotated[Figure | None, Field(default=None)]


def _wrap_figures(data: Any, names: list[str], status: str, source: str | None) -> Any:
    """Turn bare numbers into Figure tables and convert ``unit``-tagged tables."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for name in names:
        if name not in out or out[name] is None:
            continue
        v = out[name]
        if isinstance(v, bool):
            raise FieldErrors([(name, "expected a number, got a boolean")])
        if isinstance(v, str | list):
            raise FieldErrors([(name, f"expected a number [{FIGURE_UNITS.get(name, '-')}], got {v!r}: leave the "
                                      "figure out when it is missing (text such as N/A is not read as missing)")])
        if isinstance(v, (int, float)):
            try:
                out[name] = {"value": float(v), "status": status, "source": source}
            except OverflowError:
                raise FieldErrors([(name, f"number too large for a float [{FIGURE_UNITS.get(name, '-')}]")]) from None
        elif isinstance(v, dict):
            fig = dict(v)
            fig.setdefault("status", status)
            fig.setdefault("source", source)
            unit = fig.pop("unit", None)
            if unit is not None and "value" in fig:
                field_unit = FIGURE_UNITS.get(name, "-")
                if unit != field_unit:
                    if field_unit == "-":
                        raise FieldErrors([(name, f"dimensionless; remove unit {unit!r}")])
                    try:
                        fig["value"] = convert(float(fig["value"]), unit, field_unit, field=name)
                    except InputError as exc:
                        raise FieldErrors([(name, exc.message)]) from None
                    except (TypeError, ValueError):
                        raise FieldErrors([(name, f"value must be a number, got {fig['value']!r}")]) from None
            out[name] = fig
    return out


class PeriodData(BaseModel):
    """One reporting period of a facility (normally a calendar year, or months rolled up to one).

    Energy [kWh] by meter and by supply channel, water [m³], fuels, refrigerant top-ups, compute capacity
    [TFLOPS] at a declared precision, racks, IT power [kW], utilisations [fraction], waste heat reused [kWh],
    the qualitative indicators' checklists and categories, and evidence references. Any figure may be
    absent: the engine then scores the indicators that need it 0 and lists them as missing.

    Supply channels (white paper ch. 3 §2(2)): ``grid_kwh`` conventional grid purchase; ``onsite_renewable_kwh``
    self-built on-site/campus generation consumed; ``sgls_kwh`` supply from a source-grid-load-storage
    (源网荷储一体化) project built for the facility; ``direct_supply_kwh`` direct supply or long-term PPA in the
    same province; ``green_trading_kwh`` bundled green-power trading (证电合一); ``gec_mwh`` unbundled green
    electricity certificates retired for the facility (1 GEC = 1 MWh, 证电分离). Where only a published
    share is known, ``renewable_share`` may be given instead of the breakdown.

    Raises
    ------
    pydantic.ValidationError
        On a negative amount, a share above 1, IT energy above total energy, renewable supply above the
        total, occupied racks above ready racks, or an end date before the start. :func:`load_facility`
        turns these into :class:`~index.errors.InputError` naming file, period and field.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(description="Period label, e.g. '2024' or 'FY2024'")
    start: date
    end: date
    status: Literal["design", "reported", "verified"] = Field(
        "reported", description="Default status of the period's bare figures")
    source: str | None = Field(None, description="Default source of the period's bare figures")

    total_energy_kwh: OptFigure = Field(None, description="Total facility energy [kWh]")
    it_energy_kwh: OptFigure = Field(None, description="IT equipment energy [kWh]")
    pue: OptFigure = Field(None, description="PUE as published, when the energies are not [-]")
    grid_kwh: OptFigure = Field(None, description="Conventional grid purchase [kWh]")
    onsite_renewable_kwh: OptFigure = Field(None, description="On-site renewable generation consumed [kWh]")
    sgls_kwh: OptFigure = Field(None, description="Source-grid-load-storage project supply [kWh]")
    direct_supply_kwh: OptFigure = Field(None, description="Direct supply / PPA renewable power [kWh]")
    green_trading_kwh: OptFigure = Field(None, description="Bundled green-power trading [kWh]")
    gec_mwh: OptFigure = Field(None, description="Unbundled GECs retired [MWh] (no per-lot evidence)")
    gec_certificates: tuple[GecCertificate, ...] | None = Field(
        None, description="Unbundled GEC lots with their evidence (id, vintage, market, cancellation)")
    green_trading_certificate_ids: tuple[str, ...] | None = Field(
        None, description="Certificate ids delivered with the bundled green-power trading settlements")
    onsite_certificates_sold_mwh: OptFigure = Field(
        None, description="Certificates issued for on-site generation and sold to others [MWh]")
    onsite_certificate_ids_sold: tuple[str, ...] | None = Field(
        None, description="Ids of certificates issued for on-site generation and sold to others")
    renewable_share: OptFigure = Field(None, description="Published renewable share when no breakdown [fraction]")
    water_m3: OptFigure = Field(None, description="Site water consumption [m³]")
    water_recycled_m3: OptFigure = Field(None, description="Recycled / reclaimed / rain water used [m³]")
    diesel_l: OptFigure = Field(None, description="Diesel burnt in generators [L]")
    natural_gas_m3: OptFigure = Field(None, description="Natural gas burnt [m³ at standard conditions]")
    refrigerants: tuple[RefrigerantTopUp, ...] | None = Field(None, description="Refrigerant top-ups")
    compute_capacity_tflops: OptFigure = Field(None, description="Compute capacity [TFLOPS at compute_precision]")
    compute_precision: Precision | None = Field(None, description="Precision of compute_capacity_tflops")
    compute_fp32_tflops: OptFigure = Field(
        None, description="FP32 peak capacity when compute_capacity_tflops is at another precision "
        "(vendor datasheet FP32 peak per device × devices; its source names the datasheets) [TFLOPS]")
    storage_capacity_tb: OptFigure = Field(None, description="Installed storage capacity [TB]")
    gpu_power_share: OptFigure = Field(
        None, description="Share of IT power drawn by accelerator (GPU) servers, for weighting CPU/GPU "
        "utilisation [fraction]")
    racks_ready: OptFigure = Field(None, description="Racks with completed M&E fit-out [racks]")
    racks_occupied: OptFigure = Field(None, description="Racks in use [racks]")
    rack_utilisation: OptFigure = Field(None, description="Published rack utilisation when no rack counts [fraction]")
    it_power_rated_kw: OptFigure = Field(None, description="Rated IT power of running equipment [kW]")
    it_power_avg_kw: OptFigure = Field(None, description="Average actual IT power [kW]")
    cpu_utilisation: OptFigure = Field(None, description="Average CPU utilisation (ISO/IEC 30134-5 ITEUsv) [fraction]")
    gpu_utilisation: OptFigure = Field(None, description="Average GPU utilisation [fraction]")
    gpu_utilisation_definition: str | None = Field(None, description="How GPU utilisation was measured")
    waste_heat_reused_kwh: OptFigure = Field(None, description="Waste heat reused outside the IT room [kWh]")
    cfe_score: OptFigure = Field(None, description="Hourly 24/7 CFE score from interval data (Google 2021; "
                                 "index.cfe) [fraction]")
    hourly_matched_share: OptFigure = Field(None, description="Share of load matched hour by hour by contracted "
                                            "clean supply, from interval data (index.cfe) [fraction]")
    availability: Category | None = Field(None, description="GB 50174-2017 class A/B/C")
    checklists: dict[str, Checklist] = Field(default_factory=dict,
                                             description="indicator id -> capabilities present")
    evidence: tuple[str, ...] = Field((), description="Evidence references (meter reports, invoices, certificates)")
    notes: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _prepare(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        label = data.get("label")
        if label is None and "year" in data:
            data["label"] = str(data["year"])
        if "year" in data:
            year = data.pop("year")
            lo, hi = int(PLAUSIBILITY["period.min_year"]), int(PLAUSIBILITY["period.max_year"])
            if not isinstance(year, int) or isinstance(year, bool) or not lo <= year <= hi:
                raise ValueError(f"year must be a whole year between {lo} and {hi}, got {year!r}")
            data.setdefault("start", date(year, 1, 1))
            data.setdefault("end", date(year, 12, 31))
        elif isinstance(label, str) and label.isdigit() and len(label) == 4:
            data.setdefault("start", date(int(label), 1, 1))
            data.setdefault("end", date(int(label), 12, 31))
        status = data.get("status", "reported")
        source = data.get("source")
        data = _wrap_figures(data, list(FIGURE_UNITS), status, source)
        for cat in ("availability",):
            v = data.get(cat)
            if isinstance(v, str):
                data[cat] = {"value": v, "status": status, "source": source}
            elif isinstance(v, dict):
                data[cat] = {"status": status, "source": source, **v}
        lists = data.get("checklists") or {}
        if isinstance(lists, dict):
            fixed = {}
            for k, v in lists.items():
                if isinstance(v, (list, tuple)):
                    fixed[k] = {"items": tuple(v), "status": status, "source": source}
                elif isinstance(v, dict):
                    fixed[k] = {"status": status, "source": source, **v}
                else:
                    fixed[k] = v
            data["checklists"] = fixed
        refr = data.get("refrigerants")
        if isinstance(refr, list):
            data["refrigerants"] = [
                {"status": status, "source": source, **r} if isinstance(r, dict) else r for r in refr]
        return data

    @model_validator(mode="after")
    def _check(self) -> PeriodData:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        errs: list[str] = []
        for name in FIGURE_UNITS:
            fig = getattr(self, name, None)
            if fig is not None and fig.value < 0:
                errs.append(f"{name}: must not be negative [{FIGURE_UNITS[name]}] (got {fig.value})")
        for name in ("renewable_share", "rack_utilisation", "cpu_utilisation", "gpu_utilisation", "gpu_power_share"):
            fig = getattr(self, name)
            if fig is not None and fig.value > 1:
                hint = f" — give per cent as {{value = {fig.value}, unit = \"%\"}}" if fig.value <= 100 else ""
                errs.append(f"{name}: a fraction cannot exceed 1 [fraction] (got {fig.value}){hint}")
        t, it = self.total_energy_kwh, self.it_energy_kwh
        if t is not None and it is not None:
            if it.value > t.value:
                errs.append(f"it_energy_kwh: IT energy {it.value:g} kWh is above total energy {t.value:g} kWh "
                            f"(PUE would be below 1) [kWh]")
            if t.value == 0:
                errs.append("total_energy_kwh: total energy is zero [kWh]")
        if t is not None and it is not None and it.value > 0 and t.value / it.value > PLAUSIBILITY["pue.max"]:
            errs.append(f"total_energy_kwh: total / IT energy = {t.value / it.value:.1f}, above the plausible PUE "
                        f"{PLAUSIBILITY['pue.max']:g}: are both meters in kWh? give {{value = ..., unit = \"MWh\"}} "
                        "for a value in MWh [kWh]")
        if it is not None and it.value == 0:
            errs.append("it_energy_kwh: IT energy is zero; PUE, WUE and CUE are undefined [kWh]")
        if self.pue is not None and self.pue.value < PLAUSIBILITY["pue.min"]:
            errs.append(f"pue: PUE cannot be below {PLAUSIBILITY['pue.min']:g} [-] (got {self.pue.value})")
        if self.pue is not None and t is not None and it is not None and it.value > 0:
            measured = t.value / it.value
            if abs(measured - self.pue.value) > PUE_CONSISTENCY:
                errs.append(f"pue: published PUE {self.pue.value:g} disagrees with total/IT energy "
                            f"{measured:.4f} by more than {PUE_CONSISTENCY} [-]")
        if t is not None:
            channels = [getattr(self, c) for c in RENEWABLE_CHANNELS]
            ren = sum(c.value for c in channels if c is not None)
            if ren > t.value * (1 + SUPPLY_TOLERANCE):
                errs.append(f"green_trading_kwh: renewable supply {ren:g} kWh (on-site + source-grid-load-storage + direct + "
                            f"green trading) is above total energy {t.value:g} kWh [kWh]")
            supply = [getattr(self, c) for c in (*RENEWABLE_CHANNELS, "grid_kwh")]
            if self.grid_kwh is not None:
                tot = sum(c.value for c in supply if c is not None)
                if abs(tot - t.value) > t.value * SUPPLY_TOLERANCE:
                    errs.append(f"grid_kwh: supply channels add up to {tot:g} kWh but total energy is {t.value:g} kWh "
                                f"(tolerance {SUPPLY_TOLERANCE:.0%}) [kWh]")
        ro, rr = self.racks_occupied, self.racks_ready
        if ro is not None and rr is not None and ro.value > rr.value:
            errs.append(f"racks_occupied: {ro.value:g} occupied racks is above {rr.value:g} ready racks "
                        f"(rack utilisation above 100 %) [racks]")
        if self.compute_capacity_tflops is not None and self.compute_precision is None:
            errs.append("compute_precision: compute_capacity_tflops needs a declared precision "
                        "(FP64, FP32, FP16, ...)")
        errs += _plausible(self)
        if errs:
            raise FieldErrors([tuple(e.split(": ", 1)) for e in errs])
        return self

    @property
    def hours(self) -> float:
        """Length of the period [h] (start and end days inclusive)."""
        return ((self.end - self.start).days + 1) * 24.0

    @property
    def year(self) -> int:
        """Calendar year the period mostly falls in (for year-dependent factors)."""
        mid = self.start.toordinal() + (self.end.toordinal() - self.start.toordinal()) // 2
        return date.fromordinal(mid).year


_LABEL_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[0-2]\d\d)(?!\d)")


def _plausible(p: PeriodData) -> list[str]:
    """Cross-field and range checks of one period (``"field: message [unit]"`` strings).

    Bounds from ``data/validation/plausibility.toml`` (each with its source): figure magnitude per unit,
    GECs within the grid purchase, waste heat within total energy, recycled water within water use, average
    IT power within rated, period dates within [period.min_year, period.max_year], a period at most
    period.max_days long, a year in the label matching the dates.
    """
    P = PLAUSIBILITY
    errs: list[str] = []
    for name, unit in FIGURE_UNITS.items():
        fig = getattr(p, name, None)
        cap = P.get(f"figure_max.{unit}")
        if fig is not None and cap is not None and fig.value > cap:
            errs.append(f"{name}: {fig.value:g} {unit} is above the largest plausible value {cap:g} {unit} for one "
                        f"facility and period (data/validation/plausibility.toml) [{unit}]")
    if p.gec_mwh is not None and p.gec_mwh.value > 0:
        base, what = (p.grid_kwh, "grid purchase") if p.grid_kwh is not None else (p.total_energy_kwh, "total energy")
        if base is not None and p.gec_mwh.value * 1000 > base.value * P["gec.max_share_of_grid"] * (1 + SUPPLY_TOLERANCE):
            hint = (f"; was it given in kWh? {p.gec_mwh.value:g} kWh = {p.gec_mwh.value / 1000:g} MWh"
                    if p.gec_mwh.value / 1000 <= base.value / 1000 else "")
            errs.append(f"gec_mwh: {p.gec_mwh.value:g} MWh of GECs is above the {what} {base.value / 1000:g} MWh "
                        f"(1 GEC = 1 MWh of grid electricity){hint} [MWh]")
    t = p.total_energy_kwh
    if p.waste_heat_reused_kwh is not None and t is not None and \
            p.waste_heat_reused_kwh.value > t.value * P["waste_heat.max_share_of_total"]:
        errs.append(f"waste_heat_reused_kwh: {p.waste_heat_reused_kwh.value:g} kWh of heat reused is above the total "
                    f"energy {t.value:g} kWh (heat out cannot exceed electricity in) [kWh]")
    if p.water_recycled_m3 is not None and p.water_m3 is not None and \
            p.water_recycled_m3.value > p.water_m3.value * P["water.max_recycled_share"]:
        errs.append(f"water_recycled_m3: {p.water_recycled_m3.value:g} m3 recycled is above the water use "
                    f"{p.water_m3.value:g} m3 [m3]")
    if p.it_power_avg_kw is not None and p.it_power_rated_kw is not None and \
            p.it_power_avg_kw.value > p.it_power_rated_kw.value * P["it_power.max_avg_over_rated"]:
        errs.append(f"it_power_avg_kw: average IT power {p.it_power_avg_kw.value:g} kW is above the rated IT power "
                    f"{p.it_power_rated_kw.value:g} kW [kW]")
    lo, hi = int(P["period.min_year"]), int(P["period.max_year"])
    for name in ("start", "end"):
        d = getattr(p, name)
        if not lo <= d.year <= hi:
            errs.append(f"{name}: {d} is outside the years {lo}-{hi} (data/validation/plausibility.toml) [date]")
    days = (p.end - p.start).days + 1
    if days > P["period.max_days"]:
        errs.append(f"end: the period is {days} days long, above {P['period.max_days']:g}: a reporting period is at "
                    "most a year (split it into yearly periods) [days]")
    m = _LABEL_YEAR.search(p.label)
    if m:
        y, slack = int(m.group(1)), int(P["period.label_year_slack"])
        if not (p.start.year - slack <= y <= p.end.year + slack):
            errs.append(f"label: label {p.label!r} names the year {y} but the period runs {p.start} to {p.end}")
    return errs


#: supply channels that count as renewable supply (the kWh ones; GECs are certificates)
RENEWABLE_CHANNELS = ("onsite_renewable_kwh", "sgls_kwh", "direct_supply_kwh", "green_trading_kwh")
#: largest difference accepted between a published PUE and total/IT energy (published PUEs are rounded to 0.01)
PUE_CONSISTENCY = 0.01


def _plausibility() -> tuple[dict, dict]:
    with open(data_dir() / "validation" / "plausibility.toml", "rb") as f:
        raw = tomllib.load(f)
    flat = {f"{k}.{kk}": vv for k, v in raw.items() for kk, vv in v.items()}
    return {k: v["value"] for k, v in flat.items()}, {k: v["source"] for k, v in flat.items()}


#: plausibility bounds ``"<table>.<key>" → value`` and the source of each (data/validation/plausibility.toml)
PLAUSIBILITY, PLAUSIBILITY_SOURCES = _plausibility()
#: relative tolerance on supply channels adding up to the metered total (data/validation/plausibility.toml)
SUPPLY_TOLERANCE = PLAUSIBILITY["supply.tolerance"]


class Facility(BaseModel):
    """A data centre (or campus / cluster treated as one facility) and its reporting periods.

    Attributes
    ----------
    id : str
        Short identifier, lower case, digits and dashes.
    province : str
        Province code from ``data/reference/provinces.csv`` (Chinese and English names are accepted and
        normalised on load).
    design_it_power_kw : Figure
        Design IT power [kW]; standard racks = design IT power / 2.5 kW when not given.
    lifecycle_stage : {"planning", "construction", "operation"}
        Planning and construction stages are scored on design values (DESIGN.md §3.2).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    name_zh: str | None = None
    operator: str | None = None
    province: str
    grid_region: str | None = None
    hub_node: str | None = None
    cluster: str | None = None
    computing_type: ComputingType = "general"
    design_it_power_kw: OptFigure = None
    standard_racks: OptFigure = None
    lifecycle_stage: LifecycleStage = "operation"
    commissioning_date: date | None = None
    cooling: str | None = None
    source: str | None = None
    notes: str | None = None
    periods: tuple[PeriodData, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _prepare(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = _wrap_figures(dict(data), ["design_it_power_kw", "standard_racks"], "design", data.get("source"))
        if "province" in data and isinstance(data["province"], str):
            info = province_info(data["province"])  # raises InputError for an unknown province
            data["province"] = info.code
            data.setdefault("grid_region", info.grid_region)
            if info.hub_node and not data.get("hub_node"):
                data["hub_node"] = info.hub_node
        return data

    @model_validator(mode="after")
    def _unique_periods(self) -> Facility:
        seen = set()
        lo, hi = PLAUSIBILITY["it_load_vs_design.min"], PLAUSIBILITY["it_load_vs_design.max"]
        errs: list[tuple[str, str]] = []
        for name in ("design_it_power_kw", "standard_racks"):
            fig, unit = getattr(self, name), FIGURE_UNITS[name]
            if fig is not None and (fig.value < 0 or fig.value > PLAUSIBILITY[f"figure_max.{unit}"]):
                errs.append((name, f"{fig.value:g} {unit} is outside 0 to {PLAUSIBILITY[f'figure_max.{unit}']:g} "
                             f"{unit} (data/validation/plausibility.toml)"))
        if errs:
            raise FieldErrors(errs)
        for i, p in enumerate(self.periods):
            if self.design_it_power_kw is not None and p.it_energy_kwh is not None and self.design_it_power_kw.value:
                avg = p.it_energy_kwh.value / p.hours
                share = avg / self.design_it_power_kw.value
                if share < lo:
                    errs.append((f"periods[{i}].it_energy_kwh", f"{p.it_energy_kwh.value:g} kWh implies an average IT load "
                                f"of {avg:,.1f} kW, {share:.3%} of the design IT power "
                                f"{self.design_it_power_kw.value:,.0f} kW: was it given in MWh? write "
                                f"{{value = {p.it_energy_kwh.value:g}, unit = \"MWh\"}} [kWh]"))
                elif share > hi:
                    errs.append((f"periods[{i}].it_energy_kwh", f"implies an average IT load of {avg:,.0f} kW, "
                                 f"{share:.0%} of the design IT power {self.design_it_power_kw.value:,.0f} kW [kWh]"))
        for i, p in enumerate(self.periods):
            if p.label in seen:
                errs.append((f"periods[{i}].label", f"period label {p.label!r} appears twice"))
            seen.add(p.label)
        order = sorted(range(len(self.periods)), key=lambda i: (self.periods[i].start, i))
        for k in range(1, len(order)):
            a = max(order[:k], key=lambda i: self.periods[i].end)  # the earlier period reaching furthest
            pa, pb = self.periods[a], self.periods[order[k]]
            b = order[k]
            if pb.start <= pa.end:
                what = "has the same dates as" if (pa.start, pa.end) == (pb.start, pb.end) else "overlaps"
                errs.append((f"periods[{b}].start", f"period {pb.label!r} ({pb.start} to {pb.end}) {what} period "
                             f"{pa.label!r} ({pa.start} to {pa.end}): its energy would be counted twice"))
        if errs:
            raise FieldErrors(errs)
        return self

    def period(self, label: str | int) -> PeriodData:
        """The period with this label.

        Raises
        ------
        InputError
            If the facility has no such period.
        """
        for p in self.periods:
            if p.label == str(label):
                return p
        raise InputError(f"facility {self.id!r} has no period {label!r}; it has "
                         f"{', '.join(p.label for p in self.periods) or 'none'}", field="periods")


def _loc_to_field(loc: tuple, data: dict) -> tuple[str, str | None]:
    """Map a pydantic error location to (dotted field, period label)."""
    parts: list[str] = []
    row = None
    i = 0
    while i < len(loc):
        p = loc[i]
        if p == "periods" and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            idx = loc[i + 1]
            periods = data.get("periods") or []
            if isinstance(periods, list) and idx < len(periods) and isinstance(periods[idx], dict):
                lab = periods[idx].get("label", periods[idx].get("year"))
                row = f"period {lab}" if lab is not None else f"period #{idx + 1}"
            else:
                row = f"period #{idx + 1}"
            parts.append(f"periods[{idx}]")
            i += 2
            continue
        if isinstance(p, int):
            parts[-1:] = [f"{parts[-1]}[{p}]"] if parts else [f"[{p}]"]
        elif p not in ("value",) or not parts:
            parts.append(str(p))
        else:
            parts.append(str(p))
        i += 1
    return ".".join(parts), row


def facility_from_dict(data: dict, *, file: str | None = None) -> Facility:
    """Validate a facility mapping (the TOML layout: ``facility`` table + ``periods`` array).

    Raises
    ------
    InputErrors
        Every problem found, each naming file, period and field (and unit where the field has one).
    """
    if not isinstance(data, Mapping):
        raise InputError(f"a facility must be a table, got {type(data).__name__}", file=file)
    if "facility" in data:
        if not isinstance(data["facility"], Mapping):
            raise InputError("[facility] must be a table (id, name, province, ...)", file=file, field="facility",
                             value=data["facility"] if not isinstance(data["facility"], list) else None)
        merged = dict(data["facility"])
        merged["periods"] = data.get("periods", [])
        extra = set(data) - {"facility", "periods"}
        if extra:
            raise InputError(f"unknown top-level table(s): {', '.join(sorted(extra))}", file=file)
    else:
        merged = dict(data)
    try:
        return Facility.model_validate(merged)
    except ValidationError as exc:  # errors raised inside validators (InputError too) arrive here
        errors = []
        for e in exc.errors():
            field, row = _loc_to_field(tuple(e["loc"]), merged)
            cause = (e.get("ctx") or {}).get("error")
            val = e.get("input")
            if isinstance(val, (dict, list)):
                val = None
            if isinstance(cause, InputError):
                errors.append(InputError(cause.message, file=file, field=".".join(
                    x for x in (field, cause.field) if x) or None, row=row, unit=cause.unit, value=cause.value,
                    code=cause.code, params=cause.params))
                continue
            items = cause.items if isinstance(cause, FieldErrors) else [("", e["msg"].removeprefix("Value error, "))]
            for sub, msg in items:
                full = ".".join(x for x in (field, sub) if x)
                r = row
                mm = re.match(r"periods\[(\d+)\]", full)
                if r is None and mm:
                    _, r = _loc_to_field(("periods", int(mm.group(1))), merged)
                leaf = full.split(".")[-1].split("[")[0] if full else ""
                errors.append(InputError(msg, file=file, field=full or None, row=r, unit=FIGURE_UNITS.get(leaf),
                                         value=None if isinstance(cause, FieldErrors) else val,
                                         code=None if isinstance(cause, FieldErrors) else e["type"],
                                         params=error_params(e)))
        raise InputErrors(errors) from None


def load_facility(path: str | Path) -> Facility:
    """Read a facility TOML file.

    Parameters
    ----------
    path : str or Path
        The TOML file (layout in the module docstring).

    Returns
    -------
    Facility

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    InputError
        On a TOML syntax error or any invalid field (file, period and field named).
    """

    return facility_from_dict(read_toml(path), file=str(path))


load_facility_file = load_facility
