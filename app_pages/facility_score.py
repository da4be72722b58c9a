"""Facility score page (credit officer; start of the deal designer): one facility-period's GCPI result."""

import altair as alt
import streamlit as st

from app_support.engine import book_facilities, facility_label, indicator_frame, methodology, score_period
from app_support.i18n import catalogue, current_language, name, t
from app_support.methodology_admin import term
from app_support.pages import require
from app_support.store import app_store
from index.errors import InputError

require("app_pages/facility_score.py")
lang = current_language()
cat = catalogue(lang)
m = methodology()
st.title(t("score.title"))

facilities = book_facilities(app_store())  # the deal book, as stored (created and verified in the app included)
if not facilities:
    st.info(t("score.no_facilities"))
    st.stop()
ids = list(facilities)
default = ids.index("demo-zjk-hyperscale") if "demo-zjk-hyperscale" in ids else 0
c1, c2 = st.columns([3, 1])
fid = c1.selectbox(t("score.facility"), ids, index=default, key=f"score_facility_{lang}",  # labels change with language
                   format_func=lambda i: facility_label(facilities[i], lang))
fac = facilities[fid]
periods = [p.label for p in fac.periods]
if not periods:
    st.info(t("score.no_periods", id=fid))
    st.stop()
period = c2.selectbox(t("score.period"), periods, index=len(periods) - 1, key="score_period")
try:
    r = score_period(fac, period)
except InputError as exc:  # a period the engine refuses: say what is wrong, not a traceback
    st.error(t("score.cannot_score", id=fid, period=period, message=str(exc)))
    st.stop()

m1, m2, m3, m4, m5 = st.columns(5)
m1.metric(t("score.total"), f"{r.total:.2f}")
m2.metric(t("score.grade"), term(cat, "grade", r.grade))
m3.metric(t("score.completeness"), f"{r.completeness:.0%}")
m4.metric(t("score.core"), f"{r.core:.2f}")
m5.metric(t("score.addon"), f"{r.addon:.2f}")
if r.grade != r.score_grade:
    st.info(t("score.pue_guard", score_grade=term(cat, "grade", r.score_grade),
              pue_grade=term(cat, "grade", r.pue_grade)))
if r.missing:
    st.warning(t("score.missing", ids="、".join(name(r.indicators[i]) for i in r.missing) if lang == "zh"
                 else ", ".join(name(r.indicators[i]) for i in r.missing)))
st.subheader(t("cfe.score_heading"))  # hourly 24/7 CFE KPIs (issue 15), from interval data
if r.extra.get("cfe_score") is None and r.extra.get("hourly_matched_share") is None:
    st.caption(t("cfe.score_none"))
else:
    k1, k2 = st.columns(2)
    for col, key, label in ((k1, "cfe_score", "cfe.cfe_score"), (k2, "hourly_matched_share", "cfe.hourly_matched")):
        v = r.extra.get(key)
        col.metric(t(label), "—" if v is None else f"{v:.1%}")
gate_text = {g["id"]: g.get(f"message_{lang}") or g.get("message_en", g["id"]) for g in m.gates}
for gate in r.gates:
    if gate in gate_text:
        st.warning(t("score.gate", message=gate_text[gate]))

df = indicator_frame(r, lang)
df["status"] = df["status"].map(lambda v: term(cat, "status", v))
df["unit"] = df["unit"].map(lambda v: term(cat, "unit", v))
st.subheader(t("score.by_pillar"))
chart = alt.Chart(df).mark_bar().encode(
    x=alt.X("contribution:Q", title=t("col.contribution")),
    y=alt.Y("pillar:N", title=t("col.pillar"), sort=None),
    color=alt.Color("indicator:N", title=t("col.indicator")),
    tooltip=[alt.Tooltip("indicator", title=t("col.indicator")), alt.Tooltip("score", title=t("col.score"), format=".1f"),
             alt.Tooltip("weight", title=t("col.weight"), format=".3f"),
             alt.Tooltip("contribution", title=t("col.contribution"), format=".2f")])
st.altair_chart(chart)

st.subheader(t("score.breakdown"))
cols = {"pillar": t("col.pillar"), "criterion": t("col.criterion"), "indicator": t("col.indicator"),
        "raw_value": t("col.raw_value"), "unit": t("col.unit"), "score": t("col.score"),
        "weight": t("col.weight"), "contribution": t("col.contribution"), "status": t("col.status"),
        "source": t("col.source")}
st.dataframe(df.drop(columns="id").rename(columns=cols), hide_index=True, column_config={
    t("col.score"): st.column_config.NumberColumn(format="%.1f"),
    t("col.weight"): st.column_config.NumberColumn(format="%.3f"),
    t("col.contribution"): st.column_config.NumberColumn(format="%.2f")})
if r.notes:
    with st.expander(t("score.notes")):
        if lang == "zh":
            st.caption(t("score.notes_lang"))
        for n in r.notes:
            st.markdown(f"- {n}")
