"""Interval ingestion: layouts, validation failure table, gap-fill, completeness, meters, formats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from common.errors import InputError, InputErrors
from index.cfe import meters_from_dict, read_intervals, validate_intervals
from tests.cfe.conftest import long_frame


def test_failure_table_names_each_bad_row():
    df = pd.DataFrame({
        "timestamp": ["2025-01-01T00:00:00+08:00", "2025-01-01T01:00:00+08:00", "2025-01-01T02:00:00",
                      "not a time", "2025-01-01T03:00:00+08:00", "2025-01-01T04:00:00+08:00",
                      "2025-01-01T04:00:00+08:00", "2025-01-01T05:00:00+08:00"],
        "channel": ["load", "load", "load", "load", "solar", "load", "load", "load"],
        "kwh": ["1", "-2", "1", "1", "1", "1", "1.5", "abc"],
    })
    data = validate_intervals(df, file="f.csv")
    err = data.errors.set_index("row")
    assert "negative reading" in err.at[2, "reason"] and err.at[2, "unit"] == "kWh"
    assert "no UTC offset" in err.at[3, "reason"]
    assert "not an ISO 8601" in err.at[4, "reason"]
    assert "unknown channel" in err.at[5, "reason"] and err.at[5, "value"] == "solar"
    assert "conflicting duplicate readings" in err.at[6, "reason"] and "rows 6, 7" in err.at[6, "reason"]
    assert err.at[8, "reason"] == "not a number" and err.at[8, "value"] == "abc"
    with pytest.raises(InputErrors) as exc:
        data.raise_for_errors()
    assert "f.csv, row 2, field 'kwh', unit [kWh]: negative reading" in str(exc.value)


def test_missing_column_named():
    with pytest.raises(InputError, match="column 'kwh' is required"):
        validate_intervals(pd.DataFrame({"timestamp": ["2025-01-01T00:00:00Z"], "channel": ["load"]}), file="x")


def test_short_gap_filled_and_flagged_long_gap_reported():
    # 15-min series of 40 intervals; remove 4 (1 h, ≤ 120 min: filled) and 12 (3 h: not filled)
    vals = np.arange(40, dtype=float) + 100.0
    frame = long_frame("2025-03-01T00:00:00+08:00", {"load": vals}, freq="15min")
    frame = frame.drop(index=list(range(5, 9)) + list(range(20, 32))).reset_index(drop=True)
    data = validate_intervals(frame)
    f = data.frame
    filled = f[f["filled"]]
    assert len(filled) == 4
    # linear interpolation between 104 and 109 → 105, 106, 107, 108 (the original values of a linear series)
    assert filled["kwh"].tolist() == [105.0, 106.0, 107.0, 108.0]
    gaps = data.errors[data.errors["field"] == "gap"]
    assert len(gaps) == 1 and "gap of 12 intervals inside the series" in gaps["reason"].iat[0]
    c = data.completeness().loc["load"]
    assert (c.expected, c.measured, c.filled, c.missing) == (40, 24, 4, 12)
    assert c.measured_share == pytest.approx(24 / 40)
    # the hourly series: hours 0..9; hour 1 (intervals 4–7) complete after the fill, hours 5–7 missing
    h = data.hourly()["load"]
    assert h.iloc[1] == pytest.approx(104 + 105 + 106 + 107)
    assert h.isna().tolist() == [False] * 5 + [True] * 3 + [False] * 2


def test_fifteen_minute_meters_sum_to_hours_across_meters():
    frame = pd.concat([
        long_frame("2025-01-01T00:00:00+08:00", {"load": [1.0] * 8}, freq="15min", meter="A"),
        long_frame("2025-01-01T00:00:00+08:00", {"load": [2.0, 3.0]}, freq="h", meter="B"),
    ], ignore_index=True)
    data = validate_intervals(frame)
    assert set(data.series["minutes"]) == {15, 60}
    assert data.hourly()["load"].tolist() == [4 * 1.0 + 2.0, 4 * 1.0 + 3.0]


def test_interval_length_not_allowed():
    frame = long_frame("2025-01-01T00:00:00+08:00", {"load": [1.0] * 4}, freq="30min")
    data = validate_intervals(frame)
    assert "interval length 30 min is not one of (15, 60)" in data.errors["reason"].iat[0]


def test_meter_register_checked_and_calibration_carried():
    reg = meters_from_dict({"meter": [
        {"id": "M1", "calibration_ref": "CNAS-2025-001", "channel": "load", "accuracy_class": "0.5S"}]})
    frame = pd.concat([long_frame("2025-01-01T00:00:00+08:00", {"load": [1.0, 1.0]}, meter="M1"),
                       long_frame("2025-01-01T00:00:00+08:00", {"it": [1.0, 1.0]}, meter="M1"),
                       long_frame("2025-01-01T00:00:00+08:00", {"ppa": [1.0, 1.0]}, meter="M9")], ignore_index=True)
    data = validate_intervals(frame, meters=reg)
    reasons = " | ".join(data.errors["reason"])
    assert "meter M1 is registered for channel 'load' (2 rows of other channels)" in reasons
    assert "meter not in the meter register" in reasons
    assert data.series.set_index("channel").at["load", "calibration_ref"] == "CNAS-2025-001"
    with pytest.raises(InputError, match="'calibration_ref' is required"):
        meters_from_dict({"meter": [{"id": "M2"}]})


@pytest.mark.parametrize("suffix", ["csv", "parquet", "xlsx"])
def test_file_formats_read_alike(tmp_path, suffix):
    frame = long_frame("2025-01-01T00:00:00+08:00", {"load": [5.0, 6.0, 7.0], "ppa": [1.0, 2.0, 0.0]}, meter="M1")
    p = tmp_path / f"iv.{suffix}"
    if suffix == "csv":
        frame.to_csv(p, index=False)
    elif suffix == "parquet":
        frame.to_parquet(p)
    else:
        frame.to_excel(p, index=False)
    data = read_intervals(p)
    assert data.errors.empty
    h = data.hourly()
    assert h["load"].tolist() == [5.0, 6.0, 7.0] and h["ppa"].tolist() == [1.0, 2.0, 0.0]
    assert h.index[0] == pd.Timestamp("2024-12-31T16:00:00Z")


def test_csv_with_text_in_kwh_reports_row(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("timestamp,channel,kwh\n2025-01-01T00:00:00+08:00,load,1\n2025-01-01T01:00:00+08:00,load,n/a\n")
    data = read_intervals(p)
    e = data.errors
    assert (e["row"].tolist(), e["reason"].tolist()) == ([2], ["not a number"])


def test_unknown_suffix(tmp_path):
    p = tmp_path / "iv.json"
    p.write_text("{}")
    with pytest.raises(InputError, match="unknown interval file type"):
        read_intervals(p)
