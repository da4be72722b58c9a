"""Grid carbon-free share: the two shared hourly formats as they are, blank hours, and the Chinese fallback."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from common.errors import InputError
from index.cfe import annual_fallback, grid_from_frame, read_grid


def test_electricity_maps_low_carbon_percentage(real):
    path = real / "em-hourly-ci" / "US-TEX-ERCO_2023_hourly.csv"
    g = read_grid(path)
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(g.share) == len(rows) == 8760
    assert g.share.iloc[0] == pytest.approx(float(rows[0]["Low Carbon Percentage"]) / 100)  # 54.73 %
    assert g.share.iloc[0] == pytest.approx(0.5473)
    # SOURCE.md: mean low-carbon % of US-TEX-ERCO 2023 is 42.1
    assert g.share.mean() == pytest.approx(0.421, abs=0.0005)
    assert g.share.index[0] == pd.Timestamp("2023-01-01T00:00:00Z") and g.zone == "US-TEX-ERCO"


def test_eia930_fuel_mix_share(real):
    g = read_grid(real / "eia930-hourly-mix" / "ERCO_NG_&_avgCI.csv")
    # the first hour, computed here from the row as written
    with open(real / "eia930-hourly-mix" / "ERCO_NG_&_avgCI.csv", encoding="utf-8", newline="") as f:
        r0 = next(csv.DictReader(f))
    fuels = ["WND", "SUN", "WAT", "OIL", "NG", "COL", "NUC", "OTH"]
    exp = sum(float(r0[k]) for k in ("WND", "SUN", "WAT", "NUC")) / sum(float(r0[k]) for k in fuels)
    assert g.share.iloc[0] == pytest.approx(exp)
    # SOURCE.md: mean CFE share (WND+SUN+WAT+NUC) of ERCO 2022 is 0.417
    assert g.share.mean() == pytest.approx(0.417, abs=0.0005)


def test_eia930_blank_hours_filled_and_flagged(real):
    g = read_grid(real / "eia930-hourly-mix" / "PJM_NG_&_avgCI.csv")
    assert g.filled.sum() == 23  # SOURCE.md: 23 fully empty rows
    assert any("(22 h) blank; filled by mean of the same hour of day in the same month" in n for n in g.notes)
    # the 22-hour gap takes the March mean of the same UTC hour over the other March days
    raw = pd.read_csv(real / "eia930-hourly-mix" / "PJM_NG_&_avgCI.csv")
    raw["ts"] = pd.to_datetime(raw["timestamp"], utc=True)
    raw["g"] = (raw.WND + raw.SUN + raw.WAT + raw.NUC) / raw[["WND", "SUN", "WAT", "OIL", "NG", "COL", "NUC", "OTH"]].sum(axis=1, min_count=1)
    mar7 = raw[(raw.ts.dt.month == 3) & (raw.ts.dt.hour == 7)]["g"].mean()
    assert g.share[pd.Timestamp("2022-03-13T07:00:00Z")] == pytest.approx(mar7)
    # the single blank hour 2022-11-07 05:00 is the mean of its neighbours (linear interpolation)
    t = pd.Timestamp("2022-11-07T05:00:00Z")
    nb = raw.set_index("ts")["g"]
    assert g.share[t] == pytest.approx((nb[t - pd.Timedelta("1h")] + nb[t + pd.Timedelta("1h")]) / 2)
    # MISO: hours with only OIL = 0 have no generation: treated as blank, not as 0 % clean
    m = read_grid(real / "eia930-hourly-mix" / "MISO_NG_&_avgCI.csv")
    assert m.filled.sum() == 3


def test_unknown_grid_format():
    with pytest.raises(InputError, match="not a known grid file"):
        grid_from_frame(pd.DataFrame({"time": ["2023-01-01"], "ci": [1]}), file="g.csv")


def test_share_out_of_range():
    df = pd.DataFrame({"Datetime (UTC)": ["2023-01-01 00:00:00"], "Low Carbon Percentage": [120.0]})
    with pytest.raises(InputError, match="outside 0–100 %"):
        grid_from_frame(df, file="g.csv")


def test_china_fallback_derived_from_mee_factors():
    # 2022 Yunnan: average factor 0.1073 (MEE/NBS 公告2024年第33号), national fossil-power factor 0.8325
    g = annual_fallback("云南", 2022)
    assert g.basis == "annual"
    assert g.annual_share == pytest.approx(1 - 0.1073 / 0.8325, abs=5e-5)
    # national 2023: 1 − 0.5306 / 0.8273 ≈ 35.9 % non-fossil
    assert annual_fallback("cn", 2023).annual_share == pytest.approx(0.3586, abs=1e-4)
    with pytest.raises(InputError):
        annual_fallback("Atlantis", 2023)


def test_fallback_csv_matches_reference_factors():
    from index.reference import read_table

    ef = {(r["year"], r["region_code"]): float(r["factor_kgco2_per_kwh"])
          for r in read_table("grid_emission_factors.csv") if r["basis"] == "location"}
    fossil = {"2021": 0.8426, "2022": 0.8325, "2023": 0.8273}
    from index.cfe.grid import fallback_table

    rows = fallback_table()
    assert len(rows) == len(ef)
    for r in rows:
        assert float(r["cfe_share"]) == pytest.approx(1 - ef[(r["year"], r["region_code"])] / fossil[r["year"]], abs=5e-5)
        assert r["source"] and r["date_accessed"]
