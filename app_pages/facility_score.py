"""Facility score page (credit officer; start of the deal designer): one facility-period's GCPI result.

Scored with the deal book's methodologies only: for a deal on the facility, what the deal pins (methodology
version and reference-data bundle, :func:`app_support.engine.deal_basis`); without a deal, the version of the
book picked on the page (default the book's current one). The methodology's SHA-256 and the reference bundle's
hash the result carries are shown under the headline figures.
"""

import altair as alt
import streamlit as st

from app_support.engine import (
    basis_of,
    book_facilities,
    book_methodologies,
    current_key,
    deal_basis,
    facility_deals,
    facility_label,
    indicator_frame,
    no_methodology_stop,
    score_period,
)
from app_support.i18n import catalogue, current_language, name, t
from app_support.methodology_admin import term
from app_support.pages import require
from app_support.store import app_store
from app_support.tables import show
from common.text import fmt_num
from index.errors import InputError
from index.reference import province_info

#: height of one indicator's bar row in the chart [px] (every label shown: none dropped for overlap)
BAR_PX = 24

require("app_pages/facility_score.py")
lang = current_language()
cat = catalogue(lang)
st.title(t("score.title"))

store = app_store()
facilities = book_facilities(store)  # the deal book, as stored (created and verified in the app included)
if not facilities:
    st.info(t("score.no_facilities"))
    st.stop()
versions = book_methodologies(store)
if not versions:
    no_methodology_stop()
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

# ---------------------------------------------------------------- what the period is scored with
deals = facility_deals(store, fid)
NO_DEAL = ""
b1, b2 = st.columns([2, 2])
deal_id = b1.selectbox(t("score.basis_deal"), [NO_DEAL, *deals], key=f"score_deal_{fid}",
                       format_func=lambda d: cat["score.basis_no_deal"] if d == NO_DEAL else d,
                       help=t("score.basis_deal_help"))
try:
    if deal_id == NO_DEAL:
        keys, cur = list(versions), current_key(store)
        pick = b2.selectbox(t("score.basis_version"), keys, index=keys.index(cur), key="score_version",
                            format_func=lambda k: k + (f" · {cat['score.current_mark']}" if k == cur else ""),
                            help=t("score.basis_version_help"))
        basis = basis_of(pick, store)
    else:
        basis = deal_basis(deals[deal_id], store)
        b2.caption(t("score.basis_pinned" if basis.pinned else "score.basis_unpinned", id=deal_id, version=basis.key))
    r = score_period(fac, period, basis)
except InputError as exc:  # a period the engine refuses, a pin the book cannot resolve: say what, no traceback
    st.error(t("score.cannot_score", id=fid, period=period, message=str(exc)))
    st.stop()
m = basis.methodology

m1, m2, m3, m4, m5 = st.columns(5)
m1.metric(t("score.total"), f"{r.total:.2f}")
m2.metric(t("score.grade"), term(cat, "grade", r.grade))
m3.metric(t("score.completeness"), f"{r.completeness:.0%}")
m4.metric(t("score.core"), f"{r.core:.2f}")
m5.metric(t("score.addon"), f"{r.addon:.2f}")
st.caption(t("score.basis_caption", version=basis.key, sha=r.methodology_sha256, ref=r.reference_sha256))
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
# one colour per pillar, one bar per indicator sorted by contribution, its value written at the bar's end
pillar_order = list(dict.fromkeys(df["pillar"]))
bars = df.sort_values("contribution", ascending=False)
base = alt.Chart(bars).encode(
    y=alt.Y("indicator:N", title=None, sort=list(bars["indicator"]), axis=alt.Axis(labelLimit=360)),
    x=alt.X("contribution:Q", title=t("col.contribution")))
chart = (base.mark_bar().encode(
    color=alt.Color("pillar:N", title=t("col.pillar"), sort=pillar_order,
                    legend=alt.Legend(orient="bottom", direction="horizontal", labelLimit=0, columns=2)),
    tooltip=[alt.Tooltip("pillar", title=t("col.pillar")), alt.Tooltip("indicator", title=t("col.indicator")),
             alt.Tooltip("score", title=t("col.score"), format=".1f"),
             alt.Tooltip("weight", title=t("col.weight"), format=".3f"),
             alt.Tooltip("contribution", title=t("col.contribution"), format=".2f")])
         + base.mark_text(align="left", dx=3).encode(text=alt.Text("contribution:Q", format=".2f"))
         )
