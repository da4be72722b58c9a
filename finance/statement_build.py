"""Build a :class:`~finance.statement.VerificationStatement` from a deal, its facility and the GCPI engine.

Sources of each part of the statement:

- indicators, index, grade, completeness, methodology id and SHA-256: ``index.engine.score`` on the
  facility period named by the deal's observation (``[[observations]] period = "2025"``); the period's
  figures must carry status ``verified`` (the verifier's figures) — a period with none is refused;
- verified vs reported: with an engagement ``[verified]`` table (see :func:`verified_period`), the facility
  period as filed is the *reported* data and the verifier's version the *verified* data; both are scored and
  every difference is listed as a restatement. Without it the period's figures must already be verified,
  and ``[reported]`` (indicator id -> raw value) may give the operator's original figures;
- baseline: the engagement's ``baseline_period``, else the latest earlier verified period of the facility;
- SPTs, outcomes, margin adjustment and effective date: the deal's ratchet terms and observation
  (``finance.deal`` / ``finance.ratchet``: ``spt_status``, ``regime_adjustments``, ``margin_events``);
- statement id, issue date, standards, assurance level, conclusion type, notes: the engagement file
  (defaults: ``<deal id>-<period>``, the certificate delivery date or today, ISAE 3000 (Revised), limited).

Objects in, a statement out: no file is read here (:func:`load_engagement` is the file form's loader).
Only SPT-based ratchets are supported; score-grid and interpolated ratchets raise :class:`InputError`.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from pydantic import ValidationError

from common.errors import InputError, from_validation_error
from common.tomlio import read_toml
from finance import ratchet as R
from finance.calendars import get_calendar
from finance.deal import ObservationResult, observation_adjustments, scenario_outcomes
from finance.deal_checks import require_loan_test_usable
from finance.schedule import interest_periods
from finance.statement import (
    E_NO_VERIFIED,
    Baseline,
    Bilingual,
    Conclusion,
    FacilityRef,
    IndexSummary,
    IndicatorRow,
    MarginAdjustment,
    MethodologyRef,
    Note,
    PathPoint,
    Period,
    SptRow,
    VerificationStatement,
    Verifier,
    check_methodology,
    conclusion_text,
    load_catalogue,
    statement_from_mapping,
)
from finance.terms import SptRatchet
from index.models import PeriodData

#: names of the KPIs that are not GCPI indicators (hourly matching, issue 15; index.cfe)
EXTRA_KPI_NAMES = {
    "cfe_score": Bilingual(en="24/7 CFE score (hourly)", zh="逐小时无碳电力（24/7 CFE）得分"),
    "hourly_matched_share": Bilingual(en="Hourly matched share", zh="逐小时匹配比例"),
}
E_NO_OBSERVATION = "the deal has no observation for period {period} (periods: {have})"
E_RATCHET = "statements are built for SPT-based ratchets only; this deal's ratchet is '{design}'"


def _decimals(value: float | None) -> int:
    if value is None or not math.isfinite(value):
        return 0
    a = abs(value)
    return 0 if a >= 1000 else 1 if a >= 100 else 2 if a >= 10 else 3


def _display(ind, value):
    """Value and unit as printed: checklists as % of the list, categories as text."""
    if isinstance(value, float) and ind.unit.startswith("share of"):
        return value * 100, "% " + ind.unit.removeprefix("share of ")
    if isinstance(value, float) and not math.isfinite(value):
        return "∞", ind.unit
    if isinstance(value, float) and ind.unit == "fraction":
        return value * 100, "%"
    return value, ind.unit


def _indicator_rows(res, reported: dict) -> tuple[list[IndicatorRow], list[Note]]:
    """Rows from the verified result; ``reported`` maps indicator id -> the operator's raw value."""
    rows, notes = [], []
    cat = load_catalogue()["sentences"]
    for ind in res.indicators.values():
        raw = ind.raw_text if ind.raw_text is not None else ind.raw_value
        value, unit = _display(ind, raw)
        rep_raw = reported.get(ind.id, None if ind.missing else raw)
        rep, _ = _display(ind, rep_raw)
        rows.append(IndicatorRow(
            id=ind.id, name=Bilingual(en=ind.name_en, zh=ind.name_zh), unit=unit,
            part="addon" if ind.addon else "core", reported_value=rep,
            verified_value=None if ind.missing else value,
            decimals=None if isinstance(value, str) else 1 if unit.startswith("%") else _decimals(value),
            score=ind.score, weight=ind.weight, contribution=ind.contribution,
            status="missing" if ind.missing else ind.status, source=ind.source or ""))
        fmt = {"name": ind.name_en, "name_zh": ind.name_zh, "period": res.period}
        if ind.missing:
            notes.append(Note(kind="data_quality", indicator=ind.id, en=cat["not_reported_note"]["en"].format(**fmt),
                              zh=cat["not_reported_note"]["zh"].format(**fmt)))
            continue
        if isinstance(rep, float) and isinstance(value, float) and not math.isclose(rep, value, rel_tol=1e-9):
            d = 1 if unit.startswith("%") else _decimals(value)
            notes.append(Note(kind="restatement", indicator=ind.id,
                              en=f"{ind.name_en}: reported {rep:,.{d}f}, verified {value:,.{d}f} [{unit}].",
                              zh=f"{ind.name_zh}：报告值{rep:,.{d}f}，核查值{value:,.{d}f}［{unit}］。"))
    return rows, notes


