"""The credit officer's portfolio: one row per deal of the deal book, computed with the index and finance engines.

Source of truth is the deal book (:mod:`store`): each deal's TOML document (with the store's current SPT
recalculations applied, :func:`apply_spt_records`) and its facility as stored. For each deal,
:func:`deal_row` scores every period of the facility with the GCPI engine (the sparkline is the total by
period), reads the ratchet's KPI values of the latest period, and asks the finance engine
(:func:`workflows.evaluate_deal`) for the margin in force and the outstanding on the "as of" date; the status
(on track / at risk / missed) follows the rule and thresholds of ``data/finance/portfolio_status.toml``.

Pure functions take their inputs as arguments (tests call them directly); :func:`cached_deal_row` and
:func:`status_rules` are the ``st.cache_data`` / ``st.cache_resource`` wrappers the page uses; the page file
(``app_pages/portfolio.py``) only draws widgets.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

import workflows
from app_support.engine import methodology
from common.settings import data_dir
from finance import ratchet as R
from finance.deal import ObservationResult, deal_from_dict, period_results, scenario_outcomes
from finance.ratchet import kpi_direction
from finance.schedule import price, schedule_frame
from finance.terms import KpiRule, SptRatchet
from index.engine import score
from index.errors import InputError
from index.models import Facility
from index.tomlfile import read_toml

STATUS_FILE = data_dir() / "finance" / "portfolio_status.toml"
#: status codes, best first (labels in the catalogue under ``portfolio.status.<code>``)
STATUSES: tuple[str, ...] = ("on_track", "at_risk", "missed")
#: columns of the portfolio frame shown as the table (and written to the Excel export), in order
TABLE_COLUMNS: tuple[str, ...] = (
    "deal_id", "status", "index", "grade", "trend", "margin_bp", "adjustment_bp", "next_observation", "currency",
    "amount", "outstanding", "kpis", "detail", "period", "borrower", "facility")
#: separator of the sparkline's totals when written as text (Excel)
TREND_SEP = "; "


# --------------------------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class StatusRules:
    """Thresholds of the deal status.

    Attributes
    ----------
    headroom : dict
        KPI id → headroom [KPI unit]: a latest value that clears the next SPT by less than this is *at risk*.
    units : dict
        KPI id → unit of its headroom, as written in the file.
    file : str
        The file the rules came from (named in errors).
    """

    headroom: dict[str, float]
    units: dict[str, str]
    file: str

    def headroom_for(self, kpi: str) -> float:
        """Headroom of ``kpi`` [KPI unit].

        Raises
        ------
        InputError
            If the file has no ``[headroom.<kpi>]`` (names the file and the field to add).
        """
        if kpi not in self.headroom:
            raise InputError(f"no headroom for KPI '{kpi}': add [headroom.{kpi}] with value, unit and source",
                             file=self.file, field=f"headroom.{kpi}", value=kpi)
        return self.headroom[kpi]


def load_status_rules(path: str | Path = STATUS_FILE) -> StatusRules:
    """Read the status thresholds (``data/finance/portfolio_status.toml`` by default).

    Each ``[headroom.<kpi>]`` needs ``value`` (a number ≥ 0, in the KPI's unit), ``unit`` and a non-empty
    ``source``.

    Raises
    ------
    InputError
        Unreadable TOML, no ``[headroom]`` table, or a bad entry (file, field, unit and value named).
    """

    raw = read_toml(path, "portfolio status file")
    table = raw.get("headroom")
    if not isinstance(table, dict) or not table:
        raise InputError("the file needs a [headroom.<kpi>] table per KPI", file=str(path), field="headroom")
    headroom, units = {}, {}
    for kpi, entry in table.items():
        field = f"headroom.{kpi}"
        if not isinstance(entry, dict):
            raise InputError("give value, unit and source", file=str(path), field=field, value=entry)
        unit = entry.get("unit")
        v = entry.get("value")
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
            raise InputError("headroom must be a number >= 0 in the KPI's unit", file=str(path),
                             field=field + ".value", unit=unit, value=v)
        if not unit or not str(entry.get("source", "")).strip():
            raise InputError("every headroom needs its unit and a source", file=str(path), field=field,
                             unit=unit)
        headroom[kpi], units[kpi] = float(v), str(unit)
    return StatusRules(headroom, units, str(path))


@st.cache_resource(show_spinner=False)
def status_rules() -> StatusRules:
    """:func:`load_status_rules` of the shipped file, read once per process."""
    return load_status_rules()


# --------------------------------------------------------------------------------- deal book → inputs


def apply_spt_records(document: dict, targets) -> dict:
    """The deal document with the deal book's current SPT records in place of the document's SPTs.

    Parameters
    ----------
    document : dict
        The deal's TOML mapping (:meth:`store.Store.load_deal_document`); not modified.
    targets : iterable of store.TargetRecord
        :meth:`store.Store.targets` of the deal: baselines (``observation_date`` None, ignored) and current
        SPTs; an SPT record replaces ``observations[i].spt[kpi]`` of the observation with that date.

    Returns
    -------
    dict
        A copy of the document (observations copied), SPTs updated.

    Raises
    ------
    InputError
        An SPT record for a date that is no observation date of the deal.
    """
    out = dict(document)
    obs = [dict(o) for o in document.get("observations", [])]
    by_date = {o.get("date"): o for o in obs}
    for rec in targets:
        if rec.observation_date is None or not getattr(rec, "current", True):
            continue
        o = by_date.get(rec.observation_date)
        if o is None:
            raise InputError(f"the deal book has an SPT for {rec.observation_date}, which is not an observation "
                             "date of the deal", field="observations.date", value=str(rec.observation_date))
        o["spt"] = {**o.get("spt", {}), rec.kpi: rec.value}
    out["observations"] = obs
    return out


# --------------------------------------------------------------------------------- one deal


def kpi_value(result, kpi: str) -> float | None:
    """A ratchet KPI of an index result [KPI unit]: ``index`` = total, ``core``, else the indicator's raw value.

    None when not reported (or not a KPI the result knows).
    """
    try:
        v = result.kpi(kpi)
    except KeyError:
        return None
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def _ratchet_kpis(deal) -> list[tuple[str, float]]:
    """(KPI id, no-change band [KPI unit]) of the deal's ratchet; a grid / interpolated ratchet has one KPI, band 0."""

    r = deal.ratchet
    if isinstance(r, SptRatchet):
        return [(k.kpi, float(k.no_change_band)) for k in r.kpis]
    return [(r.kpi, 0.0)]


def _direction(deal, kpi: str) -> str:
    r = deal.ratchet
    rule = next((k for k in r.kpis if k.kpi == kpi), None) if isinstance(r, SptRatchet) else None
    return kpi_direction(rule or KpiRule(kpi=kpi, weight=1.0))


def fmt_value(v: float | None) -> str:
    """A KPI value or SPT for display: 4 significant digits, "—" when missing."""
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.4g}"


