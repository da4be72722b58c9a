"""SPT path arithmetic against hand calculations."""

import math

import pytest

from index.errors import InputError
from index.targets import propose_path, trajectory_value


def test_linear_path_by_hand():
    p = propose_path("pue", 1.21, 2024, [2025, 2026, 2027, 2028], target_value=1.15, target_year=2027)
    # steps of (1.15 − 1.21) / 3 = −0.02, held after the target year
    assert [m.value for m in p.milestones] == pytest.approx([1.19, 1.17, 1.15, 1.15])
    assert p.comparator == "<="


def test_constant_rate_path_by_hand():
    p = propose_path("pue", 1.21, 2024, [2025, 2029], method="constant_rate", target_value=1.10)
    # 1.21 × (1.10 / 1.21)^(1/5) = 1.21 × exp(0.2 × ln 0.909091) = 1.21 × 0.9811180 = 1.187153
    assert p.milestones[0].value == pytest.approx(1.187153, abs=1e-6)
    assert p.milestones[1].value == pytest.approx(1.10)


def test_index_path_is_higher_better():
    p = propose_path("index", 84.0, 2024, [2025, 2026], target_value=90.0)
    assert p.comparator == ">=" and [m.value for m in p.milestones] == pytest.approx([87.0, 90.0])


def test_green_procurement_trajectory_by_hand():
    p = propose_path("renewable_share", 0.2, 2024, [2025, 2026, 2028, 2031, 2033], method="trajectory",
                     trajectory="green_procurement_renewable")
    # points 30 % (2025), 50 % (2027), 75 % (2030), 100 % (2032), linear in between, 100 % after
    assert [m.value for m in p.milestones] == pytest.approx([0.30, 0.40, 0.50 + 0.25 / 3, 0.875, 1.0])
    assert "财库〔2023〕7号" in p.milestones[0].source


def test_growth_trajectory_by_hand():
    v, src = trajectory_value("renewable_plus10pct", 2026, 0.5, 2024)
    assert v == pytest.approx(0.5 * 1.1 ** 2) and "970号" in src
    v, _ = trajectory_value("renewable_plus10pct", 2030, 0.8, 2024)
    assert v == 1.0   # capped at 100 %


def test_trajectory_already_met_is_held_at_baseline():
    p = propose_path("pue", 1.21, 2024, [2025], method="trajectory", trajectory="pue_hub_east")
    assert p.milestones[0].value == pytest.approx(1.21) and "already bettered" in p.milestones[0].note


def test_spt_before_baseline_year_refused():
    with pytest.raises(InputError) as e:
        propose_path("pue", 1.21, 2024, [2023, 2025], target_value=1.15)
    assert e.value.row == 2023 and "after the baseline" in e.value.message


def test_target_worse_than_baseline_refused():
    with pytest.raises(InputError, match="worse than the baseline"):
        propose_path("pue", 1.21, 2024, [2025], target_value=1.30)


def test_constant_rate_needs_positive_values():
    with pytest.raises(InputError, match="positive"):
        propose_path("index", 0.0, 2024, [2025], method="constant_rate", target_value=10.0)


def test_edit_marks_and_keeps_previous(demo):
    from index.baseline import compute_baseline
    from index.targets import propose_plan

    plan = propose_plan(compute_baseline(demo, ["2024"]), [2025, 2026],
                        {"pue": {"method": "linear", "target_value": 1.17}})
    edited = plan.edit("pue", 2026, 1.16, note="bank asks more")
    ms = edited.paths["pue"].milestones[1]
    assert (ms.value, ms.edited, ms.previous, ms.method) == (1.16, True, pytest.approx(1.17), "manual")
    assert plan.spt("pue", 2026) == pytest.approx(1.17)   # the original is unchanged
    assert math.isclose(edited.spt("pue", 2025), 1.19)
    with pytest.raises(InputError):
        edited.spt("pue", 2030)
