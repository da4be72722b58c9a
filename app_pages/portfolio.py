"""Placeholder, replaced by the portfolio page."""

import streamlit as st

from app_support.i18n import t
from app_support.pages import require

require("app_pages/portfolio.py")
st.title(t("nav.portfolio"))
