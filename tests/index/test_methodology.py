"""The shipped methodology against the white paper's table 2-1, the loader's refusals, and AHP."""

import copy
import tomllib

import numpy as np
import pytest

from index.errors import InputError
from index.methodology import INDICATOR_IDS, ahp_weights, default_methodology_path, parse_methodology

# White paper table 2-1 / tables 3-1..3-4: indicator -> (criterion term, pillar term, indicator term in the text)
TABLE_2_1 = {
    "computing_efficiency": ("算力生产力", "算力安全高效性", "算力能效"),
    "scale": ("算力生产力", "算力安全高效性", "数据中心规模"),
    "security": ("算力生产力", "算力安全高效性", "安全性"),
    "availability": ("算力生产力", "算力安全高效性", "可用性"),
    "rack_utilisation": ("算力利用水平", "算力安全高效性", "上架率"),
    "it_load_rate": ("算力利用水平", "算力安全高效性", "IT 负载率"),
    "cpu_gpu_utilisation": ("算力利用水平", "算力安全高效性", "CPU/GPU 利用率"),
    "site_selection": ("绿色选址", "算力安全高效性", "选址管理"),
    "pue": ("资源消耗水平", "算力绿色低碳性", "PUE"),
    "wue": ("资源消耗水平", "算力绿色低碳性", "WUE"),
    "renewable_share": ("可再生能源水平", "算力绿色低碳性", "可再生能源利用比例"),
    "renewable_acquisition": ("可再生能源水平", "算力绿色低碳性", "可再生能源获取方式"),
    "cue": ("碳利用水平", "算力绿色低碳性", "CUE"),
    "carbon_efficiency": ("碳利用水平", "算力绿色低碳性", "算力碳效"),
    "smart_energy_management": ("综合能源管理", "能碳管理智能性", "智慧能源管理"),
    "smart_carbon_management": ("碳排放管理", "能碳管理智能性", "智慧碳管理"),
    "ghg_accounting": ("全生命周期管理制度", "全生命周期绿色管理", "温室气体核算与报告"),
    "lifecycle_strategy": ("全生命周期管理制度", "全生命周期绿色管理", "全生命周期绿色发展战略"),
    "resource_recycling": ("循环利用", "全生命周期绿色管理", "资源回收"),
}


def test_all_19_indicators_in_white_paper_structure(methodology):
    assert len(methodology.indicators) == 19 == len(TABLE_2_1)
    crit = {c.id: c for c in methodology.criteria}
    pil = {p.id: p for p in methodology.pillars}
    assert len(pil) == 4 and len(crit) == 10
    for iid, (c_zh, p_zh, term) in TABLE_2_1.items():
        ind = methodology.indicators[iid]
        assert crit[ind.criterion].name_zh == c_zh, iid
        assert pil[ind.pillar].name_zh == p_zh, iid
        assert term in ind.name_zh, iid
    assert [p.id for p in methodology.pillars if p.addon] == ["lifecycle"]


def test_indicator_terms_appear_in_the_white_paper(shared):
    text = (shared / "seeds" / "002_a5866b9f8010d14a.txt").read_text(encoding="utf-8")
    start = text.index("表 2-1 绿色算力指数体系")
    table = text[start:text.index("## 第三章", start)]
    for iid, (c_zh, p_zh, term) in TABLE_2_1.items():
        assert term in table, iid
        assert c_zh in table and p_zh in table
    assert "作为附加评价" in text  # the lifecycle pillar is an add-on


def test_checklists_list_the_white_paper_capabilities(methodology):
    sem = methodology.indicators["smart_energy_management"].curve.item_ids()
    # ch. 3 §3(1): 7 functions + 3 campus modules, plus demand response from the 2025 national index
    assert len(sem) == 11
    assert len(methodology.indicators["smart_carbon_management"].curve.item_ids()) == 6  # ch. 3 §3(2)
    assert len(methodology.indicators["security"].curve.item_ids()) == 5  # ch. 3 §1(1) five areas


