"""Deal designer: pure functions over a deal document, and ``st.cache_data`` wrappers of the engine calls.

The page (``app_pages/deal_designer.py``) keeps a deal as its TOML document (the mapping ``store.save_deal``
stores and ``finance.deal.Deal`` validates). Every engine call here is keyed on hashable inputs: the deal
document as a canonical JSON string (:func:`doc_key`), a facility's JSON, a tuple of baseline periods. A
rerun after one widget change therefore recomputes only what that widget feeds: a margin change re-prices
the deal (:func:`evaluate`) but neither re-scores the baseline (:func:`baseline`) nor re-runs the BAU
simulation (:func:`bau_simulation`); an SPT change re-runs the cheap ambition checks only.

Nothing here re-implements finance or targets: schedules, ratchets and valuation come from
:mod:`finance.deal`, :mod:`finance.schedule` and :mod:`finance.valuation`; baselines, SPT paths and ambition
checks from :mod:`index.baseline`, :mod:`index.targets` and :mod:`index.ambition`.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from dateutil.relativedelta import relativedelta

import workflows
from app_support.engine import ROOT, book_source, methodology, score_json
from app_support.evidence import ambition_text, labeller
from app_support.i18n import catalogue
from app_support.store import app_store, database_url
from common.errors import InputError, InputErrors
from common.text import fmt_date, fmt_num
from finance import ratchet as R
from finance.conventions import conventions
from finance.deal import deal_from_dict, scored_periods
from finance.schedule import price, schedule_frame
from index.ambition import ambition_report, verdicts
from index.baseline import compute_baseline
from index.models import Facility
from index.simulate import fit_bau, simulate
from index.targets import KpiPath, Milestone, SptPlan, kpi_comparator, meets
from index.tomlfile import read_toml
from workflows.pipeline import PIN_FIELDS
from workflows.settings import DEFAULTS

#: BAU simulation: paths and seed, the defaults of ``dcsll targets`` (:data:`workflows.DEFAULTS`)
BAU_PATHS = DEFAULTS.targets_paths
BAU_SEED = DEFAULTS.seed
#: central interval of the BAU band, as ``dcsll targets`` (1 − alpha = 90 %)
BAU_ALPHA = DEFAULTS.bau_alpha
#: ratchet designs of finance.terms.RatchetTerms (DESIGN.md §4), in the order the page offers them
DESIGNS = ("spt", "score_grid", "interpolated")
#: what a new deal for a facility starts from (loan terms, ratchet steps, dates counted from today)
NEW_DEAL_TEMPLATE = ROOT / "app_support" / "templates" / "new_deal.toml"


# ------------------------------------------------------------------------------------------- documents


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (dt.date, dt.datetime)):
        return obj.isoformat()
    return obj


def doc_key(doc: dict) -> str:
    """Canonical JSON of a deal document (dates as ISO strings, keys sorted): the cache key of :func:`evaluate`."""
    return json.dumps(_jsonable(doc), sort_keys=True, ensure_ascii=False)


def read_deal_document(path: str | Path) -> dict:
    """The TOML mapping of a deal file (:func:`index.tomlfile.read_toml`; its errors propagate)."""

    return read_toml(Path(path))


def _add_months(d: dt.date, months: int) -> dt.date:
    return d + relativedelta(months=months)


def blank_deal(facility, deal_id: str, today: dt.date, template: dict | None = None,
               baseline_kpis: dict | None = None) -> dict:
    """A new deal document for a facility, every date counted from ``today``.

    Loan terms and ratchet from :data:`NEW_DEAL_TEMPLATE`; start = valuation date = ``today``; maturity,
    end of the availability period, drawdowns, observations (31 December of each year, the first at least
    ``first_observation_months`` after the start, the last before maturity) and certificate due dates from its
    ``[dates]`` offsets. An observation whose year is a period label of the facility is scored on that period.
    SPTs start at ``baseline_kpis`` (the designer tightens them); no scenarios (the default is ``met``).

    Parameters
    ----------
    facility : index.models.Facility
    deal_id : str
    today : datetime.date
    template : dict, optional
        Default: :data:`NEW_DEAL_TEMPLATE`.
    baseline_kpis : dict, optional
        KPI → baseline value [KPI unit].
    """
    tpl = copy.deepcopy(template if template is not None else read_deal_document(NEW_DEAL_TEMPLATE))
    d = tpl["dates"]
    maturity = _add_months(today, int(d["tenor_months"]))
    loan = dict(tpl["loan"], start_date=today, maturity_date=maturity,
                grace_end=_add_months(today, int(d["grace_months"])))
    loan["drawdowns"] = [{"date": _add_months(today, int(m)), "amount": float(loan["amount"]) * float(sh)}
                         for m, sh in zip(d["drawdown_months"], d["drawdown_shares"], strict=True)]
    first = _add_months(today, int(d["first_observation_months"]))
    year = first.year if first <= dt.date(first.year, 12, 31) else first.year + 1
    labels = {p.label for p in facility.periods}
    kpis = [k["kpi"] for k in tpl["ratchet"].get("kpis", [])] or ["index"]
    observations = []
    while dt.date(year, 12, 31) < maturity:
        o = {"date": dt.date(year, 12, 31),
             "certificate_due": _add_months(dt.date(year, 12, 31), int(d["certificate_due_months"])),
             "spt": {k: float(v) for k, v in (baseline_kpis or {}).items() if k in kpis and v is not None}}
        if str(year) in labels:
            o["period"] = str(year)
        observations.append(o)
        year += 1
    return {"id": deal_id, "name": "", "borrower": "", "facility": facility.id, "valuation_date": today,
            **tpl.get("deal", {}), "loan": loan, "ratchet": tpl["ratchet"], "observations": observations,
            "scenarios": []}


def ratchet_kpis(doc: dict) -> list[str]:
    """KPIs the ratchet tests: the SPT ratchet's ``kpis``, else the score's ``kpi`` (default ``index``)."""
    r = doc.get("ratchet", {})
    if r.get("design") == "spt":
        return [k["kpi"] for k in r.get("kpis", [])]
    return [r.get("kpi", "index")]


def switch_design(ratchet: dict, design: str, *, margin_bp: float, baseline_index: float | None,
                  final_index_spt: float | None) -> dict:
    """Ratchet terms of another design, derived from the current terms and the methodology's grades.

    - ``spt``: the current SPT terms, else one KPI ``index`` with the steps below.
    - ``score_grid``: one band per grade of the methodology (best first): the best grade earns the step-down,
      the grade of the baseline (and grades between) 0, worse grades and no report the step-up.
    - ``interpolated``: on ``index`` from the baseline score (margin + step-up) to the final SPT on the index
      (margin + step-down), else to the best grade's minimum.

    Steps, cap, timing and floor are kept from ``ratchet``; steps default to :data:`NEW_DEAL_TEMPLATE`'s.

    Raises
    ------
    ValueError
        Unknown design.
    """
    if design not in DESIGNS:
        raise ValueError(f"unknown ratchet design {design!r}: one of {', '.join(DESIGNS)}")
    if ratchet.get("design") == design:
        return ratchet
    tpl = read_deal_document(NEW_DEAL_TEMPLATE)["ratchet"]
    down = float(ratchet.get("step_down_bp", tpl["step_down_bp"]))
    up = float(ratchet.get("step_up_bp", tpl["step_up_bp"]))
    common = {k: ratchet[k] for k in ("timing", "margin_floor_bp", "cap_bp") if k in ratchet}
    if design == "spt":
        return {"design": "spt", "step_down_bp": down, "step_up_bp": up, **common,
                "kpis": [{"kpi": "index", "weight": 1.0, "no_change_band": 0.0}]}
    m = methodology()
    if design == "score_grid":
        base_rank = m.grade_rank(_grade_of(baseline_index, m)) if baseline_index is not None else 1
        bands = []
        for i, (g, _) in enumerate(m.grades):
            adj = down if i == 0 else (0.0 if i <= base_rank else up)
            bands.append({"grade": g, "adjustment_bp": adj})
        bands.append({"grade": m.ungraded, "adjustment_bp": up})
        return {"design": "score_grid", "kpi": "index", "bands": bands, "not_reported_bp": up, **common}
    lo = baseline_index if baseline_index is not None else m.grades[-1][1]
    hi = final_index_spt if final_index_spt is not None and final_index_spt > lo else m.grades[0][1]
    return {"design": "interpolated", "kpi": "index", "score_low": round(float(lo), 2), "score_high": float(hi),
            "margin_low_bp": max(margin_bp + down, 0.0), "margin_high_bp": margin_bp + up, **common}


def _grade_of(total: float, m) -> str:
    return next((g for g, lo in m.grades if total >= lo), m.ungraded)


# ------------------------------------------------------------------------------------------- engines


@st.cache_data(show_spinner=False, max_entries=256)
def evaluate(key: str, facility_json: str | None = None) -> dict:
    """Validate and price a deal document given as :func:`doc_key` JSON, its observations' facility periods
    scored on ``facility_json`` (the facility as stored in the deal book; cached on both strings).

    Returns
    -------
    dict
        ``errors``: list of failure rows (file, row, field, unit, value, reason) — empty when the deal is
        valid; then ``valuation`` (:meth:`finance.valuation.Valuation.to_dict`, the deal's own scenarios with
        their probabilities, else ``met`` and ``missed``), ``scenarios`` (names priced: the deal's, then
        ``met`` and ``missed``), ``schedules`` (name → schedule frame, see :class:`finance.schedule.Schedule`),
        ``why`` (name → :func:`_row_reasons`), ``discount_rate_pct`` used by the valuation [% p.a.] (None = the
        loan's own all-in rate without ratchet), ``convention`` (in English), ``convention_parts``
        (:func:`_convention_parts`) and ``currency``.
    """
    doc = json.loads(key)
    fac = Facility.model_validate_json(facility_json) if facility_json is not None else None
    try:
        deal = deal_from_dict(doc)
    except InputErrors as exc:
        return {"errors": exc.table()}
    names = list(dict.fromkeys([s.name for s in deal.scenarios] + ["met", "missed"]))
    try:
        # the book's figures; the periods' index results cached apart, so a loan-term change does not re-score
        ev = workflows.DealEvaluation(deal, _observation_results(deal, facility_json) if fac is not None else {})
        run = ev.run(names)
        priced = price(run.plan, run.regime_adj_bp)
        schedules = {n: schedule_frame(run.plan, priced, i, run.notes[i]).frame for i, n in enumerate(names)}
        why = {n: _row_reasons(run.plan, deal, run.regime_adj_bp[i]) for i, n in enumerate(names)}
        val = ev.valuation().to_dict()
    except InputErrors as exc:
        return {"errors": exc.table()}
    except (InputError, ValueError) as exc:
        row = exc.as_row() if isinstance(exc, InputError) else InputError(str(exc)).as_row()
        return {"errors": [row]}
    return {"errors": [], "valuation": val, "scenarios": names, "schedules": schedules, "why": why,
            "discount_rate_pct": DEFAULTS.discount_rate_pct,
            "convention": run.plan.convention, "convention_parts": _convention_parts(run.plan),
            "currency": run.plan.loan.currency}


def _row_reasons(plan, deal, regime_adj) -> list[dict]:
    """Why each accrual row of a schedule carries its margin, as data (the page words it in its language).

    One dict per row: ``kind`` = ``contractual`` (no certificate has taken effect yet), ``result`` (the
    certificate of observation ``obs_date`` took effect; delivered on ``delivered``, else assumed on its due
    date ``due``) or ``failure`` (certificate due ``due`` not delivered: every target counts as missed), and
    ``adj_bp`` [bp], the regime's total adjustment (:attr:`finance.deal.DealRun.regime_adj_bp`).
    """
    out = []
    for ev in plan.row_event:
        if ev is None:
            out.append({"kind": "contractual"})
            continue
        o = deal.observations[ev.observation]
        out.append({"kind": "failure" if ev.regime == R.regime_failure(ev.observation) else "result",
                     "obs_date": o.date, "due": o.certificate_due, "delivered": o.certificate_delivered,
                     "adj_bp": float(regime_adj[ev.regime])})
    return out


def _convention_parts(plan) -> dict:
    """The pieces of :attr:`finance.schedule.Plan.convention` as data, for the page to word in its language."""
    ln = plan.loan
    lag, fcal = ln.base_rate.fixing_convention()
    return {"repayment": ln.repayment, "day_count": ln.day_count, "basis": plan.basis,
            "periodic": ln.repayment == "annuity" and ln.annuity_convention == "periodic",
            "periods_per_year": plan.periods_per_year, "calendar": ln.calendar, "bdc": ln.business_day_convention,
            "index": ln.base_rate.index, "repricing": ln.base_rate.repricing, "fixing_lag": lag,
            "fixing_calendar": fcal,
            "start_moved": plan.start_moved}


def _observation_results(deal, facility_json: str) -> dict:
    """:func:`workflows.observation_results` of a deal on a facility (JSON), cached on what it depends on: the
    facility, the periods the observations name and the deal's methodology pins (:data:`workflows.pipeline.
    PIN_FIELDS`), not the loan terms."""

    # the pins resolved in the deal book, and the book's current methodology for a deal that pins nothing
    pins = json.dumps([str(getattr(deal, k, None)) for k in PIN_FIELDS] + [methodology().sha256])
    return _results_cached(pins, facility_json, tuple(scored_periods(deal)), deal)


@st.cache_data(show_spinner=False, max_entries=64)
def _results_cached(pins: str, facility_json: str, periods: tuple[str, ...], _deal) -> dict:
    return workflows.observation_results(_deal, Facility.model_validate_json(facility_json), methodology(),
                                         book_source())


def margin_interest_frame(schedules: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Long table for the margin and interest chart: one row per scenario and payment date.

    Columns: ``scenario``, ``payment_date``, ``margin_bp`` [bp] (contractual + ratchet of the period's last
    accrual row), ``interest`` [ccy] (sum over the period's accrual rows).
    """
    out = []
    for name, f in schedules.items():
        g = f.assign(all_margin=f["margin_bp"] + f["ratchet_bp"]).groupby("payment_date", sort=True)
        out.append(pd.DataFrame({"scenario": name, "payment_date": g["all_margin"].last().index,
                                 "margin_bp": g["all_margin"].last().to_numpy(),
                                 "interest": g["interest"].sum().to_numpy()}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(
        columns=["scenario", "payment_date", "margin_bp", "interest"])


@st.cache_data(show_spinner=False)
def baseline(facility_json: str, periods: tuple[str, ...]):
    """Baseline of a facility (given as its JSON, as stored in the deal book) over 1–3 periods, and the
    index result of each period.

    Returns
    -------
    (index.baseline.Baseline, dict of period label → index.result.IndexResult)

    Raises
    ------
    index.errors.InputError
        See :func:`index.baseline.compute_baseline` (no period, unverified period, more than three, ...).
    """

    f = Facility.model_validate_json(facility_json)
    b = compute_baseline(f, list(periods), methodology=methodology(), file=f"facility {f.id} (deal book)")
    return b, {p: score_json(facility_json, p) for p in b.periods}


def pillar_frame(result, lang: str) -> pd.DataFrame:
    """Per pillar: ``pillar`` name, ``score`` [0–100], ``weight`` [-], ``contribution`` [points], ``addon``
    (bool) and ``group`` (the pillar's group in ``lang``: core or lifecycle add-on)."""
    nm = (lambda o: o.name_zh) if lang == "zh" else (lambda o: o.name_en)
    return pd.DataFrame([{"pillar": nm(p), "score": p.score, "weight": p.weight, "contribution": p.contribution,
                          "addon": p.addon, "group": label("designer.group_addon" if p.addon else "designer.group_core",
                                                           lang)} for p in result.pillars])


def targets_settings(store, deal_id: str) -> dict:
    """Targets settings of a deal from the deal book (``Store.targets_settings``: baseline periods,
    regulatory profile, proposal), {} when none are recorded."""
    return dict(store.targets_settings(deal_id) or {})


def monthly_frame(store, facility_id: str):
    """Monthly metered series of a facility from the deal book (``Store.monthly``), None when none is stored.

    Reading and checking the series takes ~0.1 s, so it is cached per facility on the deal book's audit count
    (every write adds an audit row: a new upload is read at once, an unchanged book is not re-read).
    """

    return _monthly(database_url(), facility_id, store.audit_count())


@st.cache_data(show_spinner=False, max_entries=64)
def _monthly(url: str, facility_id: str, version: int):
    return app_store().monthly(facility_id)


@st.cache_data(show_spinner=False)
def bau_simulation(facility_json: str, monthly: pd.DataFrame, base_year: int, base_period: str,
                   years: tuple[int, ...]) -> dict:
    """BAU forecast bands of every simulated KPI, fitted on monthly data up to the baseline year.

    As ``dcsll targets``: :func:`index.simulate.fit_bau` up to ``base_year``, :data:`BAU_PATHS` paths, seed
    :data:`BAU_SEED`, scored through the index. Returns ``{"bands": {(kpi, year): band}, "paths": {kpi: array
    (paths, years)}, "years": [...], "model": text}`` (the paths give P(BAU meets SPT) for any SPT).

    Raises
    ------
    index.forecast.InsufficientData, index.errors.InputError
        Too few months, or data not ending in December.
    """

    f = Facility.model_validate_json(facility_json)
    mo = monthly
    models = fit_bau(mo, f, until_year=base_year)
    ys = [y for y in years if y > base_year]
    if not ys:
        return {"bands": {}, "paths": {}, "years": [], "model": ""}
    sim = simulate(f, mo, ys, n_paths=BAU_PATHS, seed=BAU_SEED, methodology=methodology(), bau=models,
                   base_period=base_period)
    model_of = {d["series"]: d["model"] for d in sim.models}
    bands = {(k, y): sim.bau_band(k, y, alpha=BAU_ALPHA) for k in sim.values if k != "grade" for y in sim.years}
    return {"bands": bands, "paths": {k: v for k, v in sim.values.items() if k != "grade"}, "years": list(sim.years),
            "model": f"Monte Carlo of {BAU_PATHS} BAU paths scored through the index (PUE: {model_of.get('pue', '?')})",
            "n_paths": BAU_PATHS, "pue_model": model_of.get("pue")}


@st.cache_data(show_spinner=False)
def ambition(facility_json: str, periods: tuple[str, ...], spts_key: str, profile_key: str,
             monthly: pd.DataFrame | None) -> dict:
    """Ambition checks (BAU, regulation, peers) of a deal's SPTs, with their evidence.

    Parameters
    ----------
    facility_json : str
        The facility as stored in the deal book (``Facility.model_dump_json()``).
    periods : tuple of str
        Baseline periods.
    spts_key : str
        JSON list of ``[kpi, observation year, SPT]`` rows.
    profile_key : str
        JSON of the regulatory profile (``new_build``, ``government_procurement``, ``city``).
    monthly : DataFrame or None
        Monthly metered series (``Store.monthly``, columns of :func:`index.forecast.load_monthly`); without it
        the BAU check says there is no forecast.

    Returns
    -------
    dict
        ``checks``: rows of :meth:`index.ambition.AmbitionCheck.to_dict`; ``verdicts``: rows (kpi, year,
        ambitious); ``bau``: rows (kpi, year, mean, lower, upper [KPI unit], p_meets [0–1]); ``bau_note``: how
        BAU was forecast, or why it was not.
    """

    b, _ = baseline(facility_json, periods)
    rows = json.loads(spts_key)
    m = methodology()
    paths = {}
    for kpi in dict.fromkeys(r[0] for r in rows):
        ms = tuple(Milestone(year=int(y), value=float(v), method="deal") for k, y, v in rows if k == kpi)
        paths[kpi] = KpiPath(kpi=kpi, comparator=kpi_comparator(kpi, m), baseline_value=b.value(kpi),
                             baseline_year=b.base_year, method="manual", milestones=ms)
    plan = SptPlan(facility_id=b.facility_id, baseline=b, years=tuple(sorted({int(r[1]) for r in rows})),
                   paths=paths)
    bau, note, model = {}, "", None
    if monthly is not None:
        try:
            sim = bau_simulation(facility_json, monthly, b.base_year, b.periods[-1], plan.years)
        except (InputError, ValueError) as exc:
            note = str(exc)
        else:
            note = sim["model"]
            model = {"n_paths": sim.get("n_paths"), "pue_model": sim.get("pue_model")}
            for kpi, p in paths.items():
                for ms in p.milestones:
                    band = sim["bands"].get((kpi, ms.year))
                    if band is not None:
                        col = sim["years"].index(ms.year)
                        bau[(kpi, ms.year)] = {**band, "model": sim["model"], "p_meets": float(
                            np.mean(meets(sim["paths"][kpi][:, col], ms.value, p.comparator)))}
    checks = ambition_report(plan, Facility.model_validate_json(facility_json), bau, **json.loads(profile_key))
    return {"checks": [c.to_dict() for c in checks], "bau_note": note, "bau_model": model,
            "bau": [{"kpi": kk, "year": y, **{f: b[f] for f in ("mean", "lower", "upper", "p_meets")}}
                    for (kk, y), b in bau.items()],
            "verdicts": [{"kpi": k, "year": y, "ambitious": v} for (k, y), v in verdicts(checks).items()]}


# ------------------------------------------------------------------------------------------- saving


def save(store, actor: str, doc: dict, expected_version: int | None, baseline_obj, kpis: list[str],
         settings: dict | None = None) -> dict:
    """Save a designed deal to the deal book, then record its baseline, SPTs and targets settings.

    ``store.save_deal`` (optimistic lock on ``expected_version``, None = create), then per ratchet KPI
    ``set_baseline`` (value, unit, period labels, methodology) and per observation ``set_spt``, each only when
    the stored current value differs (a change carries a reason, as the store requires for recalculation);
    then ``settings`` (baseline periods, regulatory profile, proposal) as the deal's targets settings
    (``save_targets_settings``: a new version only when they changed).

    Returns
    -------
    dict
        ``version`` of the saved deal, ``baselines`` and ``spts`` written (counts), ``settings_version``.

    Raises
    ------
    store.errors.StaleWriteConflict, store.errors.PermissionDenied, index.errors.InputError
        From the store; nothing of the failing call is written.
    """
    info = store.save_deal(actor, doc, expected_version=expected_version)
    current = store.targets(doc["id"])
    base_now = {t.kpi: t for t in current if t.observation_date is None}
    spt_now = {(t.kpi, t.observation_date): t for t in current if t.observation_date is not None}
    nb = ns = 0
    reason = "deal designer: baseline / SPTs changed"
    ids = {}
    for kpi in kpis:
        v = baseline_obj.kpis.get(kpi) if baseline_obj is not None else None
        if v is None:
            continue
        cur = base_now.get(kpi)
        label = ",".join(baseline_obj.periods)
        if cur is None or abs(cur.value - v) > 1e-12 or (cur.extra or {}).get("period_label") != label:
            unit = _kpi_unit(kpi)
            rec = store.set_baseline(actor, doc["id"], kpi, v, unit=unit, period_label=label,
                                     methodology_id=baseline_obj.methodology_id,
                                     methodology_sha256=baseline_obj.methodology_sha256,
                                     reason=reason if cur is not None else None)
            ids[kpi] = rec.id
            nb += 1
        else:
            ids[kpi] = cur.id
    for o in doc["observations"]:
        d = o["date"] if isinstance(o["date"], dt.date) else dt.date.fromisoformat(str(o["date"]))
        for kpi in kpis:
            v = o.get("spt", {}).get(kpi)
            if not isinstance(v, int | float):
                continue
            cur = spt_now.get((kpi, d))
            if cur is None or abs(cur.value - float(v)) > 1e-12:
                store.set_spt(actor, doc["id"], kpi, d, float(v), baseline_id=ids.get(kpi),
                              reason=reason if cur is not None else None)
                ns += 1
    sv = store.save_targets_settings(actor, doc["id"], settings) if settings else None
    return {"version": info.version, "baselines": nb, "spts": ns, "settings_version": sv}


def _kpi_unit(kpi: str) -> str | None:
    """Unit of a KPI from ``[kpi.*]`` of :func:`finance.conventions.conventions`, None when not listed."""

    return conventions().kpi.get(kpi, {}).get("unit")


# ------------------------------------------------------------------------------------------- page helpers


def wkey(name: str, token: str) -> str:
    """Session-state key of a designer widget for one start point (``book:<id>``, ``template:<stem>``,
    ``new:<facility id>``): each start point has widgets of its own."""
    return f"dz.{token}.{name}"


def label(key: str, lang: str) -> str:
    """Catalogue label in an explicit language (for ``format_func`` callbacks, see :func:`app_support.i18n.name`)."""

    return catalogue(lang)[key]


def default_baseline_periods(store, deal_id: str, fac, settings: dict | None = None) -> list[str]:
    """Baseline periods to start from: the deal book's recorded baseline (``period_label``), else the deal's
    targets settings (``[baseline] periods``), else the latest verified period, else the latest period."""
    labels = [p.label for p in fac.periods]
    if store is not None:
        try:
            recs = [t for t in store.targets(deal_id) if t.observation_date is None]
        except Exception:  # noqa: BLE001 - an unreadable record must not hide the designer
            recs = []
        for rec in recs:
            got = [p for p in str((rec.extra or {}).get("period_label") or "").split(",") if p in labels]
            if got:
                return got
    got = [str(p) for p in (settings or {}).get("baseline", {}).get("periods", []) if str(p) in labels]
    if got:
        return got
    ver = [p.label for p in fac.periods if p.status == "verified"]
    return ver[-1:] or labels[-1:]


def kpi_options() -> list[str]:
    """KPIs an SPT ratchet can test: those with a direction in ``[kpi.*]`` of :func:`finance.conventions.conventions`."""

    return list(conventions().kpi)


def observation_frame(observations: list[dict], kpis: list[str], baseline_kpis: dict) -> pd.DataFrame:
    """The SPT editor's table: one row per observation (dates, facility period, one SPT column per KPI).

    A KPI without an SPT at an observation starts at its baseline value [KPI unit] (or empty)."""
    rows = []
    for o in observations:
        row = {"date": _as_date(o.get("date")), "certificate_due": _as_date(o.get("certificate_due")),
               "certificate_delivered": _as_date(o.get("certificate_delivered")), "period": o.get("period")}
        for kpi in kpis:
            v = o.get("spt", {}).get(kpi, baseline_kpis.get(kpi))
            row[kpi] = float(v) if isinstance(v, int | float) else None
        rows.append(row)
    return pd.DataFrame(rows, columns=["date", "certificate_due", "certificate_delivered", "period", *kpis])


def _as_date(v):
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp | dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v)[:10])


def observations_from_frame(frame: pd.DataFrame, base: list[dict], kpis: list[str]) -> list[dict]:
    """Observations of the deal document from the SPT editor: row i updates observation i of ``base`` (its
    other fields such as ``verified`` kept); new rows are new observations; empty cells are left out (the
    engine's validation names what is missing)."""
    out = []
    for i, row in enumerate(frame.to_dict("records")):
        o = copy.deepcopy(base[i]) if i < len(base) else {}
        for f in ("date", "certificate_due", "certificate_delivered"):
            d = _as_date(row.get(f))
            if d is None:
                o.pop(f, None)
            else:
                o[f] = d
        per = row.get("period")
        if per is None or (not isinstance(per, str) and pd.isna(per)) or per == "":
            o.pop("period", None)
        else:
            o["period"] = str(per)
        spt = dict(o.get("spt", {}))
        for kpi in kpis:
            v = row.get(kpi)
            if v is None or pd.isna(v):
                spt.pop(kpi, None)
            else:
                spt[kpi] = float(v)
        o["spt"] = spt
        out.append(o)
    return out


def kpi_short(kpi: str, lang: str) -> str:
    """A KPI's short name for inline text (catalogue ``designer.kpi_short.<kpi>``, else :func:`kpi_label`)."""
    return catalogue(lang).get(f"designer.kpi_short.{kpi}") or kpi_label(kpi, lang)


def outcome_text(o: dict, lang: str = "en") -> str:
    """An inline scenario outcome in words, each KPI by its short name (:func:`kpi_short`), e.g. ``index 89,
    PUE 1.2``."""
    parts = [f"{kpi_short('index', lang)} {o['index_total']:g}"] if o.get("index_total") is not None else []
    parts += [f"{kpi_short(k, lang)} {v:g}" for k, v in o.get("kpis", {}).items()]
    return ", ".join(parts)


def outcome_label(o, lang: str) -> str:
    """A scenario's outcome at one observation in ``lang``: ``actual`` / ``met`` / ``missed`` from the catalogue
    (``designer.outcome.*``), an inline outcome through :func:`outcome_text`."""
    if isinstance(o, str):
        return catalogue(lang).get(f"designer.outcome.{o}", o)
    return outcome_text(o, lang)


def ambition_summary(amb: dict, spt_rows: list, base, lang: str) -> pd.DataFrame:
    """One row per SPT: kpi, year, spt, baseline, BAU mean, P(BAU meets), binding rule, verdict (in ``lang``)."""
    checks = amb["checks"]
    verdict = {(v["kpi"], v["year"]): v["ambitious"] for v in amb["verdicts"]}
    rows = []
    for kpi, year, spt in spt_rows:
        bau = next((b for b in amb["bau"] if b["kpi"] == kpi and b["year"] == year), None)
        reg = next((c for c in checks if c["kpi"] == kpi and c["year"] == year and c["check"] == "regulation"), None)
        rows.append({"kpi": kpi_label(kpi, lang), "year": year, "spt": spt, "baseline": base.kpis.get(kpi),
                     "bau_mean": bau["mean"] if bau else None, "p_bau_meets": bau["p_meets"] if bau else None,
                     "regulation": reg["reference"] if reg else None,
                     "verdict": label(f"designer.verdict.{verdict.get((kpi, year))}", lang)})
    return pd.DataFrame(rows).sort_values(["kpi", "year"], kind="stable", ignore_index=True)


# ------------------------------------------------------------------------------------------- words and tables


def kpi_label(kpi: str, lang: str) -> str:
    """A KPI as a reader calls it (catalogue ``designer.kpi_name.<kpi>``; ids not listed are shown as given)."""
    return catalogue(lang).get(f"designer.kpi_name.{kpi}", kpi)


def scenario_label(name: str, lang: str) -> str:
    """A scenario's name in ``lang``: the built-in ``met`` / ``missed`` and the demo deals' scenario ids from the
    catalogue (``designer.scenario_name.<name>``); a name the user typed is shown as typed."""
    return catalogue(lang).get(f"designer.scenario_name.{name}", name)


def _bp(v: float) -> str:
    return f"{v:+g} bp"


def why_text(reason: dict, lang: str) -> str:
    """One row of :func:`_row_reasons` in words (catalogue ``designer.why.*``)."""
    c = catalogue(lang)
    if reason["kind"] == "contractual":
        return c["designer.why.contractual"]
    if reason["kind"] == "failure":
        return c["designer.why.failure"].format(obs=fmt_date(reason["obs_date"]), due=fmt_date(reason["due"]),
                                                adj=_bp(reason["adj_bp"]))
    if reason.get("delivered") is not None:
        return c["designer.why.delivered"].format(obs=fmt_date(reason["obs_date"]),
                                                  delivered=fmt_date(reason["delivered"]), adj=_bp(reason["adj_bp"]))
    return c["designer.why.assumed"].format(obs=fmt_date(reason["obs_date"]), due=fmt_date(reason["due"]),
                                            adj=_bp(reason["adj_bp"]))


def discount_text(rate_pct: float | None, lang: str) -> str:
    """How the valuation discounts (``finance.valuation.value``: the loan's all-in rate without ratchet when
    ``rate_pct`` is None, else a flat rate [% p.a.]), in ``lang`` (catalogue ``designer.disc.*``)."""
    c = catalogue(lang)
    return c["designer.disc.loan_rate"] if rate_pct is None else c["designer.disc.flat"].format(rate=rate_pct)


def convention_text(parts: dict, lang: str) -> str:
    """How the schedule computes interest and repays, in ``lang`` (:func:`_convention_parts`; catalogue
    ``designer.conv.*``)."""
    c = catalogue(lang)
    rep = c.get(f"designer.repay.{parts['repayment']}", parts["repayment"])
    interest = (c["designer.conv.interest_periodic"].format(ppy=parts["periods_per_year"]) if parts["periodic"]
                else c["designer.conv.interest_days"].format(basis=parts["basis"], day_count=parts["day_count"]))
    fix = (c["designer.conv.fix_same_day"] if not parts["fixing_lag"]
           else c["designer.conv.fix_lag"].format(lag=parts["fixing_lag"], calendar=parts["fixing_calendar"]))
    rp = c["designer.conv.reprice_period" if parts["repricing"] == "interest_period" else "designer.conv.reprice_year"]
    out = c["designer.conv.text"].format(repayment=rep, interest=interest, calendar=parts["calendar"],
                                         bdc=parts["bdc"], index=parts["index"], reprice=rp, fix=fix)
    if parts.get("start_moved"):
        signed, accrues = parts["start_moved"]
        out += " " + c["designer.conv.start_moved"].format(start=signed, accrues=accrues, calendar=parts["calendar"])
    return out


#: columns of the compact cash-flow table, in order (the rest of the engine's schedule is in the CSV download;
#: why the margin is what it is in :func:`margin_regimes_view`)
CASH_FLOW_COLUMNS = ("period", "start", "payment_date", "days", "outstanding", "drawdown", "margin_total_bp",
                     "all_in_rate_pct", "interest", "principal", "payment")
#: money columns of the cash-flow table [loan currency]: whole units, and with cents
MONEY_WHOLE = ("outstanding", "drawdown", "principal")
MONEY_CENTS = ("interest", "payment")
#: date columns of the cash-flow table
DATE_COLUMNS = ("start", "payment_date")


def cash_flow_view(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The compact cash-flow table a reader scans: :data:`CASH_FLOW_COLUMNS` of a schedule frame
    (:func:`finance.schedule.schedule_frame`) — accrual start and payment date as dates, days, outstanding and
    drawdown, the margin in force (contractual + ratchet) [bp], the all-in rate [%] to 4 decimals, interest,
    principal and payment [loan currency] to the cent. Headers from :func:`cash_flow_headers`."""
    out = pd.DataFrame({
        "period": frame["period"].astype(int),
        **{c: pd.to_datetime(frame[c]).dt.date for c in DATE_COLUMNS},
        "days": frame["days"].astype(int),
        **{c: frame[c].astype(float).round(2) for c in ("outstanding", "drawdown")},
        "margin_total_bp": (frame["margin_bp"] + frame["ratchet_bp"]).astype(float).round(4),
        "all_in_rate_pct": frame["all_in_rate_pct"].astype(float).round(4),
        **{c: frame[c].astype(float).round(2) for c in ("interest", "principal", "payment")},
    })
    return out[list(CASH_FLOW_COLUMNS)]


def cash_flow_headers(ccy: str, lang: str) -> dict[str, str]:
    """Column id → header with its unit (catalogue ``designer.cf.*``; money in ``ccy``)."""
    c = catalogue(lang)
    return {col: c[f"designer.cf.{col}"].format(ccy=ccy) for col in (*CASH_FLOW_COLUMNS, "why", "from")}


def margin_regimes_view(frame: pd.DataFrame, reasons: list[dict], lang: str) -> pd.DataFrame:
    """When the margin changes and why: one row per run of accrual rows with the same reason
    (:func:`_row_reasons`) — ``from`` (first accrual day), ``margin_total_bp`` [bp] and ``why``
    (:func:`why_text`). Said once here instead of on every row of the cash-flow table."""
    rows, last = [], None
    margin = (frame["margin_bp"] + frame["ratchet_bp"]).astype(float).round(4).tolist()
    for start, m, r in zip(pd.to_datetime(frame["start"]).dt.date, margin, reasons, strict=True):
        if r != last:
            rows.append({"from": start, "margin_total_bp": m, "why": why_text(r, lang)})
            last = r
    return pd.DataFrame(rows, columns=["from", "margin_total_bp", "why"])


def text_if_missing(values: pd.Series, missing: str, digits: int = 4) -> pd.Series:
    """``values`` unchanged when none is missing; else every cell as text (:func:`common.text.fmt_num` to
    ``digits`` significant digits, ``missing`` — the reason — for a missing one). One type per column: Streamlit
    sends a mixed numbers-and-text column only after a failed Arrow conversion and a retry, which costs a rerun
    time (issue 7's budget)."""
    if not values.isna().any():
        return values
    return values.map(lambda v: fmt_num(None if pd.isna(v) else v, digits, missing=missing)).astype(object)


def evidence_frame(checks: list[dict], lang: str) -> pd.DataFrame:
    """Every ambition check in ``lang``: KPI, year, SPT, check (BAU / regulation / peers), result, value
    compared with [KPI unit], a summary worded here from those fields (catalogue ``designer.ev.*``) and the
    evidence with its sources, worded from the check's code and params (:func:`app_support.evidence.ambition_text`,
    catalogue ``designer.code.*``)."""
    c = catalogue(lang)
    say = labeller(lang)
    rows = []
    for x in checks:
        verdict = c[f"designer.verdict.{x['ambitious']}"]
        ref = x.get("reference")
        check = c[f"designer.check.{x['check']}"]
        summary = (c["designer.ev.compared"].format(check=check, ref=fmt_num(ref), spt=fmt_num(x["spt"]),
                                                    verdict=verdict)
                   if ref is not None else c["designer.ev.no_reference"].format(check=check))
        rows.append({"kpi": kpi_label(x["kpi"], lang), "year": int(x["year"]), "spt": x["spt"],
                     "check": check, "ambitious": verdict, "reference": ref,
                     "summary": summary, "evidence": ambition_text(x, say)})
    out = pd.DataFrame(rows, columns=["kpi", "year", "spt", "check", "ambitious", "reference", "summary", "evidence"])
    out["reference"] = text_if_missing(out["reference"].astype(float), c["designer.ui.cell_none"])
    return out
