"""Interval data and hourly CFE in the app (issue 15): the operator's upload tab on Data submission, the
verifier's view of completeness, gap-fills and reconciliation, the CFE KPIs on the facility score page, a
day × hour heatmap of hourly matching and a monthly chart of matched vs unmatched energy.

Pure helpers (:func:`evaluate_upload`, :func:`heatmap_frame`, :func:`monthly_frame`) are separate from the
widgets so tests can call them; the engines are :mod:`index.cfe`.
"""

from __future__ import annotations

import hashlib
import io

import altair as alt
import pandas as pd
import streamlit as st

from app_support.i18n import t
from app_support.tables import show as show_table
from common.errors import InputError, InputErrors
from common.text import fmt_date
from index.cfe import annual_fallback, grid_from_frame, read_interval_table, validate_intervals
from index.cfe.report import evaluate
from store.errors import StoreError

FAILURE_COLUMNS = ["file", "row", "meter", "channel", "field", "unit", "value", "reason"]
#: session-state key of the last interval save: (digest, version, figures written)
SAVED_KEY = "cfe_saved"


def facility_zone(facility) -> str:
    """Time zone for charts and bill months: China Standard Time for a Chinese facility (no DST)."""
    return "Asia/Shanghai" if getattr(facility, "province", None) else "UTC"


def bills(facility, period: str, monthly: pd.DataFrame | None, data) -> tuple[dict | None, pd.DataFrame | None]:
    """Period totals [kWh] of the stored period (annual bills) and the monthly series when it covers a month
    of the interval window."""
    per = next((p for p in facility.periods if str(p.label) == str(period)), None)
    totals = None
    if per is not None:
        totals = {n: getattr(per, n).value for n in type(per).model_fields
                  if n.endswith("_kwh") and getattr(per, n) is not None}
    if monthly is not None and not set(data.totals(by="month", tz=facility_zone(facility)).index) & set(monthly.index):
        monthly = None
    return totals, monthly


def grid_for(facility, data, grid_name: str | None = None, grid_bytes: bytes | None = None):
    """Hourly grid share from an uploaded Electricity Maps / EIA-930 file, else the province's annual fallback."""

    if grid_bytes is not None:
        df = pd.read_csv(io.BytesIO(grid_bytes), encoding="utf-8", dtype=str, keep_default_na=False,
                         na_values=[""])
        return grid_from_frame(df, file=grid_name)
    w0, w1 = data.window
    return annual_fallback(facility.province, (w0 + (w1 - w0) / 2).year)


def evaluate_upload(name: str, content: bytes, facility, period: str, monthly=None, *, grid_name=None,
                    grid_bytes=None):
    """Validate an uploaded interval file and, when it has no failure, reconcile and score it.

    Returns
    -------
    (IntervalData or None, CFEReport or None, list of dict)
        The failure rows (columns :data:`FAILURE_COLUMNS`) are empty when the report is given.
    """

    try:
        data = validate_intervals(read_interval_table(content, name=name), file=name)
    except InputErrors as exc:
        return None, None, [dict(e.as_row(), meter=None, channel=None) for e in exc.errors]
    except InputError as exc:
        return None, None, [dict(exc.as_row(), meter=None, channel=None)]
    err = data.errors
    if len(err):
        return data, None, err[FAILURE_COLUMNS].to_dict(orient="records")
    try:
        grid = grid_for(facility, data, grid_name, grid_bytes)
        totals, monthly = bills(facility, period, monthly, data)
        rep = evaluate(data, grid, totals=totals, period_label=str(period), monthly=monthly,
                       tz=facility_zone(facility))
    except InputErrors as exc:
        return data, None, [dict(e.as_row(), meter=None, channel=None) for e in exc.errors]
    except InputError as exc:
        return data, None, [dict(exc.as_row(), meter=None, channel=None)]
    return data, rep, []


def heatmap_frame(result, tz: str) -> pd.DataFrame:
    """Long frame ``day``, ``hour`` (local), ``matched`` (hourly matched share [-]) for the heatmap."""
    hm = result.heatmap(tz)
    out = hm.stack().rename("matched").reset_index()
    out.columns = ["day", "hour", "matched"]
    out["day"] = pd.to_datetime(out["day"])
    return out


