"""Monte Carlo: reproducibility, convergence, levers, consistency with the engine, bad input."""

from datetime import date

import numpy as np
import pytest

from index.errors import InputError
from index.levers import check_dates, parse_levers
from index.simulate import simulate


def test_seeded_and_reproducible(demo, monthly, bau):
    a = simulate(demo, monthly, [2026, 2027], n_paths=500, seed=7, bau=bau)
    b = simulate(demo, monthly, [2026, 2027], n_paths=500, seed=7, bau=bau)
    c = simulate(demo, monthly, [2026, 2027], n_paths=500, seed=8, bau=bau)
    assert np.array_equal(a.kpi("index"), b.kpi("index"))
    assert not np.array_equal(a.kpi("index"), c.kpi("index"))


def test_probability_converges(demo, monthly, bau):
    """P(PUE ≤ BAU median in 2028) with 10,000 vs 40,000 paths: |Δ| < 0.02 (≈3.5 MC standard errors)."""
    s10 = simulate(demo, monthly, [2028], n_paths=10_000, seed=1, bau=bau)
    s40 = simulate(demo, monthly, [2028], n_paths=40_000, seed=2, bau=bau)
    target = 1.135
    p10, se10 = s10.probability("pue", 2028, target, "<=")
    p40, _ = s40.probability("pue", 2028, target, "<=")
    assert 0.05 < p40 < 0.95
    assert abs(p10 - p40) < 0.02
    assert se10 == pytest.approx(np.sqrt(p10 * (1 - p10) / 10_000))


def test_path_scores_equal_engine_score_of_same_inputs(demo, monthly, bau):
    """One simulated path-year, rebuilt as a PeriodData and scored with index.engine.score."""
    from index.engine import score
    from index.models import PeriodData

    s = simulate(demo, monthly, [2026], n_paths=3, seed=5, bau=bau)
    base = demo.periods[-1].model_dump(mode="python", exclude_none=True)
    for k in ("start", "end"):
        base.pop(k)
    base["label"] = "2026-sim"
    base["start"], base["end"] = date(2026, 1, 1), date(2026, 12, 31)
    for k, v in s.inputs.items():
        if k != "hours":
            base[k] = {"value": float(v[1, 0]), "status": "reported"}
    r = score(demo, PeriodData.model_validate(base))
    # the base period's 2025 grid factors are held in the simulation; the engine looks up 2026, which falls back
    # to the latest MEE year as well, so both use the same factors
    assert s.kpi("pue")[1, 0] == pytest.approx(r.indicators["pue"].raw_value, rel=1e-12)
    assert s.kpi("index")[1, 0] == pytest.approx(r.total, abs=1e-9)


def test_cooling_retrofit_lowers_annual_pue_by_its_size(demo, monthly, bau):
    lv = parse_levers([{"kind": "cooling_retrofit", "start": date(2026, 1, 1), "pue_change": -0.05}])
    a = simulate(demo, monthly, [2026], n_paths=200, seed=3, bau=bau)
    b = simulate(demo, monthly, [2026], n_paths=200, seed=3, bau=bau, levers=lv)
    # annual PUE = Σ IT·(PUE_m − 0.05) / Σ IT = PUE − 0.05 exactly (no month reaches 1.0)
    assert np.allclose(a.kpi("pue") - b.kpi("pue"), 0.05, atol=1e-12)


def test_green_power_and_pv_levers_by_hand(demo, monthly, bau):
    lv = parse_levers([{"kind": "green_trading", "start": date(2026, 7, 1), "mwh_per_year": 100_000},
                       {"kind": "onsite_pv", "start": date(2026, 1, 1), "kwp": 1000}])
    a = simulate(demo, monthly, [2026, 2027], n_paths=50, seed=3, bau=bau)
    b = simulate(demo, monthly, [2026, 2027], n_paths=50, seed=3, bau=bau, levers=lv)
    d_trade = b.inputs["green_trading_kwh"] - a.inputs["green_trading_kwh"]
    # 100,000 MWh/yr × 184/365 days in 2026, full year in 2027
    assert d_trade[0, 0] == pytest.approx(100e6 * 184 / 365) and d_trade[0, 1] == pytest.approx(100e6)
    # 1,000 kWp × 1,400 kWh/kWp (Hebei default, data/targets/pv_yield.csv)
    d_pv = b.inputs["onsite_renewable_kwh"] - a.inputs["onsite_renewable_kwh"]
    assert d_pv[0, 0] == pytest.approx(1.4e6)
    assert any("1,400 kWh/kWp" in n for n in b.notes)


def test_years_already_observed_are_refused(demo, monthly, bau):
    with pytest.raises(InputError, match="not after the monthly data"):
        simulate(demo, monthly, [2025, 2026], n_paths=10, bau=bau)


def test_lever_dates_outside_loan_refused():
    lv = parse_levers([{"kind": "waste_heat", "start": date(2031, 1, 1), "mwh_per_year": 1000}])
    with pytest.raises(InputError) as e:
        check_dates(lv, date(2025, 7, 21), date(2030, 7, 22), file="levers.toml")
    assert e.value.field == "levers[0].start" and e.value.row == 1 and e.value.file == "levers.toml"


def test_bad_lever_names_field_and_unit():
    with pytest.raises(InputError) as e:
        parse_levers([{"kind": "cooling_retrofit", "start": date(2026, 1, 1), "pue_change": 0.05}])
    assert e.value.field == "levers[0].pue_change" and e.value.unit == "-"
    with pytest.raises(InputError, match="kind must be one of"):
        parse_levers([{"kind": "magic", "start": date(2026, 1, 1)}])


def test_unknown_pv_province_asks_for_yield(demo, monthly, bau):
    from index.levers import pv_yield

    with pytest.raises(InputError, match="PV design report"):
        pv_yield("shanghai")
