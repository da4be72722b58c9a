"""24/7 CFE KPIs on Monte Carlo paths (index.cfe.paths, index.simulate, workflows): hand-worked hourly cases with
a PPA and a battery, an independent per-path recomputation, and P(meet SPT) on a deal with a CFE SPT."""

from __future__ import annotations

import tomllib
from datetime import date

import numpy as np
import pandas as pd
import pytest

from index.cfe import annual_grid, cfe_arrays
from index.cfe import paths as P
from index.cfe.levers import dispatch_storage
from index.errors import InputError
from index.levers import parse_levers
from index.reference import data_dir
from tests.cfe.test_deal_book import book  # noqa: F401 - the deal-book fixture

MONTHS_2027 = pd.period_range("2027-01", "2027-12", freq="M")
# one day of the stored solar-like shape: night 00–05, day 06–17 at twice the mean, night 18–23 (mean 1)
DAY = np.array([0.0] * 6 + [2.0] * 12 + [0.0] * 6)


def _base(grid_share=0.4):
    return P.HourlyBase(load=np.ones(P.HOURS), shapes={"onsite_renewable": np.ones(P.HOURS), "ppa": np.ones(P.HOURS),
                                                        "green_trading": np.ones(P.HOURS)},
                        stored={"onsite_renewable": np.tile(DAY, 365)},
                        grid=annual_grid(grid_share, source="stated in the test"), province="hebei", source="test")


def _flat_10kwh(n_paths=1):
    """10 kWh in every hour of 2027: monthly totals = 10 × hours of the month."""
    hours = np.array([m.days_in_month * 24 for m in MONTHS_2027], dtype=float)
    return np.tile(10.0 * hours, (n_paths, 1))


PPA = {"kind": "ppa", "start": date(2027, 1, 1), "mw": 0.02, "profile": "stored", "capacity_factor": 0.5}
BATTERY = {"kind": "storage", "start": date(2027, 1, 1), "mwh": 0.05, "mw": 0.01, "round_trip_efficiency": 0.8}


def test_ppa_lever_by_hand():
    """Load 10 kWh every hour; PPA 0.02 MW × CF 0.5 × shape (0 at night, 2 by day) = 20 kWh in the 12 day hours.

    Per day: load 240, clean 12 × 20 = 240, matched 12 × 10 = 120 kWh → hourly matched 0.5;
    CFE = 0.5 + 0.4 × (1 − 0.5) = 0.7; volumetric = min(240, 240) / 240 = 1.
    """
    out, notes = P.cfe_paths(_base(), [2027], _flat_10kwh(), MONTHS_2027, {}, parse_levers([PPA]))
    assert out["hourly_matched_share"][0, 0] == pytest.approx(0.5, rel=1e-12)
    assert out["cfe_score"][0, 0] == pytest.approx(0.7, rel=1e-12)
    assert out["annual_volumetric_share"][0, 0] == pytest.approx(1.0, rel=1e-12)
    assert any("stored interval channel onsite_renewable" in n and "the lever's capacity factor" in n for n in notes)


def test_ppa_lever_from_july_by_hand():
    """Same PPA from 1 July 2027: active 184 of 365 days → matched 184 × 120 / 87,600 = 0.252055 kWh/kWh;
    CFE = 0.252055 + 0.4 × (1 − 0.252055) = 0.551233."""
    lv = parse_levers([{**PPA, "start": date(2027, 7, 1)}])
    out, _ = P.cfe_paths(_base(), [2027], _flat_10kwh(), MONTHS_2027, {}, lv)
    matched = 184 * 120 / 87_600
    assert out["hourly_matched_share"][0, 0] == pytest.approx(matched, rel=1e-12)
    assert out["cfe_score"][0, 0] == pytest.approx(matched + 0.4 * (1 - matched), rel=1e-12)


