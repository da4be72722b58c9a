"""The app scores with the deal book's methodologies (issue 11) and a deal's pinned version and reference bundle
(issue 14, item 1): after an admin publishes a second version of the default methodology with a changed weight,
a deal that pinned the first version keeps its scores on the Facility score and Verification pages, while a
facility scored without a deal (and a deal that pins nothing) moves to the new, current version.

Expected values: the index engine on the shipped facility file and the shipped methodology file (what the deal
pinned), and for the new version the hand relation of a weight move: PUE weight 0.16 → 0.20 and WUE weight
w → w − 0.04 change the total by 0.04 × (PUE score − WUE score) [points] (indicator scores are unchanged).
"""

from __future__ import annotations

import copy
import hashlib
import tomllib
from pathlib import Path

import pytest
import tomli_w

import workflows
from index.engine import score
from index.methodology import load_methodology
from index.models import load_facility
from index.reference import default_bundle

ROOT = Path(__file__).resolve().parents[2]
SCORE = "app_pages/facility_score.py"
VER = "app_pages/verification.py"
SHIPPED_FILE = ROOT / "data/methodology/gcpi-2024.toml"
FACILITY_FILE = ROOT / "data/facilities/demo-zjk-hyperscale.toml"
FID, DEMO_DEAL, PINNED_DEAL, BAD_PIN_DEAL = "demo-zjk-hyperscale", "demo-zjk-sll-2025", "test-pinned", "test-bad-pin"
NEW_VERSION = "2024.2"
#: the weight move published as the new version (core weights still add up to 1)
PUE_W_NEW, WUE_SHIFT = 0.20, 0.04


@pytest.fixture(scope="module")
def book(app_database):
    """The module's demo deal book, opened by the app once, with: the second version of gcpi-2024 published by the
    admin; a copy of the demo deal pinning the shipped version (SHA-256) and the shipped reference bundle; a copy
    pinning a SHA-256 the book does not hold."""
    from streamlit.testing.v1 import AppTest

    from app_support.store import app_store

    AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()  # migrates and seeds the demo book
    store = app_store()
    raw = tomllib.loads(SHIPPED_FILE.read_text(encoding="utf-8"))
    assert raw["indicators"]["pue"]["weight"] == 0.16  # the premise of the hand relation above
    new = copy.deepcopy(raw)
    new["version"] = NEW_VERSION
    new["indicators"]["pue"]["weight"] = PUE_W_NEW
    new["indicators"]["wue"]["weight"] = raw["indicators"]["wue"]["weight"] - WUE_SHIFT
    store.save_methodology("admin", tomli_w.dumps(new).encode("utf-8"))
    shipped_sha = hashlib.sha256(SHIPPED_FILE.read_bytes()).hexdigest()
    doc = store.load_deal_document(DEMO_DEAL)
    for deal_id, sha in ((PINNED_DEAL, shipped_sha), (BAD_PIN_DEAL, "0" * 64)):
        pinned = {**copy.deepcopy(doc), "id": deal_id, "methodology": "gcpi-2024", "methodology_sha256": sha,
                  "reference_sha256": default_bundle().sha256}
        store.save_deal("credit", pinned)
    return store


def _expected(period: str) -> tuple[float, float]:
    """(total under the shipped version, total under the published version) of the facility file's period."""
    r = score(load_facility(FACILITY_FILE), period, load_methodology(SHIPPED_FILE))
    moved = r.total + WUE_SHIFT * (r.indicators["pue"].score - r.indicators["wue"].score)
    return r.total, moved


def _metric(at, label: str) -> float:
    return float(next(m.value for m in at.metric if m.label == label))


def test_the_weight_move_changes_the_total(book):
    """The test means something only when the new version scores the facility differently."""
    old, new = _expected("2024")
    assert abs(new - old) > 0.05


def test_store_source_resolves_pins_in_the_deal_book(book):
    src = workflows.StoreSource(book)
    assert (src.current_methodology_info().id, src.current_methodology_info().version) == ("gcpi-2024", NEW_VERSION)
    meth, ref = src.pinned("gcpi-2024", hashlib.sha256(SHIPPED_FILE.read_bytes()).hexdigest(),
                           default_bundle().sha256)
    assert (meth.version, meth.sha256, ref.sha256) == ("2024.1", load_methodology(SHIPPED_FILE).sha256,
                                                      default_bundle().sha256)
    # the pinned deal's observation results (workflows, as the portfolio and the CLI use them) stay on 2024.1
    deal = src.deal(PINNED_DEAL)
    res = workflows.observation_results(deal, src.facility(FID), src.methodology(), src)
    for label, r in res.items():
        assert r.methodology_version == "2024.1"
        assert r.total == pytest.approx(_expected(label)[0], abs=1e-9)
    unpinned = workflows.observation_results(src.deal(DEMO_DEAL), src.facility(FID), src.methodology(), src)
    for label, r in unpinned.items():
        assert r.methodology_version == NEW_VERSION
        assert r.total == pytest.approx(_expected(label)[1], abs=1e-9)


