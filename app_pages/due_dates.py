"""Due dates page (credit officers): the observation calendar of every deal (issue 12.1).

Per deal each observation date with the KPI report due date and the compliance certificate due date
(:func:`workflows.monitoring.due` → :func:`finance.monitoring.due_items`), the next ``days`` days (default
``[monitoring] due_view_days`` of :func:`finance.conventions.conventions`), overdue rows in red, and the iCalendar (.ics) export of
those dates (:func:`finance.monitoring.to_ics`, the ``icalendar`` library; the same as ``dcsll due --ics``)."""

import datetime as dt

import streamlit as st

from app_support.i18n import t
from app_support.monitoring import due_frame, overdue_style
from app_support.pages import require
from app_support.store import app_store
from common.errors import InputError
from finance.conventions import conventions
from finance.monitoring import to_ics
from store.errors import StoreError
from workflows import monitoring as wm

require("app_pages/due_dates.py")
st.title(t("due.title"))
st.caption(t("due.intro"))

store = app_store()
c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")
as_of = c1.date_input(t("due.as_of"), value=dt.date.today(), key="due_as_of")
days = int(c2.number_input(t("due.days"), min_value=0, max_value=3650, step=30, key="due_days",
                           value=int(conventions().raw["monitoring"]["due_view_days"])))
every = c3.checkbox(t("due.all"), key="due_all")

try:
    with st.spinner(t("due.loading")):
        items = wm.due(store, as_of, days, all_dates=every)
except (InputError, StoreError) as exc:
    st.error(t("due.error", message=str(exc)))
    st.stop()

if not items:
    st.info(t("due.none", days=days))
    st.stop()
frame, overdue = due_frame(items, t)
if any(overdue):
    st.warning(t("due.overdue_count", n=sum(overdue)), icon=":material/warning:")
st.caption(t("due.count", n=len(items)))
st.dataframe(overdue_style(frame, overdue), hide_index=True, key="due_table")
st.download_button(t("due.ics"), to_ics(items), file_name=f"dcsll-due-{as_of.isoformat()}.ics",
                   mime="text/calendar", help=t("due.ics_help"), key="due_ics")
