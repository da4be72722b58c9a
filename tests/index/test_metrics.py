"""Metric functions against hand calculations and published reference figures."""

import numpy as np
import pandas as pd
import pytest

from index import metrics
from index.reference import fuel_factor, grid_factor, gwp


def test_pue_hohhot_cluster_average():
    # seed 001: Hohhot cluster average PUE 1.185 -> 1,185 kWh total per 1,000 kWh IT
    assert metrics.pue(1185.0, 1000.0) == pytest.approx(1.185)


def test_metrics_accept_scalars_arrays_and_series():
    total = [1200.0, 1500.0, np.nan]
    it = [1000.0, 1000.0, 1000.0]
    expected = np.array([1.2, 1.5, np.nan])
    np.testing.assert_allclose(metrics.pue(np.array(total), np.array(it)), expected)
    s = metrics.pue(pd.Series(total), pd.Series(it))
    np.testing.assert_allclose(np.asarray(s), expected)
    assert metrics.pue(1200.0, 1000.0) == pytest.approx(1.2)


def test_wue_litres_per_kwh():
    # 1,000 m3 = 1,000,000 L over 2,000,000 kWh IT = 0.5 L/kWh
    assert metrics.wue(1000.0, 2_000_000.0) == pytest.approx(0.5)


def test_cue_grid_only_equals_factor_times_pue():
    # grid-only facility, no scope 1: CUE = factor x PUE. Beijing 2022 factor 0.5580 (MEE/NBS 2024 No. 33).
    f = grid_factor(2022, "beijing").value
    assert f == pytest.approx(0.5580)
    total, it = 1_400_000.0, 1_000_000.0
    cue = metrics.cue(metrics.scope2_location_kg(total, f), it)
    assert cue == pytest.approx(0.5580 * 1.4)


def test_market_based_mixing_gecs_and_grid():
    # 900,000 kWh grid purchase, 300 MWh of GECs retired: 600,000 kWh uncovered at the 2022 residual 0.5856.
    covered = metrics.gec_covered_kwh(900_000.0, 300.0)
    assert covered == pytest.approx(300_000.0)
    kg = metrics.scope2_market_kg(900_000.0 - covered, grid_factor(2022, basis="residual", level="national").value)
    assert kg == pytest.approx(600_000 * 0.5856)


def test_gecs_cannot_cover_more_than_the_grid_purchase():
    assert metrics.gec_covered_kwh(100_000.0, 500.0) == pytest.approx(100_000.0)


def test_renewable_share_and_acquisition_quality():
    # 100,000 kWh bundled trading (quality 60) + 300,000 kWh of GECs (quality 25) over 1,000,000 kWh
    ren = metrics.renewable_supply_kwh(0, 0, 0, 100_000.0, 300_000.0)
    assert metrics.renewable_share(ren, 1_000_000.0) == pytest.approx(0.40)
    q = metrics.acquisition_quality({"trading": 100_000.0, "gec": 300_000.0}, {"trading": 60, "gec": 25})
    assert q == pytest.approx((100_000 * 60 + 300_000 * 25) / 400_000)  # 33.75


def test_acquisition_quality_without_renewables_is_nan():
    assert np.isnan(metrics.acquisition_quality({"onsite": 0.0}, {"onsite": 100}))


def test_computing_efficiency_national_reference():
    # seed 001: 280 EFLOPS (FP32) and 166 TWh in 2024 (8,784 h, leap year) -> 14.82 GFLOPS/W
    ce = metrics.computing_efficiency(280e6, 166e9, 8784.0)
    assert ce == pytest.approx(280e6 / (166e9 / 8784), rel=1e-12)
    assert ce == pytest.approx(14.82, abs=0.01)


def test_carbon_efficiency_national_reference_and_zero_emissions():
    # 280 EFLOPS / 85.9 Mt CO2 over a year = 3.26 TFLOPS per t/yr
    assert metrics.carbon_efficiency(280e6, 85.9e6, 8760.0) == pytest.approx(3.2596, abs=1e-4)
    assert np.isinf(metrics.carbon_efficiency(1000.0, 0.0, 8760.0))


def test_scope1_diesel_gas_and_refrigerant():
    d, g = fuel_factor("diesel"), fuel_factor("natural_gas")
    # R134a AR5 GWP-100 = 1,300 (IPCC AR5 WG1 Table 8.A.1)
    assert gwp("R134a") == 1300
    assert gwp("R-134a") == 1300
    kg = metrics.scope1_kg(1000.0, 500.0, metrics.refrigerant_kgco2e(10.0, gwp("R134a")), d, g)
    assert kg == pytest.approx(1000 * d + 500 * g + 13_000)


def test_fuel_factors_follow_guideline_arithmetic():
    # diesel: NCV 42.652 GJ/t x 20.20 tC/TJ x 98 % x 44/12 = 3.0959 tCO2/t; per litre x density
    from index.reference import read_table

    row = next(r for r in read_table("fuel_factors.csv") if r["fuel"] == "diesel")
    per_t = 42.652 * 20.20e-3 * 0.98 * 44 / 12
    assert float(row["kgco2e_per_unit"]) == pytest.approx(per_t * float(row["density_kg_per_l"]), rel=2e-3)


def test_rack_it_load_erf_and_standard_racks():
    assert metrics.rack_utilisation(15_400, 22_000) == pytest.approx(0.70)
    assert metrics.it_load_rate(30_000.0, 48_000.0) == pytest.approx(0.625)
    assert metrics.erf(40_000.0, 400_000.0) == pytest.approx(0.10)
    # 60 MW of design IT power / 2.5 kW per standard rack = 24,000 racks
    assert metrics.standard_racks(60_000.0, 2.5) == pytest.approx(24_000)


def test_grid_factor_fallbacks_are_noted():
    f = grid_factor(2025, "hebei")
    assert f.year == 2023 and "2023 factor used" in f.note
    national = grid_factor(2022, None, level="national")
    assert national.value == pytest.approx(0.5366)
    # Tibet has no MEE factor: falls back to its regional grid and says so
    tibet = grid_factor(2022, "xizang")
    assert tibet.level in ("regional", "national") and tibet.note


def test_grid_factor_fallbacks_carry_codes_and_the_same_text():
    # data/reference/grid_emission_factors.csv: the latest MEE/NBS provincial factors are for 2023
    f = grid_factor(2025, "hebei")
    assert [(n.code, n.params) for n in f.fallbacks] == [("factor_year", {"year": 2025, "used": 2023})]
    assert f.note == "no 2025 factor published; 2023 factor used"
    tibet = grid_factor(2022, "xizang")  # no provincial factor for Tibet: a coarser level, named in the params
    level = next(n for n in tibet.fallbacks if n.code == "factor_level")
    assert level.params["wanted_level"] == "provincial" and level.params["level"] == tibet.level
    assert level.params["region"] == tibet.region_code
    assert tibet.note == "; ".join(n.text for n in tibet.fallbacks)
