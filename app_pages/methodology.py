"""Methodology page (everyone reads, the admin edits).

Sections: version picker (the deal book's stored versions only, with SHA-256; the current one first chosen), indicator tree and weights, scoring curves
with their sources, AHP, sensitivity (±20 % per weight), the admin's edit (weights, point-curve anchors →
checks → old-vs-new preview → saved as a new version) and the stored versions with their SHA-256.
"""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from app_support import methodology_admin as ma
from app_support.engine import SENSITIVITY_STEP, current_key, curve_frame
from app_support.i18n import catalogue, current_language, name, t
from app_support.pages import USER_KEY, require
from app_support.store import actor, app_store
from app_support.tables import display_frame, show
from index.errors import InputError
from index.methodology import MAX_CONSISTENCY_RATIO, ahp_weights
from index.reference import default_bundle
from store.errors import PermissionDenied

require("app_pages/methodology.py")
lang = current_language()
cat = catalogue(lang)
is_admin = st.session_state[USER_KEY].role == "admin"
#: session-state prefix of the admin's edit (reset when the methodology shown changes, e.g. after a save)
EDIT = "madm_"


def _gen_key(key: str) -> str:
    """``key`` for the current edit generation: table editors get a new key on every reset, so the browser
    drops their old edits (the first generation keeps the plain key)."""
    gen = st.session_state.get(f"{EDIT}gen", 1)
    return key if gen == 1 else f"{key}_{gen}"


def _term(kind: str, value: str) -> str:
    return ma.term(cat, kind, value)


st.title(t("meth.title"))

# ---------------------------------------------------------------- which methodology (the deal book's versions)
stored = app_store().methodologies()
if not stored:
    st.info(t("meth.stored_none"))
    if is_admin:  # a fresh deal book: the admin uploads the methodology file to publish (the app reads no
        # file of the server's data folder: DESIGN.md §2)
        upload = st.file_uploader(t("meth.seed_pick"), type=["toml"], key="meth_seed_upload")

        def _seed() -> None:
            f = st.session_state.get("meth_seed_upload")
            if f is None:
                return
            try:
                app_store().save_methodology(actor(), f.getvalue(), file=f.name)
            except (InputError, PermissionDenied) as exc:
                st.session_state["meth_seed_msg"] = t("madm.save_failed", reason=getattr(exc, "message", str(exc)))

        st.button(t("meth.seed"), key="meth_seed", on_click=_seed, type="primary", disabled=upload is None)
        if st.session_state.get("meth_seed_msg"):
            st.error(st.session_state.pop("meth_seed_msg"))
    st.stop()
keys = [f"{s.id}@{s.version}" for s in stored]
infos = dict(zip(keys, stored, strict=True))
cur = current_key()
view_labels = {k: f"{k} · SHA-256 {infos[k].sha256[:12]}…" + (f" · {t('meth.current_mark')}" if k == cur else "")
               for k in keys}
if st.session_state.get("meth_view") not in keys:
    st.session_state.pop("meth_view", None)
view = st.selectbox(t("meth.version_pick"), keys, index=keys.index(cur), key="meth_view",
                    format_func=view_labels.get, help=t("meth.version_help"))  # labels computed in the run's language
content = ma.stored_content(*view.split("@", 1))
m = ma.methodology_of(content)
if st.session_state.get(f"{EDIT}base") != m.sha256:
    # A new base (first run, another version picked, or a version just saved): the edit starts again from it.
    # Values are set through session state so that the browser's widgets show them too.
    for i in m.indicators.values():
        st.session_state[f"{EDIT}w_{i.id}"] = i.weight
    st.session_state[f"{EDIT}version"] = ma.next_version(m.version, [s.version for s in stored if s.id == m.id])
    st.session_state[f"{EDIT}note"] = ""
    st.session_state[f"{EDIT}anchor_bases"], st.session_state[f"{EDIT}anchor_edits"] = {}, {}
    if f"{EDIT}base" in st.session_state:
        st.session_state[f"{EDIT}gen"] = st.session_state.get(f"{EDIT}gen", 1) + 1
    st.session_state[f"{EDIT}base"] = m.sha256
st.caption(t("meth.caption", id=m.id, version=m.version, sha=m.sha256, ref=default_bundle().sha256))

# ---------------------------------------------------------------- tree and weights
st.header(t("meth.tree"))
pillars = {n.id: n for n in m.pillars}
criteria = {n.id: n for n in m.criteria}
tree = pd.DataFrame([{
    t("col.pillar"): name(pillars[ind.pillar]), t("col.criterion"): name(criteria[ind.criterion]),
    t("col.indicator"): name(ind), t("col.group"): t("meth.addon") if ind.addon else t("meth.core"),
    t("col.weight"): ind.weight, t("col.unit"): _term("unit", ind.unit), t("col.curve"): _term("curve", ind.curve.type),
} for ind in m.indicators.values()])
show(tree, hide_index=True, decimals={t("col.weight"): 3}, key="meth_tree")
st.caption(t("meth.addon_note", points=m.addon_max_points))

