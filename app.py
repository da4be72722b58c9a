"""dcsll Streamlit entry point: sign-in, language, and ``st.navigation`` built from the user's role.

Run from the project root: ``streamlit run app.py``. Pages are thin files under ``app_pages/``.
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