st.altair_chart(chart, height=BAR_PX * len(bars) + 110)  # room for every indicator label and the legend

st.subheader(t("score.breakdown"))
cols = {"pillar": t("col.pillar"), "criterion": t("col.criterion"), "indicator": t("col.indicator"),
        "raw_value": t("col.raw_value"), "unit": t("col.unit"), "score": t("col.score"),
        "weight": t("col.weight"), "contribution": t("col.contribution"), "status": t("col.status"),
        "source": t("col.source")}
show(df.drop(columns="id").rename(columns=cols), hide_index=True, key="score_breakdown",
     decimals={t("col.score"): 1, t("col.weight"): 3, t("col.contribution"): 2})


#: note params that are years or day counts, written as plain integers (not "2,025")
PLAIN_INT = {"year", "used", "days", "min_days"}
#: note params that name a figure (a tuple of figure ids for ``figures``)
FIGURE_PARAMS = {"figure", "figures"}


def _figure_label(fid: str) -> str:
    """A figure id (``natural_gas_m3``, ``refrigerants``, ``checklist.<indicator>``) by its catalogue label."""
    for key in (f"verification.field.{fid}", f"score.note.figure.{fid}"):
        if key in cat:
            return cat[key]
    if fid.startswith("checklist.") and fid.removeprefix("checklist.") in r.indicators:
        return name(r.indicators[fid.removeprefix("checklist.")])
    return fid


def _param(k: str, v) -> str:
    """One note param as the page writes it: catalogue labels for codes, numbers via ``fmt_num``."""
    if k in FIGURE_PARAMS:
        figs = v if isinstance(v, tuple | list) else (v,)
        return ("、" if lang == "zh" else ", ").join(_figure_label(f) for f in figs)
    if k == "basis":
        return cat.get(f"score.note.basis.{v}", v)
    if k in ("level", "wanted_level"):
        return cat.get(f"score.note.level.{v}", v)
    if k == "province":
        try:
            info = province_info(v)
        except InputError:
            return v
        return info.name_zh if lang == "zh" else info.name_en
    if k in ("source", "market") and not v:
        return cat["score.note.not_given"]
    if k == "lot" and not v:
        return cat["score.note.no_id"]
    if isinstance(v, int) and k in PLAIN_INT:
        return str(v)
    if isinstance(v, int | float):
        return fmt_num(v)
    return str(v)


def _note_text(note) -> str | None:
    """An engine note (:class:`index.result.Note`) in the page's language from the catalogue (``score.note.*``),
    None when its code or one of its parts has no entry (the English text is shown then)."""
    key = f"score.note.{note.code}"
    if key not in cat:
        return None
    params = {k: _param(k, v) for k, v in note.params.items()}
    if note.parts:
        parts = [_note_text(p) for p in note.parts]
        if None in parts:
            return None
        params["details"] = ("；" if lang == "zh" else "; ").join(parts)
    return cat[key].format(**params)


def _shown(texts, codes) -> list[tuple[str, bool]]:
    """Each English note text in the page's language (from its code), and whether it was translated."""
    coded = {n.text: n for n in codes}
    out = []
    for n in texts:
        s = _note_text(coded[n]) if n in coded else None
        out.append((s or n, s is not None))
    return out


# the result's notes, then each indicator's (prefixed by the indicator's name)
shown = _shown(r.notes, r.note_codes) + [
    (t("score.note.indicator", indicator=name(ind), text=s), ok)
    for ind in r.indicators.values() for s, ok in _shown(ind.notes, ind.note_codes)]
if shown:
    with st.expander(t("score.notes")):
        if lang == "zh" and not all(ok for _, ok in shown):
            st.caption(t("score.notes_lang"))  # some notes have no code: the engine's English text
        for s, _ in shown:
            st.markdown(f"- {s}")
