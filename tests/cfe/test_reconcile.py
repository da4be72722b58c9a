"""Reconciliation of interval sums to the bills, with the stated tolerance (1 %, data/cfe/cfe.toml)."""

from __future__ import annotations

import pandas as pd
import pytest

from common.errors import InputErrors
from index.cfe import annual_grid, check_reconciliation, load_settings, reconcile_period, validate_intervals
from index.cfe.report import evaluate
from tests.cfe.conftest import long_frame


def _data():
    # 48 hours of 100 kWh load and 80 kWh IT, 20 kWh PPA in the first 24 hours: Σ = 4800, 3840, 480
    return validate_intervals(long_frame("2025-01-31T00:00:00+08:00", {
        "load": [100.0] * 48, "it": [80.0] * 48, "ppa": [20.0] * 24 + [0.0] * 24}))


def test_tolerance_is_the_stated_one():
    assert load_settings().tolerance == 0.01


def test_within_tolerance_passes():
    # bill 4,830 vs 4,800: |−30| / 4,830 = 0.62 % ≤ 1 %; PPA bill = direct supply 400 + sgls 80 = 480 exactly
    t = reconcile_period(_data(), {"total_energy_kwh": 4830.0, "it_energy_kwh": 3840.0,
                                   "direct_supply_kwh": 400.0, "sgls_kwh": 80.0}, label="2025")
    t = t.set_index("channel")
    assert t.at["load", "rel_diff"] == pytest.approx(30 / 4830)
    assert t.at["ppa", "fields"] == "direct_supply_kwh+sgls_kwh" and t.at["ppa", "diff_kwh"] == 0
    assert t["ok"].all()
    check_reconciliation(t.reset_index())


def test_beyond_tolerance_fails_loudly():
    # bill 4,900: 100 / 4,900 = 2.04 % > 1 %
    with pytest.raises(InputErrors, match=r"channel load sums to 4,800.0 kWh but the bill \(total_energy_kwh\) says "
                                          r"4,900.0 kWh — difference -100.0 kWh \(2.04%\), beyond the 1.0% tolerance"):
        evaluate(_data(), annual_grid(0.3, source="t"), totals={"total_energy_kwh": 4900.0})


def test_monthly_in_china_time():
    # 2025-01-31 and 2025-02-01 CST: 24 h each month → load 2,400 / 2,400, PPA 480 in January, 0 in February
    monthly = pd.DataFrame({"total_energy_kwh": [2400.0, 2400.0], "it_energy_kwh": [1920.0, 1920.0],
                            "direct_supply_kwh": [480.0, 0.0]}, index=pd.PeriodIndex(["2025-01", "2025-02"], freq="M"))
    rep = evaluate(_data(), annual_grid(0.3, source="t"), monthly=monthly)
    assert rep.reconciliation["ok"].all() and len(rep.reconciliation) == 6
    assert rep.loan_grade is False  # annual grid basis: indicative only
    monthly.loc[pd.Period("2025-02", "M"), "it_energy_kwh"] = 2000.0  # 80 / 2000 = 4 % off
    with pytest.raises(InputErrors, match="2025-02: channel it"):
        evaluate(_data(), annual_grid(0.3, source="t"), monthly=monthly)


def test_month_without_bill_fails():
    monthly = pd.DataFrame({"total_energy_kwh": [2400.0]}, index=pd.PeriodIndex(["2025-01"], freq="M"))
    with pytest.raises(InputErrors, match="2025-02: no bill for channel load"):
        evaluate(_data(), annual_grid(0.3, source="t"), monthly=monthly)
