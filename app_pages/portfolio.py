"""Portfolio page (credit officer): every deal of the deal book with its status, margin in force (from the record),
GCPI and completeness, next observation and headroom; details of the selected deal below, filters, exposure by
currency and an Excel export. Rows: :func:`workflows.portfolio_of`; formatting: :mod:`app_support.portfolio`."""

import datetime as dt

import pandas as pd
import streamlit as st

from app_support import portfolio as P
from app_support.engine import methodology
from app_support.i18n import catalogue, current_language, name, t
from app_support.methodology_admin import term
from app_support.pages import require
from app_support.store import actor, app_store
from app_support.tables import display_frame, show
from common.text import MISSING, fmt_date, fmt_money, fmt_num, fmt_pct
from store.errors import PermissionDenied

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

require("app_pages/portfolio.py")
lang = current_language()
st.title(t("portfolio.title"))
st.caption(t("portfolio.intro"))

as_of = st.columns([1, 4])[0].date_input(t("portfolio.as_of"), value=dt.date.today(), help=t("portfolio.as_of_help"),
                                         key="portfolio_as_of", format="YYYY-MM-DD")
try:
    with st.spinner(t("portfolio.loading")):
        pf = P.load_portfolio(app_store(), actor(), as_of)
except PermissionDenied as exc:
    st.error(t("portfolio.refused", detail=str(exc)))
    st.stop()
for deal_id, exc in pf.problems:
    st.warning(t("portfolio.problem", deal=deal_id, detail=str(exc)))
df = pf.frame
if df.empty:
    st.info(t("portfolio.empty"))
    st.stop()

m = methodology()


def kpi_label(k: str) -> str:
    """A KPI's short name in the current language: the index / core and short names from the catalogue, the
    three-letter ratios by their international acronym (PUE, WUE, CUE: ids shown as such), else the indicator's
    name."""
    if k in ("index", "core"):
        return t(f"portfolio.kpi.{k}")
    short = catalogue(lang).get(f"portfolio.kpi_short.{k}")
    if short:
        return short
    if len(k) <= 3:
        return k.upper()
    return name(m.indicators[k], lang) if k in m.indicators else k


status_label = {s: t(f"portfolio.status.{s}") for s in P.STATUSES}
c1, c2, c3, c4 = st.columns([1, 1, 1, 2])
choose = t("portfolio.choose")
statuses = c1.multiselect(t("portfolio.filter_status"), list(P.STATUSES), format_func=status_label.get,
                          key=f"portfolio_status_{lang}", placeholder=choose)
grades = c2.multiselect(t("portfolio.filter_grade"), sorted(df["grade"].dropna().unique(), key=m.grade_rank),
                        key="portfolio_grade", placeholder=choose,
                        format_func=lambda g, lang=lang: term(catalogue(lang), "grade", g))
currencies = c3.multiselect(t("portfolio.filter_currency"), sorted(df["currency"].unique()),
                            key="portfolio_currency", placeholder=choose)
text = c4.text_input(t("portfolio.filter_text"), help=t("portfolio.filter_text_help"), key="portfolio_text")
shown = P.filter_frame(df, statuses=statuses, grades=grades, currencies=currencies, text=text).reset_index(drop=True)

counts = shown["status"].value_counts()
cols = st.columns(len(P.STATUSES) + 1)
cols[0].metric(t("portfolio.col.deals"), f"{len(shown)} / {len(df)}")
for c, s in zip(cols[1:], P.STATUSES, strict=True):
    c.metric(status_label[s], int(counts.get(s, 0)))
if shown.empty:
    st.info(t("portfolio.no_match"))
    st.stop()

view = P.view_frame(shown, t, kpi_label, lang)
labels = {c: t(f"portfolio.col.{c}") for c in P.EXPORT_COLUMNS}
helps = {c: catalogue(lang).get(f"portfolio.help.{c}") for c in P.TABLE_COLUMNS}
W = P.WIDTHS
config = {
    "deal_id": st.column_config.TextColumn(labels["deal_id"], pinned=True, width=W["deal_id"]),
    "borrower": st.column_config.TextColumn(labels["borrower"], width=W["borrower"]),
    "status": st.column_config.TextColumn(labels["status"], width=W["status"], help=helps["status"]),
    "margin_bp": st.column_config.NumberColumn(labels["margin_bp"], format="%.1f", width=W["margin_bp"],
                                               help=helps["margin_bp"]),
    "index": st.column_config.NumberColumn(labels["index"], format="%.2f", width=W["index"], help=helps["index"]),
    "completeness": st.column_config.NumberColumn(labels["completeness"], format="%.0f", width=W["completeness"],
                                                  help=helps["completeness"]),
    "basis": st.column_config.TextColumn(labels["basis"], width=W["basis"], help=helps["basis"]),
    "next_observation": st.column_config.DateColumn(labels["next_observation"], format="YYYY-MM-DD",
                                                    width=W["next_observation"], help=helps["next_observation"]),
    "headroom": st.column_config.TextColumn(labels["headroom"], width=W["headroom"], help=helps["headroom"]),
}
event = show(view[list(P.TABLE_COLUMNS)], decimals=P.DECIMALS, hide_index=True, column_config=config,
             key="portfolio_table", on_select="rerun", selection_mode="single-row", width="stretch")
st.caption(t("portfolio.shown", shown=len(shown), total=len(df)) + " " + t("portfolio.pick_hint"))