@dataclass(frozen=True)
class Status:
    """A deal's status and the fact that decided it.

    Attributes
    ----------
    code : {"on_track", "at_risk", "missed"}
    reason : str
        Catalogue key suffix (``portfolio.reason.<reason>``): ``missed``, ``not_reported``, ``overdue``,
        ``short``, ``thin``, ``ok``, ``no_next``.
    kpi : str or None
    value, spt : float or None
        The KPI value [KPI unit] and the SPT it was compared with.
    date : datetime.date or None
        The observation date concerned.
    """

    code: str
    reason: str
    kpi: str | None = None
    value: float | None = None
    spt: float | None = None
    date: dt.date | None = None


def deal_status(deal, outcomes, latest, as_of: dt.date, rules: StatusRules) -> Status:
    """Status of a deal as of a date (rule of ``data/finance/portfolio_status.toml``).

    Parameters
    ----------
    deal : finance.deal.Deal
    outcomes : list
        Per observation, a :class:`finance.deal.ObservationResult` when the result is known (verified inline or
        scored from the facility's period), else anything else (no result yet).
    latest : index.result.IndexResult or None
        Result of the facility's latest period (the freshest KPI values).
    as_of : datetime.date
    rules : StatusRules

    Returns
    -------
    Status
        *missed* if the latest observation on or before ``as_of`` with a known result missed an SPT (worse
        than the SPT by more than the ratchet's no-change band, or not reported), or if a certificate due
        before ``as_of`` has no result (reporting failure); else *at risk* if a KPI's latest value is
        missing, short of the next SPT or clears it by less than its headroom; else *on track*.

    Raises
    ------
    InputError
        A ratchet KPI without a headroom in the rules file.
    """

    kpis = _ratchet_kpis(deal)
    for i in range(len(deal.observations) - 1, -1, -1):
        o = deal.observations[i]
        if o.date > as_of:
            continue
        oc = outcomes[i]
        if not isinstance(oc, ObservationResult):
            if o.certificate_due < as_of:
                return Status("missed", "overdue", date=o.certificate_due)
            continue  # certificate not due yet: the result is pending, look at the one before
        for kpi, band in kpis:
            spt = o.spt.get(kpi)
            if not isinstance(spt, int | float):
                continue
            v = oc.value(kpi)
            st_ = R.spt_status([[v]], [float(spt)], _direction(deal, kpi), band)[0, 0]
            if st_ == R.MISSED:
                value = None if math.isnan(v) else v
                return Status("missed", "missed" if value is not None else "not_reported", kpi, value,
                              float(spt), o.date)
        break
    nxt = next((o for o in deal.observations if o.date > as_of), None)
    if nxt is None:
        return Status("on_track", "no_next")
    best: Status | None = None
    for kpi, _band in kpis:
        spt = nxt.spt.get(kpi)
        if not isinstance(spt, int | float):
            continue
        room = rules.headroom_for(kpi)
        v = kpi_value(latest, kpi) if latest is not None else None
        if v is None:
            return Status("at_risk", "not_reported", kpi, None, float(spt), nxt.date)
        gap = (v - spt) if _direction(deal, kpi) == "higher" else (spt - v)  # ≥ 0: the SPT is met
        if gap < 0:
            return Status("at_risk", "short", kpi, v, float(spt), nxt.date)
        if gap < room and best is None:
            best = Status("at_risk", "thin", kpi, v, float(spt), nxt.date)
    return best or Status("on_track", "ok", date=nxt.date)