def test_facility_score_page_pinned_deal_unchanged_unpinned_view_moves(book, run_as):
    old, new = _expected("2024")
    at = run_as("credit_officer", SCORE)
    at.selectbox(key="score_facility_en").set_value(FID).run()
    at.selectbox(key="score_period").set_value("2024").run()
    assert not at.exception and not at.error
    # no deal: the book's current version (the one just published)
    assert at.selectbox(key="score_version").value == f"gcpi-2024@{NEW_VERSION}"
    assert _metric(at, "Total") == pytest.approx(new, abs=0.005)
    assert any(f"reference-data bundle SHA-256 {default_bundle().sha256}" in c.value for c in at.caption)
    # the earlier version of the book, picked on the page
    at.selectbox(key="score_version").set_value("gcpi-2024@2024.1").run()
    assert _metric(at, "Total") == pytest.approx(old, abs=0.005)
    # the pinned deal: its version whatever the picker said
    at.selectbox(key=f"score_deal_{FID}").set_value(PINNED_DEAL).run()
    assert not at.exception and not at.error
    assert _metric(at, "Total") == pytest.approx(old, abs=0.005)
    assert any("pins methodology gcpi-2024@2024.1" in c.value for c in at.caption)
    caption = next(c.value for c in at.caption if "reference-data bundle SHA-256" in c.value)
    assert load_methodology(SHIPPED_FILE).sha256 in caption and default_bundle().sha256 in caption
    # the demo deal pins nothing: the current version
    at.selectbox(key=f"score_deal_{FID}").set_value(DEMO_DEAL).run()
    assert _metric(at, "Total") == pytest.approx(new, abs=0.005)


def test_facility_score_page_names_a_pin_the_book_lacks(book, run_as):
    at = run_as("credit_officer", SCORE)
    at.selectbox(key="score_facility_en").set_value(FID).run()
    at.selectbox(key=f"score_deal_{FID}").set_value(BAD_PIN_DEAL).run()
    assert not at.exception
    assert any("does not hold" in e.value and "0" * 64 in e.value for e in at.error)


def _outcome_total(at, column: str = "Reported") -> float:
    tab = next(d.value for d in at.dataframe if "Item" in d.value.columns).set_index("Item")
    return float(tab[column]["GCPI index [points]"])


def test_verification_page_scores_the_pinned_deal_with_its_version(book, run_as):
    old, new = _expected("2025")
    at = run_as("verifier", VER)
    at.radio(key="ver_scope").set_value("deal").run()
    at.selectbox(key="ver_deal").set_value(PINNED_DEAL).run()
    at.selectbox(key="ver_period").set_value("2025").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _outcome_total(at) == pytest.approx(old, abs=0.005)
    caption = next(c.value for c in at.caption if "Scored with the methodology the deal pins" in c.value)
    assert "gcpi-2024@2024.1" in caption and default_bundle().sha256 in caption
    at.selectbox(key="ver_deal").set_value(DEMO_DEAL).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _outcome_total(at) == pytest.approx(new, abs=0.005)
    assert any(f"current version gcpi-2024@{NEW_VERSION}" in c.value for c in at.caption)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_facility_score_chart_one_colour_per_pillar_and_clean_table(book, run_as, lang):
    """Issue 17: bars per indicator, sorted by contribution, coloured by pillar (the demo's 4 pillars), legend
    labels not cut; the breakdown table has no nan/None/unrounded floats."""
    import json

    from app_support.tables import table_problems

    at = run_as("credit_officer", SCORE, lang)
    assert not at.exception and not at.error
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    bars = spec["layer"][0]
    assert bars["mark"]["type"] == "bar"
    assert bars["encoding"]["color"]["field"] == "pillar"
    assert bars["encoding"]["color"]["legend"]["labelLimit"] == 0
    assert len(bars["encoding"]["color"]["sort"]) == 4  # secure/efficient, green/low-carbon, smart, lifecycle
    assert bars["encoding"]["y"]["field"] == "indicator"
    table = next(d.value for d in at.dataframe if len(d.value) > 10)
    assert not table_problems(table), table_problems(table)
    ind, con = {"zh": ("指标", "贡献 [分]"), "en": ("Indicator", "Contribution [points]")}[lang]
    # the bars' order: every indicator of the table once, by contribution, largest first (shown values rounded)
    order = list(bars["encoding"]["y"]["sort"])
    assert sorted(order) == sorted(table[ind])
    shown = table.set_index(ind)[con]
    assert all(shown[a] >= shown[b] for a, b in zip(order, order[1:], strict=False))