def monthly_frame(result, tz: str) -> pd.DataFrame:
    """Long frame ``month``, ``kind`` (matched / unmatched), ``kwh`` [kWh] for the monthly chart."""
    mo = result.monthly(tz)
    out = mo[["matched", "unmatched"]].stack().rename("kwh").reset_index()
    out.columns = ["month", "kind", "kwh"]
    out["month"] = out["month"].astype(str)
    return out


#: columns shown as percentages (fractions × 100) in the report tables
PCT_COLUMNS = ("measured_share", "filled_share", "missing_share", "rel_diff", "tolerance")


def _field_label(name: str) -> str:
    """A period figure by its label (``verification.field.*``), the field name when it has none."""
    try:
        return t(f"verification.field.{name}")
    except KeyError:
        return name


def labelled(df: pd.DataFrame) -> pd.DataFrame:
    """A report table as a reader sees it: column names by label and unit (``cfe.col.*``), channel names by
    label (``cfe.channel.*``), shares in per cent."""
    out = df.copy()
    for c in PCT_COLUMNS:
        if c in out.columns:
            out[c] = pd.to_numeric(out[c], errors="coerce") * 100.0
    if "channel" in out.columns:
        out["channel"] = [t(f"cfe.channel.{v}") if isinstance(v, str) and v else v for v in out["channel"]]
    if "fields" in out.columns:
        out["fields"] = [", ".join(_field_label(f) for f in v) if isinstance(v, (list, tuple)) else v
                         for v in out["fields"]]
    return out.rename(columns={c: t(f"cfe.col.{c}") for c in out.columns})


def show_report(rep, tz: str, key: str) -> None:
    """The three shares, completeness, gap-fills, reconciliation and the two charts."""
    r = rep.result
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("cfe.cfe_score"), f"{r.cfe_score:.1%}")
    c2.metric(t("cfe.hourly_matched"), f"{r.hourly_matched_share:.1%}")
    c3.metric(t("cfe.volumetric"), f"{r.annual_volumetric_share:.1%}")
    c4.metric(t("cfe.hours"), f"{r.hours:,}")
    st.caption(t("cfe.grid_basis", basis=r.grid_basis, source=r.grid_source))
    for n in r.notes:
        st.caption(f"- {n}")
    (st.success if rep.loan_grade else st.warning)(t("cfe.loan_grade") if rep.loan_grade else t("cfe.indicative"))
    st.markdown(f"**{t('cfe.completeness')}**")
    comp = rep.completeness.reset_index()
    show_table(labelled(comp), decimals=2, hide_index=True, key=f"{key}_completeness")
    warn = rep.data.issues[rep.data.issues["severity"] == "warning"]
    st.markdown(f"**{t('cfe.gap_fills', n=len(warn))}**")
    if len(warn):
        show_table(labelled(warn[["meter", "channel", "value", "reason"]]), hide_index=True, key=f"{key}_gaps")
    st.markdown(f"**{t('cfe.reconciliation', tol=f'{rep.settings.tolerance:.1%}')}**")
    if rep.reconciliation.empty:
        st.caption(t("cfe.no_bills"))
    else:
        show_table(labelled(rep.reconciliation), decimals=3, hide_index=True, key=f"{key}_recon")
    st.markdown(f"**{t('cfe.heatmap')}**")
    hm = heatmap_frame(r, tz)
    st.altair_chart(alt.Chart(hm).mark_rect().encode(
        x=alt.X("hour:O", title=t("cfe.hour")), y=alt.Y("yearmonthdate(day):O", title=t("cfe.day")),
        color=alt.Color("matched:Q", title=t("cfe.hourly_matched"), scale=alt.Scale(domain=[0, 1])),
        tooltip=["day:T", "hour:O", alt.Tooltip("matched:Q", format=".0%")]), key=f"{key}_heatmap")
    st.markdown(f"**{t('cfe.monthly')}**")
    mo = monthly_frame(r, tz)
    mo["kind"] = [t(f"cfe.kind_{k}") for k in mo["kind"]]
    st.altair_chart(alt.Chart(mo).mark_bar().encode(
        x=alt.X("month:N", title=t("cfe.month")), y=alt.Y("kwh:Q", title="kWh"),
        color=alt.Color("kind:N", title=t("cfe.kind")),
        tooltip=["month", "kind", alt.Tooltip("kwh:Q", format=",.0f")]), key=f"{key}_monthly")


