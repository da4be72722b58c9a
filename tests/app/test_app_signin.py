"""OIDC sign-in through ``st.login`` / ``st.user`` (app_support.identity), with AppTest's ``secrets`` and ``user``.

Nothing here replaces :func:`app_support.identity.current_user`: the app reads ``st.secrets["auth"]`` (OIDC
configured), ``st.user`` (the provider's claims) and the deal book's users, as in production.
"""

from __future__ import annotations

import uuid

import pytest
from conftest import APP, TIMEOUT
from streamlit.testing.v1 import AppTest

#: an [auth] table as Streamlit's "User authentication" docs describe it (never contacted: st.login is not clicked)
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-cookie-secret",
        "client_id": "dcsll-test", "client_secret": "not-a-secret",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}


def _app(user: dict, roles: dict | None = None, lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = AUTH
    at.secrets["dcsll"] = {"roles": roles or {}}
    at.user = user
    at.session_state["lang"] = lang
    return at.run()


def _email(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}@bank.example"


def _sidebar_captions(at: AppTest) -> list[str]:
    return [c.value for c in at.sidebar.caption]


def test_not_signed_in_shows_the_sign_in_button_and_no_page():
    at = _app({"is_logged_in": False})
    assert not at.exception
    assert [b.label for b in at.sidebar.button] == ["Sign in"]
    assert [i.value for i in at.info] == ["Please sign in (sidebar) to continue."]
    assert "demo_identity" not in at.session_state
    assert not at.warning  # no demo banner in OIDC mode


def test_sign_in_button_in_chinese():
    at = _app({"is_logged_in": False}, lang="zh")
    assert [b.label for b in at.sidebar.button] == ["登录"]


def test_deal_book_user_gets_the_store_role_over_secrets():
    from app_support.store import app_store

    email = _email("carol")
    app_store().add_user("admin", email, ["verifier"], display_name="Carol")
    # [dcsll.roles] says credit officer; the deal book (which checks every write) wins.
    at = _app({"is_logged_in": True, "email": email, "name": "Carol"}, roles={email: "credit_officer"})
    assert not at.exception
    assert "Carol · Verifier" in _sidebar_captions(at)
    assert [b.label for b in at.sidebar.button] == ["Sign out"]
    user = at.session_state["dcsll_user"]
    assert (user.role, user.mode, user.username) == ("verifier", "oidc", email)


def test_email_only_in_secrets_gets_that_role():
    email = _email("dave")
    at = _app({"is_logged_in": True, "email": email, "name": "Dave"}, roles={email: "operator"})
    assert "Dave · Operator" in _sidebar_captions(at)
    assert at.session_state["dcsll_user"].role == "operator"


def test_unknown_email_is_a_reader_who_sees_the_methodology_only():
    email = _email("erin")
    at = _app({"is_logged_in": True, "email": email, "name": "Erin"})
    assert not at.exception
    assert "Erin · Reader" in _sidebar_captions(at)
    assert at.session_state["dcsll_user"].role == "reader"
    assert at.title[0].value == "GCPI methodology"  # the only page a reader has
    assert not at.number_input  # and no editing there
    with pytest.raises(ValueError):  # st.navigation did not register other pages
        at.switch_page("app_pages/facility_score.py").run()


def test_demo_admin_username_signed_in_by_oidc_is_admin_and_may_edit():
    """The deal book's ``admin`` user (store.demo) signed in by OIDC gets the admin role and the edit section."""
    at = _app({"is_logged_in": True, "email": "admin", "name": "Admin"})
    assert at.session_state["dcsll_user"].role == "admin"
    at.switch_page("app_pages/methodology.py").run()
    assert "Edit the methodology (administrator)" in [h.value for h in at.header]