def verified_period(period, verified: dict, source: str):
    """The verifier's version of a facility period: every figure marked ``verified``, with overrides.

    Parameters
    ----------
    period : index.models.PeriodData
        The period as the operator reported it.
    verified : dict
        The engagement's ``[verified]`` table: ``accept_reported = true`` (required: say explicitly that
        figures not overridden are accepted as reported), then figures to override in the facility-file
        form (bare numbers in the field's unit, ``checklists.<id> = [...]``).
    source : str
        Source string put on every verified figure.

    Raises
    ------
    InputError
        Without ``accept_reported = true``, or when an override is not a period field.
    """

    over = dict(verified)
    if over.pop("accept_reported", None) is not True:
        raise InputError("say accept_reported = true to accept the figures you do not override",
                         field="verified.accept_reported")

    def mark(v):
        if isinstance(v, dict) and "status" in v:
            return {**v, "status": "verified", "source": source}
        if isinstance(v, list | tuple):
            return [mark(x) for x in v]
        if isinstance(v, dict):
            return {k: mark(x) for k, x in v.items()}
        return v

    d = {k: mark(v) for k, v in period.model_dump(exclude_none=True).items()}
    d["status"], d["source"] = "verified", source
    for k, v in over.items():
        if k == "checklists":
            for cid, items in v.items():
                d.setdefault("checklists", {})[cid] = {"items": tuple(items), "status": "verified", "source": source}
        elif isinstance(v, int | float):
            d[k] = {"value": float(v), "status": "verified", "source": source}
        else:
            d[k] = v
    try:
        return PeriodData.model_validate(d)
    except ValidationError as exc:
        errs = from_validation_error(exc, prefix="verified.")
        raise errs.errors[0] if len(errs.errors) == 1 else errs from None


def load_engagement(path: str | Path | None) -> dict:  # the file form's loader (workflows.sources.FileSource)
    """Read an engagement TOML file (statement id, issue date, standards, notes, reported values ...)."""
    if path is None:
        return {}
    return read_toml(path, "engagement file")