# ---------------------------------------------------------------- curves
st.header(t("meth.curves"))
ids = list(m.indicators)
iid = st.selectbox(t("col.indicator"), ids, format_func=lambda i: name(m.indicators[i], lang),
                   key=f"meth_curve_{lang}")  # keyed by language: labels change
ind = m.indicators[iid]
st.markdown(f"**{name(ind)}** · {_term('unit', ind.unit)} · {_term('curve', ind.curve.type)}")
st.caption(t('meth.definition', text=ind.definition))
curves = [(None, ind.curve)] if ind.curve.type != "composite" else [
    (f"{_term('metric', p[0])} × {p[1]:g}", p[2]) for p in ind.curve.parts]
# The anchors' sources are cited as the methodology file writes them (English, with Chinese quotations): the
# column says so in zh rather than passing them off as translated.
src_label = t("meth.source_original")
tips = [alt.Tooltip("x", title=t("col.anchor")), alt.Tooltip("score", title=t("col.score")),
        alt.Tooltip("source", title=src_label)]
for label, curve in curves:
    if label:
        st.subheader(label)
    df = curve_frame(curve)
    if curve.type in ("piecewise", "steps"):
        chart = alt.Chart(df).mark_line(point=True, interpolate="step-after" if curve.type == "steps"
                                        else "linear").encode(
            x=alt.X("x:Q", title=_term("unit", ind.unit) if not label else label.split(" × ")[0]),
            y=alt.Y("score:Q", title=t("col.score"), scale=alt.Scale(domain=[0, 100])), tooltip=tips)
    else:
        if "name_zh" in df:  # checklist items: the name in the page's language
            df = df.assign(x=df["name_zh" if lang == "zh" else "name_en"]).drop(columns=["name_zh", "name_en"])
        chart = alt.Chart(df).mark_bar().encode(
            x=alt.X("x:N", title=t("col.item"), sort=None, axis=alt.Axis(labelAngle=-30, labelLimit=220)),
            y=alt.Y("score:Q", title=t("col.score"), scale=alt.Scale(domain=[0, 100])), tooltip=tips)
    st.altair_chart(chart)
    show(df.rename(columns={"x": t("col.anchor"), "score": t("col.score"), "source": src_label}), hide_index=True,
         decimals={t("col.score"): 2})

# ---------------------------------------------------------------- AHP
st.header(t("meth.ahp"))
core_pillars = [p for p in m.pillars if not p.addon]
pw = np.array([sum(i.weight for i in m.indicators.values() if i.pillar == p.id) for p in core_pillars])
labels = [name(p) for p in core_pillars]
st.caption(t("meth.ahp_caption", cr=MAX_CONSISTENCY_RATIO))
start = pd.DataFrame(pw[:, None] / pw[None, :], index=labels, columns=labels)
#: decimals of the judgements put in the editor (what a reader sees; the exact ratios are kept for the unchanged cells)
AHP_DECIMALS = 4
shown = display_frame(start, AHP_DECIMALS)
edited = st.data_editor(shown, disabled=not is_admin, key=_gen_key("ahp_matrix"))
if not is_admin:
    st.caption(t("meth.ahp_readonly"))
# The upper triangle is what the user states; the lower one is its reciprocal (Saaty).
# A cell still showing its rounded starting value stands for the exact ratio of the current weights (so the
# untouched matrix stays perfectly consistent, CR 0); a changed cell is the judgement typed in.
a_in = edited.to_numpy(dtype=float)
a = np.where(a_in == shown.to_numpy(dtype=float), start.to_numpy(dtype=float), a_in)
upper = np.triu(a, 1)
matrix = upper + np.tril(np.divide(1.0, upper.T, out=np.zeros_like(a), where=upper.T > 0), -1) + np.eye(len(a))
st.caption(t("meth.ahp_upper"))


def _apply_ahp(weights: list[float]) -> None:
    """Scale each core pillar's indicator weights to the AHP pillar weight (their shares within the pillar
    unchanged; core total kept at the methodology's)."""
    for p, w_new, w_old in zip(core_pillars, weights, pw, strict=True):
        for i in m.indicators.values():
            if i.pillar == p.id:
                st.session_state[f"{EDIT}w_{i.id}"] = i.weight * w_new * pw.sum() / w_old


try:
    w, cr = ahp_weights(matrix)
except InputError as exc:
    st.error(t("meth.ahp_error", reason=exc.message))