rules = P.status_rules()
notes = [(t("portfolio.note.as_of"), as_of.isoformat()),
         (t("portfolio.note.filters"), "; ".join(
             f"{lbl}: {', '.join(map(str, v))}" for lbl, v in (
                 (t("portfolio.filter_status"), [status_label[s] for s in statuses]),
                 (t("portfolio.filter_grade"), grades), (t("portfolio.filter_currency"), currencies),
                 (t("portfolio.filter_text"), [text] if text else [])) if v) or t("portfolio.note.none")),
         (t("portfolio.note.rules"), "; ".join(f"{kpi_label(k)} {fmt_num(v)} {rules.units[k]}"
                                               for k, v in rules.headroom.items())),
         (t("portfolio.note.engines"), f"GCPI {m.id}; workflows.portfolio")]
# written on click (a callable): the workbook of 1,000 deals takes about a second, not paid on every rerun.
# on_click="ignore": a click must not rerun the page. With a rerun, Streamlit re-registers the callable under a new
# id and drops the old one, and the browser's request for the old id can arrive after that: no file (seen in CI
# under load; streamlit 1.67 DownloadButton sends the rerun trigger before the deferred-file request).
st.download_button(t("portfolio.export"), lambda: P.excel_bytes(P.export_frame(view, labels), notes),
                   file_name=f"portfolio_{as_of.isoformat()}.xlsx", mime=XLSX_MIME, help=t("portfolio.export_help"),
                   key="portfolio_export", icon=":material/download:", on_click="ignore")

# ---------------------------------------------------------------------------- the selected deal
picked = list(getattr(getattr(event, "selection", None), "rows", []) or [])
if picked:
    r = view.iloc[picked[0]]
    raw = shown.iloc[picked[0]]
    st.subheader(t("portfolio.detail_title", deal=r["deal_id"]))
    st.markdown(f"**{r['name']}** · {r['borrower']} · {r['facility']}")
    a, b, c = st.columns(3)
    a.metric(t("portfolio.col.margin_bp"), fmt_num(raw["margin_bp"], 4),
             delta=None if raw["adjustment_bp"] == 0 else f"{raw['adjustment_bp']:+.1f} bp", delta_color="inverse")
    b.metric(t("portfolio.col.index"), fmt_num(raw["index"], 4),
             help=t("portfolio.detail_completeness", share=fmt_pct(raw["completeness"], 0)))
    c.metric(t("portfolio.col.p_met"), fmt_pct(raw["p_met"], 0) if pd.notna(raw["p_met"]) else MISSING,
             help=t("portfolio.help.p_met"))
    if raw["margin_source"] == "record":
        reason = raw["margin_reason_zh"] if lang == "zh" else raw["margin_reason_en"]
        st.caption(t("portfolio.margin_record", since=fmt_date(raw["margin_since"]), reason=reason or MISSING))
    else:
        st.caption(t("portfolio.margin_contractual"))
    st.markdown(f"**{t('portfolio.detail_status')}** {r['status']}: {r['detail']}")
    if raw["last_record"] == "reported":
        st.warning(t("portfolio.indicative_note", date=fmt_date(raw["last_observation"]),
                     value=fmt_num(raw["last_index"], 4)))
    facts = pd.DataFrame({
        t("portfolio.detail_field"): [labels[k] for k in ("amount", "last_observation", "last_record", "last_index",
                                                          "period", "grade", "completeness", "basis")],
        t("portfolio.detail_value"): [
            fmt_money(raw["amount"], raw["currency"]), fmt_date(raw["last_observation"]), r["last_record"],
            fmt_num(raw["last_index"], 4), raw["period"] or MISSING,
            term(catalogue(lang), "grade", raw["grade"]) if isinstance(raw["grade"], str) else MISSING,
            fmt_pct(raw["completeness"], 0), r["basis"]]})
    show(facts, hide_index=True, key="portfolio_facts", width="content")
    spt = raw["next_spt"] or {}
    if spt:
        st.markdown(f"**{t('portfolio.next_spts', date=fmt_date(raw['next_observation']))}**")
        show(pd.DataFrame({t("portfolio.col.kpi"): [kpi_label(k) for k in spt],
                           t("portfolio.col.spt"): [fmt_num(v, 4) for v in spt.values()]}),
             hide_index=True, key="portfolio_spts", width="content")

st.subheader(t("portfolio.totals"))
totals = P.exposure_totals(shown)
show(totals, decimals={"amount": 0}, hide_index=True, key="portfolio_totals", width="content", column_config={
    "currency": st.column_config.TextColumn(labels["currency"], width=90),
    "deals": st.column_config.NumberColumn(t("portfolio.col.deals"), width=80),
    "amount": st.column_config.NumberColumn(labels["amount"], format="localized", width=160)})

with st.expander(t("portfolio.rule_title")):
    st.markdown(t("portfolio.rule_text"))
    show(display_frame(pd.DataFrame({t("portfolio.col.kpi"): [kpi_label(k) for k in rules.headroom],
                                     t("portfolio.col.headroom"): list(rules.headroom.values()),
                                     t("portfolio.col.unit"): [rules.units[k] for k in rules.headroom],
                                     t("portfolio.col.source"): [rules.sources[k] for k in rules.headroom]})),
         hide_index=True, width="content", key="portfolio_rules")
