"""Placeholder, replaced by the verification page."""

import streamlit as st

from app_support.i18n import t
from app_support.pages import require

require("app_pages/verification.py")
st.title(t("nav.verification"))
