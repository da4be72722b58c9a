"""Methodology page: renders for every role, AHP weights and CR, sensitivity against a hand calculation."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from index.models import facility_from_dict

PAGE = "app_pages/methodology.py"
ROLES = ["credit_officer", "operator", "verifier", "admin", "reader"]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_methodology_renders_for_every_role(run_as, role, lang):
    at = run_as(role, PAGE, lang)
    assert not at.exception
    assert at.title[0].value == {"zh": "GCPI 评价方法", "en": "GCPI methodology"}[lang]


def test_ahp_start_matrix_reproduces_pillar_weights(run_as, methodology):
    at = run_as("admin", PAGE)
    assert not at.exception
    # Pillar weights summed by hand from the methodology file's indicator weights.
    core_pillars = [p.id for p in methodology.pillars if not p.addon]
    expected = [sum(i.weight for i in methodology.indicators.values() if i.pillar == p) for p in core_pillars]
    table = _table_with(at, "AHP weight")
    np.testing.assert_allclose(table["AHP weight"].to_numpy(), expected, atol=1e-9)
    cr = next(mm for mm in at.metric if mm.label == "Consistency ratio CR")
    assert float(cr.value) == pytest.approx(0.0, abs=1e-3)


def test_ahp_inconsistent_matrix_shows_error(run_as):
    at = run_as("admin", PAGE)
    import pandas as pd

    labels = list(_table_with(at, "AHP weight")["Pillar"])
    # a > b (9), b > c (9) but c > a (9): as inconsistent as Saaty's scale allows.
    bad = pd.DataFrame([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]], index=labels, columns=labels)
    _set_editor(at, bad)
    assert any("consistency ratio" in e.value for e in at.error)


def _set_editor(at, df):
    """Change the AHP data editor's cells through its widget state (edited_rows), then rerun."""
    edits = {i: {str(c): float(df.iloc[i, j]) for j, c in enumerate(df.columns)} for i in range(len(df))}
    gen = at.session_state["madm_gen"] if "madm_gen" in at.session_state else 1  # the page's edit generation
    key = "ahp_matrix" if gen == 1 else f"ahp_matrix_{gen}"
    at.session_state[key] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}
    at.run()


def _table_with(at, column):
    """The first st.dataframe on the page that has ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_sensitivity_pue_plus_20_for_demo_2024_by_hand(run_as, methodology):
    """PUE weight 0.16 → 0.192, core renormalised by 1.032; the demo's 2024 indicator scores from the engine."""
    from index.engine import score
    from index.models import load_facility

    r = score(load_facility(Path(__file__).resolve().parents[2] / "data/facilities/demo-zjk-hyperscale.toml"), "2024", methodology)
    core = [i for i in r.indicators.values() if not i.addon]
    w_pue = methodology.indicators["pue"].weight
    new_core = (sum(i.weight * i.score for i in core) + 0.2 * w_pue * r.indicators["pue"].score) / (1 + 0.2 * w_pue)
    expected = new_core - r.core
    at = run_as("verifier", PAGE)
    table = next(d.value for d in at.dataframe if "demo-zjk-hyperscale 2024" in d.value.index)
    assert table.loc["demo-zjk-hyperscale 2024", "Power usage effectiveness (PUE)"] == pytest.approx(expected, abs=0.005)


# ---------------------------------------------------------------- admin edit → check → preview → save

EDITORS = ["credit_officer", "operator", "verifier", "reader"]
SHIPPED = Path(__file__).resolve().parents[2] / "data/methodology/gcpi-2024.toml"
FACILITIES = sorted((Path(__file__).resolve().parents[2] / "data/facilities").glob("*.toml"))


#: the seeded (shipped) version in the picker: tests of this module publish newer versions, which become current
SHIPPED_KEY = "gcpi-2024@2024.1"


def _admin_on_shipped(run_as):
    """The page as admin, on the seeded version (edits in these tests are based on the shipped weights)."""
    at = run_as("admin", PAGE)
    at.selectbox(key="meth_view").set_value(SHIPPED_KEY).run()
    return at


def _stored(url):
    from store import open_store

    return open_store(url).methodologies()


def _version() -> str:
    """A version label no other test uses (the test deal book lives for the whole session)."""
    import uuid

    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("role", EDITORS)
