"""The CFE score and hourly matched share as loan KPIs, and the methodology option that weights them."""

from __future__ import annotations

import pytest

from index.engine import score
from index.methodology import load_methodology
from index.models import Figure
from index.reference import data_dir


@pytest.fixture(scope="module")
def demo():
    from index.models import load_facility

    f = load_facility(data_dir() / "facilities" / "demo-zjk-hyperscale.toml")
    return f, f.periods[-1]


def _with_cfe(period, cfe, matched):
    return period.model_copy(update={"cfe_score": Figure(value=cfe, status="verified", source="interval data"),
                                     "hourly_matched_share": Figure(value=matched, status="verified",
                                                                    source="interval data")})


def test_default_methodology_is_not_changed_by_cfe_figures(demo):
    fac, per = demo
    m = load_methodology()
    before = score(fac, per, m)
    after = score(fac, _with_cfe(per, 0.62, 0.44), m)
    assert after.total == before.total
    assert {i: x.score for i, x in after.indicators.items()} == {i: x.score for i, x in before.indicators.items()}
    # ... but the KPIs are there for SPTs and reports
    assert after.kpi("cfe_score") == 0.62 and after.kpi("hourly_matched_share") == 0.44
    assert before.kpi("cfe_score") is None


def test_kpi_directions_for_spts_and_ratchets():
    from finance.ratchet import kpi_direction
    from index.targets import kpi_comparator

    assert kpi_comparator("cfe_score") == ">=" and kpi_comparator("hourly_matched_share") == ">="

    class Rule:
        direction = None
        kpi = "hourly_matched_share"

    assert kpi_direction(Rule) == "higher"


def test_methodology_option_weights_hourly_cfe(demo):
    # gcpi-2024-cfe: renewable acquisition = 0.7 × ladder score + 0.3 × CFE curve (0.359 → 0, 1.0 → 100)
    # with CFE score 0.68: curve = 100 × (0.68 − 0.359) / (1 − 0.359) = 50.078 points
    fac, per = demo
    base = score(fac, per, load_methodology())
    opt_m = load_methodology(data_dir() / "methodology" / "gcpi-2024-cfe.toml")
    opt = score(fac, _with_cfe(per, 0.68, 0.50), opt_m)
    ladder = base.indicators["renewable_acquisition"].score
    cfe_pts = 100 * (0.68 - 0.359) / (1 - 0.359)
    assert opt.indicators["renewable_acquisition"].score == pytest.approx(0.7 * ladder + 0.3 * cfe_pts)
    # every other indicator and weight as in gcpi-2024: the total moves by 0.06 × the change of that score
    delta = 0.06 * (0.7 * ladder + 0.3 * cfe_pts - ladder)
    assert opt.total == pytest.approx(base.total + delta)
    assert opt.methodology_id == "gcpi-2024-cfe" and opt.methodology_sha256 != base.methodology_sha256
    # without interval data the hourly part scores 0 (missing is missing), the ladder part still counts
    none = score(fac, per, opt_m)
    assert none.indicators["renewable_acquisition"].score == pytest.approx(0.7 * ladder)


def test_report_figures_feed_a_period(tmp_path):
    from index.cfe import annual_grid, validate_intervals
    from index.cfe.report import evaluate
    from index.models import PeriodData
    from tests.cfe.conftest import long_frame

    frame = long_frame("2025-07-01T00:00:00+08:00", {"load": [10.0] * 4, "ppa": [0.0, 20.0, 10.0, 0.0]})
    rep = evaluate(validate_intervals(frame), annual_grid(0.5, source="test"))
    figs = rep.figures()
    # m = (0, 10, 10, 0) = 20 of 40 → 0.5; CFE = (20 + 0.5 × 20) / 40 = 0.75
    assert figs["hourly_matched_share"]["value"] == pytest.approx(0.5)
    assert figs["cfe_score"]["value"] == pytest.approx(0.75)
    assert "indicative only" in figs["cfe_score"]["source"]
    p = PeriodData.model_validate({"label": "2025", **figs})
    assert p.cfe_score.value == pytest.approx(0.75) and p.cfe_score.status == "reported"
