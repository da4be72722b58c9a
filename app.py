"""dcsll Streamlit entry point: sign-in, language, and ``st.navigation`` built from the user's role.

Run from the project root: ``streamlit run app.py`` (OIDC sign-in, ``[auth]`` in ``.streamlit/secrets.toml``) or
``DCSLL_DEMO=1 streamlit run app.py --server.address 127.0.0.1`` (local demo). Without either, or with a broken
sign-in configuration, :func:`app_support.identity.current_user` shows a stop page and nothing else (docs/app.md,
Sign-in). Pages are thin files under ``app_pages/``.
"""

import streamlit as st

from app_support import identity
from app_support.i18n import language_switch, t
from app_support.pages import USER_KEY, pages_for

st.set_page_config(page_title="dcsll · GCPI", page_icon=":material/eco:", layout="wide")
language_switch()
user = identity.current_user(t)
st.session_state[USER_KEY] = user
if user is None:
    st.title(t("app.title"))
    st.info(t("identity.please_login"))
    st.stop()
if user.mode == "demo":
    st.warning(t("identity.demo_banner"), icon=":material/badge:")
pages = [st.Page(p.path, title=t(p.title_key), icon=p.icon) for p in pages_for(user.role)]
st.navigation(pages).run()
