"""Methodology page (everyone): indicator tree and weights, scoring curves with their sources, AHP, sensitivity."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from app_support.engine import SENSITIVITY_STEP, curve_frame, methodology, sensitivity_table
from app_support.i18n import current_language, name, t
from app_support.pages import USER_KEY, require
from index.errors import InputError
from index.methodology import MAX_CONSISTENCY_RATIO, ahp_weights

require("app_pages/methodology.py")
m = methodology()
lang = current_language()
st.title(t("meth.title"))
st.caption(t("meth.caption", id=m.id, version=m.version, sha=m.sha256[:12]))

# ---------------------------------------------------------------- tree and weights
st.header(t("meth.tree"))
pillars = {n.id: n for n in m.pillars}
criteria = {n.id: n for n in m.criteria}
tree = pd.DataFrame([{
    t("col.pillar"): name(pillars[ind.pillar]), t("col.criterion"): name(criteria[ind.criterion]),
    t("col.indicator"): name(ind), t("col.group"): t("meth.addon") if ind.addon else t("meth.core"),
    t("col.weight"): ind.weight, t("col.unit"): ind.unit, t("col.curve"): ind.curve.type,
} for ind in m.indicators.values()])
st.dataframe(tree, hide_index=True, column_config={
    t("col.weight"): st.column_config.NumberColumn(format="%.3f")})
st.caption(t("meth.addon_note", points=m.addon_max_points))

# ---------------------------------------------------------------- curves
st.header(t("meth.curves"))
ids = list(m.indicators)
iid = st.selectbox(t("col.indicator"), ids, format_func=lambda i: name(m.indicators[i], lang), key=f"meth_curve_{lang}")  # keyed by language: labels change
ind = m.indicators[iid]
st.markdown(f"**{name(ind)}** · {ind.unit} · {ind.definition}")
curves = [(None, ind.curve)] if ind.curve.type != "composite" else [(f"{p[0]} × {p[1]:g}", p[2])
                                                                   for p in ind.curve.parts]
for label, curve in curves:
    if label:
        st.subheader(label)
    df = curve_frame(curve)
    if curve.type in ("piecewise", "steps"):
        chart = alt.Chart(df).mark_line(point=True, interpolate="step-after" if curve.type == "steps"
                                        else "linear").encode(
            x=alt.X("x:Q", title=ind.unit if not label else label.split(" ")[0]),
            y=alt.Y("score:Q", title=t("col.score"), scale=alt.Scale(domain=[0, 100])),
            tooltip=["x", "score", "source"])
    else:
        chart = alt.Chart(df).mark_bar().encode(
            x=alt.X("x:N", title=t("col.item"), sort=None),
            y=alt.Y("score:Q", title=t("col.score"), scale=alt.Scale(domain=[0, 100])),
            tooltip=["x", "score", "source"])
    st.altair_chart(chart)
    st.dataframe(df.rename(columns={"x": t("col.anchor"), "score": t("col.score"), "source": t("col.source")}),
                 hide_index=True)

# ---------------------------------------------------------------- AHP
st.header(t("meth.ahp"))
core_pillars = [p for p in m.pillars if not p.addon]
pw = np.array([sum(i.weight for i in m.indicators.values() if i.pillar == p.id) for p in core_pillars])
labels = [name(p) for p in core_pillars]
st.caption(t("meth.ahp_caption", cr=MAX_CONSISTENCY_RATIO))
can_edit = st.session_state[USER_KEY].role == "admin"
start = pd.DataFrame(pw[:, None] / pw[None, :], index=labels, columns=labels)
edited = st.data_editor(start, disabled=not can_edit, key="ahp_matrix")
if not can_edit:
    st.caption(t("meth.ahp_readonly"))
# The upper triangle is what the user states; the lower one is its reciprocal (Saaty).
a = edited.to_numpy(dtype=float)
upper = np.triu(a, 1)
matrix = upper + np.tril(np.divide(1.0, upper.T, out=np.zeros_like(a), where=upper.T > 0), -1) + np.eye(len(a))
st.caption(t("meth.ahp_upper"))
try:
    w, cr = ahp_weights(matrix)
except InputError as exc:
    st.error(t("meth.ahp_error", reason=exc.message))
else:
    res = pd.DataFrame({t("col.pillar"): labels, t("meth.ahp_weight"): w, t("meth.current_weight"): pw / pw.sum()})
    st.dataframe(res, hide_index=True)
    st.metric(t("meth.cr"), f"{cr:.3f}")

# ---------------------------------------------------------------- sensitivity
st.header(t("meth.sensitivity"))
st.caption(t("meth.sens_caption", step=round(SENSITIVITY_STEP * 100)))
sens = sensitivity_table()
direction = st.radio(t("meth.direction"), [1, -1], horizontal=True, key="sens_dir",
                     format_func=lambda s: f"{'+' if s > 0 else '−'}{round(SENSITIVITY_STEP * 100)} %")
view = sens[sens["direction"] == direction].copy()
view["row"] = view["facility"] + " " + view["period"]
view["indicator"] = view["indicator"].map(lambda i: name(m.indicators[i]))
spread = view.groupby("indicator", sort=False)["delta"].agg(["min", "max"]).reset_index()
st.altair_chart(alt.Chart(spread).mark_bar().encode(
    y=alt.Y("indicator:N", title=t("col.indicator"), sort=None, axis=alt.Axis(labelLimit=260)),
    x=alt.X("min:Q", title=t("meth.delta_range")), x2="max:Q",
    tooltip=["indicator", alt.Tooltip("min:Q", format="+.2f"), alt.Tooltip("max:Q", format="+.2f")]))
pivot = view.pivot(index="row", columns="indicator", values="delta")
st.dataframe(pivot.round(2), key="sens_table")
changed = view[view["grade"] != view["new_grade"]]
st.markdown(t("meth.grade_changes", n=len(changed)))
if len(changed):
    st.dataframe(changed[["row", "indicator", "total", "new_total", "grade", "new_grade"]], hide_index=True)