def test_ppa_and_battery_by_hand():
    """PPA as above plus a 50 kWh / 10 kW battery at 80 % round trip, empty on 1 January 00:00.

    Each day: hours 06–11 charge 10 kWh each (stored 8 each → 48 kWh), hour 12 charges (50 − 48) / 0.8 = 2.5 kWh
    (full), 13–17 nothing; evening 18–22 discharge 10 kWh each (50 kWh), 23–05 empty. Per day: charge 62.5,
    discharge 50 kWh. Year (365 days): load 87,600; matched 365 × (120 + 50) = 62,050 kWh.
    Hourly matched = 62,050 / 87,600 = 0.708333; CFE = 0.708333 + 0.4 × 0.291667 = 0.825;
    volumetric = (87,600 − 365 × 62.5 + 365 × 50) / 87,600 = 83,037.5 / 87,600 = 0.947917.
    """
    out, notes = P.cfe_paths(_base(), [2027], _flat_10kwh(), MONTHS_2027, {}, parse_levers([PPA, BATTERY]))
    assert out["hourly_matched_share"][0, 0] == pytest.approx(62_050 / 87_600, rel=1e-12)
    assert out["cfe_score"][0, 0] == pytest.approx(0.825, rel=1e-12)
    assert out["annual_volumetric_share"][0, 0] == pytest.approx(83_037.5 / 87_600, rel=1e-12)
    assert any("round-trip efficiency 0.80 (the lever)" in n and "charges from clean surplus only" in n
               for n in notes)


def test_default_efficiency_comes_from_settings_with_source():
    lv = parse_levers([PPA, {k: v for k, v in BATTERY.items() if k != "round_trip_efficiency"}])
    _, notes = P.cfe_paths(_base(), [2027], _flat_10kwh(), MONTHS_2027, {}, lv)
    assert any("round-trip efficiency 0.85 (NREL Annual Technology Baseline" in n for n in notes)


def test_paths_match_a_separate_per_path_computation():
    """Random load scales per path and month, a green-trading volume, an EIA-930 solar PPA and a battery: every
    path recomputed hour by hour with index.cfe.cfe_arrays and the scalar index.cfe.levers.dispatch_storage."""
    rng = np.random.default_rng(4)
    n = 5
    total_m = _flat_10kwh(n) * rng.uniform(0.8, 1.2, (n, 12))
    base = _base(0.3)
    lv = parse_levers([{"kind": "ppa", "start": date(2027, 3, 15), "mw": 0.012, "profile": "SUN", "zone": "CISO",
                        "capacity_factor": 0.25},
                       {"kind": "storage", "start": date(2027, 1, 1), "mwh": 0.04, "mw": 0.01,
                        "round_trip_efficiency": 0.9}])
    vol = {"green_trading_kwh": np.array([20_000.0])}
    out, _ = P.cfe_paths(base, [2027], total_m, MONTHS_2027, vol, lv)

    hrs = pd.date_range("2027-01-01", periods=8760, freq="h")
    sun = pd.read_csv(data_dir() / "cfe" / "profiles_eia930.csv")["CISO_SUN"].to_numpy()
    ppa = 1000 * 0.012 * 0.25 * sun * (hrs >= pd.Timestamp("2027-03-15"))
    clean = 20_000.0 / 8760 + ppa
    hours_in_month = np.array([m.days_in_month * 24 for m in MONTHS_2027])
    for p in range(n):
        load = (total_m[p] / hours_in_month)[hrs.month - 1]
        ch, dis = dispatch_storage(load, clean, 40.0, 10.0, 0.9)
        r = cfe_arrays(load, clean - ch + dis, 0.3)
        assert out["cfe_score"][p, 0] == pytest.approx(float(r["cfe_score"]), rel=1e-9)
        assert out["hourly_matched_share"][p, 0] == pytest.approx(float(r["hourly_matched_share"]), rel=1e-9)
        assert out["annual_volumetric_share"][p, 0] == pytest.approx(float(r["annual_volumetric_share"]), rel=1e-9)


def test_sorted_and_dense_sums_agree():
    rng = np.random.default_rng(1)
    pos, moh, _ = P.year_hours(2028)  # leap year: 8,784 hours, 29 February on 28 February's shapes
    assert len(pos) == 8784 and pos[59 * 24] == pos[58 * 24]
    w = rng.uniform(0.5, 1.5, len(pos))
    w = w / np.bincount(moh - 1, weights=w)[moh - 1]
    c = rng.uniform(0, 3000, len(pos)) * (np.arange(len(pos)) % 24 > 7)
    g = rng.uniform(0, 1, len(pos))
    s = rng.uniform(1e6, 2e6, (50, 12))
    for a, b in zip(P._matched_sums(s, moh - 1, w, c, g), P._matched_sums_dense(s, moh - 1, w, c, g), strict=True):
        assert np.allclose(a, b, rtol=1e-10)