def _margin_at(run, as_of: dt.date) -> dict:
    """Margin in force [bp], ratchet adjustment [bp], outstanding [ccy] and the schedule's reason on ``as_of``.

    ``run`` holds the scenarios "met" and "missed" (future results assumed one way, then the other); where they
    differ on ``as_of`` the margin depends on a result the deal book does not have, and the "missed" one is
    taken (not reported = missed, DESIGN.md §3.1), flagged in ``assumed``.
    """

    priced = price(run.plan, run.regime_adj_bp)
    frames = [schedule_frame(run.plan, priced, s, run.notes[s]).frame for s in range(2)]
    ts = pd.Timestamp(as_of)
    f0 = frames[0]
    loan = run.plan.loan
    if ts < f0["start"].iloc[0]:
        return {"margin_bp": float(loan.margin_bp), "adjustment_bp": 0.0, "outstanding": 0.0, "reason": "",
                "assumed": False}
    hit = f0.index[(f0["start"] <= ts) & (f0["end"] > ts)]
    if len(hit) == 0:  # on or after the last accrual end: matured
        return {"margin_bp": float(loan.margin_bp), "adjustment_bp": 0.0, "outstanding": 0.0, "reason": "",
                "assumed": False, "matured": True}
    r = int(hit[0])
    adj = [float(f["ratchet_bp"].iloc[r]) for f in frames]
    s = 0 if adj[0] == adj[1] else 1
    f = frames[s]
    event = run.plan.row_event[r]  # None: no certificate has taken effect (contractual margin)
    return {"margin_bp": float(loan.margin_bp) + adj[s], "adjustment_bp": adj[s],
            "outstanding": float(f["outstanding"].iloc[r]),
            "reason": str(f["reason"].iloc[r]) if event is not None else "", "assumed": s == 1}