def test_non_admin_sees_no_edit_controls_but_the_stored_versions(run_as, role):
    at = run_as(role, PAGE)
    assert not at.exception
    assert not at.number_input and not at.text_area
    assert "Edit the methodology (administrator)" not in [h.value for h in at.header]
    assert not [b for b in at.button if str(b.key).startswith("madm_")]
    stored = _table_with(at, "SHA-256 of the file")
    assert "2024.1" in set(stored["Version"])
    assert len(at.get("download_button")) == 1


def test_admin_valid_edit_is_previewed_like_the_engine_and_saved_as_a_new_version(run_as, app_database,
                                                                                  methodology):
    import tomllib

    from index.engine import score
    from index.methodology import parse_methodology
    from index.models import load_facility
    from store import open_store

    at = run_as("admin", PAGE)  # first: the page run migrates and seeds the deal book when the test runs alone
    before = _stored(app_database)
    w_wue = methodology.indicators["wue"].weight
    version, note = _version(), "unit test: PUE weight 0.16 -> 0.20, WUE -0.04 (credit committee minutes, fictional)"
    at.number_input(key="madm_w_pue").set_value(0.20)
    at.number_input(key="madm_w_wue").set_value(w_wue - 0.04)
    at.text_input(key="madm_version").set_value(version)
    at.text_area(key="madm_note").set_value(note).run()
    assert not at.exception
    assert not [e.value for e in at.error]
    # The edited methodology, built here from the shipped file with the two weights changed.
    raw = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))
    raw["indicators"]["pue"]["weight"] = 0.20
    raw["indicators"]["wue"]["weight"] = w_wue - 0.04
    edited = parse_methodology(raw)
    preview = _table_with(at, "Total after [points]").set_index(["Facility", "Period"])
    n = 0
    for path in FACILITIES:
        fac = load_facility(path)
        for p in fac.periods:
            row = preview.loc[(fac.id, p.label)]
            # the preview shows totals to 2 decimals (app_support.tables.show): equal to the engine's to half a unit
            assert row["Total before [points]"] == pytest.approx(score(fac, p.label, methodology).total, abs=0.005)
            assert row["Total after [points]"] == pytest.approx(score(fac, p.label, edited).total, abs=0.005)
            n += 1
    assert len(preview) == n
    at.button(key="madm_save").click().run()
    assert not at.exception
    after = _stored(app_database)
    assert len(after) == len(before) + 1
    new = next(s for s in after if s.version == version)
    assert any(new.sha256 in s.value for s in at.success)
    saved = open_store(app_database).load_methodology(new.id, version)
    assert saved.indicators["pue"].weight == 0.20
    assert saved.indicators["wue"].weight == pytest.approx(w_wue - 0.04, abs=1e-12)
    assert {i: x.weight for i, x in saved.indicators.items() if i not in ("pue", "wue")} == {
        i: x.weight for i, x in methodology.indicators.items() if i not in ("pue", "wue")}
    assert saved.raw["changes"][-1]["note"] == note
    assert saved.raw["indicators"]["pue"]["weight_source"] == f"{version}: {note}"
    # The page now shows the saved version, and the edit is reset.
    assert f"version {version}" in at.caption[0].value
    assert at.number_input(key="madm_w_pue").value == 0.20


def test_admin_edit_with_weights_not_adding_up_shows_the_table_and_saves_nothing(run_as, app_database):
    before = _stored(app_database)
    at = _admin_on_shipped(run_as)
    at.number_input(key="madm_w_pue").set_value(0.20)
    at.text_input(key="madm_version").set_value(_version())
    at.text_area(key="madm_note").set_value("unit test").run()
    assert any("Nothing was saved" in e.value for e in at.error)
    problems = _table_with(at, "Reason")
    # 0.16 -> 0.20 with the other 15 core weights unchanged: 1.04.
    assert list(problems["Reason"]) == ["The core weights add up to 1.0400, not 1."]
    assert list(problems["Field"]) == ["indicators.*.weight"]
    assert not [b for b in at.button if b.key == "madm_save"]
    assert len(_stored(app_database)) == len(before)


