"""Placeholder, replaced by the simulator page."""

import streamlit as st

from app_support.i18n import t
from app_support.pages import require

require("app_pages/simulator.py")
st.title(t("nav.simulator"))
