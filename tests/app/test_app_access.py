"""Sign-in fails closed (issue 13, Access): every broken or missing sign-in configuration gives a stop page with
no demo picker, no navigation and nothing of the deal book; the demo picker only with ``DCSLL_DEMO=1``.

The real :func:`app_support.identity.current_user` runs here (nothing replaces it). The conftest puts every app
test module in demo mode; the tests that need it off delete ``DCSLL_DEMO``. Secrets come from ``at.secrets``
(Streamlit's own injection) or, for the file cases, from a file in a temp folder that ``secrets_files`` points
to. The expected messages are the catalogue's English text with the file and key of the case written out.
"""

from __future__ import annotations

import pytest
from conftest import APP, TIMEOUT
from streamlit.testing.v1 import AppTest

#: a complete [auth] table (Streamlit's "User authentication" docs: redirect_uri, cookie_secret, client_id,
#: client_secret, server_metadata_url); the IdP is never contacted
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "a-test-cookie-secret-0123456789",
        "client_id": "dcsll-test", "client_secret": "not-a-secret",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}
APP_TITLE = "dcsll · Green computing-power sustainability-linked loans"
#: the four roles of the demo picker (app_support.identity.DEMO_USERS, docs/app.md; the credit officer twice)
DEMO_ROLES = ["credit_officer", "operator", "verifier", "admin"]


@pytest.fixture
def secrets_file(tmp_path, monkeypatch):
    """``write(text)`` → the path of a secrets file that is the app's only secrets file."""
    from app_support import identity

    path = tmp_path / "secrets.toml"
    monkeypatch.setattr(identity, "secrets_files", lambda: [path])

    def write(text: str):
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def fresh_book(tmp_path, monkeypatch):
    """A database URL nobody has opened yet (the test checks afterwards what the app wrote into it)."""
    path = tmp_path / "fresh.sqlite"
    monkeypatch.setenv("DCSLL_DATABASE_URL", f"sqlite:///{path}")
    return path


