"""Score page, data submission page and role-based navigation, through AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from index.engine import score
from index.models import load_facility

ROOT = Path(__file__).resolve().parents[2]
SCORE = "app_pages/facility_score.py"
UPLOAD = "app_pages/data_submission.py"
METH = "app_pages/methodology.py"
DEAL = "app_pages/deal_designer.py"
PORT = "app_pages/portfolio.py"
SIM = "app_pages/simulator.py"
VER = "app_pages/verification.py"
ALL = {SCORE, UPLOAD, METH, DEAL, PORT, SIM, VER}
#: pages each role must reach (issue 7); every other page must be out of its reach
REACH = {
    "credit_officer": {PORT, DEAL, SCORE, SIM, METH},
    "operator": {SIM, UPLOAD, METH},
    "verifier": {VER, METH},
    "reader": {METH},
    "admin": {PORT, DEAL, SCORE, SIM, UPLOAD, METH},
}
ALLOWED = {role: (pages, ALL - pages) for role, pages in REACH.items()}


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_score_page_matches_engine_for_demo_2024(run_as, methodology):
    at = run_as("credit_officer", SCORE)
    assert not at.exception
    at.selectbox(key="score_facility_en").set_value("demo-zjk-hyperscale").run()
    at.selectbox(key="score_period").set_value("2024").run()
    # The engine, called here on the facility file directly.
    expected = score(load_facility(ROOT / "data/facilities/demo-zjk-hyperscale.toml"), "2024", methodology)
    assert float(_metric(at, "Total")) == pytest.approx(expected.total, abs=0.005)
    assert _metric(at, "Grade") == expected.grade
    assert _metric(at, "Completeness") == f"{expected.completeness:.0%}"
    table = next(d.value for d in at.dataframe if "Contribution [points]" in d.value.columns)
    assert len(table) == len(expected.indicators)
    # each contribution is shown to 2 decimals (app_support.tables): the sum is within n × 0.005 of the total
    assert table["Contribution [points]"].sum() == pytest.approx(expected.total, abs=0.005 * len(table))


def test_score_page_demo_2024_pue_row_from_the_file(run_as):
    """PUE 2024 of the demo facility from its metered energies (file figures), shown on the page."""
    at = run_as("credit_officer", SCORE)
    at.selectbox(key="score_facility_en").set_value("demo-zjk-hyperscale").run()
    at.selectbox(key="score_period").set_value("2024").run()
    table = next(d.value for d in at.dataframe if "Raw value" in d.value.columns)
    pue_row = table[table["Indicator"] == "Power usage effectiveness (PUE)"].iloc[0]
    assert pue_row["Raw value"] == f"{395385408 / 326764800:.4g}"  # "1.21"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_every_allowed_page_renders(run_as, role, lang):
    allowed, _ = ALLOWED[role]
    for page in sorted(allowed):
        at = run_as(role, page, lang)
        assert not at.exception, (role, page, at.exception)
        assert not at.error or page == METH, [e.value for e in at.error]


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_wrong_role_cannot_reach_page(run_as, role):
    _, forbidden = ALLOWED[role]
    for page in sorted(forbidden):
        with pytest.raises(ValueError):  # st.navigation did not register the page for this role
            run_as(role, page)


@pytest.mark.parametrize("page", [SCORE, DEAL, UPLOAD])
def test_page_guard_refuses_wrong_role_even_when_run_directly(monkeypatch, page):
    """The second lock: a page file run with a user of another role stops with an error."""
    from app_support import identity
    from app_support.pages import USER_KEY

    at = AppTest.from_file(str(ROOT / page), default_timeout=30)
    at.session_state["lang"] = "en"
    at.session_state[USER_KEY] = identity.User("intruder", "verifier")
    at.run()
    assert [e.value for e in at.error] == ["Your role may not open this page."]
    assert not at.title


def test_demo_sign_in_banner_and_role_pick():
    """Without OIDC secrets the real identity helper offers demo identities and shows the banner."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["lang"] = "en"
    at.session_state["demo_identity"] = "operator"
    at.run()
    assert not at.exception
    assert any(w.value.startswith("Local demo sign-in") for w in at.warning)
    assert at.title[0].value == "Target-path simulator"  # the operator's first page (app_support.pages)


def test_oidc_configured_and_signed_out_shows_sign_in_only():
    """With an [auth] table in the secrets the demo picker is gone and nothing but the sign-in is offered."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test",
                          "client_id": "x", "client_secret": "y",
                          "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert [b.label for b in at.sidebar.button] == ["Sign in"]
    assert not at.selectbox  # no demo identity picker
    assert at.info[0].value == "Please sign in (sidebar) to continue."
    assert not any(w.value.startswith("Local demo sign-in") for w in at.warning)