def deal_row(document: dict, facility: Facility, as_of: dt.date, rules: StatusRules, methodology) -> dict:
    """One portfolio row of a deal, from its document and its facility as stored in the deal book.

    Parameters
    ----------
    document : dict
        The deal's TOML mapping (SPT records applied, :func:`apply_spt_records`).
    facility : index.models.Facility
        The deal's facility as stored (its periods are what the index engine scores).
    as_of : datetime.date
        Date of the view: observations on or before it have taken place, and only facility periods that had
        ended by then are scored (the index, grade, KPI values and sparkline are what was known on that date).
    rules : StatusRules
    methodology : index.methodology.Methodology

    Returns
    -------
    dict
        ``deal_id``, ``name``, ``borrower``, ``facility_id``, ``facility`` (name), ``facility_zh``
        (Chinese name, else the name), ``currency``, ``amount``
        [ccy] (facility amount), ``outstanding`` [ccy] on ``as_of``, ``period`` (latest period label),
        ``index`` [score 0-110] and ``grade`` of that period, ``trend`` (totals of every period, oldest first),
        ``trend_periods``, ``kpis`` (ratchet KPI → latest value [KPI unit]), ``next_observation`` (date or
        None), ``next_spt`` (KPI → SPT), ``margin_bp`` (contractual margin + ratchet adjustment) and
        ``adjustment_bp`` [bp] in force on ``as_of``, ``margin_reason`` (the schedule's reason for the margin
        change in force, "" while the contractual margin applies),
        ``margin_assumed`` (True when it assumes unreported results missed), ``status`` and the deciding
        ``status_reason``, ``status_kpi``, ``status_value``, ``status_spt``, ``status_date``.

    Raises
    ------
    InputError
        The document is not a valid deal (every failure, via :func:`finance.deal.validate_deal`), a
        facility period named by an observation is missing, or a KPI has no headroom in ``rules``.
    """

    file = f"deal {document.get('id')}"
    deal = deal_from_dict(document, file=file)
    results = []  # periods that had ended by the as-of date, oldest first
    for p in sorted(facility.periods, key=lambda p: (p.end, p.label)):
        if p.end <= as_of:
            results.append(score(facility, p.label, methodology))
    latest = results[-1] if results else None
    # the deal book's facility as stored: the engines score its figures, not data/facilities/
    ev = workflows.evaluate_deal(deal, facility=facility, methodology=methodology)
    run = ev.run(["met", "missed"])
    outcomes = scenario_outcomes(deal, "met", period_results(deal, ev.results))
    status = deal_status(deal, outcomes, latest, as_of, rules)
    margin = _margin_at(run, as_of)
    nxt = next((o for o in deal.observations if o.date > as_of), None)
    kpis = {k: (kpi_value(latest, k) if latest is not None else None) for k, _ in _ratchet_kpis(deal)}
    period_status = next((p.status for p in facility.periods if latest is not None and p.label == latest.period),
                         None)
    return {
        "deal_id": deal.id, "name": deal.name, "borrower": deal.borrower, "facility_id": facility.id,
        "facility": facility.name,
        "facility_zh": getattr(facility, "name_zh", None) or facility.name, "currency": deal.loan.currency, "amount": float(deal.loan.amount),
        "outstanding": margin["outstanding"],
        "period": latest.period if latest is not None else None,
        "index": float(latest.total) if latest is not None else None,
        "grade": latest.grade if latest is not None else None,
        "trend": [float(r.total) for r in results], "trend_periods": [r.period for r in results],
        "kpis": kpis,
        "next_observation": nxt.date if nxt is not None else None,
        "next_spt": {k: v for k, v in nxt.spt.items()} if nxt is not None else {},
        "margin_bp": margin["margin_bp"], "adjustment_bp": margin["adjustment_bp"],
        "margin_reason": margin["reason"], "margin_assumed": margin["assumed"],
        "status": status.code, "status_reason": status.reason, "status_kpi": status.kpi,
        "status_value": status.value, "status_spt": status.spt, "status_date": status.date,
        # issue 12: figures not verified are indicative (the status and index rest on them, the margin never does)
        "period_status": period_status,
        "indicative": latest is not None and period_status != "verified",
    }


@st.cache_data(show_spinner=False, max_entries=512)
def cached_deal_row(document: dict, facility_json: str, as_of: dt.date) -> dict:
    """:func:`deal_row` with the shipped methodology and status rules, memoised on its inputs.

    The facility comes as its JSON (``Facility.model_dump_json()``) so the cache key is cheap and exact.
    """

    return deal_row(document, Facility.model_validate_json(facility_json), as_of, status_rules(), methodology())