def test_typical_year_shifts_utc_to_local_standard_time():
    idx = pd.date_range("2025-01-01 00:00", periods=8760, freq="h", tz="UTC")
    arr = P.typical_year(pd.Series(np.arange(8760.0), index=idx), 8)
    # local 08:00 on 1 January (UTC+8) is UTC 00:00 (value 0); local 00:00–07:00 on 1 January of the typical
    # year come from the series' last UTC hours, 31 December 16:00–23:00 (values 8,752 … 8,759)
    assert arr[8] == 0.0 and arr[0] == 8752.0 and arr[7] == 8759.0 and not np.isnan(arr).any()
    half = P.typical_year(pd.Series(np.ones(24), index=idx[:24]), 8)
    assert np.isnan(half[0]) and half[8] == 1.0 and np.isnan(half[32])


def test_bad_ppa_profile_and_zone():
    base = P.HourlyBase(load=np.ones(P.HOURS), shapes={c: np.ones(P.HOURS) for c in P.VOLUME_CHANNELS})
    with pytest.raises(InputError, match="needs the facility's interval data"):
        P.cfe_paths(base, [2027], _flat_10kwh(), MONTHS_2027, {}, parse_levers([PPA]))
    with pytest.raises(InputError, match="no SUN profile for zone 'XXXX'; zones: AZPS"):
        P.cfe_paths(base, [2027], _flat_10kwh(), MONTHS_2027, {},
                    parse_levers([{**PPA, "profile": "SUN", "zone": "XXXX"}]))
    with pytest.raises(InputError) as e:
        parse_levers([{**BATTERY, "round_trip_efficiency": 1.2}])
    assert "round_trip_efficiency" in str(e.value)
    for bad, field, words in (({**PPA, "profile": "XYZ"}, "levers[0].profile", "'SUN', 'WND' or 'stored'"),
                              ({**PPA, "mw": -1}, "levers[0].mw", "unit [MW]: Input should be greater than 0"),
                              ({k: v for k, v in BATTERY.items() if k != "mw"}, "levers[0].mw", "Field required"),
                              ({**PPA, "mw": 2e7}, "levers[0].mw", "above the largest plausible power")):
        with pytest.raises(InputError) as e:
            parse_levers([bad], file="levers.toml")
        assert "levers.toml, row 1" in str(e.value) and field in str(e.value) and words in str(e.value)


# ----------------------------------------------------------------------------- through index.simulate / workflows


@pytest.fixture(scope="module")
def demo_inputs():
    from index.forecast import load_monthly
    from index.models import load_facility
    from index.simulate import fit_bau

    fac = load_facility(data_dir() / "facilities" / "demo-zjk-hyperscale.toml")
    monthly = load_monthly(data_dir() / "monthly" / "demo-zjk-hyperscale.csv")
    return fac, monthly, fit_bau(monthly, fac)


def test_simulate_adds_cfe_kpis_and_ppa_energy(demo_inputs):
    """A 20 MW solar PPA in Hebei: 20 MW × (1,400 kWh/kWp / 8,760 h) × 8,760 h = 28,000 MWh/yr counted as direct
    supply; the CFE KPIs of every path rise."""
    from index.simulate import simulate

    fac, monthly, bau = demo_inputs
    a = simulate(fac, monthly, [2026, 2027], n_paths=200, seed=2, bau=bau, cfe=True)
    lv = parse_levers([{"kind": "ppa", "start": date(2027, 1, 1), "mw": 20}])
    b = simulate(fac, monthly, [2026, 2027], n_paths=200, seed=2, bau=bau, levers=lv)
    d = b.inputs["direct_supply_kwh"] - a.inputs["direct_supply_kwh"]
    assert d[0, 0] == 0.0 and d[0, 1] == pytest.approx(28_000e3, rel=1e-5)  # profile rounded to 4 decimals
    assert np.array_equal(a.kpi("cfe_score")[:, 0], b.kpi("cfe_score")[:, 0])
    assert (b.kpi("hourly_matched_share")[:, 1] > a.kpi("hourly_matched_share")[:, 1]).all()
    assert (b.kpi("cfe_score")[:, 1] > a.kpi("cfe_score")[:, 1]).all()
    assert any("flat (no interval data)" in n for n in a.notes)


