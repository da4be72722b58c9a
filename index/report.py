"""Plain-text breakdown of an :class:`~index.result.IndexResult` (what ``dcsll score`` prints)."""

from __future__ import annotations

import math

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


def format_result(r: IndexResult, m: Methodology) -> str:
    """A readable breakdown: header, pillars → criteria → indicators, gates, missing data and notes."""
    lines = [
        f"{r.facility_name} ({r.facility_id}) — period {r.period} ({r.period_start} to {r.period_end}), "
        f"{r.lifecycle_stage} stage",
        f"GCPI total {r.total:.2f} = core {r.core:.2f} / 100 + add-on {r.addon:.2f} / {m.addon_max_points:g}"
        f"   grade {r.grade} (score grade {r.score_grade}, PUE grade {r.pue_grade})",
        f"completeness {r.completeness:.0%} of indicators, {r.completeness_weighted:.0%} of core weight   "
        f"methodology {r.methodology_id} v{r.methodology_version} sha256 {r.methodology_sha256[:16]}…",
        "",
        f"  {'indicator':<48} {'raw':>12} {'unit':<18} {'score':>6} {'weight':>7} {'points':>7}  status",
    ]
    crit_by_pillar: dict[str, list] = {}
    for c in r.criteria:
        crit_by_pillar.setdefault(next(x.parent for x in m.criteria if x.id == c.id), []).append(c)
    for p in r.pillars:
        tag = " (add-on)" if p.addon else ""
        lines.append(f"{p.name_en} {p.name_zh}{tag}: {p.contribution:.2f} points of weight {p.weight:.2f}")
        for c in crit_by_pillar.get(p.id, []):
            lines.append(f"  {c.name_en} {c.name_zh}: {c.contribution:.2f}")
            for iid in c.indicators:
                i = r.indicators[iid]
                name = f"{i.name_en} {i.name_zh}"
                lines.append(f"    {name[:46]:<46} {_fmt(i.raw_value, i.raw_text):>12} {i.unit[:18]:<18} "
                             f"{i.score:6.1f} {i.weight:7.3f} {i.contribution:7.2f}  {i.status}")
                for note in i.notes:
                    lines.append(f"      note: {note}")
    lines.append("")
    ex = r.extra
    lines.append(f"emissions: scope 1 {_fmt(ex.get('scope1_t'))} t, scope 2 location-based "
                 f"{_fmt(ex.get('scope2_location_t'))} t, market-based {_fmt(ex.get('scope2_market_t'))} t; "
                 f"CUE location {_fmt(ex.get('cue_location'))}, market {_fmt(ex.get('cue_market'))} kgCO2e/kWh")
    if ex.get("cfe_score") is not None or ex.get("hourly_matched_share") is not None:
        lines.append(f"hourly matching (24/7 CFE, interval data): CFE score {_fmt(ex.get('cfe_score'))}, "
                     f"hourly matched share {_fmt(ex.get('hourly_matched_share'))}")
    if r.gates:
        lines.append(f"gates hit: {', '.join(r.gates)}")
    if r.missing:
        lines.append(f"missing (scored 0): {', '.join(r.missing)}")
    for n in r.notes:
        lines.append(f"note: {n}")
    return "\n".join(lines) + "\n"
