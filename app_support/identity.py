"""Who is signed in, and with which role: the one place the app asks (tests replace :func:`current_user`).

Sign-in fails closed. :func:`sign_in_mode` decides, before anything of the deal book is shown:

- **OIDC** through ``st.login`` / ``st.user`` when the secrets (``.streamlit/secrets.toml``, or any file of
  Streamlit's ``secrets.files`` option) hold a complete ``[auth]`` table (:func:`check_auth`); the user's store
  username is the e-mail, and the role comes from the deal book's users (``Store.user``), else from
  ``[dcsll.roles]`` (e-mail → role) in the same file, else :data:`DEFAULT_OIDC_ROLE`.
- **Local demo sign-in** only when asked for explicitly (``DCSLL_DEMO=1``, :data:`DEMO_ENV`), with the server
  bound to the loopback (``--server.address 127.0.0.1``) and a deal book created as a demo
  (:func:`store.demo.claim_demo`): the user picks one of the demo users (:data:`store.demo.DEMO_USERS`) in the
  sidebar and every page shows a banner saying so. No password: for demonstrations on one machine only.
- Otherwise a **stop page** and nothing else (no picker, no data): no sign-in configured, a secrets file that
  does not parse, an ``[auth]`` table missing a key ``st.login`` needs, an auth-like table Streamlit ignores
  (``[Auth]``, ``[oauth]``, …), an unknown role in ``[dcsll.roles]``, ``DCSLL_DEMO`` set to anything but
  ``1``/``0``, demo mode on a non-loopback address, or a deal book that was not created as a demo.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit import auth_util
from streamlit.errors import StreamlitSecretNotFoundError

from app_support.i18n import catalogue, current_language
from app_support.store import app_store
from store.demo import NotADemoDealBook
from store.errors import PermissionDenied

#: roles of DESIGN.md §1 plus the methodology administrator
ROLES: tuple[str, ...] = ("credit_officer", "operator", "verifier", "admin")
#: role of an OIDC user whose e-mail is not in ``[dcsll.roles]``: reads the methodology only
DEFAULT_OIDC_ROLE = "reader"
#: demo identities for the local sign-in: key (the role, or ``<role>_2`` for a second user of it) → (display name,
#: store username of store.demo.DEMO_USERS). The picker shows the name in the page's language (catalogue
#: ``identity.demo_user.<key>``): one language per label keeps it inside the sidebar's select box (issue 17:
#: "演示信贷经…" was cut). The second credit officer approves what the first prepared (maker-checker, issue 12).
DEMO_USERS: dict[str, tuple[str, str]] = {
    "credit_officer": ("Demo credit officer", "credit"),
    "credit_officer_2": ("Second demo credit officer", "credit2"),
    "operator": ("Demo operator", "operator"),
    "verifier": ("Demo verifier", "verifier"),
    "admin": ("Demo administrator", "admin"),
}
#: session-state key of the demo identity picker
DEMO_KEY = "demo_identity"
#: session-state key keeping the demo role picked across language switches (the picker is rebuilt then)
DEMO_ROLE_KEY = "demo_identity_role"
#: environment variable that asks for the local demo sign-in and the demo deal book: "1" (on) or unset/"0"
DEMO_ENV = "DCSLL_DEMO"
#: keys ``st.login()`` (default provider) needs in ``[auth]``: Streamlit's ``validate_auth_credentials``
#: (redirect_uri, cookie_secret; client_id, client_secret, server_metadata_url of the default provider) and its
#: "User authentication" docs (docs.streamlit.io, st.login)
AUTH_KEYS: tuple[str, ...] = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
#: path ``redirect_uri`` must end with (Streamlit's ``get_validated_redirect_uri``)
REDIRECT_PATH = "/oauth2callback"
#: top-level tables that look like a sign-in configuration but that Streamlit ignores (only ``[auth]``,
#: lower-case, configures st.login); compared case-insensitively
AUTH_LIKE_TABLES: tuple[str, ...] = ("auth", "oauth", "oauth2", "oidc", "openid", "openid_connect", "sso",
                                     "login", "authentication")
#: the example secrets file: an [auth] value still equal to its placeholder is refused
SECRETS_EXAMPLE = Path(__file__).resolve().parents[1] / ".streamlit" / "secrets.toml.example"
#: [auth] keys whose example placeholder must be replaced
PLACEHOLDER_KEYS: tuple[str, ...] = ("cookie_secret", "client_secret")
#: host names accepted as the loopback besides loopback IP addresses (127.0.0.0/8, ::1)
LOOPBACK_NAMES: tuple[str, ...] = ("localhost",)


class SignInConfigError(Exception):
    """Sign-in cannot be offered safely; the app shows a stop page with this message.

    Attributes
    ----------
    key : str
        Catalogue key of the message (``identity.err_*``), translated by :func:`app_support.i18n.t`.
    params : dict
        Its placeholders (file, key, value, ...).
    """

    def __init__(self, key: str, message: str, /, **params):
        super().__init__(message)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class User:
    """A signed-in user.

    Attributes
    ----------
    name : str
        Display name.
    role : str
        One of :data:`ROLES` or :data:`DEFAULT_OIDC_ROLE`.
    mode : {"demo", "oidc"}
        How the user signed in.
    username : str
        The user's name in the deal book (``store``), which checks the role again on every write.
    """

    name: str
    role: str
    mode: str = "demo"
    username: str = ""


def secrets_files() -> list[Path]:
    """The secrets files Streamlit reads (option ``secrets.files``: ``~/.streamlit/secrets.toml`` and
    ``.streamlit/secrets.toml`` of the working folder by default), in Streamlit's order."""
    return [Path(p) for p in (st.get_option("secrets.files") or [])]