def load_portfolio(store, actor: str, as_of: dt.date) -> tuple[list[dict], list[tuple[str, InputError]]]:
    """Every deal of the deal book as a portfolio row (reads the store, then :func:`cached_deal_row`).

    Parameters
    ----------
    store : store.Store
    actor : str
        Store username; :meth:`store.Store.portfolio_summary` checks that it may read the portfolio.
    as_of : datetime.date

    Returns
    -------
    rows : list of dict
        :func:`deal_row` per deal, in deal id order.
    problems : list of (deal id, InputError)
        Deals that could not be evaluated (left out of ``rows``).

    Raises
    ------
    store.PermissionDenied
        If ``actor`` may not read the portfolio (only credit officers, verifiers and admins may).
    """
    rows, problems = [], []
    for s in store.portfolio_summary(actor):
        try:
            doc = apply_spt_records(store.load_deal_document(s.deal_id), store.targets(s.deal_id))
            fac = store.load_facility(s.facility_id)
            row = dict(cached_deal_row(doc, fac.model_dump_json(), as_of))
            rows.append(on_record(store, row, doc, as_of))
        except InputError as exc:
            problems.append((s.deal_id, exc))
    return rows, problems


def on_record(store, row: dict, document: dict, as_of: dt.date) -> dict:
    """The row with the margin in force taken from the deal book's record (issue 12) when the deal has one: the
    recorded changes a second credit officer approved for the past (:func:`workflows.evaluate_deal` on a
    :class:`workflows.StoreSource`), never a margin computed from figures that are only reported.
    ``margin_source`` says which: ``record`` or ``figures``."""

    if not (store.monitoring_records(row["deal_id"]) or store.margin_change_records(row["deal_id"])):
        return {**row, "margin_source": "figures"}

    deal = deal_from_dict(document, file=f"deal {row['deal_id']}")
    ev = workflows.evaluate_deal(deal, workflows.StoreSource(store), as_of=as_of)
    m = _margin_at(ev.run(["met", "missed"]), as_of)
    return {**row, "margin_bp": m["margin_bp"], "adjustment_bp": m["adjustment_bp"], "margin_reason": m["reason"],
            "margin_assumed": m["assumed"], "margin_source": "record"}


# --------------------------------------------------------------------------------- table, filters, totals, Excel


def portfolio_frame(rows: list[dict]) -> pd.DataFrame:
    """The rows as a DataFrame with every key of :func:`deal_row` (empty frame with those columns if none)."""
    cols = ["deal_id", "name", "borrower", "facility_id", "facility", "facility_zh", "currency", "amount", "outstanding",
            "period", "index", "grade", "trend", "trend_periods", "kpis", "next_observation", "next_spt",
            "margin_bp", "adjustment_bp", "margin_reason", "margin_assumed", "status", "status_reason",
            "status_kpi", "status_value", "status_spt", "status_date", "period_status", "indicative", "margin_source"]
    return pd.DataFrame(rows, columns=cols)


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
        keep &= hay.apply(lambda r: text in " ".join(r).lower(), axis=1)
    return df[keep]


def exposure_totals(df: pd.DataFrame) -> pd.DataFrame:
    """Exposure by currency: ``currency``, ``deals`` (count), ``amount`` and ``outstanding`` [ccy] summed."""
    if df.empty:
        return pd.DataFrame(columns=["currency", "deals", "amount", "outstanding"])
    g = df.groupby("currency", sort=True)
    return pd.DataFrame({"deals": g.size(), "amount": g["amount"].sum(),
                         "outstanding": g["outstanding"].sum()}).reset_index()


def kpi_text(kpis: dict, label=str) -> str:
    """``{"pue": 1.17, "index": 98.69}`` → ``"pue 1.17 · index 98.69"`` (:func:`fmt_value`; ``label(kpi)`` names
    each KPI)."""
    return " · ".join(f"{label(k)} {fmt_value(v)}" for k, v in kpis.items())


def excel_bytes(table: pd.DataFrame, notes: list[tuple[str, str]] = ()) -> bytes:
    """The table as an Excel workbook: sheet ``portfolio`` (headers and rows as shown), sheet ``notes``.

    List cells (the sparkline's totals) are written as text joined by :data:`TREND_SEP`; dates as dates;
    missing values as empty cells.

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
        out = []
        for v in row:
            if isinstance(v, list | tuple):
                v = TREND_SEP.join(f"{x:.2f}" for x in v)
            elif v is None or (isinstance(v, float) and math.isnan(v)):
                v = None
            elif isinstance(v, pd.Timestamp):
                v = v.date()
            out.append(v)
        ws.append(out)
    for i, c in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(48, len(str(c)) + 4))
    ws.freeze_panes = "A2"
    doc = wb.create_sheet("notes")
    for k, v in notes:
        doc.append([k, v])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
