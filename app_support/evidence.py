"""Engine reasons (codes with parameters) in a reader's language (issue 17).

The engines give each reason a ``code`` and its ``params`` beside their English sentence: the ambition checks of
:mod:`index.ambition` (``AmbitionCheck.code`` / ``params``), the baseline notes of :mod:`index.baseline`
(``Baseline.note_codes``) and the outcome of a recalculation (``Recalculation.note_code`` / ``note_params``).
Here each code is worded from the catalogue (``designer.code.<code>`` in ``i18n/{zh,en}/designer.toml``) with its
figures formatted by :mod:`common.text` (``fmt_num`` to 4 significant digits, ``fmt_pct``); ids, dates and source
citations are shown as the engine gives them. A code the catalogue does not know raises ``KeyError`` (no silent
English fallback; tests/app/test_evidence_codes.py checks every code the engines emit).

Functions
---------
``ambition_text(check, label)``     one ambition check's evidence
``baseline_note(note, label)``      one baseline note (``Baseline.note_codes`` item)
``recalc_note(rc, label)``          a recalculation's outcome
``kpi_name(kpi, label)``            a KPI's name (``designer.kpi_name``; the id when not listed)

``label`` is ``label(key, **fmt) -> str``: :func:`app_support.i18n.t` (the current language), or
:func:`labeller` for an explicit language (a facility's Chinese or English name follows that language).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from app_support.i18n import catalogue, current_language
from common.text import fmt_num, fmt_pct

Label = Callable[..., str]


def labeller(lang: str) -> Label:
    """``label(key, **fmt)`` in ``lang`` (catalogue text formatted with ``fmt``)."""
    cat = catalogue(lang)

    def label(key: str, **fmt) -> str:
        return cat[key].format(**fmt) if fmt else cat[key]

    label.lang = lang  # type: ignore[attr-defined]
    return label


def _known(label: Label, key: str, fallback: str) -> str:
    try:
        return label(key)
    except KeyError:
        return fallback


def kpi_name(kpi: str, label: Label) -> str:
    """A KPI as a reader calls it (catalogue ``designer.kpi_name.<kpi>``; an id not listed is shown as given)."""
    return _known(label, f"designer.kpi_name.{kpi}", kpi)


def _cmp(comparator: str) -> str:
    return {"<=": "≤", ">=": "≥"}.get(comparator, comparator)


def ambition_text(check, label: Label) -> str:
    """The evidence of one ambition check (:class:`index.ambition.AmbitionCheck` or its ``to_dict``) in the
    label's language.

    Raises
    ------
    KeyError
        A check without a code, or a code the catalogue lacks.
    """
    c = check if isinstance(check, Mapping) else check.to_dict()
    code, p = c["code"], dict(c.get("params") or {})
    key = f"designer.code.{code}"
    if code.startswith("bau.") and code != "bau.no_forecast":
        head = label("designer.code.bau.forecast", year=p["year"], mean=fmt_num(p["mean"]),
                     level=fmt_pct(p["level"], 0), lower=fmt_num(p["lower"]), upper=fmt_num(p["upper"]))
        if p.get("p_meets") is not None:
            head += label("designer.code.bau.p_meets", p=fmt_pct(p["p_meets"], 1))
        return head + label(key, spt=fmt_num(p["spt"]), bound=fmt_num(p["bound"]))
    if code == "bau.no_forecast":
        return label(key, kpi=kpi_name(p["kpi"], label), year=p["year"])
    if code == "regulation.none":
        lang = getattr(label, "lang", None) or current_language()
        province = p.get(f"province_{lang}") or p["province"]   # the province's name (provinces.csv), else its code
        return label(key, kpi=kpi_name(p["kpi"], label), year=p["year"], province=province)
    if code in ("regulation.forced", "regulation.beyond"):
        scope = _known(label, f"designer.code.applies_to.{p.get('applies_to') or 'all'}", p.get("applies_to") or "")
        return label(key, year=p["year"], kpi=kpi_name(p["kpi"], label), cmp=_cmp(p["comparator"]),
                     limit=fmt_num(p["limit"]), policy_id=p["policy_id"], document=p["document"], scope=scope,
                     spt=fmt_num(p["spt"]))
    if code == "peer.benchmark":
        region = _known(label, f"designer.code.region.{p.get('region')}", p.get("region") or "")
        group = label(f"designer.code.group.{p['group']}", region=region, cluster=p.get("cluster") or "")
        return label(key, group=group, year=p["year"], value=fmt_num(p["value"]), source=p["source"],
                     spt=fmt_num(p["spt"]), better=label(f"designer.code.better.{bool(p['better'])}"))
    if code == "peer.no_cluster_benchmark":
        return label(key, cluster=p["cluster"])
    if code == "peer.facility":
        lang = getattr(label, "lang", None) or current_language()
        name = p["name_zh"] if lang == "zh" else p["name"]
        status = _known(label, f"designer.status.{p['status']}", p["status"])
        return label(key, name=name, period=p["period"], status=status, value=fmt_num(p["value"]),
                     spt=fmt_num(p["spt"]), better=label(f"designer.code.better.{bool(p['better'])}"))
    raise KeyError(key)


def baseline_note(note: Mapping, label: Label) -> str:
    """One baseline note (an item of :attr:`index.baseline.Baseline.note_codes`) in the label's language."""
    code, p = note["code"], dict(note.get("params") or {})
    key = f"designer.code.{code}"
    if code == "baseline.not_consecutive":
        return label(key, years=", ".join(str(y) for y in p["years"]))
    if code == "baseline.partial_average":
        return label(key, kpi=kpi_name(p["kpi"], label), n=p["n"], of=p["of"])
    if code == "baseline.design_stage":
        return label(key, stage=_known(label, f"designer.code.stage.{p['stage']}", p["stage"]))
    return label(key, **p)


def recalc_note(rc, label: Label) -> str:
    """The outcome of a recalculation (:class:`index.baseline.Recalculation`) in the label's language."""
    p = dict(rc.note_params)
    if rc.note_code == "recalc.below_threshold":
        return label("designer.code.recalc.below_threshold", share=fmt_pct(p["share"], 1),
                     threshold=fmt_pct(p["threshold"], 0))
    if rc.note_code == "recalc.changed":
        return label("designer.code.recalc.changed", old=p["old_version"], new=p["new_version"], n=p["changed"])
    raise KeyError(f"designer.code.{rc.note_code}")
