"""History page (credit officers, verifiers, admins): who did what when, per deal or per facility (issue 12.6).

The audit trail (:func:`workflows.monitoring.deal_history` / :func:`~workflows.monitoring.facility_history`),
every figure's reported → verified → restated chain with its evidence (:func:`workflows.monitoring.figure_chain`),
every margin change with its preparer and approver, and the deal versions (an amendment keeps the old one).
Exports: the audit trail as CSV (with the records' before / after content) and everything as one Excel workbook."""

import streamlit as st

from app_support.i18n import t
from app_support.monitoring import history_frames, to_csv, to_xlsx
from app_support.pages import require
from app_support.store import actor, app_store
from app_support.tables import show
from common.errors import InputError
from store.errors import StoreError
from workflows import monitoring as wm

require("app_pages/history.py")
st.title(t("history.title"))
st.caption(t("history.intro"))

store = app_store()
me = actor()
deal_ids = store.deal_ids()
facility_ids = store.facility_ids()
if not deal_ids and not facility_ids:
    st.info(t("history.nothing"))
    st.stop()

scopes = (["deal"] if deal_ids else []) + (["facility"] if facility_ids else [])
c1, c2 = st.columns([1, 3])
labels = {t(f"history.scope_{s}"): s for s in scopes}
scope = labels[c1.radio(t("history.scope"), list(labels), key="hist_scope")]
if scope == "deal":
    which = c2.selectbox(t("history.deal"), deal_ids, key="hist_deal")
else:
    which = c2.selectbox(t("history.facility"), facility_ids, key="hist_facility")

try:
    with st.spinner(t("history.loading")):
        if scope == "deal":
            h = wm.deal_history(store, me, which)
            fac = h.facility_id
        else:
            h = wm.facility_history(store, me, which)
            fac = which
        frames = history_frames(h, wm.figure_chain(store, fac), t)
except (InputError, StoreError) as exc:
    st.error(t("history.error", message=str(exc)))
    st.stop()

tabs = st.tabs([t("history.tab_trail"), t("history.tab_figures"), t("history.tab_changes"),
                t("history.tab_versions")])
for tab, key in zip(tabs, ("trail", "figures", "changes", "versions"), strict=True):
    with tab:
        if frames[key].empty:
            st.info(t("history.empty"))
        else:
            show(frames[key], hide_index=True, key=f"hist_{key}")

d1, d2, d3 = st.columns(3)
d1.download_button(t("history.csv"), h.to_csv().encode("utf-8-sig"), file_name=f"history-{which}.csv",
                   mime="text/csv", key="hist_csv")
d2.download_button(t("history.figures_csv"), to_csv(frames["figures"]), file_name=f"figures-{fac}.csv",
                   mime="text/csv", key="hist_fig_csv")
d3.download_button(t("history.xlsx"), to_xlsx(frames, {k: t(f"history.sheet.{k}") for k in frames}),
                   file_name=f"history-{which}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="hist_xlsx")
