"""Hourly levers: a PPA and a battery, simulated hour by hour (hand-worked)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from index.cfe import annual_grid, load_settings
from index.cfe.levers import PPALever, StorageLever, apply_levers, dispatch_storage, simulate_levers


def _hourly(load, ppa):
    idx = pd.date_range("2025-06-01", periods=len(load), freq="h", tz="UTC")
    return pd.DataFrame({"load": load, "ppa": ppa}, index=idx)


def test_dispatch_with_losses():
    # 85 % round trip: hour 1 surplus 20 → charge min(20, power 10, (9 − 0)/0.85 = 10.588) = 10, stored 8.5;
    # hour 2 deficit 10 → discharge min(10, 10, 8.5) = 8.5; hour 3 nothing left
    ch, dis = dispatch_storage([10, 10, 10], [30, 0, 0], 9, 10, 0.85)
    assert ch.tolist() == pytest.approx([10.0, 0, 0]) and dis.tolist() == pytest.approx([0, 8.5, 0])


def test_storage_lever_moves_solar_surplus_into_the_night():
    # 4 h: load 10, PPA (0, 30, 0, 0), grid 0: as metered m = 10 → matched 25 %.
    # Battery 20 kWh / 15 kW at 100 %: charges min(20, 15, 20) = 15 in hour 2; discharges 10 in hour 3, 5 in 4.
    # Under clean_charged_share f = 15/15 = 1: c = (0, 15, 10, 5) → m = 0 + 10 + 10 + 5 = 25 → 62.5 %.
    st = dataclasses.replace(load_settings(), storage_round_trip_efficiency=1.0)
    h = _hourly([10.0] * 4, [0.0, 30.0, 0.0, 0.0])
    res = simulate_levers(h, annual_grid(0.0, source="t"), [StorageLever("battery", 20.0, 15.0)], settings=st)
    assert res["as metered"].hourly_matched_share == pytest.approx(0.25)
    assert res["battery"].hourly_matched_share == pytest.approx(0.625)
    assert any("greedily" in n for n in res["battery"].notes)


def test_ppa_lever_then_storage_cumulative():
    # 2 h, load 10 each; a 17,520 kWh/yr PPA shaped (1, 0) over 2 hours delivers 17,520 × 2/8760 = 4 kWh in hour 1
    # → m = 4 → 20 %; with grid 0.5 the CFE score is (4 + 0.5 × 16)/20 = 0.6
    h = _hourly([10.0, 10.0], [0.0, 0.0])
    out = apply_levers(h, [PPALever("solar", 17_520.0, (1.0, 0.0))])
    assert out["ppa"].tolist() == [4.0, 0.0]
    res = simulate_levers(h, annual_grid(0.5, source="t"), [PPALever("solar", 17_520.0, (1.0, 0.0))])
    assert res["solar"].hourly_matched_share == pytest.approx(0.2)
    assert res["solar"].cfe_score == pytest.approx(0.6)


def test_bad_levers():
    h = _hourly([10.0, 10.0], [0.0, 0.0])
    with pytest.raises(Exception, match="needs 2 non-negative values"):
        apply_levers(h, [PPALever("solar", 100.0, (1.0,))])
    with pytest.raises(Exception, match="efficiency"):
        dispatch_storage([1], [2], -1, 1, 0.9)
