"""Baselines against hand calculations; recalculation events."""

from datetime import date

import pytest

from index.baseline import RecalculationEvent, compute_baseline, recalculate
from index.errors import InputError
from index.models import facility_from_dict
from index.targets import propose_plan


def test_single_year_baseline_by_hand(demo):
    b = compute_baseline(demo, ["2024"])
    # PUE = 395,385,408 / 326,764,800 = 1.21
    assert b.kpis["pue"] == pytest.approx(395_385_408 / 326_764_800, rel=1e-12)
    assert b.kpis["pue"] == pytest.approx(1.21, abs=1e-9)
    # renewable = on-site 9.5 + SGLS 80 + trading 160 + GECs 30 GWh (≤ grid 145.9 GWh) = 279.5 GWh / 395.385408 GWh
    assert b.kpis["renewable_share"] == pytest.approx(279.5e6 / 395_385_408, rel=1e-9)
    # WUE = 294,088 m³ × 1000 / 326,764,800 kWh = 0.899999 L/kWh
    assert b.kpis["wue"] == pytest.approx(294_088_000 / 326_764_800, rel=1e-12)
    assert (b.method, b.status, b.as_of, b.base_year) == ("single_year", "verified", date(2024, 12, 31), 2024)


def test_two_year_average_by_hand(demo):
    b = compute_baseline(demo, ["2023", "2024"])
    assert b.kpis["pue"] == pytest.approx((1.25 + 1.21) / 2, abs=1e-9)
    assert b.kpis["wue"] == pytest.approx((317_988_000 / 289_080_000 + 294_088_000 / 326_764_800) / 2, rel=1e-12)
    # ERF 2023 = 0, 2024 = 4,000,000 / 395,385,408
    assert b.kpis["erf"] == pytest.approx((0 + 4e6 / 395_385_408) / 2, rel=1e-9)
    assert b.method == "average" and b.periods == ("2023", "2024")


def test_reported_period_refused_unless_allowed(demo):
    with pytest.raises(InputError) as e:
        compute_baseline(demo, ["2024", "2025"])
    assert e.value.field == "status" and "2025" in str(e.value.row)
    b = compute_baseline(demo, ["2024", "2025"], allow_reported=True)
    assert b.status == "reported" and any("provisional" in n for n in b.notes)


def test_more_than_three_years_refused(demo):
    with pytest.raises(InputError, match="1 to 3"):
        compute_baseline(demo, ["2021", "2022", "2023", "2024"])


def test_design_stage_baseline():
    f = facility_from_dict({"facility": {"id": "plan-x", "name": "Planned", "province": "hebei",
                                         "lifecycle_stage": "planning", "design_it_power_kw": 20000},
                            "periods": [{"label": "2027", "status": "design", "total_energy_kwh": 1.8e8,
                                         "it_energy_kwh": 1.5e8}]})
    b = compute_baseline(f)
    assert (b.method, b.status) == ("design", "design")
    assert b.kpis["pue"] == pytest.approx(1.2)
    assert any("design-stage" in n for n in b.notes)


def test_small_acquisition_below_threshold_keeps_baseline(demo):
    b = compute_baseline(demo, ["2024"])
    ev = RecalculationEvent(kind="acquisition", date=date(2026, 3, 1), reason="hall 7", capacity_change_kw=2000)
    r = recalculate(b, ev, demo)
    # 2,000 / (60,000 − 2,000) = 3.4 % < 5 %
    assert not r.triggered and r.share == pytest.approx(2000 / 58000) and r.new_baseline == b


def test_restatement_recomputes_baseline_and_spts_keeping_both(demo):
    b = compute_baseline(demo, ["2024"])
    plan = propose_plan(b, [2025, 2026], {"pue": {"method": "linear", "target_value": 1.15, "target_year": 2026}})
    raw = demo.model_dump(mode="python", exclude_none=True)
    periods = []
    for p in raw.pop("periods"):
        if p["label"] == "2024":
            p["total_energy_kwh"] = {"value": 398_653_056.0, "status": "verified"}  # meter corrected: PUE 1.22
            p["grid_kwh"] = {"value": 149_153_056.0, "status": "verified"}
        periods.append(p)
    restated = facility_from_dict({"facility": raw, "periods": periods})
    ev = RecalculationEvent(kind="restatement", date=date(2025, 6, 1), reason="main meter CT ratio corrected")
    r = recalculate(b, ev, restated, plan=plan)
    assert r.triggered and r.old_baseline.kpis["pue"] == pytest.approx(1.21)
    assert r.new_baseline.kpis["pue"] == pytest.approx(398_653_056 / 326_764_800)   # 1.22
    assert r.new_baseline.version == 2 and "restatement" in r.new_baseline.reason
    # SPT rebased as a ratio: 2025 milestone 1.18 × 1.22 / 1.21
    assert r.new_plan.spt("pue", 2025) == pytest.approx(1.18 * 1.22 / 1.21, rel=1e-9)
    assert r.new_plan.paths["pue"].milestones[0].previous == pytest.approx(1.18)
    assert r.old_plan.spt("pue", 2025) == pytest.approx(1.18)


def test_acquisition_needs_capacity():
    with pytest.raises(InputError, match="capacity"):
        from index.models import load_facility
        from tests.targets.conftest import DEMO

        f = load_facility(DEMO)
        recalculate(compute_baseline(f), RecalculationEvent(kind="disposal", date=date(2026, 1, 1), reason="x"), f)