def test_admin_edit_with_anchor_without_source_and_no_note_lists_both(run_as, app_database):
    before = _stored(app_database)
    at = run_as("admin", PAGE)
    at.selectbox(key="madm_curve").set_value("pue").run()
    at.session_state["madm_anchors_pue"] = {"edited_rows": {0: {"source": ""}}, "added_rows": [],
                                            "deleted_rows": []}
    at.run()
    problems = _table_with(at, "Reason")
    assert set(zip(problems["Field"], problems["Reason"], strict=True)) == {
        ("changes.note", "A change note (the source of the new numbers) is required."),
        ("indicators.pue.curve.anchors[0]", "Every anchor needs a source."),
    }
    assert not [b for b in at.button if b.key == "madm_save"]
    assert len(_stored(app_database)) == len(before)


def test_admin_edit_with_non_monotone_anchor_in_chinese(run_as, methodology):
    at = run_as("admin", PAGE, "zh")
    at.selectbox(key="madm_curve").set_value("pue").run()
    # PUE: 100 at 1.10 falling to 0 at 1.30 (file); an added anchor (1.50, 50) makes the scores rise again.
    assert list(methodology.indicators["pue"].curve.scores) == [100, 0]
    at.session_state["madm_anchors_pue"] = {"edited_rows": {}, "deleted_rows": [],
                                            "added_rows": [{"x": 1.5, "score": 50.0, "source": "unit test"}]}
    at.text_area(key="madm_note").set_value("单元测试").run()
    problems = _table_with(at, "原因")
    assert "曲线不单调：得分有升有降。" in list(problems["原因"])
    assert any("未保存任何内容" in e.value for e in at.error)


def test_ahp_weights_applied_to_the_edit(run_as, methodology):
    import pandas as pd

    at = _admin_on_shipped(run_as)
    labels = list(_table_with(at, "AHP weight")["Pillar"])
    # Consistent matrix 1 : 2 : 4 (a = 2b = 4c): weights 4/7, 2/7, 1/7 and CR 0 by hand.
    _set_editor(at, pd.DataFrame([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]], index=labels, columns=labels))
    # shown to 4 decimals; the exact weights are checked below through the weights the button applies
    np.testing.assert_allclose(_table_with(at, "AHP weight")["AHP weight"], [4 / 7, 2 / 7, 1 / 7], atol=5e-5)
    at.button(key="madm_ahp_apply").click().run()
    core = [p.id for p in methodology.pillars if not p.addon]
    for p, w_new in zip(core, [4 / 7, 2 / 7, 1 / 7], strict=True):
        members = [i for i in methodology.indicators.values() if i.pillar == p]
        w_old = sum(i.weight for i in members)
        for i in members:
            assert at.number_input(key=f"madm_w_{i.id}").value == pytest.approx(i.weight * w_new / w_old, abs=1e-12)
    assert _metric(at, "Sum of core weights (must be 1)") == "1.0000"


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


# ---------------------------------------------------------------- languages

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_methodology_tables_in_one_language(run_as, lang):
    at = run_as("admin", PAGE, lang)
    tree = at.dataframe[0].value
    pue = tree.iloc[list(methodology_ids()).index("pue")]
    # Curve type and group of PUE, and the unit "-" of a ratio, as the catalogue's translators wrote them.
    assert list(pue.iloc[[3, 5, 6]]) == {"zh": ["核心", "比值", "分段线性"],
                                         "en": ["core", "ratio", "piecewise linear"]}[lang]
    for d in at.dataframe:
        for col in d.value.columns:
            assert bool(CJK.search(str(col))) == (lang == "zh") or str(col) in {"x", "score", "source"}, col
    for col in (3, 5, 6):  # group, unit, curve: every value Chinese in zh, none in en (symbols aside)
        for v in tree.iloc[:, col]:
            if lang == "en":
                assert not CJK.search(v), v
            elif v.isascii() and any(c.isalpha() for c in v) and "/" not in v:
                raise AssertionError(f"untranslated {v!r}")


