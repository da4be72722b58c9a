"""Settings of interval ingestion and hourly CFE matching, read from ``data/cfe/cfe.toml``.

Every tolerance, gap-fill limit and rule lives in that file with its source; this module only reads it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from common.errors import InputError
from common.tomlio import read_toml
from index.reference import data_dir

#: channels of the long interval layout (issue 15): what each meter channel measures, all [kWh] per interval
CHANNELS = ("load", "it", "onsite_renewable", "ppa", "green_trading", "storage_charge", "storage_discharge")
#: channels that make up contracted clean supply ``c`` (Google 2021, §"CFE score")
CLEAN_CHANNELS = ("onsite_renewable", "ppa", "green_trading")
STORAGE_RULES = ("clean_charged_share", "exclude")


@dataclass(frozen=True)
class CFESettings:
    """The values of ``data/cfe/cfe.toml`` (units in the names)."""

    allowed_minutes: tuple[int, ...]
    meter_max_gap_minutes: float
    grid_max_interp_hours: float
    tolerance: float
    min_measured_share: float
    storage_rule: str
    eia930_carbon_free: tuple[str, ...]
    electricitymaps_column: str
    reconcile_fields: dict[str, tuple[str, ...]]
    storage_round_trip_efficiency: float
    solar_capacity_factor: float
    wind_capacity_factor: float
    default_profile_zone: str
    facility_utc_offset_hours: float
    profiles_file: str
    sources: dict[str, str]
    file: str
    sha256: str


def _value(doc: dict, table: str, key: str, file: str):
    try:
        entry = doc[table][key]
        return entry["value"], entry.get("source", "")
    except (KeyError, TypeError):
        raise InputError(f"[{table}] {key} = {{ value = …, source = … }} is required", file=file,
                         field=f"{table}.{key}") from None


@cache
def _load(path: str) -> CFESettings:
    doc = read_toml(path, "CFE settings file")
    raw = Path(path).read_bytes()
    sources: dict[str, str] = {}

    def get(table, key):
        v, s = _value(doc, table, key, path)
        sources[f"{table}.{key}"] = s
        return v

    allowed = tuple(int(x) for x in get("resolution", "allowed_minutes"))
    rule = str(get("storage", "rule"))
    if rule not in STORAGE_RULES:
        raise InputError(f"storage rule must be one of {', '.join(STORAGE_RULES)}", file=path,
                         field="storage.rule", value=rule)
    fields = {}
    for ch, entry in doc.get("reconciliation", {}).get("fields", {}).items():
        if ch not in CHANNELS:
            raise InputError(f"unknown channel; channels are {', '.join(CHANNELS)}", file=path,
                             field=f"reconciliation.fields.{ch}", value=ch)
        fields[ch] = tuple(entry["value"])
        sources[f"reconciliation.fields.{ch}"] = entry.get("source", "")
    tol = float(get("reconciliation", "tolerance"))
    if not 0 < tol < 1:
        raise InputError("tolerance must be a fraction between 0 and 1", file=path,
                         field="reconciliation.tolerance", value=tol)
    return CFESettings(
        allowed_minutes=allowed,
        meter_max_gap_minutes=float(get("gap_fill", "meter_max_gap_minutes")),
        grid_max_interp_hours=float(get("gap_fill", "grid_max_interp_hours")),
        tolerance=tol,
        min_measured_share=float(get("completeness", "min_measured_share")),
        storage_rule=rule,
        eia930_carbon_free=tuple(get("grid", "eia930_carbon_free")),
        electricitymaps_column=str(get("grid", "electricitymaps_column")),
        reconcile_fields=fields, sources=sources, file=path,
        storage_round_trip_efficiency=float(get("levers", "storage_round_trip_efficiency")),
        solar_capacity_factor=float(get("levers", "solar_capacity_factor")),
        wind_capacity_factor=float(get("levers", "wind_capacity_factor")),
        default_profile_zone=str(get("levers", "default_profile_zone")),
        facility_utc_offset_hours=float(get("levers", "facility_utc_offset_hours")),
        profiles_file=str(Path(path).parent / str(get("profiles", "file"))),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def load_settings(path: str | Path | None = None) -> CFESettings:
    """Read the CFE settings (default ``data/cfe/cfe.toml`` of the data directory).

    Raises
    ------
    InputError
        A value without its ``{ value, source }`` table, an unknown storage rule or channel, a tolerance
        outside (0, 1).
    """
    return _load(str(Path(path) if path else data_dir() / "cfe" / "cfe.toml"))