else:
    res = pd.DataFrame({t("col.pillar"): labels, t("meth.ahp_weight"): w, t("meth.current_weight"): pw / pw.sum()})
    show(res, hide_index=True, decimals=4, key="meth_ahp_weights")
    st.metric(t("meth.cr"), f"{cr:.3f}")
    if is_admin:
        st.button(t("meth.ahp_apply"), key=f"{EDIT}ahp_apply", on_click=_apply_ahp, args=([float(x) for x in w],),
                  help=t("meth.ahp_apply_help"))

# ---------------------------------------------------------------- sensitivity
st.header(t("meth.sensitivity"))
st.caption(t("meth.sens_caption", step=round(SENSITIVITY_STEP * 100)))
sens = ma.sensitivity_of(content, ma.book_facilities_json())
direction = st.radio(t("meth.direction"), [1, -1], horizontal=True, key="sens_dir",
                     format_func=lambda s: f"{'+' if s > 0 else '−'}{round(SENSITIVITY_STEP * 100)} %")
view_s = sens[sens["direction"] == direction].copy()
view_s["row"] = view_s["facility"] + " " + view_s["period"]
view_s["indicator"] = view_s["indicator"].map(lambda i: name(m.indicators[i]))
spread = view_s.groupby("indicator", sort=False)["delta"].agg(["min", "max"]).reset_index()
st.altair_chart(alt.Chart(spread).mark_bar().encode(
    y=alt.Y("indicator:N", title=t("col.indicator"), sort=None, axis=alt.Axis(labelLimit=260)),
    x=alt.X("min:Q", title=t("meth.delta_range")), x2="max:Q",
    tooltip=[alt.Tooltip("indicator", title=t("col.indicator")),
             alt.Tooltip("min:Q", format="+.2f", title=t("meth.delta_min")),
             alt.Tooltip("max:Q", format="+.2f", title=t("meth.delta_max"))]))
pivot = view_s.pivot(index="row", columns="indicator", values="delta")
pivot.index.name = t("meth.facility_period")
show(pivot, decimals=2, key="sens_table")
changed = view_s[view_s["grade"] != view_s["new_grade"]]
st.markdown(t("meth.grade_changes", n=len(changed)))
if len(changed):
    show(changed[["row", "indicator", "total", "new_total", "grade", "new_grade"]].assign(
        grade=changed["grade"].map(lambda g: _term("grade", g)),
        new_grade=changed["new_grade"].map(lambda g: _term("grade", g))).rename(columns={
            "row": t("meth.facility_period"), "indicator": t("col.indicator"), "total": t("meth.old_total"),
            "new_total": t("meth.new_total"), "grade": t("meth.old_grade"), "new_grade": t("meth.new_grade")}),
        hide_index=True, decimals=2, key="meth_grade_changes")