def methodology_ids():
    from index.methodology import INDICATOR_IDS

    return INDICATOR_IDS


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_score_page_status_units_and_grade_in_one_language(run_as, lang):
    at = run_as("credit_officer", "app_pages/facility_score.py", lang)
    at.selectbox(key=f"score_facility_{lang}").set_value("alibaba-leased-fy2024").run()
    table = at.dataframe[0].value
    status = {"zh": "状态", "en": "Status"}[lang]
    expected = {"zh": {"报告值", "缺失"}, "en": {"reported", "missing"}}[lang]
    assert set(table[status]) == expected  # a public disclosure: one reported indicator, the rest missing
    grade = next(m.value for m in at.metric if m.label == {"zh": "等级", "en": "Grade"}[lang])
    assert grade == {"zh": "低于 1A", "en": "below 1A"}[lang]
    missing = next(w.value for w in at.warning if w.value.startswith({"zh": "缺失指标", "en": "Missing"}[lang]))
    assert ("算力能效" in missing) if lang == "zh" else ("Computing energy efficiency" in missing)
    assert "computing_efficiency" not in missing


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_score_page_grid_factor_notes_in_the_page_language(run_as, lang):
    """The demo's 2025 period: MEE/NBS factors are published up to 2023 (data/reference/
    grid_emission_factors.csv), so the engine notes both grid factors' fallback; the page says it from the
    notes' codes, in zh as the catalogue's translators wrote it, in en as the engine's own sentence."""
    at = run_as("credit_officer", "app_pages/facility_score.py", lang)
    assert at.selectbox(key="score_period").value == "2025"
    notes = [md.value for md in at.markdown if md.value.startswith("- ")]
    expected = {"zh": ["- 基于位置的电网排放因子：尚未发布 2025 年因子，采用 2023 年因子",
                       "- 基于市场的剩余电网排放因子：尚未发布 2025 年因子，采用 2023 年因子"],
                "en": ["- location grid factor: no 2025 factor published; 2023 factor used",
                       "- residual grid factor: no 2025 factor published; 2023 factor used"]}[lang]
    assert [n for n in notes if "2023" in n] == expected
    # gcpi-2024 counts the demo's unreported natural gas as zero in the CUE and the carbon efficiency of
    # computing (allow_missing): said per indicator, the figure by its label
    assert [n for n in notes if "2023" not in n] == {
        "zh": ["- 未填报，按零计：天然气（指标：碳利用效率 (CUE)）", "- 未填报，按零计：天然气（指标：算力碳效）"],
        "en": ["- not reported, counted as zero: Natural gas (Carbon usage effectiveness (CUE))",
               "- not reported, counted as zero: Natural gas (Carbon efficiency of computing)"]}[lang]
    # every note has a code: no caption about notes left in the engine's English
    assert not [c for c in at.caption if c.value in ("未附中文译文的说明由评分引擎生成（英文原文）。",
                                                     "Notes without a translation are the scoring engine's English text.")]


#: a hand-made Hebei facility (2023, operation stage) for the notes test: capacity declared at FP16 with its
#: FP32 peak 1e6 / 16 = 62,500 TFLOPS, and a GEC lot of 3,000 MWh from 2022 in the I-REC market
NOTES_FID = "test-notes-fp16"


def _notes_facility():
    from app_support.store import app_store

    book = app_store()
    if NOTES_FID not in book.facility_ids():
        period = {"label": "2023", "status": "verified", "source": "test meter report",
                  "total_energy_kwh": 1.0e8, "it_energy_kwh": 8.0e7, "grid_kwh": 1.0e8, "diesel_l": 0,
                  "natural_gas_m3": 0, "refrigerants": [], "compute_capacity_tflops": 1.0e6,
                  "compute_precision": "FP16",
                  "compute_fp32_tflops": {"value": 1.0e6 / 16, "source": "设备技术规格书 FP32 峰值"},
                  "gec_certificates": [{"id": "GEC-2023-000002", "mwh": 3000, "market": "I-REC",
                                        "generation_start": date(2022, 1, 1), "generation_end": date(2022, 12, 31),
                                        "retired_for": "t", "evidence": "cancellation record 2"}]}
        fac = facility_from_dict({"facility": {"id": NOTES_FID, "name": "注释测试", "province": "hebei",
                                               "design_it_power_kw": 12500, "lifecycle_stage": "operation"},
                                  "periods": [period]})
        book.save_facility("admin", fac, file="test", verified_by="verifier")


def _score_page(run_as, fid, period, lang="zh"):
    """The score page for ``fid``'s ``period`` under the book's gcpi-2025 (the version with the notes' rules)."""
    at = run_as("credit_officer", "app_pages/facility_score.py", lang)
    at.selectbox(key=f"score_facility_{lang}").set_value(fid).run()
    at.selectbox(key="score_period").set_value(period).run()
    ver = at.selectbox(key="score_version")
    ver.set_value(next(k for k in ver.options if k.startswith("gcpi-2025@"))).run()
    assert not at.exception
    return at


