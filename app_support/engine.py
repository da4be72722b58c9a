"""Cached calls into the engines, and the pure table-building the pages share.

Facilities come from the deal book (:mod:`app_support.store`); scoring is cached on the facility's JSON, so a
rerun re-scores nothing unless a figure changed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from index.engine import score
from index.errors import InputError
from index.methodology import Curve, Methodology, load_methodology
from index.models import Facility
from index.result import IndexResult

ROOT = Path(__file__).resolve().parents[1]
#: relative change applied to one weight at a time in the sensitivity view (±20 %, issue 7)
SENSITIVITY_STEP = 0.20


@st.cache_resource
def methodology() -> Methodology:
    """The shipped methodology (``data/methodology/gcpi-2024.toml``), loaded once per process."""
    return load_methodology()


def book_facilities(store) -> dict[str, Facility]:
    """Every facility of the deal book as ``{facility id: Facility}`` (figures as stored), sorted by id.

    Read on every call (a few ms): a facility created or a period verified in another session shows at once.
    """
    return {fid: store.load_facility(fid) for fid in store.facility_ids()}


def facility_label(f: Facility, lang: str) -> str:
    """A facility's name in ``lang`` (the Chinese name when there is one), with its id."""
    nm = (f.name_zh or f.name) if lang == "zh" else f.name
    return f"{nm} ({f.id})" if nm and nm != f.id else f.id


@st.cache_data(show_spinner=False, max_entries=512)
def score_json(facility_json: str, period: str) -> IndexResult:
    """GCPI result of one period of a facility given as its JSON (``Facility.model_dump_json()``), with the
    shipped methodology; cached on that text, so a changed figure in the deal book is a new key."""
    return score(Facility.model_validate_json(facility_json), period, methodology())


def score_period(f: Facility, period: str) -> IndexResult:
    """:func:`score_json` of a facility object."""
    return score_json(f.model_dump_json(), period)


def all_results(facilities) -> list[IndexResult]:
    """Results of every period of the given facilities (for the sensitivity view); periods the engine
    refuses are left out (the facility score page names why)."""

    out = []
    for f in facilities:
        for p in f.periods:
            try:
                out.append(score_period(f, p.label))
            except InputError:
                continue
    return out


#: significant digits of raw values shown in tables
RAW_DIGITS = 4


def _fmt_raw(v) -> str:
    """A raw value for display: text as is, numbers to :data:`RAW_DIGITS` significant digits (thousands
    separated when larger), '' when missing."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if abs(v) >= 10 ** RAW_DIGITS:
        return f"{v:,.0f}"
    return f"{v:.{RAW_DIGITS}g}"


def indicator_frame(result: IndexResult, lang: str) -> pd.DataFrame:
    """One row per indicator: pillar, criterion, name, raw value, unit, score, weight, contribution, status.

    Parameters
    ----------
    result : IndexResult
    lang : {"zh", "en"}
        Language of the names.
    """
    pillars = {n.id: n for n in result.pillars}
    criteria = {n.id: n for n in result.criteria}
    nm = (lambda o: o.name_zh) if lang == "zh" else (lambda o: o.name_en)
    rows = []
    for iid, ind in result.indicators.items():
        rows.append({
            "id": iid, "pillar": nm(pillars[ind.pillar]), "criterion": nm(criteria[ind.criterion]),
            "indicator": nm(ind), "raw_value": ind.raw_text if ind.raw_text is not None else ind.raw_value,
            "unit": ind.unit, "score": ind.score, "weight": ind.weight, "contribution": ind.contribution,
            "status": ind.status, "source": ind.source,
        })
    df = pd.DataFrame(rows)
    df["raw_value"] = df["raw_value"].astype(object).map(_fmt_raw)
    return df


def curve_frame(curve: Curve) -> pd.DataFrame:
    """Anchors of a scoring curve: ``x`` (or category / item), ``score`` 0–100 and ``source``.

    Piecewise and step curves give their anchors; bands their categories; checklists their items with
    the score each item is worth (its weight share × 100); composite curves are not tabulated here.
    """
    if curve.type in ("piecewise", "steps"):
        return pd.DataFrame({"x": curve.xs, "score": curve.scores,
                             "source": list(curve.sources) + [""] * (len(curve.xs) - len(curve.sources))})
    if curve.type == "bands":
        return pd.DataFrame([{"x": v, "score": s, "source": src} for v, s, src in curve.bands])
    if curve.type == "checklist":
        total = sum(float(it.get("weight", 1)) for it in curve.items) or 1.0
        return pd.DataFrame([{"x": it["id"], "name_zh": it.get("name_zh", ""), "name_en": it.get("name_en", ""),
                              "score": 100.0 * float(it.get("weight", 1)) / total, "source": it.get("source", "")}
                             for it in curve.items])
    return pd.DataFrame(columns=["x", "score", "source"])


def _grade(total: float, pue_grade: str, m: Methodology) -> str:
    """Grade from the bands on the total, capped by the (unchanged) PUE guard grade."""
    score_grade = next((g for g, lo in m.grades if total >= lo), m.ungraded)
    return max(score_grade, pue_grade, key=m.grade_rank)


def sensitivity(results: list[IndexResult], m: Methodology, step: float = SENSITIVITY_STEP) -> pd.DataFrame:
    """How each facility-period's total moves when one indicator weight moves by ``±step``.

    The weight is multiplied by ``1 ± step`` and the weights of its group (the core indicators, or the
    lifecycle add-on indicators) are renormalised to their original sum; indicator scores are unchanged.
    New core = Σ w'·score; new add-on = add-on points × Σ w'·score / 100.

    Returns
    -------
    DataFrame
        One row per (facility-period, indicator, direction) with ``facility``, ``period``, ``indicator``,
        ``direction`` (+1 / −1), ``total``, ``new_total``, ``delta`` [points], ``grade``, ``new_grade``.
    """
    core_ids, addon_ids = m.core_ids, m.addon_ids
    rows = []
    for r in results:
        for group in (core_ids, addon_ids):
            w = np.array([m.indicators[i].weight for i in group])
            s = np.array([r.indicators[i].score for i in group])
            scale = 1.0 if group is core_ids else 100.0 / m.addon_max_points
            base_part = float(w @ s) / scale
            for k, iid in enumerate(group):
                for sign in (1, -1):
                    w2 = w.copy()
                    w2[k] *= 1.0 + sign * step
                    w2 *= w.sum() / w2.sum()
                    new_total = r.total - base_part + float(w2 @ s) / scale
                    rows.append({"facility": r.facility_id, "period": r.period, "indicator": iid,
                                 "direction": sign, "total": r.total, "new_total": new_total,
                                 "delta": new_total - r.total, "grade": r.grade,
                                 "new_grade": _grade(new_total, r.pue_grade, m)})
    return pd.DataFrame(rows)


def sensitivity_table(facilities) -> pd.DataFrame:
    """:func:`sensitivity` of every period of ``facilities`` (the deal book's) with the shipped methodology."""
    return sensitivity(all_results(facilities), methodology())
