"""Engine reasons as codes worded from the catalogue (issue 17): every code the engines emit has a text in zh and
en, and the texts carry the engine's figures. Expected texts are written out here from hand figures:

* BAU check (index.ambition.check_bau docstring example): PUE BAU 1.15 (1.12–1.18) at the 90 % level, SPT 1.15 →
  already reached; SPT 1.11 beyond the favourable bound 1.12 → a stretch.
* Regulation: data/reference/policy_thresholds.csv ``hub_new_build_east``, PUE ≤ 1.25 for new data centres in the
  eastern hub nodes (the demo facility is in Zhangjiakou, hebei; checked as a new build, the demo deal's
  regulatory profile).
* Baseline of the demo facility from 2023 and 2025 (data/facilities/demo-zjk-hyperscale.toml): not consecutive.
* Recalculation: 2,000 kW on a 60,000 kW campus (58,000 kW before) = 3.45 % < the 5 % threshold of
  data/targets/recalculation.toml.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from app_support.evidence import ambition_text, baseline_note, labeller, recalc_note
from app_support.i18n import catalogue
from index.ambition import ambition_report, check_bau, check_regulation
from index.baseline import RecalculationEvent, compute_baseline, recalculate
from index.models import load_facility
from index.targets import propose_plan

FAC = "data/facilities/demo-zjk-hyperscale.toml"


@pytest.fixture(scope="module")
def fac():
    return load_facility(FAC)


def test_bau_codes_worded_in_both_languages():
    bau = {"mean": 1.15, "lower": 1.12, "upper": 1.18, "p_meets": 0.5012}
    reached = check_bau("pue", 2027, 1.15, "<=", bau)
    assert (reached.code, reached.params["p_meets"]) == ("bau.reached", 0.5012)
    assert ambition_text(reached, labeller("zh")) == (
        "2027 年照常情景预测：1.15（90 % 区间 1.12–1.18）；照常情景达标概率 = 50.1 %。"
        "照常情景预测已达到目标 1.15：未超出照常情景。")
    stretch = check_bau("pue", 2027, 1.11, "<=", {k: v for k, v in bau.items() if k != "p_meets"})
    assert ambition_text(stretch.to_dict(), labeller("en")) == (
        "BAU forecast 2027: 1.15 (90 % interval 1.12–1.18). The SPT 1.11 is beyond the interval's favourable "
        "bound 1.12: a stretch target.")


def test_regulation_code_names_the_rule_and_its_limit(fac):
    c = check_regulation("pue", 2026, 1.2, "<=", fac, new_build=True)
    assert (c.code, c.params["policy_id"], c.params["limit"]) == ("regulation.beyond", "hub_new_build_east", 1.25)
    zh = ambition_text(c, labeller("zh"))
    assert zh.startswith("2026 年最严格的约束性规定：PUE（电能利用效率） ≤ 1.25（hub_new_build_east：")
    assert zh.endswith("适用于国家枢纽节点的新建数据中心）。目标 1.2 超出该规定。")
    none = check_regulation("index", 2026, 88.0, ">=", fac)      # no rule binds the index (policy_thresholds.csv)
    assert ambition_text(none, labeller("zh")) == "2026 年未找到对该设施GCPI 指数有约束力的规定（省份：河北）。"
    forced = check_regulation("pue", 2026, 1.3, "<=", fac, new_build=True)
    assert ambition_text(forced, labeller("en")).endswith("The SPT 1.3 is no more demanding than the regulation: "
                                                          "not ambitious.")


def test_every_code_the_engine_emits_has_a_text_in_both_languages(fac):
    """The demo facility's proposed SPTs through every check, with and without a BAU forecast: each check has a
    code, and the code a text in zh and en with no placeholder left."""
    base = compute_baseline(fac, ["2024"])
    plan = propose_plan(base, [2026, 2028], {"index": {"method": "linear", "target_value": 90},
                                              "pue": {"method": "linear", "target_value": 1.15},
                                              "renewable_share": {"method": "linear", "target_value": 0.9},
                                              "wue": {"method": "linear", "target_value": 0.8}})
    bau = {("pue", 2026): {"mean": 1.19, "lower": 1.15, "upper": 1.23, "p_meets": 0.2}}
    checks = ambition_report(plan, fac, bau, new_build=True)
    codes = {c.code for c in checks}
    assert {"bau.no_forecast", "bau.inside", "regulation.none", "regulation.beyond", "peer.benchmark",
            "peer.facility", "peer.no_cluster_benchmark"} <= codes
    for lang in ("zh", "en"):
        for c in checks:
            text = ambition_text(c, labeller(lang))
            assert text and "{" not in text, (c.code, text)
    zh = [ambition_text(c, labeller("zh")) for c in checks if c.code == "peer.benchmark" and c.kpi == "pue"]
    assert any(t.startswith("全国平均（2024）：1.46（来源：") for t in zh)        # benchmarks.csv


def test_baseline_and_recalculation_notes(fac):
    b = compute_baseline(fac, ["2023", "2025"], allow_reported=True)
    codes = [n["code"] for n in b.note_codes]
    assert len(codes) == len(b.notes) and "baseline.not_consecutive" in codes
    texts = [baseline_note(n, labeller("zh")) for n in b.note_codes]
    assert "基准年份不连续：2023, 2025。" in texts
    assert all("{" not in t for t in texts)
    rc = recalculate(compute_baseline(fac, ["2024"]), RecalculationEvent(
        kind="acquisition", date=dt.date(2026, 3, 1), reason="hall D", capacity_change_kw=2000.0), fac)
    assert not rc.triggered and rc.note_code == "recalc.below_threshold"
    assert recalc_note(rc, labeller("zh")) == ("容量变化占设计 IT 功率的 3.4 %，低于 5 % 的重新计算门槛："
                                               "基线和目标不变。")   # 2,000 / 58,000 = 3.45 % → one decimal


def test_history_details_from_codes():
    """Audit records (as the store writes them) → Details in zh: kinds, states and KPIs by name."""
    from app_support.monitoring import summary_text
    from workflows.monitoring import summary_code

    def row(entity, action, after, before=None, key="d/2026-06-30"):
        code, params = summary_code(SimpleNamespace(entity=entity, action=action, after=after, before=before,
                                                    entity_key=key))
        return {"summary_code": code, "summary_params": params, "action": action}

    def zh(key, **fmt):
        text = catalogue("zh")[key]
        return text.format(**fmt) if fmt else text

    prep = row("margin_change", "margin.prepare", {"kind": "reporting_failure", "margin_before_bp": 90.0,
                                                     "margin_after_bp": 110.0, "effective_date": "2026-10-15"})
    assert summary_text(prep, zh) == "已准备调整（证书逾期：视为全部未达成）：90 → 110 基点，自 2026-10-15 起"
    rec = row("monitoring_record", "observation.record_verified",
              {"status": "verified", "kpis": {"index": 86.2, "pue": 1.19}, "statement_id": "VS-2026"})
    assert summary_text(rec, zh) == "核证值：GCPI 指数 86.2 · PUE（电能利用效率） 1.19；核证声明 VS-2026"
    fig = row("figure", "figure.verify", {"value": 1200.5, "reason": "meter read", "source": "M-1"},
              {"value": 1200}, key="f/2024/it_energy_kwh")
    assert summary_text(fig, zh) == "f/2024/it_energy_kwh：由 1,200 改为 1,200（核证）；原因：meter read；来源：M-1"
    assert summary_text(row("deal", "deal.create", {"id": "d"}), zh) is None
