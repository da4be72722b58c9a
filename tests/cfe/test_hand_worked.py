"""Hand-worked CFE cases (4 hours with storage, 48 hours with solar, green trading and an hourly grid).

Every expected figure is worked out in the comments from the definitions of Google's 24/7 CFE paper (2021):
m = min(L, c); CFE = Σ(m + g·(L − m)) / ΣL; hourly matched = Σm / ΣL; annual volumetric = min(Σc, ΣL) / ΣL.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from index.cfe import annual_grid, cfe_arrays, grid_from_frame, hourly_cfe, load_settings, validate_intervals
from index.cfe.report import evaluate
from tests.cfe.conftest import em_grid, long_frame


def _four_hours(charge, discharge):
    return long_frame("2025-06-01T00:00:00+08:00", {
        "load": [10, 10, 10, 10], "onsite_renewable": [0, 25, 15, 0],
        "storage_charge": charge, "storage_discharge": discharge})


def test_four_hours_storage_charged_from_clean_surplus():
    # surplus = max(c0 − L, 0) = (0, 15, 5, 0); charge (0, 10, 5, 0) is all clean: f = 15/15 = 1
    # c = c0 − clean charge + f·discharge = (0, 15, 10, 12); m = (0, 10, 10, 10), Σm = 30, ΣL = 40
    # CFE = (30 + 0.1·(10 + 0 + 0 + 0)) / 40 = 31/40 = 0.775; matched = 0.75; Σc = 37 → volumetric 0.925
    data = validate_intervals(_four_hours([0, 10, 5, 0], [0, 0, 0, 12]))
    r = hourly_cfe(data.hourly(), annual_grid(0.1, source="test"))
    assert r.cfe_score == pytest.approx(0.775)
    assert r.hourly_matched_share == pytest.approx(0.75)
    assert r.annual_volumetric_share == pytest.approx(0.925)
    assert r.hours == 4


def test_four_hours_storage_partly_grid_charged_is_not_laundered():
    # charge (0, 10, 8, 0): hour 3 surplus is 5, so 3 kWh come from the grid; f = 15/18 = 5/6
    # discharge 9 in hour 4 counts 9·5/6 = 7.5 kWh clean: c = (0, 15, 10, 7.5), m = (0, 10, 10, 7.5), Σm = 27.5
    # CFE = (27.5 + 0.1·(10 + 2.5)) / 40 = 28.75/40 = 0.71875; matched 0.6875; Σc = 32.5 → 0.8125
    data = validate_intervals(_four_hours([0, 10, 8, 0], [0, 0, 0, 9]))
    r = hourly_cfe(data.hourly(), annual_grid(0.1, source="test"))
    assert r.cfe_score == pytest.approx(0.71875)
    assert r.hourly_matched_share == pytest.approx(0.6875)
    assert r.annual_volumetric_share == pytest.approx(0.8125)


def test_four_hours_storage_excluded_rule():
    # rule "exclude": c = (0, 25, 15, 0), m = (0, 10, 10, 0) = 20 → 0.5; CFE = (20 + 0.1·20)/40 = 0.55; Σc = 40 → 1.0
    st = dataclasses.replace(load_settings(), storage_rule="exclude")
    data = validate_intervals(_four_hours([0, 10, 5, 0], [0, 0, 0, 12]), settings=st)
    r = hourly_cfe(data.hourly(), annual_grid(0.1, source="test"), settings=st)
    assert (r.cfe_score, r.hourly_matched_share, r.annual_volumetric_share) == pytest.approx((0.55, 0.5, 1.0))


def _forty_eight_hours():
    # China Standard Time (UTC+8), 2025-06-01 00:00 local = 2025-05-31 16:00 UTC; local hour of day h = i mod 24
    hod = np.arange(48) % 24
    day = (hod >= 6) & (hod <= 17)                    # 12 solar hours a day
    load = [10.0] * 48
    ppa = [15.0 if d else 0.0 for d in day]           # solar PPA 15 kWh in daylight hours
    green = [0.0] * 24 + [2.0] * 24                   # green-power trading curve 2 kWh flat on day 2
    g_pct = [50.0 if d else 20.0 for d in day]        # grid 50 % carbon-free by day, 20 % at night
    frame = long_frame("2025-06-01T00:00:00+08:00", {"load": load, "ppa": ppa, "green_trading": green})
    grid = grid_from_frame(em_grid("2025-05-31 16:00:00", g_pct))
    return frame, grid


def test_forty_eight_hours_written_out():
    # Day 1: daylight c = 15 ≥ 10 → m = 10 × 12 h = 120; night c = 0 → unmatched 10 × 12 = 120, × 0.2 = 24
    # Day 2: daylight c = 17 → m = 120; night c = 2 → m = 2 × 12 = 24, unmatched 8 × 12 = 96, × 0.2 = 19.2
    # Σm = 264, ΣL = 480 → hourly matched = 0.55
    # CFE = (264 + 24 + 19.2) / 480 = 307.2 / 480 = 0.64
    # Σc = 15 × 24 + 2 × 24 = 408 → annual volumetric = 408 / 480 = 0.85
    frame, grid = _forty_eight_hours()
    rep = evaluate(validate_intervals(frame), grid)
    r = rep.result
    assert r.hourly_matched_share == pytest.approx(0.55)
    assert r.cfe_score == pytest.approx(0.64)
    assert r.annual_volumetric_share == pytest.approx(0.85)
    assert (r.hours, r.load_kwh, r.matched_kwh) == (48, 480.0, pytest.approx(264.0))
    # the day × hour heatmap in local time: 100 % matched in daylight, 0 % (day 1) and 20 % (day 2) at night
    hm = r.heatmap("Asia/Shanghai")
    assert hm.shape == (2, 24)
    assert hm.iloc[0, 12] == pytest.approx(1.0) and hm.iloc[0, 0] == pytest.approx(0.0)
    assert hm.iloc[1, 0] == pytest.approx(0.2)
    # monthly chart: one local month (June), matched 264 and unmatched 216 kWh
    mo = r.monthly("Asia/Shanghai")
    assert list(mo.index.astype(str)) == ["2025-06"]
    assert (mo["matched"].iat[0], mo["unmatched"].iat[0]) == pytest.approx((264.0, 216.0))


def test_no_surplus_carried_between_hours():
    # 2 hours: L = (10, 10), c = (20, 0): annual matching says 100 %, hourly only 50 %
    r = cfe_arrays([10, 10], [20, 0], [0.0, 0.0])
    assert float(r["annual_volumetric_share"]) == 1.0
    assert float(r["hourly_matched_share"]) == 0.5


def test_vectorised_over_facilities_matches_one_by_one():
    # two facilities at once: facility 2 is facility 1 with doubled load, c = (5, 5, 5), g = (0, 0.5, 1)
    # f1: L = (10, 10, 10): m = 15; CFE = (15 + 0 + 2.5 + 5)/30 = 0.75; f2: L = 20s: (15 + 0 + 7.5 + 15)/60 = 0.625
    r = cfe_arrays(np.array([[10, 10, 10], [20, 20, 20]]), np.array([[5, 5, 5], [5, 5, 5]]), np.array([0, 0.5, 1]))
    assert r["cfe_score"].tolist() == pytest.approx([0.75, 0.625])


def test_missing_hours_refused():
    frame = long_frame("2025-01-01T00:00:00+08:00", {"load": [1.0] * 6})
    frame = frame.drop(index=[1, 2, 3]).reset_index(drop=True)  # 3 h gap > 120 min: not filled
    data = validate_intervals(frame)
    assert (data.errors["field"] == "gap").sum() == 1
    with pytest.raises(Exception, match="gap of 3 intervals"):
        evaluate(data, annual_grid(0.3, source="test"))
    with pytest.raises(Exception, match="3 hours have missing readings"):
        evaluate(data, annual_grid(0.3, source="test"), allow_gaps=True)


def test_grid_not_covering_hours_refused():
    frame, _ = _forty_eight_hours()
    grid = grid_from_frame(em_grid("2025-05-31 16:00:00", [30.0] * 24))
    with pytest.raises(Exception, match="not 24 hours"):
        evaluate(validate_intervals(frame), grid)


def test_annual_fallback_is_stated(tmp_path):
    from index.cfe import annual_fallback

    frame, _ = _forty_eight_hours()
    g = annual_fallback("Hebei", 2025)
    r = evaluate(validate_intervals(frame), g).result
    assert r.grid_basis == "annual"
    assert any("no public hourly grid data" in n for n in r.notes)
    assert any("fallback year 2023" in n for n in r.notes)
    # CFE = (264 + g·216) / 480 with g = 1 − 0.6516/0.8273 (MEE/NBS 2023 Hebei and national fossil factors)
    g_hebei = 1 - 0.6516 / 0.8273
    assert r.cfe_score == pytest.approx((264 + round(g_hebei, 4) * 216) / 480)
    assert pd.notna(r.cfe_score)