def read_secrets() -> dict:
    """The merged secrets as a plain dict, ``{}`` when there is no secrets file.

    Raises
    ------
    SignInConfigError
        A secrets file is not valid TOML (the message names the file, line and column), or Streamlit cannot
        read the secrets.
    """

    parsed: dict = {}
    folders = []
    for path in secrets_files():
        if path.is_dir():
            folders.append(path)
        elif path.is_file():
            try:
                parsed.update(tomllib.loads(path.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise SignInConfigError("identity.err_syntax", f"{path}: not valid TOML: {exc}",
                                        file=str(path), detail=str(exc)) from None
    try:
        return st.secrets.to_dict()  # what st.login reads (and what AppTest's ``secrets`` sets)
    except StreamlitSecretNotFoundError as exc:
        theirs = [p for p in map(Path, st.get_option("secrets.files") or []) if p.exists()]
        if folders or theirs:  # something Streamlit is configured to read and cannot: nothing is guessed
            where = ", ".join(map(str, folders or theirs))
            raise SignInConfigError("identity.err_unreadable", f"{where}: the secrets cannot be read: {exc}",
                                    file=where, detail=str(exc)) from None
        return parsed  # no secrets file at all: {}


def _where() -> str:
    files = [str(p) for p in secrets_files() if p.exists()]
    return ", ".join(files) or ".streamlit/secrets.toml"


def _placeholders() -> dict:
    try:
        auth = tomllib.loads(SECRETS_EXAMPLE.read_text(encoding="utf-8")).get("auth", {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return {k: auth[k] for k in PLACEHOLDER_KEYS if k in auth}


def check_auth(secrets: dict) -> dict | None:
    """The ``[auth]`` table of ``secrets`` if it is complete, None if there is none.

    Parameters
    ----------
    secrets : dict
        :func:`read_secrets`.

    Raises
    ------
    SignInConfigError
        An auth-like table other than ``[auth]`` (e.g. ``[Auth]``, ``[oauth]``); ``[auth]`` not a table, missing
        one of :data:`AUTH_KEYS` or with an empty value, a ``redirect_uri`` that is not an absolute http(s) URL
        ending in :data:`REDIRECT_PATH`, a placeholder of the example file left in; a role of ``[dcsll.roles]``
        that is not one of :data:`ROLES` or :data:`DEFAULT_OIDC_ROLE`. Each message names the file and key.
    """
    where = _where()
    for name in secrets:
        if name != "auth" and str(name).lower() in AUTH_LIKE_TABLES:
            raise SignInConfigError(
                "identity.err_auth_like", f"{where}: [{name}] is not read by Streamlit's sign-in; "
                "the table must be called [auth] (lower case)", file=where, table=str(name))
    _check_roles(secrets, where)
    if "auth" not in secrets:
        return None
    auth = secrets["auth"]
    if not isinstance(auth, dict):
        raise SignInConfigError("identity.err_auth_not_table", f"{where}: auth must be a table ([auth])",
                                file=where)
    missing = [k for k in AUTH_KEYS if not str(auth.get(k) or "").strip()]
    if missing:
        keys = ", ".join(f"auth.{k}" for k in missing)
        raise SignInConfigError("identity.err_auth_missing", f"{where}: [auth] lacks {keys} (st.login needs "
                                f"{', '.join(AUTH_KEYS)})", file=where, keys=keys)
    uri = str(auth["redirect_uri"])
    if not (uri.startswith(("https://", "http://")) and uri.endswith(REDIRECT_PATH)):
        raise SignInConfigError("identity.err_redirect", f"{where}: auth.redirect_uri = {uri!r} must be the app's "
                                f"absolute URL ending in {REDIRECT_PATH}", file=where, value=uri, path=REDIRECT_PATH)
    for k, v in _placeholders().items():
        if str(auth.get(k)) == str(v):
            raise SignInConfigError("identity.err_placeholder", f"{where}: auth.{k} is still the placeholder of "
                                    f"{SECRETS_EXAMPLE.name}", file=where, setting=f"auth.{k}")
    return auth


def _check_roles(secrets: dict, where: str) -> None:
    dcsll = secrets.get("dcsll") or {}
    roles = dcsll.get("roles", {}) if isinstance(dcsll, dict) else {}
    if not isinstance(roles, dict):
        raise SignInConfigError("identity.err_roles_table", f"{where}: dcsll.roles must be a table "
                                "(e-mail = role)", file=where)
    allowed = (*ROLES, DEFAULT_OIDC_ROLE)
    for email, role in roles.items():
        if role not in allowed:
            raise SignInConfigError("identity.err_role", f"{where}: dcsll.roles.{email!r} = {role!r} is not one of "
                                    f"{', '.join(allowed)}", file=where, setting=f"dcsll.roles.{email!r}",
                                    value=str(role), allowed=", ".join(allowed))


def demo_requested() -> bool:
    """True if the local demo was asked for: ``DCSLL_DEMO=1``.

    Raises
    ------
    SignInConfigError
        ``DCSLL_DEMO`` is set to anything but ``1``, ``0`` or the empty string (nothing is guessed).
    """
    value = os.environ.get(DEMO_ENV, "")
    if value in ("", "0"):
        return False
    if value == "1":
        return True
    raise SignInConfigError("identity.err_demo_value", f"{DEMO_ENV}={value!r}: use {DEMO_ENV}=1 for the local "
                            "demo, or leave it unset", env=DEMO_ENV, value=value)


def server_address() -> str:
    """The address Streamlit listens on (option ``server.address``; empty: every interface)."""
    return str(st.get_option("server.address") or "")


def is_loopback(address: str) -> bool:
    """True for a loopback address (127.0.0.0/8, ::1) or :data:`LOOPBACK_NAMES`; False for empty (all
    interfaces), 0.0.0.0 and any other address."""
    if address in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def sign_in_mode() -> str:
    """``"oidc"`` or ``"demo"``, checked as the module docstring says.

    Raises
    ------
    SignInConfigError
        Sign-in is broken or not configured, or demo sign-in is asked for on a non-loopback address.
    """
    auth = check_auth(read_secrets())
    demo = demo_requested()
    if auth is not None:
        if not auth_util.is_authlib_installed():
            raise SignInConfigError("identity.err_authlib", "[auth] is configured but Authlib (>= 1.3.2, "
                                    "needed by st.login) is not installed: pip install 'streamlit[auth]'")
        return "oidc"
    if demo:
        address = server_address()
        if not is_loopback(address):
            raise SignInConfigError("identity.err_demo_address", f"{DEMO_ENV}=1 but the server listens on "
                                    f"{address or 'every interface'}; the demo sign-in has no password and runs "
                                    "only with --server.address 127.0.0.1", address=address or "0.0.0.0")
        return "demo"
    raise SignInConfigError("identity.not_configured", "sign-in is not configured: no [auth] table in "
                            f"{_where()} and {DEMO_ENV} is not set", file=_where(), env=DEMO_ENV)


def oidc_configured() -> bool:
    """True when the secrets hold a complete ``[auth]`` table (:func:`check_auth`); False when there is none.

    Raises
    ------
    SignInConfigError
        The secrets are broken (see :func:`check_auth`).
    """
    return check_auth(read_secrets()) is not None


def _oidc_user() -> User | None:
    if not st.user.get("is_logged_in"):
        return None
    email = str(st.user.get("email") or "")
    roles = dict((read_secrets().get("dcsll") or {}).get("roles", {}))
    role = _store_role(email) or roles.get(email, DEFAULT_OIDC_ROLE)
    return User(name=str(st.user.get("name") or email), role=role, mode="oidc", username=email)


def _store_role(username: str) -> str | None:
    """The first of the deal book user's roles (in :data:`ROLES` order), None if not a user there."""

    try:
        roles = app_store().user(username).roles
    except PermissionDenied:
        return None
    return next((r for r in ROLES if r in roles), None)


def demo_name(key: str, lang: str) -> str:
    """Display name of a demo identity (a key of :data:`DEMO_USERS`) in ``lang`` (catalogue
    ``identity.demo_user.<key>``)."""
    return catalogue(lang)[f"identity.demo_user.{key}"]


def demo_role(key: str) -> str:
    """The role of a demo identity: the key itself, or the role before ``_2`` (``credit_officer_2``)."""
    return key if key in ROLES else key.rsplit("_", 1)[0]


def _remember_demo_role() -> None:
    st.session_state[DEMO_ROLE_KEY] = st.session_state[DEMO_KEY]


def _demo_user(label) -> User:
    options = list(DEMO_USERS)
    # The picker's label and choices change with the language, which makes it a new widget whose state
    # Streamlit resets: the role picked is kept apart (DEMO_ROLE_KEY) and put back, so switching the language
    # does not sign the user in as somebody else.
    key = st.session_state.get(DEMO_ROLE_KEY) or st.session_state.get(DEMO_KEY) or options[0]
    if key not in DEMO_USERS:
        key = options[0]
    st.session_state[DEMO_ROLE_KEY] = st.session_state[DEMO_KEY] = key
    lang = current_language()  # bound now: format_func may run outside the script run (AppTest)
    key = st.sidebar.selectbox(label("identity.demo_pick"), options, key=DEMO_KEY, on_change=_remember_demo_role,
                               format_func=lambda k, lang=lang: demo_name(k, lang))
    _, username = DEMO_USERS[key]
    return User(name=demo_name(key, lang), role=demo_role(key), mode="demo", username=username)


def _demo_book() -> None:
    """Open the deal book (seeding a new one with the demo data); refuse one not created as a demo."""

    try:
        app_store()
    except NotADemoDealBook as exc:
        raise SignInConfigError("identity.err_demo_book", str(exc), detail=str(exc)) from None


def stop_page(exc: SignInConfigError, label=lambda k, **f: k) -> None:
    """Draw the page of an app that cannot sign anybody in (title, the reason, how to configure sign-in) and
    stop the script: no picker, no navigation, nothing of the deal book."""
    st.title(label("app.title"))
    st.error(label(exc.key, **exc.params), icon=":material/lock:")
    st.markdown(label("identity.how_to", env=DEMO_ENV))
    st.stop()


def current_user(label=lambda k, **f: k) -> User | None:
    """The signed-in user, drawing the sign-in controls in the sidebar; a stop page when sign-in cannot be
    offered (:func:`sign_in_mode`).

    Parameters
    ----------
    label : callable
        ``label(key, **fmt) -> str`` translating catalogue keys (:func:`app_support.i18n.t`).

    Returns
    -------
    User or None
        None when OIDC is configured and nobody has signed in yet (a sign-in button is shown).
    """
    try:
        mode = sign_in_mode()
        if mode == "demo":
            _demo_book()
    except SignInConfigError as exc:
        stop_page(exc, label)
        return None  # not reached: st.stop()
    if mode == "oidc":
        user = _oidc_user()
        if user is None:
            st.sidebar.button(label("identity.login"), on_click=st.login)
        else:
            st.sidebar.caption(f"{user.name} · {label('role.' + user.role)}")
            st.sidebar.button(label("identity.logout"), on_click=st.logout)
        return user
    return _demo_user(label)
