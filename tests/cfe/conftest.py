"""Helpers of the CFE tests: long-layout frames and Electricity Maps–like grid tables built in the test."""

from __future__ import annotations

import pandas as pd
import pytest


def long_frame(start: str, channels: dict[str, list[float]], *, freq: str = "h", meter: str | None = None,
               tz: str | None = None) -> pd.DataFrame:
    """Rows ``timestamp, channel, kwh[, meter]`` with ISO timestamps written in ``tz`` (offset included)."""
    n = len(next(iter(channels.values())))
    idx = pd.date_range(pd.Timestamp(start), periods=n, freq=freq)
    if tz:
        idx = idx.tz_convert(tz)
    rows = []
    for ch, vals in channels.items():
        for t, v in zip(idx, vals, strict=True):
            rows.append({"timestamp": t.isoformat(), "channel": ch, "kwh": v, **({"meter": meter} if meter else {})})
    return pd.DataFrame(rows)


def em_grid(start_utc: str, low_carbon_pct: list[float]) -> pd.DataFrame:
    """A table in the Electricity Maps data-portal layout (only the columns the reader needs)."""
    idx = pd.date_range(pd.Timestamp(start_utc), periods=len(low_carbon_pct), freq="h")
    return pd.DataFrame({"Datetime (UTC)": idx.strftime("%Y-%m-%d %H:%M:%S"), "Zone Id": "TEST",
                         "Low Carbon Percentage": low_carbon_pct})


@pytest.fixture
def real(shared):
    return shared / "data" / "real"
