"""Methodology editing for the administrator: edited document, checks, score preview, stored versions.

The methodology page lets an admin change indicator weights and the anchors of point curves (piecewise,
steps) of a base methodology, then saves the result to the deal book as a **new version** (stored
methodologies are immutable, see ``docs/store.md``). The flow, all pure functions here:

1. :func:`edited_document` — the base TOML mapping with the new weights / anchors, the new version and a
   ``[[changes]]`` entry (note, author, date, base id@version and SHA-256). Each changed weight gets a
   ``weight_source`` (the change note), so every number in the file keeps its source.
2. :func:`check_edit` — every problem found, as :class:`EditProblem` rows (translated by the page), then
   :func:`index.methodology.parse_methodology` — the same loader as the shipped file — on the result.
3. :func:`preview` — old vs new total and grade of every shipped facility-period with
   :func:`index.engine.score`.
4. :func:`toml_bytes` — the bytes saved with ``Store.save_methodology`` (and offered for download).

The ``st.cache_*`` wrappers at the end key everything on file content (bytes), so a stored version, being
immutable, is parsed and scored once per process.
"""

from __future__ import annotations

import copy
import hashlib
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import streamlit as st
import tomli_w

from app_support.engine import book_facilities, sensitivity
from app_support.store import app_store
from index.engine import score
from index.errors import InputError
from index.methodology import WEIGHT_TOLERANCE, Methodology, parse_methodology
from index.models import Facility

#: curve types whose anchors the app edits: type -> (list key, x key) as in the methodology file
POINT_CURVES: dict[str, tuple[str, str]] = {"piecewise": ("anchors", "x"), "steps": ("steps", "from")}


@dataclass(frozen=True)
class EditProblem:
    """One reason an edit is refused.

    Attributes
    ----------
    code : str
        Catalogue key under ``madm.err.`` (the page translates it with ``params``).
    field : str
        Where in the methodology file, in the loader's notation (``indicators.pue.curve.anchors[1]``).
    value : object
        The offending value (shown as text), or None.
    params : dict
        Format arguments of the label.
    """

    code: str
    field: str
    value: object = None
    params: dict = field(default_factory=dict)


# ---------------------------------------------------------------- pure functions


def term(catalogue: Mapping[str, str], kind: str, value: str) -> str:
    """A methodology term (``status``, ``curve``, ``unit``, ``grade``) in the catalogue's language.

    Looks up ``term.<kind>.<value>``; values without an entry (symbols such as ``GFLOPS/W`` or ``5A``) are
    shown as they are.
    """
    return catalogue.get(f"term.{kind}.{value}", value)


def anchor_rows(m: Methodology, iid: str) -> pd.DataFrame:
    """Anchors of indicator ``iid``'s point curve as a frame ``x``, ``score`` [0–100], ``source``.

    Raises
    ------
    KeyError
        If ``iid`` is not an indicator of ``m``.
    ValueError
        If its curve is not piecewise or steps (see :data:`POINT_CURVES`).
    """
    curve = m.indicators[iid].curve
    if curve.type not in POINT_CURVES:
        raise ValueError(f"{iid}: a {curve.type} curve has no anchors to edit")
    return pd.DataFrame({"x": list(curve.xs), "score": list(curve.scores), "source": list(curve.sources)})


def editable_curves(m: Methodology) -> list[str]:
    """Ids of the indicators whose curve has editable anchors (piecewise or steps), in file order."""
    return [i for i, ind in m.indicators.items() if ind.curve.type in POINT_CURVES]


def _anchor_list(rows) -> list[dict]:
    """Anchor rows (frame or list of mappings) as plain dicts ``x``, ``score``, ``source``."""
    if isinstance(rows, pd.DataFrame):
        rows = rows.to_dict("records")
    out = []
    for r in rows:
        out.append({"x": _num(r.get("x")), "score": _num(r.get("score")),
                    "source": "" if r.get("source") is None or _isnan(r.get("source")) else str(r["source"])})
    return out


def _isnan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def changed_weights(m: Methodology, weights: Mapping[str, float]) -> dict[str, float]:
    """The entries of ``weights`` that differ from ``m``'s (by more than :data:`WEIGHT_TOLERANCE`)."""
    return {i: w for i, w in weights.items()
            if i in m.indicators and (_num(w) is None or abs(float(w) - m.indicators[i].weight) > WEIGHT_TOLERANCE)}


def changed_anchors(m: Methodology, anchors: Mapping[str, object]) -> dict[str, list[dict]]:
    """The anchor tables of ``anchors`` that differ from ``m``'s curves (as lists of dicts)."""
    out = {}
    for iid, rows in anchors.items():
        new = _anchor_list(rows)
        old = _anchor_list(anchor_rows(m, iid))
        if new != old:
            out[iid] = new
    return out


