"""Checks on the shipped reference tables in ``data/reference``.

Reference values come from outside the code: the shared MEE/NBS grid-factor file
(``shared/data/real/cn-grid-ef``) and a hand calculation of blend GWPs.
"""

from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "data" / "reference"
_SHARED_REL = "shared/data/real/cn-grid-ef/cn_grid_ef_2021_2022.csv"
# parents[2] is the folder holding the project root (``/work`` for ``/work/main``); a git worktree
# sits one level deeper (``/work/wt/<name>``), so look further up if needed.
SHARED_EF = next(
    (p / _SHARED_REL for p in Path(__file__).resolve().parents[2:] if (p / _SHARED_REL).exists()),
    Path(__file__).resolve().parents[2] / _SHARED_REL,
)

PROVENANCE = ["source", "source_link", "year_released", "date_accessed"]

TABLES = {
    "grid_emission_factors.csv": (
        ["year", "level", "region_code", "name_zh", "name_en", "basis", "factor_kgco2_per_kwh"],
        ["year", "factor_kgco2_per_kwh"],
    ),
    "provinces.csv": (
        ["province_code", "name_zh", "name_en", "aliases", "grid_region_code", "hub_node", "hub_zone",
         "pv_yield_kwh_per_kwp"],
        ["pv_yield_kwh_per_kwp"],
    ),
    "gwp.csv": (["gas", "composition", "gwp_ar4", "gwp_ar5", "gwp_ar6"], ["gwp_ar4", "gwp_ar5", "gwp_ar6"]),
    "fuel_factors.csv": (
        ["fuel", "unit", "kgco2e_per_unit", "ncv", "ncv_unit", "carbon_content_tc_per_tj", "oxidation_rate",
         "density_kg_per_l"],
        ["kgco2e_per_unit", "ncv", "carbon_content_tc_per_tj", "oxidation_rate", "density_kg_per_l"],
    ),
    "benchmarks.csv": (["metric", "scope", "year", "value", "unit"], ["year", "value"]),
    "renewable_consumption_weights.csv": (
        ["province_code", "name_zh", "year", "total_weight", "non_hydro_weight", "assessed"],
        ["year", "total_weight", "non_hydro_weight"],
    ),
    "policy_thresholds.csv": (
        ["policy_id", "metric", "scope", "comparator", "value", "unit", "effective_year", "document"],
        ["value", "effective_year"],
    ),
}

REGIONAL_CODES = {"north", "northeast", "east", "central", "northwest", "south", "southwest"}
SHARED_REGIONS = {"华北": "north", "东北": "northeast", "华东": "east", "华中": "central",
                  "西北": "northwest", "南方": "south", "西南": "southwest"}


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, encoding="utf-8", keep_default_na=False, na_values=[""])


@pytest.mark.parametrize("name", sorted(TABLES))
def test_table_loads_with_columns_and_sources(name):
    required, numeric = TABLES[name]
    df = load(name)
    assert len(df) > 0
    assert list(df.columns) == required + PROVENANCE
    assert df["source"].notna().all() and (df["source"].astype(str).str.strip() != "").all()
    assert (df["date_accessed"] == "2026-11-21").all()
    for col in numeric + ["year_released"]:
        parsed = pd.to_numeric(df[col], errors="coerce")
        assert (parsed.notna() | df[col].isna()).all(), f"{name}:{col} has non-numeric values"


def test_factor_rows_unique_and_levels_valid():
    df = load("grid_emission_factors.csv")
    assert not df.duplicated(["year", "level", "region_code", "basis"]).any()
    assert set(df["level"]) <= {"national", "regional", "provincial"}
    assert set(df["basis"]) <= {"location", "residual"}
    assert set(df.loc[df.level == "regional", "region_code"]) == REGIONAL_CODES
    assert (df.loc[df.level == "national", "region_code"] == "cn").all()
    assert df["factor_kgco2_per_kwh"].between(0.05, 1.0).all()


