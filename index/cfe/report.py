"""One CFE evaluation: validated intervals → reconciliation → hourly CFE, and its text / JSON report.

:func:`evaluate` is the thin pipeline the CLI (file and deal-book forms) and the app call; each step is a
public function of :mod:`index.cfe` and can be called alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from index.cfe.engine import CFEResult, hourly_cfe
from index.cfe.grid import GridCFE
from index.cfe.intervals import IntervalData
from index.cfe.reconcile import check_reconciliation, reconcile_monthly, reconcile_period
from index.cfe.settings import CFESettings, load_settings


@dataclass
class CFEReport:
    """Everything a verifier needs to read one CFE figure.

    Attributes
    ----------
    data : IntervalData
    result : CFEResult or None
        None when the data had errors (then :attr:`data` ``issues`` say why).
    reconciliation : pandas.DataFrame
        Columns :data:`index.cfe.reconcile.RECON_COLUMNS` (empty when no bills were given).
    completeness : pandas.DataFrame
        Per channel (see :meth:`IntervalData.completeness`).
    loan_grade : bool
        True when every channel's measured share reaches ``[completeness] min_measured_share``, the
        reconciliation passed (and bills were given) and the grid basis is hourly; otherwise the figure is
        indicative only.
    """

    data: IntervalData
    result: CFEResult | None
    reconciliation: pd.DataFrame
    completeness: pd.DataFrame
    loan_grade: bool
    settings: CFESettings

    def figures(self, *, status: str = "reported") -> dict[str, dict]:
        """The CFE score and hourly matched share as period figures (``PeriodData.cfe_score`` /
        ``hourly_matched_share`` [fraction]) with their provenance, for a facility file or the deal book.

        Returns
        -------
        dict
            ``{"cfe_score": {"value", "status", "source"}, "hourly_matched_share": {...}}``.
        """
        r = self.result
        src = (f"interval data {self.data.file or ''} ({r.hours} h, window "
               f"{self.data.window[0].isoformat()} – {self.data.window[1].isoformat()}); grid {r.grid_basis}: "
               f"{r.grid_source}; dcsll index.cfe settings sha256 {r.settings_sha256[:12]}")
        if not self.loan_grade:
            src += "; indicative only (see the CFE report)"
        return {"cfe_score": {"value": r.cfe_score, "status": status, "source": src},
                "hourly_matched_share": {"value": r.hourly_matched_share, "status": status, "source": src}}

    def as_dict(self) -> dict:
        """JSON-ready dict: shares, hours, completeness, reconciliation, issues count and notes."""
        comp = self.completeness.reset_index().to_dict(orient="records")
        rec = self.reconciliation.replace({float("inf"): None}).to_dict(orient="records")
        return {
            "file": self.data.file,
            "window_utc": [self.data.window[0].isoformat(), self.data.window[1].isoformat()],
            **(self.result.as_dict() if self.result else {}),
            "completeness": comp,
            "series": self.data.series.to_dict(orient="records"),  # per meter and channel, with calibration_ref
            "gap_filled_intervals": int(self.data.series["filled"].sum()) if len(self.data.series) else 0,
            "reconciliation": rec,
            "reconciliation_tolerance": self.settings.tolerance,
            "issues": {"errors": int((self.data.issues["severity"] == "error").sum()),
                       "warnings": int((self.data.issues["severity"] == "warning").sum())},
            "loan_grade": self.loan_grade,
        }


def evaluate(data: IntervalData, grid: GridCFE, *, totals: Mapping[str, float | None] | None = None,
             period_label: str = "period", monthly: pd.DataFrame | None = None, tz: str | None = None,
             allow_gaps: bool = False, settings: CFESettings | None = None) -> CFEReport:
    """Validate, reconcile and score one facility's interval data.

    Parameters
    ----------
    data : IntervalData
        From :func:`index.cfe.validate_intervals` / :func:`index.cfe.read_intervals`.
    grid : GridCFE
    totals : mapping, optional
        The period's totals by field [kWh] (annual bills), e.g. from a ``PeriodData``.
    monthly : pandas.DataFrame, optional
        Monthly totals (``index.forecast.load_monthly`` shape) to reconcile month by month.
    tz : str, optional
        Time zone of the bill months.
    allow_gaps : bool
        Accept unfilled gaps; hours with missing load still stop the CFE calculation.

    Returns
    -------
    CFEReport

    Raises
    ------
    InputErrors
        Validation errors (every bad row), or a reconciliation beyond tolerance.
    InputError
        Missing hours at matching time; grid data not covering the hours.
    """
    st = settings or load_settings()
    data.raise_for_errors(allow_gaps=allow_gaps)
    parts = []
    if totals is not None:
        parts.append(reconcile_period(data, totals, label=period_label, settings=st))
    if monthly is not None:
        parts.append(reconcile_monthly(data, monthly, tz=tz, settings=st))
    parts = [p for p in parts if not p.empty]
    rec = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["period", "channel", "fields", "intervals_kwh", "bill_kwh", "diff_kwh", "rel_diff", "tolerance", "ok"])
    check_reconciliation(rec, file=data.file)
    hourly = data.hourly()
    result = hourly_cfe(hourly, grid, settings=st, file=data.file)
    comp = data.completeness()
    loan_grade = bool(len(rec) > 0 and (comp["measured_share"] >= st.min_measured_share).all()
                      and grid.basis == "hourly")
    return CFEReport(data=data, result=result, reconciliation=rec, completeness=comp, loan_grade=loan_grade,
                     settings=st)


def format_report(rep: CFEReport) -> str:
    """Plain-text report of a :class:`CFEReport` (what ``dcsll cfe`` prints)."""
    r = rep.result
    d = rep.data
    lines = [f"Hourly carbon-free energy (24/7 CFE, Google 2021) — {d.file or 'interval data'}",
             f"window (UTC): {d.window[0].isoformat()} – {d.window[1].isoformat()}   hours: {r.hours}",
             "",
             f"  CFE score                 {r.cfe_score:8.2%}   Σ(m + g·(load − m)) / Σ load",
             f"  hourly matched share      {r.hourly_matched_share:8.2%}   Σ min(load, c) / Σ load",
             f"  annual volumetric share   {r.annual_volumetric_share:8.2%}   min(Σ c, Σ load) / Σ load",
             "",
             f"  load {r.load_kwh:,.0f} kWh   clean supply {r.clean_kwh:,.0f} kWh   matched {r.matched_kwh:,.0f} kWh   "
             f"grid carbon-free {r.grid_cfe_kwh:,.0f} kWh",
             f"  grid basis: {r.grid_basis} — {r.grid_source}",
             f"  storage rule: {r.storage_rule}",
             "",
             "Completeness per channel (intervals)"]
    c = rep.completeness
    lines.append(f"  {'channel':<18}{'meters':>7}{'expected':>10}{'measured':>10}{'filled':>8}{'missing':>8}"
                 f"{'measured %':>12}{'kWh':>18}")
    for ch, row in c.iterrows():
        lines.append(f"  {ch:<18}{int(row.meters):>7}{int(row.expected):>10}{int(row.measured):>10}"
                     f"{int(row.filled):>8}{int(row.missing):>8}{row.measured_share:>12.2%}{row.kwh:>18,.1f}")
    lines += ["", f"Reconciliation to bills (tolerance {rep.settings.tolerance:.1%})"]
    if rep.reconciliation.empty:
        lines.append("  no bills given — not reconciled (the figure is indicative only)")
    for x in rep.reconciliation.itertuples():
        lines.append(f"  {x.period:<10}{x.channel:<18}{x.intervals_kwh:>18,.1f}{x.bill_kwh:>18,.1f}"
                     f"{x.rel_diff:>9.3%}  {'ok' if x.ok else 'FAIL'}")
    warn = d.issues[d.issues["severity"] == "warning"]
    if len(warn):
        lines += ["", f"Gap-fills and warnings ({len(warn)})"]
        lines += [f"  {w.meter}/{w.channel}: {w.reason}" for w in warn.head(10).itertuples()]
        if len(warn) > 10:
            lines.append(f"  … and {len(warn) - 10} more")
    if r.notes:
        lines += ["", "Notes"] + [f"  - {n}" for n in r.notes]
    lines += ["", "loan-grade figure: " + ("yes" if rep.loan_grade else
              "no — indicative only (needs bills reconciled, hourly grid data and "
              f"≥ {rep.settings.min_measured_share:.0%} measured intervals per channel)")]
    return "\n".join(lines)
