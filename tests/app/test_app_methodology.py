"""Methodology page: renders for every role, AHP weights and CR, sensitivity against a hand calculation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

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
    at.session_state["ahp_matrix"] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}
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
