"""BAU forecasts: synthetic series with known seasonality and trend, the demo facility, bad input."""

import numpy as np
import pandas as pd
import pytest

from index.errors import InputError
from index.forecast import (
    InsufficientData,
    fit_annual,
    fit_monthly,
    forecast,
    load_monthly,
    seasonal_amplitude,
)


def _synthetic(n=72, seed=3):
    """PUE-like: level 1.30, trend −0.002/month, seasonal 0.04·cos peaking in July, noise sd 0.003."""
    t = np.arange(n)
    months = pd.period_range("2019-01", periods=n, freq="M")
    season = 0.04 * np.cos(2 * np.pi * (months.month.to_numpy() - 7) / 12)
    y = 1.30 - 0.002 * t + season + np.random.default_rng(seed).normal(0, 0.003, n)
    truth = lambda k: 1.30 - 0.002 * k + 0.04 * np.cos(2 * np.pi * (((k % 12) + 1) - 7) / 12)  # noqa: E731
    return pd.Series(y, index=months), truth


def test_synthetic_seasonality_recovered():
    s, _ = _synthetic()
    f = fit_monthly(s, "pue")
    amp = seasonal_amplitude(f)
    # July − January = 0.04·(cos 0 − cos(−π)) = 0.08; tolerance 0.01
    assert amp[6] - amp[0] == pytest.approx(0.08, abs=0.01)
    assert "ETS(A,Ad,A)" in f.model and f.reason


def test_synthetic_forecast_tracks_trend_and_covers_truth():
    s, truth = _synthetic()
    fc = forecast(fit_monthly(s, "pue"), 12, alpha=0.05)
    true = truth(np.arange(72, 84))
    # damped trend: within 0.015 of the true continuation over a year, and inside the 95 % interval
    assert np.max(np.abs(fc.mean - true)) < 0.015
    assert np.all((fc.lower <= true) & (true <= fc.upper))
    assert fc.periods[0] == "2025-01"


def test_sarimax_alternative_recovers_season():
    s, truth = _synthetic()
    fc = forecast(fit_monthly(s, "pue", model="sarimax"), 12)
    assert fc.mean[6] - fc.mean[0] == pytest.approx(truth(78) - truth(72), abs=0.015)


def test_too_few_months_is_a_clear_message():
    s, _ = _synthetic(20)
    with pytest.raises(InsufficientData) as e:
        fit_monthly(s, "pue")
    assert "at least 24 months" in e.value.message and "no forecast" in e.value.message


def test_gap_in_series_refused():
    s, _ = _synthetic(36)
    with pytest.raises(InputError, match="gap"):
        fit_monthly(s.drop(s.index[10]), "pue")


def test_annual_trend_by_hand():
    f = fit_annual({2023: 0.65, 2024: 0.70, 2025: 0.77}, "rack_utilisation")
    fc = forecast(f, 1)
    # OLS slope = Σ(x−x̄)(y−ȳ)/Σ(x−x̄)² = (−1·−0.05667 + 1·0.06333)/2 = 0.06; ȳ = 0.70667 → 2026: 0.70667 + 2·0.06
    assert fc.mean[0] == pytest.approx(0.70667 + 0.12, abs=1e-4)
    assert fc.lower[0] < fc.mean[0] < fc.upper[0]


def test_annual_too_short():
    with pytest.raises(InsufficientData, match="at least 3 years"):
        fit_annual({2024: 0.7, 2025: 0.75}, "rack_utilisation")


def test_demo_pue_forecast_has_summer_peak(monthly):
    f = fit_monthly(monthly["pue"], "pue")
    fc = forecast(f, 12).frame()
    assert fc.loc["2026-07", "mean"] - fc.loc["2026-01", "mean"] > 0.05
    assert 1.0 < fc["mean"].min() and fc["mean"].max() < 1.25


def _write(tmp_path, rows, header="month,total_energy_kwh,it_energy_kwh,water_m3"):
    p = tmp_path / "m.csv"
    p.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return p


def test_monthly_file_with_gap_names_row(tmp_path):
    p = _write(tmp_path, ["2024-01,120,100,10", "2024-02,120,100,10", "2024-04,120,100,10"])
    with pytest.raises(InputError) as e:
        load_monthly(p)
    assert e.value.row == 3 and e.value.field == "month" and "2024-03" in e.value.message
    assert e.value.file == str(p)


def test_monthly_file_blank_value_names_row_field_unit(tmp_path):
    p = _write(tmp_path, ["2024-01,120,100,10", "2024-02,,100,10"])
    with pytest.raises(InputError) as e:
        load_monthly(p)
    assert (e.value.row, e.value.field, e.value.unit) == (2, "total_energy_kwh", "kWh")


def test_monthly_file_it_above_total(tmp_path):
    p = _write(tmp_path, ["2024-01,90,100,10"])
    with pytest.raises(InputError, match="PUE below 1"):
        load_monthly(p)
