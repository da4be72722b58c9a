"""Amendments page (credit officers): SLLP recalculation after an acquisition, a disposal, a methodology change
or a restatement (issue 12.5).

Enter the event → :func:`workflows.monitoring.amend_deal` with ``save=False`` shows the threshold test of
:func:`index.baseline.recalculate` (threshold of :func:`index.baseline.recalculation_policy`), the old and new baseline, the SPTs of the
observations not yet verified recalibrated and their ambition checks; saving runs it again with ``save=True``: a
new deal version with the event as its reason (the old version kept, see the History page)."""

import datetime as dt

import streamlit as st

from app_support.evidence import recalc_note
from app_support.i18n import t
from app_support.monitoring import amendment_frames
from app_support.pages import require
from app_support.store import actor, app_store
from app_support.tables import show
from common.errors import InputError
from index.baseline import RecalculationEvent
from store.errors import PermissionDenied, StoreError
from workflows import monitoring as wm

KINDS = ("acquisition", "disposal", "methodology", "restatement")
PREVIEW = "amend_preview"

require("app_pages/amendments.py")
st.title(t("amend.title"))
st.caption(t("amend.intro"))

store = app_store()
me = actor()
deal_ids = store.deal_ids()
if not deal_ids:
    st.info(t("amend.no_deals"))
    st.stop()

c1, c2, c3 = st.columns(3)
deal_id = c1.selectbox(t("amend.deal"), deal_ids, key="am_deal")
kind_of = {t(f"amend.kind.{k}"): k for k in KINDS}   # labels as options (AppTest cannot run a format_func)
kind = kind_of[c2.selectbox(t("amend.event"), list(kind_of), key="am_kind")]
date = c3.date_input(t("amend.date"), value=dt.date.today(), key="am_date")
reason = st.text_input(t("amend.reason"), help=t("amend.reason_help"), key="am_reason").strip()
capacity = hall_pue = None
if kind in ("acquisition", "disposal"):
    c4, c5, c6 = st.columns(3, vertical_alignment="bottom")
    capacity = float(c4.number_input(t("amend.capacity"), value=0.0, step=100.0, format="%.0f", key="am_capacity"))
    if c5.checkbox(t("amend.pro_forma"), help=t("amend.pro_forma_help"), key="am_pro_forma"):
        hall_pue = float(c6.number_input(t("amend.hall_pue"), min_value=1.0, max_value=3.0, value=1.3, step=0.01,
                                         format="%.2f", key="am_hall_pue"))
inputs = (deal_id, kind, date, reason, capacity, hall_pue, store.deal(deal_id).version)


def run(save: bool):
    event = RecalculationEvent(kind=kind, date=date, reason=reason, capacity_change_kw=capacity)
    return wm.amend_deal(store, me, deal_id, event, hall_pue=hall_pue, save=save)


if st.button(t("amend.compute"), type="primary", key="am_compute"):
    if not reason:
        st.warning(t("amend.need_reason"))
    elif kind in ("acquisition", "disposal") and not capacity:
        st.warning(t("amend.need_capacity"))
    else:
        try:
            with st.spinner(t("amend.computing")):
                st.session_state[PREVIEW] = (inputs, run(save=False))
        except InputError as exc:
            st.session_state.pop(PREVIEW, None)
            st.error(t("amend.error", message=str(exc)))

saved = st.session_state.pop("amend_saved", None)   # shown once, after the save
if saved:
    st.success(t("amend.saved", **saved))

preview = st.session_state.get(PREVIEW)
if preview is None:
    st.stop()
if preview[0] != inputs:
    st.info(t("amend.stale"))
    st.stop()
a = preview[1]
frames = amendment_frames(a, t)
note = recalc_note(a.recalculation, t)   # the engine's outcome as a code, worded in the reader's language
if a.triggered:
    st.warning(t("amend.above", note=note))
else:
    st.info(t("amend.below", note=note))
st.subheader(t("amend.threshold_heading"))
show(frames["threshold"], hide_index=True, key="am_threshold")
if not a.triggered:
    st.stop()
st.subheader(t("amend.spts_heading"))
if frames["spts"].empty:
    st.info(t("amend.no_spts"))
else:
    show(frames["spts"], hide_index=True, key="am_spts")
st.subheader(t("amend.checks_heading"))
show(frames["checks"], hide_index=True, key="am_checks")

if st.button(t("amend.save", version=a.old_version + 1), key="am_save"):
    try:
        with st.spinner(t("amend.saving")):
            done = run(save=True)
    except (PermissionDenied, StoreError) as exc:
        st.error(t("amend.store_error", message=str(exc)))
    except InputError as exc:
        st.error(t("amend.error", message=str(exc)))
    else:
        st.session_state.pop(PREVIEW, None)
        st.session_state["amend_saved"] = {"deal": done.deal_id, "old": done.old_version, "new": done.new_version}
        st.rerun()