def test_2021_2022_factors_equal_shared_mee_file():
    shared = pd.read_csv(SHARED_EF, encoding="utf-8")
    assert len(shared) == 38
    ours = load("grid_emission_factors.csv")
    ours = ours[ours.basis == "location"]
    provinces = load("provinces.csv")
    zh_to_code = dict(zip(provinces.name_zh, provinces.province_code, strict=True))
    for _, row in shared.iterrows():
        if row.level == "national":
            code = "cn"
        elif row.level == "regional":
            code = SHARED_REGIONS[row.name_zh]
        else:
            code = zh_to_code[row.name_zh]
        for year, col in ((2021, "ef_2021_kgco2_per_kwh"), (2022, "ef_2022_kgco2_per_kwh")):
            match = ours[(ours.year == year) & (ours.level == row.level) & (ours.region_code == code)]
            assert len(match) == 1, (year, code)
            assert match.factor_kgco2_per_kwh.iloc[0] == pytest.approx(row[col], abs=1e-9)


def test_national_2022_factor_and_residuals():
    df = load("grid_emission_factors.csv")
    nat = df[(df.level == "national") & (df.basis == "location")].set_index("year")["factor_kgco2_per_kwh"]
    assert nat[2022] == pytest.approx(0.5366)
    res = df[df.basis == "residual"].set_index("year")["factor_kgco2_per_kwh"]
    assert res.to_dict() == pytest.approx({2021: 0.5942, 2022: 0.5856, 2023: 0.6096})


def test_provinces_complete_and_factor_provinces_known():
    prov = load("provinces.csv")
    assert len(prov) == 31 and prov.province_code.is_unique
    assert set(prov.grid_region_code) <= REGIONAL_CODES
    hubs = prov[prov.hub_node.notna()]
    assert set(hubs.hub_zone) == {"east", "west"}
    assert prov.loc[prov.hub_node.isna(), "hub_zone"].isna().all()
    factors = load("grid_emission_factors.csv")
    assert set(factors.loc[factors.level == "provincial", "region_code"]) <= set(prov.province_code)


def test_blend_gwp_equals_mass_weighted_components():
    gwp = load("gwp.csv").set_index("gas")
    for blend in ("R410A", "R407C", "R404A", "R507A"):
        parts = dict(p.split(":") for p in gwp.loc[blend, "composition"].split(";"))
        shares = {gas: float(pct.rstrip("%")) / 100 for gas, pct in parts.items()}
        assert sum(shares.values()) == pytest.approx(1.0)
        for col in ("gwp_ar4", "gwp_ar5", "gwp_ar6"):
            expected = sum(share * gwp.loc[gas, col] for gas, share in shares.items())
            assert gwp.loc[blend, col] == pytest.approx(expected, abs=1.0), (blend, col)
    # hand check: R410A AR5 = 0.5 * 677 + 0.5 * 3170 = 1923.5
    assert gwp.loc["R410A", "gwp_ar5"] == pytest.approx(1923.5, abs=1.0)


def test_fuel_factor_arithmetic():
    fuel = load("fuel_factors.csv").set_index("fuel")
    d = fuel.loc["diesel"]
    # kg CO2 per kg = GJ/t * tC/TJ * ox * 44/12 / 1000
    per_kg = d.ncv * d.carbon_content_tc_per_tj * d.oxidation_rate * 44 / 12 / 1000
    assert d.kgco2e_per_unit == pytest.approx(per_kg * d.density_kg_per_l, abs=1e-3)
    g = fuel.loc["natural_gas"]
    per_m3 = g.ncv / 1e4 * g.carbon_content_tc_per_tj * g.oxidation_rate * 44 / 12
    assert g.kgco2e_per_unit == pytest.approx(per_m3, abs=1e-3)


def test_policy_comparators():
    pol = load("policy_thresholds.csv")
    assert set(pol.comparator) <= {"<=", ">="}
    assert pol.policy_id.is_unique


def test_renewable_weights_2023():
    """2023 weights (发改办能源〔2023〕569号): Fujian 20.6 % / 10.0 % as the Fujian 2023 implementation plan states
    them; every province but Tibet (not assessed); non-hydro never above total; Xinjiang monitored only."""
    df = load("renewable_consumption_weights.csv")
    provinces = set(load("provinces.csv")["province_code"])
    assert set(df["province_code"]) == provinces - {"xizang"}
    fj = df[df["province_code"] == "fujian"].iloc[0]
    assert (fj["total_weight"], fj["non_hydro_weight"]) == (0.206, 0.10)
    nm = df[df["province_code"] == "neimenggu"].iloc[0]
    assert (nm["total_weight"], nm["non_hydro_weight"]) == (0.23, 0.22)
    assert (df["non_hydro_weight"] <= df["total_weight"]).all()
    assert set(df.loc[df["assessed"] == "no", "province_code"]) == {"xinjiang"}
