"""Portfolio page (credit officer): every deal of the deal book with its index, margin, next observation and
status; filters, exposure by currency and an Excel export. Computations: :mod:`app_support.portfolio`."""

import datetime as dt

import pandas as pd
import streamlit as st

from app_support import portfolio as P
from app_support.engine import methodology
from app_support.i18n import catalogue, current_language, name, t
from app_support.methodology_admin import term
from app_support.pages import require
from app_support.store import actor, app_store
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
        rows, problems = P.load_portfolio(app_store(), actor(), as_of)
except PermissionDenied as exc:
    st.error(t("portfolio.refused", detail=str(exc)))
    st.stop()
for deal_id, exc in problems:
    st.warning(t("portfolio.problem", deal=deal_id, detail=str(exc)))
df = P.portfolio_frame(rows)
if df.empty:
    st.info(t("portfolio.empty"))
    st.stop()

m = methodology()


def kpi_label(k: str) -> str:
    """A KPI's name in the current language: the index / core from the catalogue, indicators by name."""
    if k in ("index", "core"):
        return t(f"portfolio.kpi.{k}")
    return name(m.indicators[k], lang) if k in m.indicators else k


def detail(r) -> str:
    """Why the deal has its status (and whether the margin assumes unreported results), in words."""
    reason = r["status_reason"]
    if reason == "not_reported":
        reason = "missed_not_reported" if r["status"] == "missed" else "risk_not_reported"
    fmt = {"kpi": kpi_label(r["status_kpi"]) if isinstance(r["status_kpi"], str) else "",
           "value": P.fmt_value(r["status_value"]), "spt": P.fmt_value(r["status_spt"]),
           "date": str(r["status_date"]) if pd.notna(r["status_date"]) else ""}
    text = t(f"portfolio.reason.{reason}", **fmt)
    if r.get("indicative") is True:  # issue 12: reported, not verified
        text += "; " + t("portfolio.reason.indicative", period=r["period"], status=r["period_status"])
    return text + ("; " + t("portfolio.reason.assumed") if r["margin_assumed"] else "")


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
shown = P.filter_frame(df, statuses=statuses, grades=grades, currencies=currencies, text=text)

counts = shown["status"].value_counts()
cols = st.columns(len(P.STATUSES) + 1)
cols[0].metric(t("portfolio.col.deals"), f"{len(shown)} / {len(df)}")
for c, s in zip(cols[1:], P.STATUSES, strict=True):
    c.metric(status_label[s], int(counts.get(s, 0)))
if shown.empty:
    st.info(t("portfolio.no_match"))
    st.stop()

table = shown.assign(kpis=shown["kpis"].map(lambda d: P.kpi_text(d, kpi_label)),
                     status=shown["status"].map(status_label),
                     grade=shown["grade"].map(lambda g: term(catalogue(lang), "grade", g) if isinstance(g, str) else g),
                     facility=shown["facility_zh"] if lang == "zh" else shown["facility"],
                     detail=shown.apply(detail, axis=1))[list(P.TABLE_COLUMNS)]
labels = {c: t(f"portfolio.col.{c}") for c in P.TABLE_COLUMNS}
money = st.column_config.NumberColumn
config = {
    "deal_id": st.column_config.TextColumn(labels["deal_id"], pinned=True),
    "amount": money(labels["amount"], format="localized", help=t("portfolio.help.amount")),
    "outstanding": money(labels["outstanding"], format="localized", help=t("portfolio.help.outstanding")),
    "index": st.column_config.NumberColumn(labels["index"], format="%.2f", help=t("portfolio.help.index")),
    "trend": st.column_config.LineChartColumn(labels["trend"], y_min=0, y_max=110, width="small",
                                              help=t("portfolio.help.trend")),
    "kpis": st.column_config.TextColumn(labels["kpis"], help=t("portfolio.help.kpis"), width="medium"),
    "detail": st.column_config.TextColumn(labels["detail"], width="large"),
    "borrower": st.column_config.TextColumn(labels["borrower"], width="medium"),
    "facility": st.column_config.TextColumn(labels["facility"], width="medium"),
    "next_observation": st.column_config.DateColumn(labels["next_observation"], format="YYYY-MM-DD"),
    "margin_bp": st.column_config.NumberColumn(labels["margin_bp"], format="%.1f", help=t("portfolio.help.margin_bp")),
    "adjustment_bp": st.column_config.NumberColumn(labels["adjustment_bp"], format="%+.1f",
                                                   help=t("portfolio.help.adjustment_bp")),
}
config.update({c: labels[c] for c in P.TABLE_COLUMNS if c not in config})
st.dataframe(table, hide_index=True, column_config=config, key="portfolio_table")
st.caption(t("portfolio.shown", shown=len(shown), total=len(df)))

notes = [(t("portfolio.note.as_of"), as_of.isoformat()),
         (t("portfolio.note.filters"), "; ".join(
             f"{lbl}: {', '.join(map(str, v))}" for lbl, v in (
                 (t("portfolio.filter_status"), [status_label[s] for s in statuses]),
                 (t("portfolio.filter_grade"), grades), (t("portfolio.filter_currency"), currencies),
                 (t("portfolio.filter_text"), [text] if text else [])) if v) or t("portfolio.note.none")),
         (t("portfolio.note.rules"), P.status_rules().file),
         (t("portfolio.note.engines"), f"GCPI {m.id}; finance.deal")]
st.download_button(t("portfolio.export"), P.excel_bytes(table.rename(columns=labels), notes),
                   file_name=f"portfolio_{as_of.isoformat()}.xlsx", mime=XLSX_MIME, help=t("portfolio.export_help"),
                   key="portfolio_export", icon=":material/download:")

st.subheader(t("portfolio.totals"))
totals = P.exposure_totals(shown)
st.dataframe(totals, hide_index=True, key="portfolio_totals", width="content", column_config={
    "currency": labels["currency"], "deals": t("portfolio.col.deals"),
    "amount": money(labels["amount"], format="localized"),
    "outstanding": money(labels["outstanding"], format="localized")})

with st.expander(t("portfolio.detail_pick")):
    pick = st.selectbox(t("portfolio.detail_pick"), list(shown["deal_id"]), key="portfolio_pick",
                        label_visibility="collapsed")
    r = shown.set_index("deal_id").loc[pick]
    st.markdown(f"**{r['name']}** · {r['borrower']} · {r['facility']}")
    st.caption(t("portfolio.margin_reason", reason=r["margin_reason"]) if r["margin_reason"]
               else t("portfolio.margin_contractual"))
    st.markdown(f"**{t('portfolio.trend_title')}**")
    st.dataframe(pd.DataFrame({t("score.period"): r["trend_periods"], t("portfolio.col.total"): r["trend"]}),
                 hide_index=True, width="content", key="portfolio_trend",
                 column_config={t("portfolio.col.total"): st.column_config.NumberColumn(format="%.2f")})

with st.expander(t("portfolio.rule_title")):
    rules = P.status_rules()
    st.markdown(t("portfolio.rule_text"))
    st.dataframe(pd.DataFrame({t("portfolio.col.kpi"): [kpi_label(k) for k in rules.headroom],
                               t("portfolio.col.headroom"): list(rules.headroom.values()),
                               t("portfolio.col.unit"): [rules.units[k] for k in rules.headroom]}),
                 hide_index=True, width="content", key="portfolio_rules")
