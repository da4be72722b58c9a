"""Interval meter data and hourly 24/7 carbon-free-energy (CFE) matching (issue 15).

- :mod:`index.cfe.intervals` — validation, gap-fill, completeness of long-layout interval readings
- :mod:`index.cfe.io` — reading CSV / Parquet / Excel interval files and meter registers
- :mod:`index.cfe.reconcile` — interval sums against the period's bills, with a stated tolerance
- :mod:`index.cfe.grid` — the grid's hourly carbon-free share (Electricity Maps, EIA-930, Chinese annual fallback)
- :mod:`index.cfe.engine` — CFE score, hourly matched share and annual volumetric share (Google 2021)
- :mod:`index.cfe.levers` — a PPA and a battery as levers, simulated hour by hour
- :mod:`index.cfe.report` — the pipeline (:func:`~index.cfe.report.evaluate`) and its text / JSON report
"""

from index.cfe.engine import CFEResult, cfe_arrays, clean_supply, hourly_cfe
from index.cfe.grid import GridCFE, annual_fallback, annual_grid, grid_from_frame, read_grid
from index.cfe.intervals import IntervalData, Meter, meters_from_dict, validate_intervals
from index.cfe.io import read_interval_table, read_intervals, read_meters
from index.cfe.reconcile import check_reconciliation, reconcile_monthly, reconcile_period
from index.cfe.settings import CHANNELS, CLEAN_CHANNELS, CFESettings, load_settings

__all__ = [
    "CFEResult", "cfe_arrays", "clean_supply", "hourly_cfe", "GridCFE", "annual_fallback", "annual_grid",
    "grid_from_frame", "read_grid", "IntervalData", "Meter", "meters_from_dict", "validate_intervals",
    "read_interval_table", "read_intervals", "read_meters", "check_reconciliation", "reconcile_monthly",
    "reconcile_period", "CHANNELS", "CLEAN_CHANNELS", "CFESettings", "load_settings",
]