def _run(secrets: dict | None = None, lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in (secrets or {}).items():
        at.secrets[k] = v
    at.session_state["lang"] = lang
    return at.run()


def _assert_stopped(at: AppTest, message: str) -> None:
    """The stop page: the app title, ``message`` as the only error, the how-to; no picker, no page, no button."""
    assert not at.exception
    assert [e.value for e in at.error] == [message]
    assert [t.value for t in at.title] == [APP_TITLE]
    assert not at.sidebar.selectbox and not at.selectbox  # no demo identity picker
    assert not at.sidebar.button  # no sign-in button either
    assert not at.warning  # no demo banner
    assert "dcsll_user" not in at.session_state or at.session_state["dcsll_user"] is None
    assert any("How to sign in" in m.value and "DCSLL_DEMO=1" in m.value and "--server.address 127.0.0.1" in m.value
               for m in at.markdown)


def test_secrets_file_with_a_syntax_error_stops_even_in_demo_mode(secrets_file):
    path = secrets_file('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\ncookie_secret = \n')
    at = _run()
    err = at.error[0].value
    assert err.startswith(f"The secrets file {path} is not valid TOML (")
    assert "line 3" in err  # tomllib's position of the missing value
    _assert_stopped(at, err)


def test_secrets_file_with_a_syntax_error_stops_without_demo_mode(secrets_file, monkeypatch):
    monkeypatch.delenv("DCSLL_DEMO")
    path = secrets_file("[dcsll.roles\n")
    at = _run()
    assert at.error and at.error[0].value.startswith(f"The secrets file {path} is not valid TOML (")
    _assert_stopped(at, at.error[0].value)


@pytest.mark.parametrize("table", ["Auth", "oauth", "AUTH", "oidc"])
def test_an_auth_like_table_other_than_auth_stops(table):
    at = _run({table: AUTH})
    _assert_stopped(at, f".streamlit/secrets.toml: the table [{table}] is not read by Streamlit's sign-in. "
                        "Rename it to [auth] (lower case) with the keys of .streamlit/secrets.toml.example, or "
                        "remove it.")


def test_an_auth_like_table_in_a_file_names_the_file(secrets_file):
    path = secrets_file('[oauth]\nclient_id = "x"\n')
    at = _run()
    assert at.error[0].value.startswith(f"{path}: the table [oauth] is not read by Streamlit's sign-in.")
    _assert_stopped(at, at.error[0].value)


def test_a_partial_auth_table_stops_naming_the_missing_keys():
    partial = {k: v for k, v in AUTH.items() if k not in ("client_secret", "server_metadata_url")}
    at = _run({"auth": partial})
    _assert_stopped(at, ".streamlit/secrets.toml: the [auth] table lacks auth.client_secret, "
                        "auth.server_metadata_url. st.login needs redirect_uri, cookie_secret, client_id, "
                        "client_secret and server_metadata_url (see .streamlit/secrets.toml.example).")


def test_an_empty_auth_value_counts_as_missing():
    at = _run({"auth": dict(AUTH, cookie_secret="  ")})
    assert at.error[0].value.startswith(".streamlit/secrets.toml: the [auth] table lacks auth.cookie_secret.")


def test_a_redirect_uri_without_oauth2callback_stops():
    at = _run({"auth": dict(AUTH, redirect_uri="http://localhost:8501/")})
    _assert_stopped(at, ".streamlit/secrets.toml: auth.redirect_uri = http://localhost:8501/ must be the app's "
                        "absolute URL ending in /oauth2callback.")


def test_the_example_placeholder_cookie_secret_stops():
    # the value shipped in .streamlit/secrets.toml.example
    at = _run({"auth": dict(AUTH, cookie_secret="change-me-to-a-long-random-string")})
    _assert_stopped(at, ".streamlit/secrets.toml: auth.cookie_secret is still the placeholder of "
                        ".streamlit/secrets.toml.example; set your own value.")


def test_an_unknown_role_in_dcsll_roles_stops():
    at = _run({"auth": AUTH, "dcsll": {"roles": {"eve@bank.example": "superuser"}}})
    _assert_stopped(at, ".streamlit/secrets.toml: dcsll.roles.'eve@bank.example' = superuser is not a role; use "
                        "one of credit_officer, operator, verifier, admin, reader.")


def test_no_secrets_and_no_demo_flag_stops_and_touches_no_database(monkeypatch, fresh_book):
    monkeypatch.delenv("DCSLL_DEMO")
    at = _run()
    _assert_stopped(at, "Sign-in is not configured: there is no [auth] table in .streamlit/secrets.toml and "
                        "DCSLL_DEMO is not set, so the app shows nothing.")
    assert not fresh_book.exists()  # no deal book opened, nothing seeded


def test_stop_page_in_chinese(monkeypatch):
    monkeypatch.delenv("DCSLL_DEMO")
    at = _run(lang="zh")
    assert [e.value for e in at.error] == ["尚未配置登录：.streamlit/secrets.toml 中没有 [auth] 表，且未设置 DCSLL_DEMO，"
                                           "因此应用不显示任何内容。"]
    assert not at.sidebar.selectbox


@pytest.mark.parametrize("value", ["yes", "true", "2"])
def test_a_demo_flag_other_than_1_stops(monkeypatch, value):
    monkeypatch.setenv("DCSLL_DEMO", value)
    at = _run()
    _assert_stopped(at, f"DCSLL_DEMO={value}: set DCSLL_DEMO=1 for the local demo, or leave it unset.")


def test_demo_flag_gives_the_picker_and_the_banner(fresh_book):
    at = _run()
    assert not at.exception and not at.error
    picker = at.sidebar.selectbox[0]
    assert picker.label == "Demo identity" and picker.options == [  # the page's language (issue 17: not cut)
        "Demo credit officer", "Demo credit officer 2", "Demo operator", "Demo verifier", "Demo administrator"]
    assert [w.value for w in at.warning][0].startswith("Local demo sign-in: no password")
    user = at.session_state["dcsll_user"]
    assert (user.mode, user.role, user.username) == ("demo", "credit_officer", "credit")
    # the second credit officer (maker-checker, issue 12) is another user with the same role
    at.sidebar.selectbox[0].set_value("credit_officer_2").run()
    user = at.session_state["dcsll_user"]
    assert (user.role, user.username) == ("credit_officer", "credit2") and not at.exception
    # the new deal book was created as a demo and seeded
    from store import open_store
    from store.demo import created_as_demo

    st = open_store(f"sqlite:///{fresh_book}")
    try:
        assert created_as_demo(st) and st.deal_ids()
    finally:
        st.close()


@pytest.mark.parametrize("address", ["", "0.0.0.0", "192.168.1.20", "::"])
def test_demo_flag_on_a_non_loopback_address_stops(monkeypatch, fresh_book, address):
    from app_support import identity

    monkeypatch.setattr(identity, "server_address", lambda: address)
    at = _run()
    _assert_stopped(at, f"The local demo sign-in was asked for, but the server listens on {address or '0.0.0.0'}. "
                        "The demo sign-in has no password and runs only on this machine: start it with "
                        "--server.address 127.0.0.1.")
    assert not fresh_book.exists()


@pytest.mark.parametrize("address,loopback", [("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True),
                                              ("::1", True), ("[::1]", True), ("", False), ("0.0.0.0", False),
                                              ("::", False), ("10.0.0.1", False), ("example.com", False)])
def test_is_loopback(address, loopback):
    from app_support.identity import is_loopback

    assert is_loopback(address) is loopback


def test_demo_flag_on_a_production_deal_book_stops_and_writes_nothing(fresh_book):
    from store import open_store
    from store.errors import PermissionDenied

    st = open_store(f"sqlite:///{fresh_book}", migrate=True)
    st.bootstrap_admin("alice@bank.example")
    n = st.audit_count()
    st.close()
    at = _run()
    err = at.error[0].value
    assert err.startswith(f"Local demo sign-in refused: the deal book sqlite:///{fresh_book} was not created as a "
                          "demo deal book (1 audit rows, 1 users; its first audit row is user.bootstrap")
    _assert_stopped(at, err)
    st = open_store(f"sqlite:///{fresh_book}")
    try:
        assert st.audit_count() == n and st.deal_ids() == [] and st.facility_ids() == []
        with pytest.raises(PermissionDenied):
            st.user("admin")  # no password-less demo admin
    finally:
        st.close()


def test_valid_auth_wins_over_the_demo_flag_no_picker():
    at = _run({"auth": AUTH})
    assert not at.exception and not at.error
    assert [b.label for b in at.sidebar.button] == ["Sign in"]
    assert not at.sidebar.selectbox and not at.warning


def test_secrets_streamlit_cannot_read_stop_naming_the_file(tmp_path, monkeypatch):
    """A secrets file Streamlit is configured to read but cannot (its own error) is not guessed around."""
    from streamlit.errors import StreamlitSecretNotFoundError

    from app_support import identity

    f = tmp_path / "secrets.toml"
    f.write_text('[auth]\nclient_id = "x"\n', encoding="utf-8")

    class Unreadable:
        def to_dict(self):
            raise StreamlitSecretNotFoundError("Invalid secrets path: {path}", path=str(f))

    monkeypatch.setattr(identity, "secrets_files", lambda: [f])
    monkeypatch.setattr(identity.st, "secrets", Unreadable())
    monkeypatch.setattr(identity.st, "get_option", lambda key: [str(f)] if key == "secrets.files" else None)
    with pytest.raises(identity.SignInConfigError) as err:
        identity.read_secrets()
    assert err.value.key == "identity.err_unreadable"
    assert str(err.value) == f"{f}: the secrets cannot be read: Invalid secrets path: {f}"


def test_auth_without_authlib_stops(monkeypatch):
    """st.login needs Authlib (streamlit[auth]); without it the sign-in button would only raise."""
    import streamlit.auth_util

    monkeypatch.setattr(streamlit.auth_util, "is_authlib_installed", lambda: False)
    at = _run({"auth": AUTH})
    _assert_stopped(at, "[auth] is configured but Authlib, which st.login needs, is not installed: "
                        "pip install 'streamlit[auth]'.")