def interval_tab(book, actor: str, facility_ids: list[str], lang: str) -> None:
    """Data submission: upload an interval file for a facility and period, see failures or the report, save."""
    if not facility_ids:
        st.warning(t("upload.no_facility"))
        return
    st.markdown(t("cfe.upload_help"))
    c1, c2 = st.columns(2)
    fid = c1.selectbox(t("upload.enter_facility"), facility_ids, key=f"cfe_facility_{lang}")
    fac = book.load_facility(fid)
    labels = [p.label for p in fac.periods]
    period = c2.selectbox(t("cfe.period"), labels, index=len(labels) - 1, key=f"cfe_period_{fid}") if labels \
        else c2.text_input(t("cfe.period"), key=f"cfe_period_text_{fid}")
    up = st.file_uploader(t("cfe.file"), type=["csv", "parquet", "xlsx"], key="cfe_file")
    grid_up = st.file_uploader(t("cfe.grid_file"), type=["csv"], key="cfe_grid_file")
    if up is None or not period:
        return
    content = up.getvalue()
    grid_bytes = grid_up.getvalue() if grid_up is not None else None
    with st.spinner(t("cfe.checking", file=up.name)):
        data, rep, failures = evaluate_upload(up.name, content, fac, period, book.monthly(fid),
                                              grid_name=grid_up.name if grid_up else None, grid_bytes=grid_bytes)
    if failures:
        st.error(t("upload.failures", n=len(failures)))
        show_table(labelled(pd.DataFrame(failures, columns=FAILURE_COLUMNS)), hide_index=True, key="cfe_failures")
        return
    show_report(rep, facility_zone(fac), "cfe_upload")
    digest = hashlib.sha256(content + (grid_bytes or b"") + f"{fid}/{period}".encode()).hexdigest()
    if st.button(t("cfe.save", id=fid, period=period), type="primary", key="cfe_save", icon=":material/save:"):
        _save(book, actor, fid, period, data, rep, up.name, digest)
    saved = st.session_state.get(SAVED_KEY)
    if saved is not None and saved[0] == digest:
        st.success(t("cfe.saved", version=saved[1], figures=", ".join(saved[2]) or "—"))


def _save(book, actor, fid, period, data, rep, name, digest) -> None:
    try:
        version = book.save_intervals(actor, fid, str(period), data, source=name)
        written = []
        if any(str(p.label) == str(period) for p in book.load_facility(fid).periods):
            for field, fig in rep.figures().items():
                book.report_figure(actor, fid, str(period), field, float(fig["value"]), source=fig["source"])
                written.append(field)
    except (StoreError, InputError) as exc:
        st.error(str(exc))
        return
    st.session_state[SAVED_KEY] = (digest, version, written)


def stored_report(book, fid: str, period: str):
    """The CFE report of the stored interval data of a facility period (province fallback grid), or None."""

    data = book.intervals(fid, str(period))
    if data is None:
        return None
    fac = book.load_facility(fid)
    totals, monthly = bills(fac, period, book.monthly(fid), data)
    return evaluate(data, grid_for(fac, data), totals=totals, period_label=str(period), monthly=monthly,
                    tz=facility_zone(fac), allow_gaps=True)


def verifier_panel(book, fid: str, period: str) -> None:
    """Verification page: completeness, gap-fills and reconciliation of the stored interval data."""
    with st.expander(t("cfe.verifier_heading")):
        versions = book.interval_versions(fid, str(period))
        if not versions:
            st.caption(t("cfe.none_stored"))
            return
        v = versions[-1]
        st.caption(t("cfe.version", version=v.version, rows=f"{v.rows:,}", by=v.created_by, at=fmt_date(v.created_at),
                     sha=v.sha256[:16], source=v.source or "—"))
        try:
            with st.spinner(t("cfe.checking", file=v.source or "—")):
                rep = stored_report(book, fid, period)
        except InputError as exc:
            st.error(str(exc))
            return
        show_report(rep, facility_zone(book.load_facility(fid)), f"cfe_ver_{fid}_{period}")