def next_version(base: str, taken: Sequence[str]) -> str:
    """A version label not in ``taken``: the last numeric part of ``base`` counted up (``2024.1`` → ``2024.2``),
    else ``base`` + ``.1``, ``.2``, …"""
    head, _, last = base.rpartition(".")
    if last.isdigit():
        n, stem = int(last), head + "." if head else ""
        while f"{stem}{n}" in taken or f"{stem}{n}" == base:
            n += 1
        return f"{stem}{n}"
    n = 1
    while f"{base}.{n}" in taken:
        n += 1
    return f"{base}.{n}"


def edited_document(base: Methodology, *, weights: Mapping[str, float], anchors: Mapping[str, object],
                    version: str, note: str, author: str, on: date | None = None) -> dict:
    """The base methodology's TOML mapping with the edits applied (the base is not changed).

    Parameters
    ----------
    base : Methodology
        The methodology edited (its ``raw`` mapping is deep-copied).
    weights : mapping indicator id -> float
        New weights [share of the core or of the add-on]; only changed ones are written.
    anchors : mapping indicator id -> frame or list of {x, score, source}
        New anchors of piecewise / steps curves (``x`` in the indicator's unit, or the step's ``from``).
    version, note, author : str
        The new version label, the change note (the source of the new numbers) and the store username.
    on : date, optional
        Date of the change (today by default).

    Returns
    -------
    dict
        The document: ``version`` replaced, a ``[[changes]]`` entry appended, each changed weight with a
        ``weight_source`` = ``"<version>: <note>"``. Values that are not numbers are written as given, for
        :func:`check_edit` / the loader to refuse.
    """
    doc = copy.deepcopy(base.raw)
    doc["version"] = version
    stamp = f"{version}: {note}"
    for iid, w in changed_weights(base, weights).items():
        spec = doc["indicators"][iid]
        spec["weight"] = float(w) if _num(w) is not None else str(w)
        spec["weight_source"] = stamp
    for iid, rows in changed_anchors(base, anchors).items():
        key, x_key = POINT_CURVES[base.indicators[iid].curve.type]
        curve = doc["indicators"][iid]["curve"]
        curve[key] = [{x_key: r["x"] if r["x"] is not None else "", "score": r["score"] if r["score"] is not None
                       else "", "source": r["source"]} for r in _anchor_list(rows)]
    doc.setdefault("changes", []).append({
        "version": version, "based_on": f"{base.id}@{base.version}", "based_on_sha256": base.sha256,
        "note": note, "author": author, "date": (on or date.today()).isoformat(),
        "weights": sorted(changed_weights(base, weights)), "anchors": sorted(changed_anchors(base, anchors))})
    return doc


def toml_bytes(doc: Mapping) -> bytes:
    """The document as UTF-8 TOML bytes (what the store saves and hashes)."""
    return tomli_w.dumps(dict(doc)).encode("utf-8")


def check_edit(base: Methodology, *, weights: Mapping[str, float], anchors: Mapping[str, object], version: str,
               note: str, taken_versions: Sequence[str]) -> list[EditProblem]:
    """Every reason to refuse the edit (empty list: the edit is valid).

    Checks here (to list every problem at once): a change note, a new version label, each weight a
    non-negative number, core and add-on weights each adding up to 1 (±:data:`WEIGHT_TOLERANCE`), each
    edited anchor with numbers, a score within 0–100 and a source, x strictly increasing, scores monotone and
    not flat. Then the edited document goes through :func:`index.methodology.parse_methodology`, the
    loader of the methodology file; its error is added (``loader``) unless a check above already names the
    same field.
    """
    problems: list[EditProblem] = []
    if not note.strip():
        problems.append(EditProblem("note_missing", "changes.note"))
    if not version.strip():
        problems.append(EditProblem("version_missing", "version"))
    elif version == base.version or version in taken_versions:
        problems.append(EditProblem("version_taken", "version", version))
    merged = {i: ind.weight for i, ind in base.indicators.items()}
    merged.update(weights)
    for iid, w in merged.items():
        if _num(w) is None or float(w) < 0:
            problems.append(EditProblem("weight_invalid", f"indicators.{iid}.weight", w))
    for group, addon in (("core", False), ("addon", True)):
        total = sum(float(w) for i, w in merged.items() if base.indicators[i].addon == addon and _num(w) is not None)
        if abs(total - 1) > WEIGHT_TOLERANCE:
            problems.append(EditProblem("weights_sum", "indicators.*.weight", round(total, 6),
                                        {"group": group, "total": total}))
    for iid, rows in changed_anchors(base, anchors).items():
        problems += _check_anchors(base, iid, rows)
    doc = edited_document(base, weights=weights, anchors=anchors, version=version, note=note, author="")
    try:
        parse_methodology(tomllib.loads(toml_bytes(doc).decode("utf-8")), path="<edit>")
    except (InputError, KeyError, TypeError, ValueError) as exc:
        where = getattr(exc, "field", None) or ""
        if not any(p.field == where for p in problems):
            problems.append(EditProblem("loader", where, getattr(exc, "value", None),
                                        {"message": getattr(exc, "message", str(exc))}))
    return problems


