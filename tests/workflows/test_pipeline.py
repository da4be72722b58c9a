"""workflows.pipeline: the finance engine gets the index results a deal names, errors name their origin."""

from __future__ import annotations

from pathlib import Path

import pytest

import workflows
from common.errors import InputError, InputErrors
from finance.deal import deal_schedule, load_deal

ROOT = Path(__file__).resolve().parents[2]
DEAL = ROOT / "data" / "deals" / "demo-zjk-sll-2025.toml"   # observation 1 names facility period "2025"


def test_engine_refuses_a_named_period_without_its_result():
    with pytest.raises(InputError, match="names facility period '2025': give its index result"):
        deal_schedule(load_deal(DEAL), "met")


def test_evaluate_deal_scores_the_named_period_and_the_ratchet_uses_it():
    """The first margin change applies the 2025 outcome; its note carries the index total and PUE scored
    independently here with index.engine.score on the facility file, and the SPT status follows by hand."""
    from index.engine import score
    from index.methodology import load_methodology
    from index.models import load_facility

    src = workflows.FileSource(deal_file=DEAL)
    ev = workflows.evaluate_deal(src.deal(), src)
    res = score(load_facility(ROOT / "data" / "facilities" / "demo-zjk-hyperscale.toml"), "2025", load_methodology())
    assert set(ev.results) == {"2025"} and ev.results["2025"].total == res.total
    frame = ev.schedule("met").frame
    note = next(r for r in frame["reason"] if "obs 2025-12-31" in r)
    assert f"index {res.total:g} vs SPT 86" in note and f"pue {res.kpi('pue'):g} vs SPT 1.2" in note
    # SPT status by hand (deal file: index ≥ 86 with band 2.0, weight 0.6; PUE ≤ 1.20 with band 0.02, weight 0.4;
    # step-down −10 bp, step-up +10 bp)
    idx_bp = -6.0 if res.total >= 86 else 0.0 if res.total >= 84 else 6.0
    pue = res.kpi("pue")
    pue_bp = -4.0 if pue <= 1.20 else 0.0 if pue <= 1.22 else 4.0
    assert f"total adjustment {idx_bp + pue_bp:+g} bp" in note


def test_named_fills_the_origin_of_errors_without_one():
    with pytest.raises(InputError) as e, workflows.named("deal book: deal X"):
        raise InputError("bad", field="loan.amount")
    assert e.value.file == "deal book: deal X" and e.value.field == "loan.amount"
    with pytest.raises(InputError) as e, workflows.named("deal book: deal X"):
        raise InputError("bad", file="other.toml")
    assert e.value.file == "other.toml"
    with pytest.raises(InputErrors) as e, workflows.named("f.toml"):
        raise InputErrors([InputError("a"), InputError("b", file="g.toml")])
    assert [x.file for x in e.value.errors] == ["f.toml", "g.toml"]


def test_defaults_are_the_cli_defaults():
    from dcsll.cli import build_parser

    ns = build_parser().parse_args(["simulate", "DEAL"])
    assert (ns.paths, ns.seed, ns.model) == (workflows.DEFAULTS.simulate_paths, workflows.DEFAULTS.seed,
                                             workflows.DEFAULTS.model) == (10_000, 0, "ets")
    ns = build_parser().parse_args(["targets", "DEAL"])
    assert (ns.paths, ns.seed) == (workflows.DEFAULTS.targets_paths, 0) == (5000, 0)


def test_deal_pins_are_honoured_by_the_workflow(tmp_path, monkeypatch):
    """A deal that pins methodology and reference bundle keeps its 2025 result when newer factors appear
    (the same check as tests/index/test_methodology_2025.py, through workflows.evaluate_deal)."""
    import shutil

    from finance.deal import Deal

    if "reference_sha256" not in Deal.model_fields:
        pytest.skip("deals pin a methodology and a reference bundle once helper methodology's branch is merged")
    from index.methodology import load_methodology
    from index.reference import data_dir, default_bundle

    src = workflows.FileSource(deal_file=DEAL)
    deal = src.deal()
    m24, old = load_methodology(), default_bundle()
    pinned = deal.model_copy(update={"methodology": m24.id, "methodology_sha256": m24.sha256,
                                     "reference_sha256": old.sha256})
    before = workflows.evaluate_deal(pinned, src).results
    assert set(before) == {"2025"}
    for sub in ("reference", "validation", "methodology", "facilities"):
        shutil.copytree(data_dir() / sub, tmp_path / sub)
    grid = tmp_path / "reference" / "grid_emission_factors.csv"
    grid.write_text(grid.read_text(encoding="utf-8") + "2025,national,cn,全国,National,residual,0.7000,"
                    "hypothetical 2025 announcement (test),,2027,2026-11-21\n", encoding="utf-8")
    monkeypatch.setenv("DCSLL_DATA", str(tmp_path))
    assert default_bundle().sha256 != old.sha256
    after = workflows.evaluate_deal(pinned, workflows.FileSource(deal_file=DEAL)).results
    assert after["2025"].total == before["2025"].total
    unpinned = workflows.evaluate_deal(pinned.model_copy(update={"reference_sha256": None}),
                                       workflows.FileSource(deal_file=DEAL)).results
    assert unpinned["2025"].total != before["2025"].total
    with pytest.raises(InputError, match="pinned") as e:
        workflows.evaluate_deal(pinned.model_copy(update={"methodology_sha256": "0" * 64}), src)
    assert e.value.file == str(DEAL)
