"""Time zones: China (UTC+8, no DST) and a US file across the March and November 2022 DST changes."""

from __future__ import annotations

import pandas as pd
import pytest

from index.cfe import validate_intervals
from index.cfe.reconcile import reconcile_monthly


def test_cst_file_months_follow_china_time():
    # 2025-01-31 22:00 … 2025-02-01 01:00 CST (UTC+8): the first two hours are January in China,
    # though all four are 2025-01-31 14:00–17:00 UTC.
    ts = ["2025-01-31T22:00:00+08:00", "2025-01-31T23:00:00+08:00", "2025-02-01T00:00:00+08:00",
          "2025-02-01T01:00:00+08:00"]
    data = validate_intervals(pd.DataFrame({"timestamp": ts, "channel": "load", "kwh": [1.0, 2.0, 4.0, 8.0]}))
    assert data.window[0] == pd.Timestamp("2025-01-31T14:00:00Z")
    assert data.local_zone() == "UTC+08:00"
    m = data.totals(by="month")["load"]
    assert m.to_dict() == {pd.Period("2025-01", "M"): 3.0, pd.Period("2025-02", "M"): 12.0}
    # in UTC all four hours are January
    assert data.totals(by="month", tz="UTC")["load"].tolist() == [15.0]


def _us_day(date: str, tz: str = "America/New_York") -> pd.DataFrame:
    """One local day of hourly readings written with their offsets (23 or 25 rows on DST days)."""
    start = pd.Timestamp(date, tz=tz)
    end = start + pd.offsets.Day(1)
    idx = pd.date_range(start, end, freq="h", inclusive="left")
    return pd.DataFrame({"timestamp": [t.isoformat() for t in idx], "channel": "load", "kwh": 1.0})


def test_us_spring_forward_day_has_23_hours():
    df = _us_day("2022-03-13")
    assert len(df) == 23  # 02:00 EST does not exist
    assert df["timestamp"].iat[1] == "2022-03-13T01:00:00-05:00" and df["timestamp"].iat[2] == "2022-03-13T03:00:00-04:00"
    data = validate_intervals(df)
    assert data.errors.empty
    assert len(data.hourly()) == 23 and data.hourly()["load"].sum() == 23.0


def test_us_fall_back_day_has_25_hours_and_no_duplicates():
    df = _us_day("2022-11-06")
    assert len(df) == 25  # 01:00 comes twice, once at -04:00 and once at -05:00
    assert df["timestamp"].str.startswith("2022-11-06T01:00:00").sum() == 2
    data = validate_intervals(df)
    assert data.errors.empty
    assert len(data.hourly()) == 25
    assert set(data.utc_offsets) == {"-04:00", "-05:00"}


def test_us_naive_local_times_refused_at_dst_changes():
    df = pd.DataFrame({"timestamp": ["2022-03-13 01:00:00", "2022-03-13 02:30:00", "2022-11-06 01:30:00",
                                     "2022-11-06 03:00:00"], "channel": "load", "kwh": 1.0})
    data = validate_intervals(df, tz="America/New_York")
    e = data.errors[data.errors["reason"].str.startswith("local time")].set_index("row")["reason"]
    assert sorted(e.index) == [2, 3]  # 01:00 in March and 03:00 in November are unambiguous
    assert "does not exist (DST spring-forward)" in e[2]
    assert "exists twice (DST fall-back)" in e[3]


def test_us_months_need_a_zone_when_offsets_differ():
    df = pd.concat([_us_day("2022-03-13"), _us_day("2022-03-14")], ignore_index=True)
    data = validate_intervals(df)
    with pytest.raises(Exception, match="several UTC offsets"):
        data.totals(by="month")
    monthly = pd.DataFrame({"total_energy_kwh": [47.0]}, index=pd.PeriodIndex(["2022-03"], freq="M"))
    rec = reconcile_monthly(data, monthly, tz="America/New_York")
    assert rec["intervals_kwh"].tolist() == [47.0] and rec["ok"].all()  # 23 + 24 local hours


def test_tz_aware_parquet_column_keeps_its_zone(tmp_path):
    from index.cfe import read_intervals

    idx = pd.date_range("2025-01-31 22:00", periods=4, freq="h", tz="Asia/Shanghai")
    p = tmp_path / "iv.parquet"
    pd.DataFrame({"timestamp": idx, "channel": "load", "kwh": [1.0, 2.0, 4.0, 8.0]}).to_parquet(p)
    data = read_intervals(p)
    assert data.errors.empty and data.window[0] == pd.Timestamp("2025-01-31T14:00:00Z")
    assert data.local_zone() == "Asia/Shanghai"
    assert data.totals(by="month")["load"].tolist() == [3.0, 12.0]