def _check_anchors(base: Methodology, iid: str, rows: list[dict]) -> list[EditProblem]:
    key, _ = POINT_CURVES[base.indicators[iid].curve.type]
    where = f"indicators.{iid}.curve"
    out = []
    least = 2 if key == "anchors" else 1
    if len(rows) < least:
        out.append(EditProblem("anchors_few", where, len(rows), {"n": least}))
    for k, r in enumerate(rows):
        at = f"{where}.{key}[{k}]"
        if r["x"] is None or r["score"] is None:
            out.append(EditProblem("anchor_number", at, None))
        elif not 0 <= r["score"] <= 100:
            out.append(EditProblem("score_range", at, r["score"]))
        if not r["source"].strip():
            out.append(EditProblem("source_missing", at))
    good = [r for r in rows if r["x"] is not None and r["score"] is not None]
    if len(good) == len(rows) and len(rows) >= 2:
        xs, ys = [r["x"] for r in rows], [r["score"] for r in rows]
        diffs = [b - a for a, b in zip(ys, ys[1:], strict=False)]
        if any(b <= a for a, b in zip(xs, xs[1:], strict=False)):
            out.append(EditProblem("x_order", where, xs))
        elif any(d > 0 for d in diffs) and any(d < 0 for d in diffs):
            out.append(EditProblem("not_monotone", where, ys))
        elif all(d == 0 for d in diffs):
            out.append(EditProblem("flat", where, ys))
    return out


def preview(old: Methodology, new: Methodology, facilities) -> pd.DataFrame:
    """Total and grade of every facility-period under the old and the new methodology.

    Parameters
    ----------
    old, new : Methodology
    facilities : iterable of index.models.Facility

    Returns
    -------
    DataFrame
        One row per facility-period: ``facility``, ``period``, ``old_total``, ``new_total``, ``delta``
        [points], ``old_grade``, ``new_grade`` (from :func:`index.engine.score`).
    """

    rows = []
    for f in facilities:
        for p in f.periods:
            a, b = score(f, p.label, old), score(f, p.label, new)
            rows.append({"facility": f.id, "period": p.label, "old_total": a.total, "new_total": b.total,
                         "delta": b.total - a.total, "old_grade": a.grade, "new_grade": b.grade})
    return pd.DataFrame(rows)


def parse_content(content: bytes, label: str) -> Methodology:
    """A methodology from file bytes (``sha256`` = their hash), checked by the loader.

    Raises
    ------
    InputError
        Not valid TOML or a failed check of :func:`index.methodology.parse_methodology`.
    """
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"not valid TOML: {exc}", file=label) from None
    return parse_methodology(data, path=label, sha256=hashlib.sha256(content).hexdigest())


# ---------------------------------------------------------------- cached wrappers


@st.cache_data(show_spinner=False)
def stored_content(methodology_id: str, version: str) -> bytes:
    """Bytes of a stored methodology version (immutable, so cached for the process).

    Raises
    ------
    store.errors.NotFound
        No such version in the deal book.
    """

    return app_store().methodology_content(methodology_id, version)


@st.cache_resource(show_spinner=False)
def methodology_of(content: bytes, label: str = "<store>") -> Methodology:
    """:func:`parse_content`, cached by content."""
    return parse_content(content, label)


def book_facilities_json() -> tuple[str, ...]:
    """Every facility of the deal book as its JSON (hashable arguments of the cached functions below)."""

    return tuple(f.model_dump_json() for f in book_facilities(app_store()).values())


def _facilities(facilities_json: tuple[str, ...]):
    return [Facility.model_validate_json(j) for j in facilities_json]


def _scorable(f, m) -> list[str]:
    """Period labels of ``f`` the engine scores under ``m`` (a period it refuses is left out of the views)."""

    out = []
    for p in f.periods:
        try:
            score(f, p.label, m)
        except InputError:
            continue
        out.append(p.label)
    return out


@st.cache_data(show_spinner=False)
def results_of(content: bytes, facilities_json: tuple[str, ...]) -> list:
    """Results (:class:`index.result.IndexResult`) of every facility-period of the deal book under this
    methodology (``facilities_json``: :func:`book_facilities_json`)."""

    m = methodology_of(content)
    return [score(f, label, m) for f in _facilities(facilities_json) for label in _scorable(f, m)]


@st.cache_data(show_spinner=False)
def sensitivity_of(content: bytes, facilities_json: tuple[str, ...]) -> pd.DataFrame:
    """:func:`app_support.engine.sensitivity` of the deal book's facilities under this methodology."""

    return sensitivity(results_of(content, facilities_json), methodology_of(content))


@st.cache_data(show_spinner=False)
def preview_of(old_content: bytes, new_content: bytes, facilities_json: tuple[str, ...]) -> pd.DataFrame:
    """:func:`preview` of the deal book's facilities, old vs new methodology content (periods either
    methodology refuses are left out)."""
    old, new = methodology_of(old_content), methodology_of(new_content)
    facs = []
    for f in _facilities(facilities_json):
        keep = set(_scorable(f, old)) & set(_scorable(f, new))
        facs.append(f.model_copy(update={"periods": [p for p in f.periods if p.label in keep]}))
    return preview(old, new, facs)
