"""Who is signed in, and with which role: the one place the app asks (tests replace :func:`current_user`).

Two modes:

- **OIDC** through ``st.login`` / ``st.user`` when ``.streamlit/secrets.toml`` has an ``[auth]`` table;
  the user's store username is the e-mail, and the role comes from the deal book's users (``Store.user``),
  else from ``[dcsll.roles]`` (e-mail → role) in the same file, else :data:`DEFAULT_OIDC_ROLE`.
- **Local demo sign-in** otherwise: the user picks one of the deal book's demo users
  (:data:`store.demo.DEMO_USERS`) in the sidebar and every page shows a banner saying so. No password,
  nothing to protect: for demonstrations and development only.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

#: roles of DESIGN.md §1 plus the methodology administrator
ROLES: tuple[str, ...] = ("credit_officer", "operator", "verifier", "admin")
#: role of an OIDC user whose e-mail is not in ``[dcsll.roles]``: reads the methodology only
DEFAULT_OIDC_ROLE = "reader"
#: demo identities for the local sign-in: role → (display name, store username of store.demo.DEMO_USERS)
DEMO_USERS: dict[str, tuple[str, str]] = {
    "credit_officer": ("Demo credit officer / 演示信贷经理", "credit"),
    "operator": ("Demo operator / 演示运营方", "operator"),
    "verifier": ("Demo verifier / 演示核查机构", "verifier"),
    "admin": ("Demo administrator / 演示管理员", "admin"),
}
#: session-state key of the demo identity picker
DEMO_KEY = "demo_identity"


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


def oidc_configured() -> bool:
    """True when ``st.secrets`` has an ``[auth]`` table (so ``st.login`` can work).

    A missing or unreadable secrets file means no OIDC (local demo sign-in).
    """
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all: Streamlit raises its own not-found error
        return False


def _oidc_user() -> User | None:
    if not st.user.get("is_logged_in"):
        return None
    email = str(st.user.get("email") or "")
    try:
        roles = dict(st.secrets.get("dcsll", {}).get("roles", {}))
    except Exception:
        roles = {}
    role = _store_role(email) or roles.get(email, DEFAULT_OIDC_ROLE)
    return User(name=str(st.user.get("name") or email), role=role, mode="oidc", username=email)


def _store_role(username: str) -> str | None:
    """The first of the deal book user's roles (in :data:`ROLES` order), None if not a user there."""
    from app_support.store import app_store
    from store.errors import PermissionDenied

    try:
        roles = app_store().user(username).roles
    except PermissionDenied:
        return None
    return next((r for r in ROLES if r in roles), None)


def _demo_user(label) -> User:
    options = list(DEMO_USERS)
    key = st.session_state.get(DEMO_KEY, options[0])
    if key not in DEMO_USERS:
        key = options[0]
    key = st.sidebar.selectbox(label("identity.demo_pick"), options, index=options.index(key),
                               format_func=lambda k: DEMO_USERS[k][0], key=DEMO_KEY)
    name, username = DEMO_USERS[key]
    return User(name=name, role=key, mode="demo", username=username)


def current_user(label=lambda k: k) -> User | None:
    """The signed-in user, drawing the sign-in controls in the sidebar.

    Parameters
    ----------
    label : callable
        ``label(key) -> str`` translating catalogue keys (:func:`app_support.i18n.t`).

    Returns
    -------
    User or None
        None when OIDC is configured and nobody has signed in yet (a sign-in button is shown).
    """
    if oidc_configured():
        user = _oidc_user()
        if user is None:
            st.sidebar.button(label("identity.login"), on_click=st.login)
        else:
            st.sidebar.caption(f"{user.name} · {label('role.' + user.role)}")
            st.sidebar.button(label("identity.logout"), on_click=st.logout)
        return user
    return _demo_user(label)
