"""The credit officer's portfolio page, formatting only: the rows come from the workflow step
:func:`workflows.portfolio_of` (margin in force, last observation and status from the deal book's record; the
forward-looking part — headroom to the next SPT, completeness, P(met) — computed for all deals at once).

Pure functions take their inputs as arguments (tests call them directly); :func:`status_rules` is the
``st.cache_resource`` wrapper of the thresholds file; the page file (``app_pages/portfolio.py``) draws widgets.
"""

from __future__ import annotations

import datetime as dt
import io
import math

import pandas as pd
import streamlit as st
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

import workflows
from app_support.engine import methodology
from app_support.tables import display_frame
from common.text import MISSING, fmt_date, fmt_num
from workflows.portfolio import STATUSES, PortfolioFrame, StatusRules, load_status_rules

#: columns the credit officer scans, in order (the table fits a 978 px box: widths in :data:`WIDTHS`)
TABLE_COLUMNS: tuple[str, ...] = ("deal_id", "borrower", "status", "margin_bp", "index", "completeness", "basis",
                                  "next_observation", "headroom")
#: column widths [px] of the table: 945 px plus the ~30 px row-selection column fit Streamlit's 978 px centred
#: box; every header fits in both languages (tests/app/test_app_portfolio.py checks, the browser test looks)
WIDTHS: dict[str, int] = {"deal_id": 145, "borrower": 100, "status": 75, "margin_bp": 105, "index": 95,
                          "completeness": 105, "basis": 95, "next_observation": 105, "headroom": 120}
#: columns of the Excel export, in order
EXPORT_COLUMNS: tuple[str, ...] = (
    "deal_id", "name", "borrower", "facility", "currency", "amount", "status", "detail", "margin_bp",
    "contractual_margin_bp", "adjustment_bp", "margin_since", "last_observation", "last_record", "last_index",
    "period", "index", "grade", "completeness", "basis", "next_observation", "headroom", "p_met")
#: decimals shown per column (display_frame)
DECIMALS: dict[str, int] = {"margin_bp": 1, "contractual_margin_bp": 1, "adjustment_bp": 1, "index": 2,
                            "last_index": 2, "completeness": 0, "amount": 0, "p_met": 0}

__all__ = ["DECIMALS", "EXPORT_COLUMNS", "STATUSES", "TABLE_COLUMNS", "WIDTHS", "PortfolioFrame",
           "StatusRules", "excel_bytes", "exposure_totals", "filter_frame", "headroom_text", "load_portfolio",
           "load_status_rules", "reason_text", "status_rules", "view_frame"]


@st.cache_resource(show_spinner=False)
def status_rules() -> StatusRules:
    """:func:`workflows.load_status_rules` (the engine's default thresholds), read once per process."""
    return load_status_rules()


def load_portfolio(store, actor: str, as_of: dt.date) -> PortfolioFrame:
    """:func:`workflows.portfolio_of` with the app's methodology and the shipped status rules.

    Raises
    ------
    store.PermissionDenied
        If ``actor`` may not read the portfolio (only credit officers, verifiers and admins may).
    """
    return workflows.portfolio_of(store, as_of, actor=actor, rules=status_rules(), methodology=methodology())


# --------------------------------------------------------------------------------- words for a row


def _num(v) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def headroom_text(r, kpi_label) -> str:
    """``"PUE +0.02"``: the tightest KPI and its headroom to the next SPT [KPI unit] (≥ 0 meets it); "—" when
    the KPI has no value or there is no observation left."""
    k, h = r.get("headroom_kpi"), _num(r.get("headroom"))
    if not isinstance(k, str) or h is None:
        return MISSING
    return f"{kpi_label(k)} {'+' if h >= 0 else '−'}{fmt_num(abs(h), 3)}"


