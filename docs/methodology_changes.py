"""Print the closing-note tables of issue 14 (Markdown), computed from the shipped files:

1. every anchor, step, band, checklist-item weight, acquisition quality, grade cut-off, PUE-guard band, gate
   and constant that differs between ``data/methodology/gcpi-2024.toml`` and ``gcpi-2025.toml`` (old → new,
   with the 2025 file's source, cut to ``--width`` characters; the full text is in the file), then those whose
   value stayed and whose source changed;
2. every indicator weight (2024 → 2025, the 2025 ones derived from the AHP matrices by the loader);
3. every shipped facility period (``data/facilities/*.toml``) scored under both, with the 2025 gates and
   whether the 2025 result can serve a loan test.

Run: ``.venv/bin/python docs/methodology_changes.py`` (tables in data/methodology/README.md §6–7 come from it).
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

from index.engine import score
from index.methodology import load_methodology, methodology_path
from index.models import load_facility

ROOT = Path(__file__).resolve().parents[1]


def _num(v) -> str:
    return f"{v:g}" if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


def _src(points) -> str:
    seen = []
    for p in points:
        s = p.get("source") if isinstance(p, dict) else None
        if s and s not in seen:
            seen.append(s)
    return "; ".join(seen)


def _curve_items(prefix: str, c: dict) -> dict[str, tuple[str, str]]:
    """``{item: (value text, source)}`` of one curve (recursing into composite parts)."""
    out: dict[str, tuple[str, str]] = {}
    t = c.get("type")
    if "anchors" in c:
        txt = ", ".join(f"{_num(a['x'])} → {_num(a['score'])}" for a in c["anchors"])
        if c.get("zero_below"):
            txt = f"0 below {c['zero_below']}; " + txt
        out[f"{prefix} anchors"] = (txt, _src(c["anchors"]) + (f"; {c['zero_below_source']}"
                                                                if c.get("zero_below_source") else ""))
    if "steps" in c:
        out[f"{prefix} steps"] = (", ".join(f"≥ {_num(s['from'])}: {_num(s['score'])}" for s in c["steps"]),
                                  _src(c["steps"]))
    if "bands" in c:
        out[f"{prefix} bands"] = (", ".join(f"{b.get('value', b.get('max'))}: {_num(b['score'])}" for b in c["bands"]),
                                  _src(c["bands"]))
    if "items" in c:
        for it in c["items"]:
            out[f"{prefix} item {it['id']} weight"] = (_num(it["weight"]), it.get("source", ""))
    if "parts" in c:
        for p in c["parts"]:
            name = f"{prefix} part {p['metric']}"
            out[f"{name} weight"] = (_num(p["weight"]), p.get("source", ""))
            out.update(_curve_items(name, p["curve"]))
    if t and not out:
        out[f"{prefix} curve"] = (t, "")
    return out


def items(raw: dict) -> dict[str, tuple[str, str]]:
    """Every anchor-like value of a methodology file, keyed by a readable name, with its source."""
    out: dict[str, tuple[str, str]] = {}
    for iid, ind in raw["indicators"].items():
        out.update(_curve_items(iid, ind["curve"]))
    for k, v in raw.get("acquisition_quality", {}).items():
        out[f"acquisition quality {k}"] = (_num(v["value"]), v.get("source", ""))
    for g in raw["grades"]:
        out[f"grade {g['grade']} min total"] = (_num(g["min_total"]), g.get("source", ""))
    for b in raw["pue_guard"]["bands"]:
        out[f"PUE guard {b['grade']} max PUE"] = (_num(b["max"]), b.get("source", ""))
    for g in raw.get("gates", []):
        eff = g.get("effect", "") + (f" {g['cap_grade']}" if g.get("cap_grade") else "")
        out[f"gate {g['id']}"] = (f"{g['metric']} {g['comparator']} {_num(g['value'])} ({eff})", g.get("source", ""))
    for k, v in raw.get("constants", {}).items():
        out[f"constant {k}"] = (_num(v["value"]) if isinstance(v, dict) else _num(v),
                                v.get("source", "") if isinstance(v, dict) else "")
    out["add-on max points"] = (_num(raw["addon_max_points"]), raw.get("addon_source", ""))
    return out


def _cut(s: str, width: int) -> str:
    s = " ".join(s.split()).replace("|", "/")
    return s if len(s) <= width else s[: width - 1] + "…"


def changed_table(width: int) -> list[str]:
    old = items(tomllib.loads(methodology_path("gcpi-2024").read_text(encoding="utf-8")))
    new = items(tomllib.loads(methodology_path("gcpi-2025").read_text(encoding="utf-8")))
    lines = ["| item | gcpi-2024 | gcpi-2025 | source of the 2025 value |", "|---|---|---|---|"]
    n = 0
    for k in list(old) + [k for k in new if k not in old]:
        o, w = old.get(k, ("—", ""))[0], new.get(k, ("—", ""))
        if o != w[0]:
            n += 1
            lines.append(f"| {k} | {_cut(o, 90)} | {_cut(w[0], 90)} | {_cut(w[1], width) if w[0] != '—' else 'removed'} |")
    same = ["| item | value (both) | gcpi-2024 source | gcpi-2025 source |", "|---|---|---|---|"]
    for k in old:
        if k in new and old[k][0] == new[k][0] and " ".join(old[k][1].split()) != " ".join(new[k][1].split()):
            same.append(f"| {k} | {_cut(old[k][0], 60)} | {_cut(old[k][1] or '(none)', 80)} | "
                        f"{_cut(new[k][1], width)} |")
    return [f"{n} items with a new value:", "", *lines, "",
            f"{len(same) - 2} items with the same value and a new or corrected source:", "", *same]


def weights_table() -> list[str]:
    m24, m25 = load_methodology(methodology_path("gcpi-2024")), load_methodology(methodology_path("gcpi-2025"))
    lines = ["| indicator | gcpi-2024 weight | gcpi-2025 weight | change | source of the 2025 weight |",
             "|---|---|---|---|---|"]
    for iid, ind in m25.indicators.items():
        w24 = m24.indicators[iid].weight
        part = "add-on" if ind.addon else "core"
        lines.append(f"| {iid} ({part}) | {w24:.4f} | {ind.weight:.4f} | {ind.weight - w24:+.4f} | "
                     f"AHP: pillar × criterion × indicator eigenvector weights (`[[ahp]]` of gcpi-2025.toml) |")
    return lines


def facilities_table() -> list[str]:
    m24, m25 = load_methodology(methodology_path("gcpi-2024")), load_methodology(methodology_path("gcpi-2025"))
    lines = ["| facility | period | 2024 total | 2024 grade | 2025 total | 2025 grade | change | 2025 gates | "
             "2025 loan test |", "|---|---|---|---|---|---|---|---|---|"]
    for path in sorted((ROOT / "data" / "facilities").glob("*.toml")):
        f = load_facility(path)
        for p in f.periods:
            a, b = score(f, p, m24), score(f, p, m25)
            gates = ", ".join(g.removeprefix("green_dc_") for g in b.gates) or "—"
            usable = "usable" if b.loan_test_usable else "not usable (" + ", ".join(
                x for x, on in (("proxy", "proxy_inputs" in b.gates), ("short period", "operation_period_short" in
                                                                          b.gates)) if on) + ")"
            lines.append(f"| {f.id} | {p.label} | {a.total:.2f} | {a.grade} | {b.total:.2f} | {b.grade} | "
                         f"{b.total - a.total:+.2f} | {gates} | {usable} |")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=160, help="characters of each source shown (default 160)")
    args = ap.parse_args(argv)
    print("## Changed anchors, cut-offs, gates and constants (gcpi-2024 → gcpi-2025)\n")
    print("\n".join(changed_table(args.width)))
    print("\n## Indicator weights\n")
    print("\n".join(weights_table()))
    print("\n## Shipped facilities under gcpi-2024 and gcpi-2025\n")
    print("\n".join(facilities_table()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