# ---------------------------------------------------------------- admin: edit → check → preview → save
if is_admin:
    st.header(t("madm.title"))
    st.caption(t("madm.caption", version=m.version))
    weights: dict[str, float] = {}
    for p in m.pillars:
        st.markdown(f"**{name(p)}** ({t('meth.addon') if p.addon else t('meth.core')})")
        members = [i for i in m.indicators.values() if i.pillar == p.id]
        cols = st.columns(4)
        for k, i in enumerate(members):
            key = f"{EDIT}w_{i.id}"
            if key not in st.session_state:  # widget state is dropped while another page is open
                st.session_state[key] = i.weight
            weights[i.id] = cols[k % 4].number_input(name(i), min_value=0.0, max_value=1.0, step=0.01,
                                                     format="%.4f", key=key)
    core_sum = sum(w for i, w in weights.items() if not m.indicators[i].addon)
    addon_sum = sum(w for i, w in weights.items() if m.indicators[i].addon)
    c1, c2 = st.columns(2)
    c1.metric(t("madm.core_sum"), f"{core_sum:.4f}")
    c2.metric(t("madm.addon_sum"), f"{addon_sum:.4f}")

    st.subheader(t("madm.anchors"))
    st.caption(t("madm.anchors_caption"))
    editable = ma.editable_curves(m)
    aid = st.selectbox(t("col.indicator"), editable, format_func=lambda i: name(m.indicators[i], lang),
                       key=f"{EDIT}curve")
    bases, edits = st.session_state[f"{EDIT}anchor_bases"], st.session_state[f"{EDIT}anchor_edits"]
    akey = _gen_key(f"{EDIT}anchors_{aid}")
    if akey not in st.session_state:  # a new editor: start from this session's edits of the curve, if any
        bases[aid] = edits.get(aid, ma.anchor_rows(m, aid))
    out = st.data_editor(bases[aid], key=akey, num_rows="dynamic", hide_index=True, column_config={
        "x": st.column_config.NumberColumn(t("madm.anchor_x", unit=_term("unit", m.indicators[aid].unit))),
        "score": st.column_config.NumberColumn(t("col.score"), min_value=0, max_value=100),
        "source": st.column_config.TextColumn(t("col.source"), width="large")})
    edits[aid] = out

    if f"{EDIT}version" not in st.session_state:
        st.session_state[f"{EDIT}version"] = ma.next_version(m.version, [s.version for s in stored if s.id == m.id])
    version = st.text_input(t("madm.version"), key=f"{EDIT}version")
    note = st.text_area(t("madm.note"), key=f"{EDIT}note", placeholder=t("madm.note_placeholder"))
    result = st.session_state.pop(f"{EDIT}result_msg", None)  # outcome of the last save, where its button was
    if result:
        (st.success if result[0] == "ok" else st.error)(result[1])
    d_weights = ma.changed_weights(m, weights)
    d_anchors = ma.changed_anchors(m, edits)
    if not d_weights and not d_anchors:
        st.info(t("madm.no_change"))
    else:
        taken = [s.version for s in stored if s.id == m.id]
        problems = ma.check_edit(m, weights=weights, anchors=edits, version=version.strip(), note=note.strip(),
                                 taken_versions=taken)
        if problems:
            st.error(t("madm.invalid", n=len(problems)))
            show(pd.DataFrame([{
                t("col.field"): p.field, t("col.value"): "" if p.value is None else str(p.value),
                t("col.reason"): t(f"madm.err.{p.code}", **({**p.params, "group": t(f"meth.{p.params['group']}")}
                                                          if "group" in p.params else p.params)),
            } for p in problems]), hide_index=True, key=f"{EDIT}problems")
        else:
            doc = ma.edited_document(m, weights=weights, anchors=edits, version=version.strip(), note=note.strip(),
                                     author=actor())
            new_content = ma.toml_bytes(doc)
            st.success(t("madm.valid", w=len(d_weights), a=len(d_anchors)))
            pv = ma.preview_of(content, new_content, ma.book_facilities_json())
            st.subheader(t("madm.preview"))
            n_grade = int((pv["old_grade"] != pv["new_grade"]).sum())
            st.markdown(t("madm.preview_grades", n=n_grade))
            show(pv.assign(old_grade=pv["old_grade"].map(lambda g: _term("grade", g)),
                           new_grade=pv["new_grade"].map(lambda g: _term("grade", g))).rename(columns={
                "facility": t("meth.facility"), "period": t("meth.period"), "old_total": t("meth.old_total"),
                "new_total": t("meth.new_total"), "delta": t("meth.delta"), "old_grade": t("meth.old_grade"),
                "new_grade": t("meth.new_grade")}), hide_index=True, key=f"{EDIT}preview", decimals=2, column_config={
                t("meth.old_total"): st.column_config.NumberColumn(format="%.2f"),
                t("meth.new_total"): st.column_config.NumberColumn(format="%.2f"),
                t("meth.delta"): st.column_config.NumberColumn(format="%+.2f")})

            def _save(data: bytes, label: str) -> None:
                try:
                    info = app_store().save_methodology(actor(), data, file=f"app:{label}")
                except (InputError, PermissionDenied) as exc:
                    st.session_state[f"{EDIT}result_msg"] = ("error", t("madm.save_failed",
                                                                      reason=getattr(exc, "message", str(exc))))
                    return
                st.session_state["meth_view"] = f"{info.id}@{info.version}"
                st.session_state[f"{EDIT}result_msg"] = ("ok", t("madm.saved", id=info.id, version=info.version,
                                                               sha=info.sha256))

            st.button(t("madm.save"), type="primary", key=f"{EDIT}save", on_click=_save,
                      args=(new_content, f"{m.id}@{version.strip()}"))

# ---------------------------------------------------------------- stored versions
st.header(t("meth.stored"))
if not stored:
    st.info(t("meth.stored_none"))
else:
    show(pd.DataFrame([{t("meth.mid"): s.id, t("meth.version"): s.version, t("meth.sha256"): s.sha256,
                                t("meth.mtitle"): (lambda x: x.title_zh if lang == "zh" else x.title_en)(
                                    ma.methodology_of(ma.stored_content(s.id, s.version)))} for s in stored]),
                 hide_index=True, key="meth_stored")
    pick = st.selectbox(t("meth.download_pick"), [f"{s.id}@{s.version}" for s in stored], key="meth_download_pick",
                        index=len(stored) - 1)
    st.download_button(t("meth.download"), ma.stored_content(*pick.split("@", 1)),
                       file_name=f"{pick.replace('@', '-')}.toml", mime="application/toml", key="meth_download",
                       icon=":material/download:")
