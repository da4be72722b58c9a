"""Cached calls into the engines, and the pure table-building the pages share.

Facilities and methodologies come from the deal book (:mod:`app_support.store`, through
:class:`workflows.StoreSource`): a facility without a deal is scored with a methodology version of the book
(the book's current one unless the page picks another); a deal's periods with what the deal pins (methodology
version and reference-data bundle, :func:`deal_basis`). Scoring is cached on the facility's JSON and the SHA-256
of the methodology and of the reference bundle, so a rerun re-scores nothing unless a figure or a basis changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

import workflows
from app_support.i18n import t
from app_support.store import app_store
from index.engine import score
from index.errors import InputError
from index.methodology import Curve, Methodology
from index.models import Facility
from index.reference import ReferenceBundle, default_bundle
from index.result import IndexResult
from workflows.pipeline import PIN_FIELDS

ROOT = Path(__file__).resolve().parents[1]
#: relative change applied to one weight at a time in the sensitivity view (±20 %, issue 7)
SENSITIVITY_STEP = 0.20


def book_source(store=None) -> workflows.StoreSource:
    """:class:`workflows.StoreSource` on the app's deal book (or on ``store``)."""
    return workflows.StoreSource(store if store is not None else app_store())


def version_key(info) -> str:
    """``id@version`` of a stored methodology (:class:`store.records.MethodologyInfo` or a Methodology)."""
    return f"{info.id}@{info.version}"


def book_methodologies(store=None) -> dict[str, object]:
    """The deal book's methodology versions as ``{"id@version": MethodologyInfo}``, in the book's order."""
    return {version_key(i): i for i in book_source(store).methodologies()}


def current_key(store=None) -> str | None:
    """``id@version`` of the deal book's current methodology (:meth:`workflows.StoreSource.
    current_methodology_info`), None when the book holds none."""
    info = book_source(store).current_methodology_info()
    return None if info is None else version_key(info)


@st.cache_resource(show_spinner=False, max_entries=32)
def _parsed(_source, methodology_id: str, version: str, sha256: str) -> Methodology:
    """A stored version parsed once per process (stored versions are immutable; keyed on their SHA-256)."""
    return _source.book_methodology(methodology_id, version)


def book_methodology(key: str, store=None) -> Methodology:
    """The stored methodology ``id@version`` of the deal book.

    Raises
    ------
    KeyError
        The book holds no such version.
    """
    src = book_source(store)
    info = book_methodologies(store)[key]
    return _parsed(src, info.id, info.version, info.sha256)


def no_methodology_stop() -> None:
    """A guided message when the deal book holds no methodology (an admin publishes one), then stop the page."""
    st.info(t("score.no_methodology"))
    st.stop()


def methodology(store=None) -> Methodology:
    """The deal book's current methodology (:func:`current_key`): what scores a facility or a deal that pins
    nothing. A book without methodologies shows :func:`no_methodology_stop`'s guided message and stops the page."""
    key = current_key(store)
    if key is None:
        no_methodology_stop()
    return book_methodology(key, store)


@dataclass(frozen=True)
class Basis:
    """What a result is scored with: a methodology version of the deal book and a reference-data bundle.

    Attributes
    ----------
    methodology : Methodology
    reference : ReferenceBundle or None
        The bundle a deal pinned; None = the shipped bundle (:func:`index.reference.default_bundle`).
    deal_id : str or None
        The deal whose pins chose the basis; None for a facility scored without a deal.
    pinned : bool
        True when the deal pins a methodology or a bundle (else the book's current methodology).
    """

    methodology: Methodology
    reference: ReferenceBundle | None = None
    deal_id: str | None = None
    pinned: bool = False

    @property
    def key(self) -> str:
        """``id@version`` of the methodology."""
        return version_key(self.methodology)

    @property
    def reference_sha256(self) -> str:
        """SHA-256 of the reference-data bundle used (the pinned one, else the shipped one)."""
        return (self.reference or default_bundle()).sha256


def basis_of(key: str | None = None, store=None) -> Basis:
    """The basis of a facility scored without a deal: the book's version ``key`` (default the current one) and
    the shipped reference bundle."""
    return Basis(book_methodology(key, store) if key else methodology(store))


def deal_basis(deal_doc: dict, store=None) -> Basis:
    """The basis of a deal's periods: what the deal document pins (:data:`workflows.pipeline.PIN_FIELDS`,
    resolved in the deal book by :meth:`workflows.StoreSource.pinned_info`), else the book's current methodology.

    Raises
    ------
    InputError
        The deal pins a methodology the deal book does not hold, or an unknown reference bundle.
    """
    pins = [deal_doc.get(k) or None for k in PIN_FIELDS]
    if not any(pins):
        return Basis(methodology(store), None, deal_doc.get("id"), False)
    src = book_source(store)
    info = src.pinned_info(pins[0], pins[1])
    _, ref = src.pinned(*pins) if pins[2] else (None, None)
    return Basis(_parsed(src, info.id, info.version, info.sha256), ref, deal_doc.get("id"), True)


def facility_deals(store, facility_id: str) -> dict[str, dict]:
    """The deal documents of the deal book whose facility is ``facility_id``, by deal id."""
    docs = {d: store.load_deal_document(d) for d in store.deal_ids()}
    return {d: doc for d, doc in docs.items() if str(doc.get("facility")) == facility_id}


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
def _score_cached(facility_json: str, period: str, methodology_sha256: str, reference_sha256: str,
                  _basis: Basis) -> IndexResult:
    return score(Facility.model_validate_json(facility_json), period, _basis.methodology, _basis.reference)


def score_json(facility_json: str, period: str, basis: Basis | None = None) -> IndexResult:
    """GCPI result of one period of a facility given as its JSON (``Facility.model_dump_json()``) on ``basis``
    (default :func:`basis_of`: the book's current methodology, the shipped bundle); cached on that text and the
    two SHA-256 (methodology, reference bundle), so a changed figure or basis is a new key.

    Raises
    ------
    InputError
        Whatever :func:`index.engine.score` refuses (not cached).
    """
    b = basis if basis is not None else basis_of()
    return _score_cached(facility_json, period, b.methodology.sha256, b.reference_sha256, b)


def score_period(f: Facility, period: str, basis: Basis | None = None) -> IndexResult:
    """:func:`score_json` of a facility object."""
    return score_json(f.model_dump_json(), period, basis)


def all_results(facilities, basis: Basis | None = None) -> list[IndexResult]:
    """Results of every period of the given facilities (for the sensitivity view); periods the engine
    refuses are left out (the facility score page names why)."""

    b = basis if basis is not None else basis_of()
    out = []
    for f in facilities:
        for p in f.periods:
            try:
                out.append(score_period(f, p.label, b))
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


#: columns of :func:`sensitivity`'s frame
SENSITIVITY_COLUMNS: tuple[str, ...] = ("facility", "period", "indicator", "direction", "total", "new_total", "delta",
                                       "grade", "new_grade")


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
    # the columns also when there is nothing to score (a deal book without facilities yet)
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)


def sensitivity_table(facilities) -> pd.DataFrame:
    """:func:`sensitivity` of every period of ``facilities`` (the deal book's) with the book's current
    methodology."""
    b = basis_of()
    return sensitivity(all_results(facilities, b), b.methodology)