def reason_text(r, t, kpi_label) -> str:
    """Why the deal has its status, in words (catalogue ``portfolio.reason.*``), plus the *indicative* note
    when the index or the last observation rests on figures that are not verified."""
    reason = r["status_reason"]
    if reason == "not_reported":
        reason = "missed_not_reported" if r["status"] == "missed" else "risk_not_reported"
    fmt = {"kpi": kpi_label(r["status_kpi"]) if isinstance(r.get("status_kpi"), str) else "",
           "value": fmt_num(_num(r.get("status_value")), 4), "spt": fmt_num(_num(r.get("status_spt")), 4),
           "date": fmt_date(r.get("status_date"))}
    text = t(f"portfolio.reason.{reason}", **fmt)
    if r.get("last_record") == "reported":
        text += "; " + t("portfolio.reason.indicative_record", date=fmt_date(r.get("last_observation")),
                         value=fmt_num(_num(r.get("last_index")), 4))
    elif r.get("indicative"):
        text += "; " + t("portfolio.reason.indicative_period", period=r.get("period") or MISSING)
    return text


def view_frame(df: pd.DataFrame, t, kpi_label, lang: str) -> pd.DataFrame:
    """The portfolio frame with the words a reader sees: translated status and basis, the facility name in
    ``lang``, completeness and P(met) in percent, headroom and reason as text; every other column as is."""
    status = {s: t(f"portfolio.status.{s}") for s in STATUSES}
    basis = {True: t("portfolio.basis.indicative"), False: t("portfolio.basis.verified")}
    record = {"verified": t("portfolio.record.verified"), "reported": t("portfolio.record.reported")}
    rows = df.to_dict("records")
    return df.assign(
        status=df["status"].map(status),
        basis=[basis[bool(r["indicative"])] if r.get("period") is not None else MISSING for r in rows],
        last_record=df["last_record"].map(record).fillna(t("portfolio.record.none")),
        facility=df["facility_zh"] if lang == "zh" else df["facility"],
        completeness=df["completeness"] * 100.0, p_met=df["p_met"] * 100.0,
        headroom=[headroom_text(r, kpi_label) for r in rows],
        detail=[reason_text(r, t, kpi_label) for r in rows])


# --------------------------------------------------------------------------------- filters, totals, Excel


def filter_frame(df: pd.DataFrame, *, statuses=None, grades=None, currencies=None, text: str = "") -> pd.DataFrame:
    """Rows matching every filter given (None or empty = no filter on that column).

    ``text`` matches, case-insensitively, the deal id, name, borrower, facility id or facility name (English
    or Chinese).
    """
    keep = pd.Series(True, index=df.index)
    if statuses:
        keep &= df["status"].isin(list(statuses))
    if grades:
        keep &= df["grade"].isin(list(grades))
    if currencies:
        keep &= df["currency"].isin(list(currencies))
    text = (text or "").strip().lower()
    if text:
        hay = df[["deal_id", "name", "borrower", "facility_id", "facility", "facility_zh"]].fillna("").astype(str)
        keep &= hay.agg(" ".join, axis=1).str.lower().str.contains(text, regex=False)
    return df[keep]


def exposure_totals(df: pd.DataFrame) -> pd.DataFrame:
    """Exposure by currency: ``currency``, ``deals`` (count) and ``amount`` [ccy] summed."""
    if df.empty:
        return pd.DataFrame(columns=["currency", "deals", "amount"])
    g = df.groupby("currency", sort=True)
    return pd.DataFrame({"deals": g.size(), "amount": g["amount"].sum()}).reset_index()


def excel_bytes(table: pd.DataFrame, notes: list[tuple[str, str]] = ()) -> bytes:
    """The table as an Excel workbook: sheet ``portfolio`` (headers and rows as given), sheet ``notes``.

    Give ``table`` through :func:`app_support.tables.display_frame` (rounded, "—" for missing); dates are
    written as dates.

    Parameters
    ----------
    table : DataFrame
        The table as displayed (headers already translated).
    notes : list of (str, str)
        Label/value pairs for the ``notes`` sheet (as-of date, filters, sources).
    """
    wb = Workbook()
    ws = wb.active
    ws.title = "portfolio"
    ws.append([str(c) for c in table.columns])
    for row in table.itertuples(index=False):
        ws.append([v.date() if isinstance(v, pd.Timestamp) else v for v in row])
    for i, c in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(48, len(str(c)) + 4))
    ws.freeze_panes = "A2"
    doc = wb.create_sheet("notes")
    for k, v in notes:
        doc.append([k, v])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_frame(view: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """:data:`EXPORT_COLUMNS` of the view, rounded and "—" for missing (:func:`display_frame`), headers
    translated."""
    return display_frame(view[list(EXPORT_COLUMNS)], DECIMALS).rename(columns=labels)