@pytest.mark.parametrize("fid, period, expected", [
    # demo 2024: 30,000 MWh of GECs without lots (data/facilities/demo-zjk-hyperscale.toml); factors up to 2023
    ("demo-zjk-hyperscale", "2024", ["- 基于位置的电网排放因子：尚未发布 2024 年因子，采用 2023 年因子",
                                     "- 基于市场的剩余电网排放因子：尚未发布 2024 年因子，采用 2023 年因子",
                                     "- 30,000 MWh 绿证未附批次证明（证书编号、生产期、核发市场、核销记录）：不予计入"]),
    # Horinger 2025: 2025-01-01 to 2025-06-30 = 181 days; renewable share tagged proxy
    ("hohhot-helinger-cluster", "2025", ["- 基于位置的电网排放因子：尚未发布 2025 年因子，采用 2023 年因子",
                                         "- 基于市场的剩余电网排放因子：尚未发布 2025 年因子，采用 2023 年因子",
                                         "- 运营阶段评分仅基于 181 天的数据；用于贷款考核需 365 天（12 个月）的实测数据",
                                         "- 代理数据（非设施自身数据）：可再生能源利用比例；结果仅供参考，不可用于贷款考核"]),
    # the hand-made facility: the GEC lot's two reasons, then the declared FP32 peak (the engine's order)
    (NOTES_FID, "2023", ["- 绿证批次 GEC-2023-000002（3,000 MWh）不予计入：生产期 2022-01-01 至 2022-12-31 超出报告期 "
                         "2023-01-01 至 2023-12-31；核发市场 I-REC 不是设施所在市场 CN",
                         "- 算力规模按 FP16 申报；按其申报的 FP32 峰值算力 62,500 TFLOPS 评分（来源：设备技术规格书 FP32 峰值）"]),
])
def test_score_page_engine_notes_in_chinese_from_their_codes(run_as, fid, period, expected):
    """Every engine note of these periods has a code: the zh notes section is the catalogue's sentences with
    the notes' numbers (fmt_num), figure labels and province names, and no caption about English notes."""
    _notes_facility()
    at = _score_page(run_as, fid, period)
    notes = [md.value for md in at.markdown if md.value.startswith("- ")]
    assert notes == expected
    assert not [c for c in at.caption if c.value == "未附中文译文的说明由评分引擎生成（英文原文）。"]


def test_score_page_english_notes_from_the_catalogue(run_as):
    _notes_facility()
    at = _score_page(run_as, NOTES_FID, "2023", "en")
    notes = [md.value for md in at.markdown if md.value.startswith("- ")]
    assert notes == ["- GEC lot GEC-2023-000002 (3,000 MWh) not counted: vintage 2022-01-01 to 2022-12-31 outside the "
                     "reporting period 2023-01-01 to 2023-12-31; market I-REC is not the facility's market CN",
                     "- compute capacity declared at FP16; its declared FP32 peak 62,500 TFLOPS (source: 设备技术规格书 "
                     "FP32 峰值) is scored"]


def test_admin_publishes_an_uploaded_methodology_file_to_an_empty_deal_book(tmp_path, monkeypatch, run_as):
    """A deal book with no methodology: the admin uploads the file to publish (the app reads no file of the
    server's data folder, DESIGN.md §2); the stored version's SHA-256 is the uploaded bytes' own."""
    import hashlib

    from store import open_store

    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    book = open_store(url, migrate=True)
    book.bootstrap_admin("admin")
    book.close()
    monkeypatch.setenv("DCSLL_DATABASE_URL", url)
    monkeypatch.setenv("DCSLL_DEMO", "0")  # a production-like book: nothing seeded
    at = run_as("admin", "app_pages/methodology.py")
    assert not at.exception
    assert at.info[0].value == "No methodology is stored in the deal book yet."
    assert at.button(key="meth_seed").disabled                      # nothing uploaded yet
    content = (Path(__file__).parents[2] / "data" / "methodology" / "gcpi-2024.toml").read_bytes()
    at.file_uploader(key="meth_seed_upload").upload("gcpi-2024.toml", content, "application/toml")
    at.run()
    at.button(key="meth_seed").click().run()
    assert not at.exception and not at.error
    book = open_store(url)
    try:
        (stored,) = book.methodologies()
        assert stored.sha256 == hashlib.sha256(content).hexdigest()
    finally:
        book.close()