def test_every_anchor_has_a_source(methodology):
    for ind in methodology.indicators.values():
        c = ind.curve
        curves = [c] + [p[2] for p in c.parts]
        for cc in curves:
            assert all(s.strip() for s in cc.sources)
            assert all(b[2].strip() for b in cc.bands)
            assert all(it["source"].strip() for it in cc.items)


def _raw():
    return tomllib.loads(default_methodology_path().read_text(encoding="utf-8"))


def test_pue_anchors_are_the_2025_national_index():
    a = _raw()["indicators"]["pue"]["curve"]["anchors"]
    assert [(x["x"], x["score"]) for x in a] == [(1.10, 100), (1.30, 0)]
    assert all("279号" in x["source"] for x in a)


@pytest.mark.parametrize("mutate, field, message", [
    (lambda d: d["indicators"].pop("wue"), "indicators", "misses indicator(s) of the white paper's table 2-1: wue"),
    (lambda d: d["indicators"]["pue"].__setitem__("weight", 0.30), "indicators.*.weight", "add up to"),
    (lambda d: d["indicators"]["ghg_accounting"].__setitem__("weight", 0.5), "indicators.*.weight", "add-on"),
    (lambda d: d["indicators"]["pue"]["curve"]["anchors"].insert(
        1, {"x": 1.2, "score": 100, "source": "x"}) or d["indicators"]["pue"]["curve"]["anchors"].__setitem__(
        0, {"x": 1.10, "score": 50, "source": "x"}), "indicators.pue.curve", "not monotone"),
    (lambda d: d["indicators"]["wue"]["curve"]["anchors"][0].pop("source"), "indicators.wue.curve.anchors[0]",
     "source"),
    (lambda d: d["indicators"]["wue"]["curve"]["anchors"].reverse(), "indicators.wue.curve", "strictly increasing"),
    (lambda d: d["indicators"]["scale"].__setitem__("criterion", "nope"), "indicators.scale.criterion",
     "unknown criterion"),
    (lambda d: d["indicators"].__setitem__("bogus", dict(d["indicators"]["pue"])), "indicators", "unknown indicator"),
    (lambda d: d["grades"].reverse(), "grades", "best first"),
    (lambda d: d["indicators"]["pue"]["curve"].__setitem__("type", "spline"), "indicators.pue.curve",
     "unknown curve type"),
])
def test_loader_refuses_bad_methodologies(mutate, field, message):
    d = copy.deepcopy(_raw())
    mutate(d)
    with pytest.raises(InputError) as exc:
        parse_methodology(d, path="bad.toml")
    assert exc.value.file == "bad.toml"
    assert exc.value.field == field
    assert message in exc.value.message


def test_ids_are_the_issue_ids():
    assert set(_raw()["indicators"]) == set(INDICATOR_IDS)


def test_ahp_consistent_matrix_recovers_weights():
    w = np.array([0.5, 0.3, 0.2])
    a = w[:, None] / w[None, :]
    weights, cr = ahp_weights(a)
    np.testing.assert_allclose(weights, w, atol=1e-12)
    assert cr == pytest.approx(0.0, abs=1e-9)


def test_ahp_saaty_textbook_example():
    # Classic 3x3 example: priorities 0.637 / 0.258 / 0.105, lambda_max 3.039, CR = 0.0193 / 0.58 = 0.033
    a = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
    weights, cr = ahp_weights(a)
    np.testing.assert_allclose(weights, [0.637, 0.258, 0.105], atol=1e-3)
    assert cr == pytest.approx(0.033, abs=1e-3)


def test_ahp_refuses_inconsistent_and_malformed_matrices():
    with pytest.raises(InputError, match="consistency ratio"):
        ahp_weights([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    with pytest.raises(InputError, match="reciprocal"):
        ahp_weights([[1, 2], [2, 1]])
    with pytest.raises(InputError, match="square"):
        ahp_weights([[1, 2, 3]])
