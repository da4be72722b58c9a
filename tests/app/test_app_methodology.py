"""Methodology page: renders for every role, AHP weights and CR, sensitivity against a hand calculation."""

from __future__ import annotations

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
