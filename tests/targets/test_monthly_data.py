"""The 5-year monthly demo series: consistent with the facility file, seasonal, reproducible."""

import csv

import numpy as np
import pytest

from tests.targets.conftest import MONTHLY

COLUMNS = ("total_energy_kwh", "it_energy_kwh", "water_m3", "grid_kwh", "onsite_renewable_kwh",
           "green_trading_kwh")


def _rows():
    with open(MONTHLY, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_sixty_consecutive_months():
    months = [r["month"] for r in _rows()]
    assert months[0] == "2021-01" and months[-1] == "2025-12" and len(months) == 60


@pytest.mark.parametrize("year", ["2023", "2024", "2025"])
def test_monthly_sums_equal_facility_annual_totals(demo, year):
    p = demo.period(year)
    rows = [r for r in _rows() if r["month"].startswith(year)]
    assert len(rows) == 12
    for col in COLUMNS + ("sgls_kwh",):
        fig = getattr(p, col)
        expected = 0 if fig is None else fig.value
        assert sum(int(r[col]) for r in rows) == expected, col   # exact to the kWh / m³
    assert sum(int(r["gec_mwh"]) for r in rows) == p.gec_mwh.value


def test_summer_pue_peak_in_zhangjiakou_range():
    rows = _rows()
    for year in range(2021, 2026):
        jan = next(r for r in rows if r["month"] == f"{year}-01")
        jul = next(r for r in rows if r["month"] == f"{year}-07")
        d = int(jul["total_energy_kwh"]) / int(jul["it_energy_kwh"]) - int(jan["total_energy_kwh"]) / int(
            jan["it_energy_kwh"])
        assert 0.06 <= d <= 0.10, (year, d)


def test_generator_reproduces_committed_csv():
    import importlib.util

    from tests.targets.conftest import ROOT

    spec = importlib.util.spec_from_file_location("mk", ROOT / "data" / "monthly" / "make_demo_monthly.py")
    mk = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mk)
    built = mk.build()
    committed = _rows()
    assert len(built) == len(committed)
    for a, b in zip(built, committed, strict=True):
        assert {k: str(v) for k, v in a.items()} == b


def test_every_month_has_a_nonnegative_grid_purchase():
    assert min(int(r["grid_kwh"]) for r in _rows()) >= 0
    assert np.all([int(r["it_energy_kwh"]) < int(r["total_energy_kwh"]) for r in _rows()])
