"""Plain-text breakdown of an :class:`~index.result.IndexResult` (what ``dcsll score`` prints)."""

from __future__ import annotations

import math

from common.text import table
from index.methodology import Methodology
from index.result import IndexResult


def _fmt(v: float | None, text: str | None = None) -> str:
    if text is not None:
        return text
    if v is None:
        return "—"
    if math.isinf(v):
        return "∞"
    a = abs(v)
    if a >= 1e5:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:,.1f}"
    if a >= 1:
        return f"{v:.3f}".rstrip("0").rstrip(".")
    return f"{v:.4f}".rstrip("0").rstrip(".") or "0"


#: why a figure is "—" in the breakdown
MISSING_INDICATOR = "missing, scored 0"
MISSING_EXTRA = "— (inputs not reported)"


def loan_test_line(r: IndexResult) -> str:
    """``loan test: usable`` or ``loan test: NOT usable — <reasons>`` (proxy figures / short period)."""
    if r.loan_test_usable:
        return "loan test: usable (own figures, full period)"
    return f"loan test: NOT usable (indicative only) — {'; '.join(r.loan_test_reasons())}"


def format_result(r: IndexResult, m: Methodology) -> str:
    """A readable breakdown: header (with the methodology version and SHA-256, the reference-data bundle SHA-256
    and whether the result can serve a loan test), pillars → criteria → indicators (status ``proxy`` for an
    indicator scored from a proxy figure), gates, missing data and notes.

    The indicator table's columns line up by display width (Chinese names take two cells a character,
    :func:`common.text.table`); names and units are printed whole.
    """
    lines = [
        f"{r.facility_name} ({r.facility_id}) — period {r.period} ({r.period_start} to {r.period_end}), "
        f"{r.lifecycle_stage} stage",
        f"GCPI total {r.total:.2f} = core {r.core:.2f} / 100 + add-on {r.addon:.2f} / {m.addon_max_points:g}"
        f"   grade {r.grade} (score grade {r.score_grade}, PUE grade {r.pue_grade})",
        f"completeness {r.completeness:.0%} of indicators, {r.completeness_weighted:.0%} of core weight",
        f"methodology {r.methodology_id} version {r.methodology_version} sha256 {r.methodology_sha256}",
        f"reference-data bundle sha256 {r.reference_sha256 or '— (not recorded)'}",
        loan_test_line(r),
        "",
    ]
    crit_by_pillar: dict[str, list] = {}
    for c in r.criteria:
        crit_by_pillar.setdefault(next(x.parent for x in m.criteria if x.id == c.id), []).append(c)
    # (kind, payload): heading lines and indicator rows, laid out after the widths are known
    items: list[tuple[str, object]] = []
    rows: list[list[str]] = []
    for p in r.pillars:
        tag = " (add-on)" if p.addon else ""
        items.append(("text", f"{p.name_en} {p.name_zh}{tag}: {p.contribution:.2f} points of weight {p.weight:.2f}"))
        for c in crit_by_pillar.get(p.id, []):
            items.append(("text", f"  {c.name_en} {c.name_zh}: {c.contribution:.2f}"))
            for iid in c.indicators:
                i = r.indicators[iid]
                items.append(("row", len(rows)))
                rows.append([f"{i.name_en} {i.name_zh}", _fmt(i.raw_value, i.raw_text), i.unit,
                             f"{i.score:.1f}", f"{i.weight:.3f}", f"{i.contribution:.2f}",
                             MISSING_INDICATOR if i.missing else i.status])
                for note in i.notes:
                    items.append(("text", f"      note: {note}"))
    laid = table(rows, ["indicator", "raw", "unit", "score", "weight", "points", "status"], align="<><>>><",
                 indent=4)
    lines.append(laid[0])
    for kind, payload in items:
        lines.append(laid[1 + payload] if kind == "row" else payload)
    lines.append("")
    ex = r.extra

    def x(key: str, unit: str = "") -> str:
        v = ex.get(key)
        return f"{_fmt(v)}{' ' + unit if unit else ''}" if v is not None else MISSING_EXTRA

    lines.append(f"emissions: scope 1 {x('scope1_t', 't')}, scope 2 location-based {x('scope2_location_t', 't')}, "
                 f"market-based {x('scope2_market_t', 't')}; CUE location {x('cue_location', 'kgCO2e/kWh')}, "
                 f"market {x('cue_market', 'kgCO2e/kWh')}")
    if ex.get("cfe_score") is not None or ex.get("hourly_matched_share") is not None:
        lines.append(f"hourly matching (24/7 CFE, interval data): CFE score {x('cfe_score')}, "
                     f"hourly matched share {x('hourly_matched_share')}")
    if r.gates:
        lines.append(f"gates hit: {', '.join(r.gates)}")
    if r.missing:
        lines.append(f"missing (not in the period data, scored 0): {', '.join(r.missing)}")
    for n in r.notes:
        lines.append(f"note: {n}")
    return "\n".join(lines) + "\n"