@pytest.fixture(scope="module")
def cfe_deal():
    """The demo deal with its ratchet on the index and the CFE score (SPT 0.85 in 2027, 0.87 in 2028)."""
    from finance.deal import deal_from_dict

    doc = tomllib.loads((data_dir() / "deals" / "demo-zjk-sll-2025.toml").read_text(encoding="utf-8"))
    doc["ratchet"]["kpis"] = [{"kpi": "index", "weight": 0.6, "no_change_band": 2.0},
                              {"kpi": "cfe_score", "weight": 0.4, "no_change_band": 0.01}]
    for o, cfe in zip(doc["observations"], (0.78, 0.80, 0.85, 0.87, 0.89), strict=True):
        o["spt"]["cfe_score"] = cfe
        o["spt"].pop("pue")
        if "period" in o:
            o.pop("period")
            o["verified"] = {"index_total": 86.5, "kpis": {"cfe_score": 0.79}}
    return deal_from_dict(doc, file="test deal")


def test_deal_with_cfe_spt_gets_p_met_and_levers_raise_it(demo_inputs, cfe_deal):
    import workflows

    fac, monthly, bau = demo_inputs
    bau_run = workflows.simulate_run(cfe_deal, fac, monthly, None, paths=300, seed=1, bau=bau)
    lv = parse_levers([{"kind": "ppa", "start": date(2027, 1, 1), "mw": 100},
                       {"kind": "storage", "start": date(2027, 1, 1), "mwh": 100, "mw": 25}])
    lev_run = workflows.simulate_run(cfe_deal, fac, monthly, None, levers=lv, paths=300, seed=1, bau=bau)
    sim = lev_run.sim
    p_bau = {o["date"][:4]: o["cfe_score"]["p_met"] for o in bau_run.finance["per_observation"]}
    p_lev = {o["date"][:4]: o["cfe_score"]["p_met"] for o in lev_run.finance["per_observation"]}
    # P(met) of the CFE SPT = share of paths at or above it, recomputed from the simulated values
    j = sim.years.index(2027)
    assert p_lev["2027"] == pytest.approx(float((sim.kpi("cfe_score")[:, j] >= 0.85).mean()))
    assert p_bau["2026"] == p_lev["2026"]          # the levers start in 2027
    # BAU (demo 2025 contract volumes, spread evenly: median CFE about 0.80) reaches 0.85 in about a fifth of paths; the levers in most
    assert p_bau["2027"] < 0.3 and p_lev["2027"] > 0.8
    assert np.nanmedian(sim.kpi("cfe_score")[:, sim.years.index(2027)]) > np.nanmedian(
        bau_run.sim.kpi("cfe_score")[:, sim.years.index(2027)])
    d = lev_run.to_dict()
    assert [r["year"] for r in d["cfe"]["cfe_score"]] == sim.years


def test_hourly_inputs_from_the_deal_book(book):  # noqa: F811 - the fixture imported from test_deal_book
    """Stored interval data (one day, 2025-07-01 CST: load 10 kWh every hour, PPA 20 kWh in local hours 8–15)
    become the typical year's shapes: the day is repeated by hour of day, and a 'stored' PPA profile has
    relative output 24 / 8 = 3 in those hours and 0 otherwise."""
    import workflows
    from index.cfe import validate_intervals
    from tests.cfe.test_deal_book import _frame

    book.save_intervals("op", "cfe-dc", "2025-07-01", validate_intervals(_frame()), source="day.csv")
    fac = book.load_facility("cfe-dc")
    base = workflows.hourly_inputs(fac, workflows.StoreSource(book))
    assert base.source == "interval data (deal book interval data, period 2025-07-01)"
    assert np.array_equal(base.load, np.full(P.HOURS, 10.0))
    hod = np.arange(P.HOURS) % 24
    assert np.array_equal(base.stored["ppa"], np.where((hod >= 8) & (hod <= 15), 20.0, 0.0))
    rel, how = P._relative(parse_levers([{**PPA, "profile": "stored"}])[0], base, P.load_settings())
    assert np.allclose(rel, np.where((hod >= 8) & (hod <= 15), 3.0, 0.0)) and how == "stored interval channel ppa"
    assert any("cover 24 of the typical year's 8760 h" in n for n in base.notes)
    assert workflows.hourly_inputs(fac).source == "flat (no interval data)"  # no source: flat
