"""Engine results against hand calculations; vectorised = one-at-a-time; monotonicity properties."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.engine import inputs_frame, score, score_frame
from index.models import facility_from_dict, load_facility

ROOT = Path(__file__).resolve().parents[2]


def minimal(**period):
    base = {"label": "2022", "status": "verified", "source": "hand-made test case",
            "total_energy_kwh": 1_000_000, "it_energy_kwh": 800_000}
    base.update(period)
    return facility_from_dict({
        "facility": {"id": "t-1", "name": "Test", "province": "河北", "design_it_power_kw": 1000},
        "periods": [base]})


def test_hand_calculated_market_based_case(methodology):
    # Hebei 2022: 900,000 kWh grid, 100,000 kWh bundled green trading, 300 MWh GECs retired, no scope 1.
    f = minimal(grid_kwh=900_000, green_trading_kwh=100_000, gec_mwh=300)
    r = score(f, "2022", methodology)
    ind = r.indicators
    # PUE 1.25 on the 1.10 (100) -> 1.30 (0) line: 100 x (1.30 - 1.25) / 0.20 = 25
    assert ind["pue"].raw_value == pytest.approx(1.25)
    assert ind["pue"].score == pytest.approx(25.0)
    # renewable share (100,000 + 300,000) / 1,000,000 = 0.40 -> 40 + (0.40 - 0.30) / 0.50 x 60 = 52
    assert ind["renewable_share"].raw_value == pytest.approx(0.40)
    assert ind["renewable_share"].score == pytest.approx(52.0)
    # acquisition quality (100,000 x 60 + 300,000 x 25) / 400,000 = 33.75
    assert ind["renewable_acquisition"].raw_value == pytest.approx(33.75)
    # market-based: (900,000 - 300,000) x 0.5856 / 800,000 = 0.4392 kg/kWh; score 100 x (1 - 0.4392 / 0.7747)
    assert ind["cue"].raw_value == pytest.approx(0.4392)
    assert ind["cue"].score == pytest.approx(100 * (1 - 0.4392 / 0.7747))
    # location-based: 1,000,000 x 0.7252 (Hebei 2022) / 800,000
    assert r.extra["cue_location"] == pytest.approx(0.7252 * 1.25)
    # scale: 1,000 kW / 2.5 kW = 400 standard racks -> small/medium band, 40 points
    assert ind["scale"].raw_value == pytest.approx(400) and ind["scale"].score == 40
    core = 0.16 * 25 + 0.12 * 52 + 0.06 * 33.75 + 0.09 * 100 * (1 - 0.4392 / 0.7747) + 0.03 * 40
    assert r.core == pytest.approx(core)
    assert r.addon == 0 and r.total == pytest.approx(core)
    # 5 of 19 indicators have data; 0.16 + 0.12 + 0.06 + 0.09 + 0.03 = 0.46 of the core weight
    assert r.completeness == pytest.approx(5 / 19)
    assert r.completeness_weighted == pytest.approx(0.46)
    assert "wue" in r.missing and r.indicators["wue"].score == 0 and r.indicators["wue"].status == "missing"
    assert r.grade == "below 1A" and r.pue_grade == "4A"
    assert len(r.methodology_sha256) == 64


def test_pue_guard_caps_the_grade(demo_facility, methodology):
    # Demo 2025 scores 5A on points with PUE 1.17. The same period with PUE 1.45 must be capped at 1A
    # (GB 40879-2021 grade 3 band of the guard) whatever the other indicators do.
    p = demo_facility.period("2025")
    data = p.model_dump(exclude_none=True)
    data["total_energy_kwh"]["value"] = p.it_energy_kwh.value * 1.45
    data["grid_kwh"]["value"] += data["total_energy_kwh"]["value"] - p.total_energy_kwh.value
    fac = facility_from_dict({"facility": demo_facility.model_dump(exclude={"periods"}, exclude_none=True),
                              "periods": [data]})
    r = score(fac, "2025", methodology)
    assert r.indicators["pue"].raw_value == pytest.approx(1.45)
    assert r.pue_grade == "1A" and r.grade == "1A"
    assert r.score_grade in ("5A", "4A", "3A", "2A")
    assert "pue_grade_guard" in r.gates


def test_vectorised_equals_one_at_a_time(methodology):
    from index.reference import data_dir

    pairs = []
    for path in sorted((data_dir() / "facilities").glob("*.toml")):
        f = load_facility(path)
        pairs += [(f, p) for p in f.periods]
    assert len(pairs) >= 3
    frame = score_frame(inputs_frame(pairs, methodology), methodology)
    for (f, p), (_, row) in zip(pairs, frame.iterrows(), strict=True):
        r = score(f, p, methodology)
        assert row["total"] == r.total and row["core"] == r.core and row["addon"] == r.addon
        assert row["grade"] == r.grade
        for iid, ind in r.indicators.items():
            assert row[f"score.{iid}"] == ind.score
            assert row[f"contrib.{iid}"] == ind.contribution


def test_missing_indicator_scores_zero_and_lowers_completeness(demo_facility, methodology):
    p = demo_facility.period("2024")
    full = score(demo_facility, p, methodology)
    dropped = p.model_copy(update={"water_m3": None})
    r = score(demo_facility, dropped, methodology)
    assert full.indicators["wue"].score > 0
    assert r.indicators["wue"].score == 0 and r.indicators["wue"].missing
    assert r.completeness == pytest.approx(full.completeness - 1 / 19)
    assert r.completeness_weighted == pytest.approx(full.completeness_weighted - 0.06)
    assert r.total == pytest.approx(full.total - full.indicators["wue"].contribution)


def test_demo_facility_improves_every_year(demo_facility, methodology):
    totals = [score(demo_facility, p, methodology).total for p in demo_facility.periods]
    assert totals == sorted(totals)


def test_weights_of_shipped_methodology_add_up(methodology):
    core = sum(i.weight for i in methodology.indicators.values() if not i.addon)
    addon = sum(i.weight for i in methodology.indicators.values() if i.addon)
    assert core == pytest.approx(1.0) and addon == pytest.approx(1.0)
    pue = methodology.indicators["pue"].weight
    assert pue == max(i.weight for i in methodology.indicators.values() if not i.addon) and pue < 0.40
    ren = methodology.indicators["renewable_share"].weight + methodology.indicators["renewable_acquisition"].weight
    assert ren >= pue  # DESIGN.md §3.2: renewables at least as heavy as PUE


def _frame(methodology, **cols):
    import pandas as pd

    base = {"hours": 8760.0, "grid_factor_location": 0.5366, "grid_factor_residual": 0.5856, "precision_ok": 1.0}
    base.update(cols)
    return score_frame(pd.DataFrame([base]), methodology).iloc[0]


energy = st.floats(1e5, 1e9)


@settings(max_examples=60, deadline=None)
@given(it=energy, pue_a=st.floats(1.0, 2.5), pue_b=st.floats(1.0, 2.5), water=st.floats(0, 1e7))
def test_better_pue_never_lowers_the_score(methodology, it, pue_a, pue_b, water):
    lo, hi = sorted((pue_a, pue_b))
    good = _frame(methodology, it_energy_kwh=it, total_energy_kwh=it * lo, water_m3=water, grid_kwh=it * lo)
    bad = _frame(methodology, it_energy_kwh=it, total_energy_kwh=it * hi, water_m3=water, grid_kwh=it * hi)
    assert good["score.pue"] >= bad["score.pue"]
    assert good["total"] >= bad["total"] - 1e-9


@settings(max_examples=60, deadline=None)
@given(it=energy, w_a=st.floats(0, 5), w_b=st.floats(0, 5))
def test_better_wue_never_lowers_the_score(methodology, it, w_a, w_b):
    lo, hi = sorted((w_a, w_b))
    good = _frame(methodology, it_energy_kwh=it, total_energy_kwh=it * 1.3, water_m3=lo * it / 1000)
    bad = _frame(methodology, it_energy_kwh=it, total_energy_kwh=it * 1.3, water_m3=hi * it / 1000)
    assert good["total"] >= bad["total"] - 1e-9


@settings(max_examples=60, deadline=None)
@given(total=energy, s_a=st.floats(0, 1), s_b=st.floats(0, 1), channel=st.sampled_from(
    ["onsite_renewable_kwh", "sgls_kwh", "direct_supply_kwh", "green_trading_kwh"]))
def test_more_renewables_never_lower_the_score(methodology, total, s_a, s_b, channel):
    lo, hi = sorted((s_a, s_b))
    kw = {"it_energy_kwh": total / 1.3, "total_energy_kwh": total}
    good = _frame(methodology, **kw, **{channel: total * hi, "grid_kwh": total * (1 - hi)})
    bad = _frame(methodology, **kw, **{channel: total * lo, "grid_kwh": total * (1 - lo)})
    assert good["raw.renewable_share"] >= bad["raw.renewable_share"] - 1e-12
    assert good["total"] >= bad["total"] - 1e-9


@settings(max_examples=60, deadline=None)
@given(total=energy, f_a=st.floats(0.0, 1.0), f_b=st.floats(0.0, 1.0))
def test_better_cue_never_lowers_the_score(methodology, total, f_a, f_b):
    lo, hi = sorted((f_a, f_b))
    kw = {"it_energy_kwh": total / 1.3, "total_energy_kwh": total, "grid_kwh": total}
    good = _frame(methodology, **kw, grid_factor_residual=lo, grid_factor_location=lo)
    bad = _frame(methodology, **kw, grid_factor_residual=hi, grid_factor_location=hi)
    assert good["raw.cue"] <= bad["raw.cue"] + 1e-12
    assert good["total"] >= bad["total"] - 1e-9


def test_zero_emission_facility_gets_full_carbon_efficiency(methodology):
    row = _frame(methodology, it_energy_kwh=8e5, total_energy_kwh=1e6, onsite_renewable_kwh=1e6, grid_kwh=0.0,
                 compute_capacity_tflops=1e4)
    assert np.isinf(row["raw.carbon_efficiency"]) and row["score.carbon_efficiency"] == 100
    assert row["raw.cue"] == 0 and row["score.cue"] == 100


def test_grid_factor_fallback_notes_carry_codes_and_keep_the_english_text(methodology):
    # Hebei 2025: data/reference/grid_emission_factors.csv has MEE/NBS factors up to 2023 (公告2025年第47号),
    # so both the location (provincial) and the residual (national) factors fall back to 2023.
    r = score(minimal(label="2025", grid_kwh=1_000_000), "2025", methodology)
    assert "location grid factor: no 2025 factor published; 2023 factor used" in r.notes  # the CLI's text
    assert "residual grid factor: no 2025 factor published; 2023 factor used" in r.notes
    coded = {n.params["basis"]: n for n in r.note_codes if n.code == "grid_factor"}
    assert set(coded) == {"location", "residual"}
    for basis, n in coded.items():
        assert n.text == f"{basis} grid factor: no 2025 factor published; 2023 factor used"
        assert [(p.code, p.params) for p in n.parts] == [("factor_year", {"year": 2025, "used": 2023})]
    assert all(n.text in r.notes for n in r.note_codes)
    # 2022 has published factors: no fallback note at all
    r22 = score(minimal(grid_kwh=1_000_000), "2022", methodology)
    assert not [n for n in r22.note_codes if n.code == "grid_factor"]
