"""Margin changes page (credit officers): the monitoring loop's maker-checker (issue 12).

Every deal's margin changes computed from its record (:func:`workflows.margin_changes`): prepare what the record
gives (maker), approve or reject what another credit officer prepared (checker: the store refuses the preparer),
and download the notice of an approved change for loan operations. Reported-only results are listed as
indicative; they never change the margin in force."""

import datetime as dt

import pandas as pd
import streamlit as st

import workflows
from app_support.i18n import t
from app_support.pages import require
from app_support.store import actor, app_store
from app_support.tables import show
from common.errors import InputError
from common.text import MISSING, fmt_date
from store.errors import PermissionDenied, StoreError

require("app_pages/margin_changes.py")
st.title(t("margin.title"))
st.caption(t("margin.intro"))

store = app_store()
me = actor()
as_of = st.date_input(t("margin.as_of"), value=dt.date.today(), key="mc_as_of")
deal_ids = store.deal_ids()
if not deal_ids:
    st.info(t("margin.no_deals"))
    st.stop()
deal_id = st.selectbox(t("margin.deal"), deal_ids, key="mc_deal")
source = workflows.StoreSource(store)
try:
    deal = source.deal(deal_id)
    views = workflows.margin_changes(store, deal, as_of)
except InputError as exc:
    st.error(str(exc))
    st.stop()

rows = [{
    t("margin.col.observation"): fmt_date(v.change.observation_date), t("margin.col.kind"): t(f"margin.kind.{v.change.kind}"),
    t("margin.col.effective"): fmt_date(v.change.effective_date), t("margin.col.before"): v.change.margin_before_bp,
    t("margin.col.after"): v.change.margin_after_bp, t("margin.col.state"): t(f"margin.state.{v.state}"),
    t("margin.col.prepared_by"): v.record.prepared_by if v.record else "",
    t("margin.col.decided_by"): (v.record.decided_by or "") if v.record else "",
    t("margin.col.id"): str(v.record.id) if v.record else MISSING,  # ids as text: no "3.0" beside a "—"
} for v in views]
if rows:
    show(pd.DataFrame(rows), hide_index=True, key="mc_table")
else:
    st.info(t("margin.none"))

if any(v.state in ("to_prepare", "rejected") for v in views):
    if st.button(t("margin.prepare"), key="mc_prepare"):
        try:
            made = workflows.prepare_changes(store, me, deal_id, as_of=as_of)
        except (PermissionDenied, StoreError, InputError) as exc:
            st.error(str(exc))
        else:
            st.success(t("margin.prepared", n=len(made)))
            st.rerun()

for v in views:
    r = v.record
    if r is None or v.state != "prepared":
        continue
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    c1.write(t("margin.pending", id=r.id, kind=t(f"margin.kind.{r.kind}"), before=r.margin_before_bp, after=r.margin_after_bp,
               date=r.effective_date, who=r.prepared_by))
    if c2.button(t("margin.approve"), key=f"mc_approve_{r.id}", disabled=r.prepared_by == me,
                 help=t("margin.four_eyes") if r.prepared_by == me else None):
        try:
            workflows.approve(store, me, r.id)
        except (PermissionDenied, StoreError) as exc:
            st.error(str(exc))
        else:
            st.rerun()
    reason = c3.text_input(t("margin.reject_reason"), key=f"mc_reason_{r.id}")
    if c3.button(t("margin.reject"), key=f"mc_reject_{r.id}", disabled=r.prepared_by == me or not reason.strip()):
        try:
            workflows.reject(store, me, r.id, reason=reason)
        except (PermissionDenied, StoreError, InputError) as exc:
            st.error(str(exc))
        else:
            st.rerun()

# notices: one per approved change, kept in the deal book; each downloads again at any time
kept = store.notices(deal_id)
noticed = {n.change_id for n in kept}
for obs in sorted({v.change.observation_date for v in views if v.state == "approved" and v.record is not None
                   and v.record.id not in noticed}):
    if st.button(t("margin.notice", date=obs), key=f"mc_notice_{obs}"):
        try:
            with st.spinner(t("margin.notice_making")):
                workflows.notice(store, me, deal_id, obs, as_of=as_of, only_new=True)
        except (PermissionDenied, StoreError, InputError) as exc:
            st.error(str(exc))
        else:
            st.rerun()
if kept:
    st.subheader(t("margin.notices"))
for n in kept:
    st.download_button(t("margin.download", id=n.notice_id), store.notice_pdf(n.id),
                       file_name=f"{n.notice_id}.pdf", mime="application/pdf", on_click="ignore",
                       key=f"mc_dl_{n.id}")
