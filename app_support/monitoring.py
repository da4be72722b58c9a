"""Tables and exports of the monitoring pages (issue 12): due dates, amendments, history.

Pure helpers over what :mod:`workflows.monitoring` returns; the pages draw the frames with
:func:`app_support.tables.display_frame` / :func:`app_support.tables.show`. Every header and word comes from the
catalogue (``i18n/{zh,en}/monitoring.toml``, figure names from ``verification.field``); ids, dates, numbers and
units are shown as they are.

Functions
---------
``due_frame(items, label)``            the credit officer's due / overdue list, with the ``overdue`` flag per row
``overdue_style(frame, overdue)``      a pandas Styler painting overdue rows red
``amendment_frames(a, label)``         threshold test, recalibrated SPTs, ambition checks of an amendment
``history_frames(h, chain, label)``    audit trail, figure chains, margin changes with approvals, deal versions
``to_xlsx(frames)``                    one Excel workbook (openpyxl), a sheet per frame
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

import pandas as pd

from app_support.evidence import ambition_text, kpi_name
from app_support.tables import display_frame
from common.text import fmt_date, fmt_num, fmt_pct

Label = Callable[..., str]

#: background of an overdue row (red, readable in both themes)
OVERDUE_CSS = "background-color: #f8d7da; color: #842029"


def _known(label: Label, key: str, fallback: str) -> str:
    """``label(key)`` when the catalogue has it, else ``fallback`` (an id shown as it is)."""
    try:
        return label(key)
    except KeyError:
        return fallback


def field_label(label: Label, field: str, unit: str | None = None) -> str:
    """A figure's name from the catalogue (``verification.field.<field>``) with its unit, e.g.
    ``IT equipment energy [kWh]``; the field id itself when the catalogue has no name for it."""
    name = _known(label, f"verification.field.{field}", field)
    return f"{name} [{unit}]" if unit and unit != "-" else name


# ----------------------------------------------------------------------------------------- due dates


def due_frame(items, label: Label) -> tuple[pd.DataFrame, list[bool]]:
    """The due / overdue list as a table.

    Parameters
    ----------
    items : list of finance.monitoring.DueItem
    label : callable
        ``t`` of :mod:`app_support.i18n`.

    Returns
    -------
    (pandas.DataFrame, list of bool)
        One row per item: deal, observation date, report due date and status, certificate due date and status,
        the next deadline and the days left [days] (negative = overdue by that many); and per row whether the
        report or the certificate is overdue (painted red).
    """
    rows = []
    for it in items:
        nxt = label(f"due.next.{it.next_kind}") if it.next_kind else label("due.next.none")
        rows.append({
            label("due.col.deal"): it.deal_id,
            label("due.col.observation"): fmt_date(it.observation_date),
            label("due.col.report_due"): fmt_date(it.report_due),
            label("due.col.report_status"): label(f"due.status.{it.report_status}"),
            label("due.col.certificate_due"): fmt_date(it.certificate_due),
            label("due.col.certificate_status"): label(f"due.status.{it.status}"),
            label("due.col.next"): nxt,
            label("due.col.next_due"): fmt_date(it.next_due),
            label("due.col.days_left"): it.days_left,
            label("due.col.provisional"): label("due.yes") if it.provisional else label("due.no"),
        })
    frame = pd.DataFrame(rows)
    if not any(it.provisional for it in items):      # the column only when a date rests on a fallback calendar
        frame = frame.drop(columns=[label("due.col.provisional")], errors="ignore")
    return frame, [it.overdue for it in items]


def overdue_style(frame: pd.DataFrame, overdue: list[bool]):
    """``display_frame(frame)`` as a Styler with the overdue rows in red (:data:`OVERDUE_CSS`)."""
    shown = display_frame(frame, decimals=0)
    css = [OVERDUE_CSS if flag else "" for flag in overdue]
    return shown.style.apply(lambda col: css, axis=0)


# ----------------------------------------------------------------------------------------- amendments


def amendment_frames(a, label: Label) -> dict[str, pd.DataFrame]:
    """What an amendment computed (:class:`workflows.monitoring.Amendment`), as three tables.

    Returns
    -------
    dict
        ``threshold``: the event and the threshold test (share of design IT power [%] against the threshold of
        :func:`index.baseline.recalculation_policy`), old and new baseline per KPI [KPI unit];
        ``spts``: observation, KPI, SPT before and after [KPI unit];
        ``checks``: the ambition checks of the new SPT plan (KPI, year, SPT, check, verdict, reference, evidence
        worded from the check's code, :func:`app_support.evidence.ambition_text`).

    KPIs are shown by name (catalogue ``designer.kpi_name``).
    """
    rc = a.recalculation
    ev = rc.event
    head = [
        (label("amend.test.event"), label(f"amend.kind.{ev.kind}")),
        (label("amend.test.date"), fmt_date(ev.date)),
        (label("amend.test.reason"), ev.reason),
        (label("amend.test.capacity"), label("amend.na") if ev.capacity_change_kw is None
         else f"{fmt_num(ev.capacity_change_kw)} kW"),
        (label("amend.test.share"), label("amend.na") if rc.share is None else fmt_pct(rc.share, 2)),
        (label("amend.test.threshold"), label("amend.na") if rc.threshold is None
         else fmt_pct(rc.threshold, 1)),
        (label("amend.test.triggered"), label("amend.yes") if rc.triggered else label("amend.no")),
    ]
    plan = rc.new_plan if rc.new_plan is not None else rc.old_plan
    for kpi in sorted(plan.paths) if plan is not None else []:   # the KPIs the deal's SPTs are set on
        head.append((label("amend.test.baseline", kpi=kpi_name(kpi, label)),
                     f"{fmt_num(rc.old_baseline.value(kpi))} → {fmt_num(rc.new_baseline.value(kpi))}"))
    threshold = pd.DataFrame(head, columns=[label("amend.col.item"), label("amend.col.value")])
    spts = pd.DataFrame([{label("amend.col.observation"): d, label("amend.col.kpi"): kpi_name(kpi, label),
                          label("amend.col.old"): float(old), label("amend.col.new"): float(new)}
                         for d, per in sorted(a.spts.items()) for kpi, (old, new) in sorted(per.items())],
                        columns=[label("amend.col.observation"), label("amend.col.kpi"), label("amend.col.old"),
                                 label("amend.col.new")])
    verdict = {True: label("amend.check.ok"), False: label("amend.check.flagged"), None: label("amend.check.none")}
    checks = pd.DataFrame([{label("amend.col.kpi"): kpi_name(c.kpi, label), label("amend.col.year"): str(c.year),
                            label("amend.col.spt"): float(c.spt),
                            label("amend.col.check"): _known(label, f"amend.check_kind.{c.check}", c.check),
                            label("amend.col.verdict"): verdict[c.ambitious],
                            label("amend.col.reference"): None if c.reference is None else float(c.reference),
                            label("amend.col.evidence"): ambition_text(c, label)}
                           for c in a.checks],
                          columns=[label("amend.col.kpi"), label("amend.col.year"), label("amend.col.spt"),
                                   label("amend.col.check"), label("amend.col.verdict"),
                                   label("amend.col.reference"), label("amend.col.evidence")])
    return {"threshold": threshold, "spts": spts, "checks": checks}


# ----------------------------------------------------------------------------------------- history


def _entity(label: Label, entity: str) -> str:
    return _known(label, f"history.entity.{entity}", entity)


def _num_text(v) -> str:
    """A recorded value as text: a number by :func:`common.text.fmt_num`, anything else as recorded."""
    return fmt_num(v) if isinstance(v, int | float) and not isinstance(v, bool) else "—" if v is None else str(v)


def summary_text(row: Mapping, label: Label) -> str | None:
    """The ``Details`` of one audit row in the label's language, from its ``summary_code`` / ``summary_params``
    (:func:`workflows.monitoring.summary_code`; catalogue ``history.summary.*``); None (shown "—") when the record
    says nothing more than its action. KPIs by name, kinds and states by their labels, numbers by ``fmt_num``;
    ids, dates, reasons and sources as recorded."""
    code, p = row["summary_code"], row["summary_params"]
    if code == "action":
        return None
    if code == "period":
        return label("history.summary.period", what=p["key"], n=p["n"])
    if code == "figure":
        out = label("history.summary.figure", what=p["key"], old=_num_text(p["old"]), new=_num_text(p["new"]),
                    step=_known(label, f"history.step.{p['step']}", p["step"]))
        if p.get("reason"):
            out += label("history.summary.reason", reason=p["reason"])
        if p.get("source"):
            out += label("history.summary.source", source=p["source"])
        return out
    if code == "margin_prepare":
        return label("history.summary.margin_prepare", kind=_known(label, f"margin.kind.{p['kind']}", str(p["kind"])),
                     before=_num_text(p["before"]), after=_num_text(p["after"]), effective=fmt_date(p["effective"]))
    if code == "margin_decision":
        out = _known(label, f"margin.state.{p['state']}", str(p["state"]))
        return out + (label("history.summary.note", note=p["note"]) if p.get("note") else "")
    if code == "monitoring_record":
        kpis = p.get("kpis") or {}
        text = " · ".join(f"{kpi_name(k, label)} {_num_text(v)}" for k, v in kpis.items())
        return label("history.summary.monitoring_record",
                     status=_known(label, f"history.stage.{p['status']}", str(p["status"])), kpis=text or "—",
                     statement=p.get("statement") or "—")
    if code == "deal_version":
        out = label("history.summary.version", version=p["version"]) if p.get("version") is not None else ""
        return (out + (label("history.summary.reason", reason=p["reason"]) if p.get("reason") else "")).strip("；; ")
    raise KeyError(f"history.summary.{code}")


def history_frames(h, chain: list[dict], label: Label) -> dict[str, pd.DataFrame]:
    """The readable history of a deal or facility.

    Parameters
    ----------
    h : workflows.monitoring.DealHistory
    chain : list of dict
        :func:`workflows.monitoring.figure_chain` of the facility.

    Returns
    -------
    dict of pandas.DataFrame
        ``trail`` (when, who, what, record, details), ``figures`` (period, figure [unit], step, stage, value,
        evidence, reason, when, who), ``changes`` (deal, observation, kind, effective date, margin before and
        after [bp], prepared by / at, state, decided by / at, note) and ``versions`` (deal version, kind, reason,
        when, who).
    """
    trail = pd.DataFrame([{label("history.col.at"): r["at"][:19].replace("T", " "),
                           label("history.col.actor"): r["actor"],
                           label("history.col.entity"): _entity(label, r["entity"]),
                           label("history.col.action"): _known(label, f"history.action.{r['action']}", r["action"]),
                           label("history.col.key"): r["key"],
                           # a record with nothing more to say than its action shows "—", not the action twice
                           label("history.col.summary"): summary_text(r, label)}
                          for r in h.rows],
                         columns=[label(f"history.col.{c}") for c in ("at", "actor", "entity", "action", "key",
                                                                        "summary")])
    figures = pd.DataFrame([{label("history.col.period"): r["period"] or label("history.facility_level"),
                             label("history.col.field"): field_label(label, r["field"], r["unit"]),
                             label("history.col.step"): r["step"],
                             label("history.col.stage"): _known(label, f"history.stage.{r['stage']}", r["stage"]),
                             label("history.col.value"): r["value"],
                             label("history.col.source"): r["source"],
                             label("history.col.reason"): r["reason"],
                             label("history.col.at"): r["at"][:19].replace("T", " "),
                             label("history.col.actor"): r["by"]} for r in chain],
                           columns=[label(f"history.col.{c}") for c in ("period", "field", "step", "stage", "value",
                                                                          "source", "reason", "at", "actor")])
    changes = pd.DataFrame([{label("history.col.deal"): c.deal_id,
                             label("history.col.observation"): fmt_date(c.observation_date),
                             label("history.col.kind"): _known(label, f"history.kind.{c.kind}", c.kind),
                             label("history.col.effective"): fmt_date(c.effective_date),
                             label("history.col.before"): c.margin_before_bp,
                             label("history.col.after"): c.margin_after_bp,
                             label("history.col.prepared_by"): c.prepared_by,
                             label("history.col.prepared_at"): fmt_date(c.prepared_at),
                             label("history.col.state"): _known(label, f"margin.state.{c.state}", c.state),
                             label("history.col.decided_by"): c.decided_by,
                             label("history.col.decided_at"): fmt_date(c.decided_at),
                             label("history.col.note"): c.note} for c in h.changes],
                           columns=[label(f"history.col.{c}") for c in (
                               "deal", "observation", "kind", "effective", "before", "after", "prepared_by",
                               "prepared_at", "state", "decided_by", "decided_at", "note")])
    versions = pd.DataFrame([{label("history.col.deal"): (v.get("document") or {}).get("id", h.deal_id),
                              label("history.col.version"): v["version"],
                              label("history.col.kind"): _known(label, f"history.version_kind.{v['kind']}",
                                                                v["kind"]),
                              label("history.col.reason"): v.get("reason"),
                              label("history.col.at"): fmt_date(v.get("created_at")),
                              label("history.col.actor"): v.get("created_by")} for v in h.versions],
                            columns=[label(f"history.col.{c}") for c in ("deal", "version", "kind", "reason", "at",
                                                                           "actor")])
    return {"trail": trail, "figures": figures, "changes": changes, "versions": versions}


def to_xlsx(frames: Mapping[str, pd.DataFrame], sheet_names: Mapping[str, str] | None = None) -> bytes:
    """An Excel workbook (``openpyxl``), one sheet per frame as :func:`app_support.tables.display_frame` shows it
    (no nan / None / unrounded floats). Sheet names are cut to Excel's 31 characters."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for key, df in frames.items():
            name = (sheet_names or {}).get(key, key)[:31]
            display_frame(df).to_excel(xw, sheet_name=name, index=False)
    return buf.getvalue()


def to_csv(frame: pd.DataFrame) -> bytes:
    """CSV (UTF-8 with BOM, so Excel opens Chinese text right) of a frame as shown."""
    return display_frame(frame).to_csv(index=False).encode("utf-8-sig")