def build_statement(deal, facility, period: str, verifier: Verifier, *, scorer,
                    engagement: dict | None = None, engagement_file: str | None = None,
                    today: dt.date | None = None, file: str | None = None) -> VerificationStatement:
    """Build the statement for one observation of a deal.

    Parameters
    ----------
    deal : finance.deal.Deal
        The loan (SPT-based ratchet).
    facility : index.models.Facility
        The deal's facility with the period's figures.
    period : str
        Facility period label of the observation, e.g. ``"2025"``.
    verifier : Verifier
        The verifier's identity (``[verifier]`` table).
    scorer : callable
        ``scorer(facility, period_data) -> index.result.IndexResult`` (:func:`index.engine.score` with the
        methodology the loan pins; :func:`workflows.build_statement` passes it).
    engagement : dict, optional
        Engagement data (see module docstring); ``methodology_sha256`` there is the hash agreed in the
        loan documents and must match the hash the period is scored with.
    engagement_file : str, optional
        Where the engagement came from, named in errors about it.
    today : datetime.date, optional
        Issue date when neither the engagement nor the deal gives one.
    file : str, optional
        Where the deal came from, named in errors about it.

    Raises
    ------
    InputError
        No observation for ``period``; a result that cannot serve a loan test (proxy figures, fewer than 12
        months of measured operation data: :func:`finance.deal_checks.require_loan_test_usable`); a period
        without verified figures; a methodology hash other than
        the agreed one; a ratchet design other than SPT-based; any invalid statement field.
    """

    eng = dict(engagement or {})
    f = file
    if not isinstance(deal.ratchet, SptRatchet):
        raise InputError(E_RATCHET.format(design=deal.ratchet.design), file=f, field="ratchet.design")
    idx = next((i for i, o in enumerate(deal.observations) if o.period == str(period)), None)
    if idx is None:
        have = [o.period for o in deal.observations if o.period] or ["none"]
        raise InputError(E_NO_OBSERVATION.format(period=period, have=", ".join(have)), file=f,
                         field="observations[].period", value=str(period))
    obs = deal.observations[idx]
    pd_ = next(p for p in facility.periods if p.label == str(period)) if any(
        p.label == str(period) for p in facility.periods) else None
    if pd_ is None:
        raise InputError(f"facility has no period {period}", file=f, field=f"observations[{idx}].period")
    rep_res = None
    if eng.get("verified") is not None:
        rep_res = scorer(facility, pd_)
        pd_ = verified_period(pd_, eng["verified"], f"verified by {verifier.name.en}")
    res = scorer(facility, pd_)
    require_loan_test_usable(res, [k.kpi for k in deal.ratchet.kpis], file=f, field=f"observations[{idx}].period",
                             row=idx + 1)
    if not any(i.status == "verified" and not i.missing for i in res.indicators.values()):
        raise InputError(E_NO_VERIFIED.format(period=period) + f" (the facility's {period} figures are "
                         f"'{pd_.status}')", file=f, field=f"observations[{idx}].period", value=str(period))
    agreed = eng.get("methodology_sha256")
    methodology = MethodologyRef(id=res.methodology_id, sha256=res.methodology_sha256,
                                 version=res.methodology_version, reference_sha256=res.reference_sha256 or None)

    # baseline: an earlier verified period
    earlier = [p for p in facility.periods if p.end < pd_.start and p.status == "verified"]
    base_label = eng.get("baseline_period") or (earlier[-1].label if earlier else None)
    history = []
    baseline = None
    for p in [q for q in facility.periods if q.end < pd_.start] + [pd_]:
        if p.status == "verified":
            r = scorer(facility, p)
            history.append(PathPoint(period=p.label, value=round(r.total, 3)))
            if p.label == base_label and p is not pd_:
                baseline = Baseline(period=p.label, total=round(r.total, 3), grade=r.grade)
    if baseline is None:
        raise InputError("no verified baseline period before the observation; give baseline_period in the "
                         "engagement file", file=engagement_file, field="baseline_period")

    # SPT outcomes and the margin, with the finance engine's own rules
    rat = deal.ratchet
    rows = []
    for k_i, rule in enumerate(rat.kpis):
        direction = R.kpi_direction(rule)
        target = float(obs.spt[rule.kpi])
        value = res.kpi(rule.kpi)
        st = int(R.spt_status([[math.nan if value is None else value]], [target], direction,
                              rule.no_change_band)[0, 0])
        bp = R.kpi_step_bp(rat, k_i, st)
        base_val = None
        if baseline is not None:
            base_res = scorer(facility, next(p for p in facility.periods if p.label == base_label))
            bv = base_res.kpi(rule.kpi)
            base_val = None if bv is None else round(float(bv), 4)
        name = (Bilingual(en="GCPI index total", zh="绿色算力指数总分") if rule.kpi in ("index", "total")
                else EXTRA_KPI_NAMES[rule.kpi] if rule.kpi in EXTRA_KPI_NAMES
                else Bilingual(en=res.indicators[rule.kpi].name_en, zh=res.indicators[rule.kpi].name_zh)
                if rule.kpi in res.indicators else Bilingual(en=rule.kpi, zh=rule.kpi))
        nd = 2 if rule.kpi in ("index", "total", "core", "addon") else 3
        unit = "points" if rule.kpi in ("index", "total", "core", "addon") else "fraction" if rule.kpi in (
            "cfe_score", "hourly_matched_share") else (
            res.indicators[rule.kpi].unit if rule.kpi in res.indicators else "")
        rows.append(SptRow(kpi=rule.kpi, name=name, unit=unit, comparator=">=" if direction == "higher" else "<=",
                           baseline=None if base_val is None else round(base_val, nd), target=target,
                           verified_value=None if value is None else round(float(value), nd),
                           met=st == R.MET, within_band=st == R.BAND, effect_bp=bp))

    this = ObservationResult(index_total=res.total, core=res.core, grade=res.grade,
                          kpis={k.kpi: float(res.kpi(k.kpi)) for k in rat.kpis
                                if k.kpi not in ("index", "core") and res.kpi(k.kpi) is not None},
                          methodology_id=res.methodology_id)
    path = scenario_outcomes(deal, "met", {idx: this})
    adj, _ = observation_adjustments(deal, [path])
    fail = [R.failure_adjustment(rat, deal.loan.margin_bp)] * len(deal.observations)
    reg = R.regime_adjustments(adj, fail, cumulative=bool(getattr(rat, "cumulative", False)), cap_bp=rat.cap_bp,
                               floor_bp=rat.margin_floor_bp - deal.loan.margin_bp)
    prev = 0.0 if idx == 0 else float(reg[0, R.regime_actual(idx - 1)])
    now = float(reg[0, R.regime_actual(idx)])
    loan = deal.loan.resolved()
    periods = interest_periods(loan)
    events = R.margin_events(deal.observations, rat.timing, [p.start for p in periods],
                             get_calendar(loan.calendar), periods[-1].end)
    ev = next((e for e in events if e.observation == idx and e.regime == R.regime_actual(idx)), None)
    if ev is None:
        raise InputError("the certificate for this observation takes effect on or after maturity; no margin "
                         "change to certify", file=f, field=f"observations[{idx}].certificate_due")
    floor = float(rat.margin_floor_bp or 0.0)
    before = max(floor, loan.margin_bp + prev)
    after = max(floor, loan.margin_bp + now)
    all_down, all_up = (sum(x) for x in zip(*rat.kpi_steps(), strict=True))
    own = any(k.step_down_bp is not None for k in rat.kpis)
    steps = [f"{k.kpi} {d:+g}/{u:+g}" for k, (d, u) in zip(rat.kpis, rat.kpi_steps(), strict=True)]
    rule_text = (f"SPT-based ratchet: all met {all_down:+g} bp, all missed {all_up:+g} bp, "
                 + (f"KPI steps {', '.join(steps)} bp" if own
                    else f"KPI weights {', '.join(f'{k.kpi} {k.weight:g}' for k in rat.kpis)}")
                 + (f", cap ±{rat.cap_bp:g} bp" if rat.cap_bp is not None else "") + f"; {ev.reason}.")
    rule_zh = (f"基于SPT的调整：全部达成{all_down:+g}基点、全部未达成{all_up:+g}基点，"
               + (f"各指标调整{'、'.join(steps)}基点" if own
                  else f"指标权重{'、'.join(f'{k.kpi} {k.weight:g}' for k in rat.kpis)}")
               + (f"，上限±{rat.cap_bp:g}基点" if rat.cap_bp is not None else "") + "。")
    margin = MarginAdjustment(adjustment_bp=after - before, margin_before_bp=before, margin_after_bp=after,
                              floor_bp=floor, effective_date=ev.date, rule=Bilingual(en=rule_text, zh=rule_zh))

    if rep_res is not None:
        reported = {i.id: (i.raw_text if i.raw_text is not None else i.raw_value)
                    for i in rep_res.indicators.values() if not i.missing}
    else:
        reported = dict(eng.get("reported", {}))
    indicator_rows, auto_notes = _indicator_rows(res, reported)
    if "pue_grade_guard" in res.gates:
        g = load_catalogue()["sentences"]["grade_guard_note"]
        auto_notes.append(Note(kind="data_quality", indicator="pue",
                               en=g["en"].format(score_grade=res.score_grade, pue_grade=res.pue_grade),
                               zh=g["zh"].format(score_grade=res.score_grade, pue_grade=res.pue_grade)))
    cfe, matched = res.extra.get("cfe_score"), res.extra.get("hourly_matched_share")
    if cfe is not None or matched is not None:  # issue 15: hourly matching shown beside the annual figures
        per = next((p for p in facility.periods if p.label == period), None)
        figs = [getattr(per, f, None) for f in ("cfe_score", "hourly_matched_share")] if per is not None else []
        status = min((f.status for f in figs if f is not None), default="reported",
                     key=lambda s: {"design": 0, "reported": 1, "verified": 2}.get(s, 1))
        g = load_catalogue()["sentences"]["cfe_note"]
        fmt = {"cfe": "—" if cfe is None else f"{cfe:.1%}", "matched": "—" if matched is None else f"{matched:.1%}",
               "status": status}
        auto_notes.append(Note(kind="data_quality", indicator=None, en=g["en"].format(**fmt),
                               zh=g["zh"].format(**fmt)))
    spt_path = [PathPoint(period=o.period or str(o.date.year), value=float(o.spt["index"]))
                for o in deal.observations if "index" in o.spt]
    fac_name = Bilingual(en=facility.name, zh=facility.name_zh or facility.name)
    data = {
        "statement_id": eng.get("statement_id", f"{deal.id}-{period}"),
        "issue_date": eng.get("issue_date", obs.certificate_delivered or today or dt.date.today()),
        "verifier": verifier.model_dump(mode="json"),
        "standards": eng.get("standards", ["ISAE 3000 (Revised)"]),
        "assurance_level": eng.get("assurance_level", "limited"),
        "borrower": eng.get("borrower", {"en": deal.borrower or deal.id, "zh": deal.borrower or deal.id}),
        "facility": FacilityRef(id=facility.id, name=fac_name).model_dump(mode="json"),
        "loan_reference": eng.get("loan_reference", deal.id),
        "reporting_period": Period(label=pd_.label, start=pd_.start, end=pd_.end).model_dump(mode="json"),
        "observation_date": obs.date,
        "methodology": methodology.model_dump(mode="json"),
        "indicators": [r.model_dump(mode="json") for r in indicator_rows],
        "index": IndexSummary(total=res.total, core=res.core, addon=res.addon, grade=res.grade,
                              completeness_pct=round(100 * res.completeness, 1)).model_dump(mode="json"),
        "baseline": baseline.model_dump(mode="json"),
        "spts": [r.model_dump(mode="json") for r in rows],
        "index_history": [h.model_dump(mode="json") for h in history],
        "spt_path": [p.model_dump(mode="json") for p in spt_path],
        "margin": margin.model_dump(mode="json"),
        "notes": list(eng.get("notes", [])) + [n.model_dump(mode="json") for n in auto_notes],
        "conclusion": {"type": eng.get("conclusion", "unmodified")},
    }
    st = statement_from_mapping(data, file=engagement_file or f)
    if agreed:
        check_methodology(st, agreed, file=engagement_file or f)
    if not (st.conclusion.en and st.conclusion.zh):  # pragma: no cover - filled by statement_from_mapping
        text = conclusion_text(level=st.assurance_level, kind=st.conclusion.type, facility=st.facility.name,
                               period=st.reporting_period.label, methodology=st.methodology.id,
                               loan=st.loan_reference)
        st = st.model_copy(update={"conclusion": Conclusion(type=st.conclusion.type, **text)})
    return st
