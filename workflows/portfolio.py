"""The portfolio from the record (issue 12 item 7, issue 11 item 2): one row per deal of the deal book.

What happened is **read**, not recomputed (DESIGN.md §2, "a loan's life is recorded, not recomputed"):

* *margin in force* [bp] — the contractual margin, or ``margin_after_bp`` of the latest margin change a second
  credit officer **approved** whose effective date is on or before the as-of date (the rule of
  :func:`finance.monitoring.margin_in_force`: latest by effective date, then ratchet regime);
* *last observation* — the latest observation date on or before the as-of date and what the deal book recorded
  for it: ``verified`` (an issued statement, certificate delivered by then), ``reported`` (the operator's figures:
  **indicative**, never moving the margin) or nothing;
* *status* — *missed* when the latest decided observation has a verified SPT outcome ``missed``, or its
  certificate was due before the as-of date with no verified record (reporting failure, as
  :func:`finance.monitoring.margin_events_from_record`); otherwise from the forward-looking part below.

Only the forward-looking part is computed, **vectorised across deals** (pandas over all rows at once; no engine call
per deal): the facility's latest period ended by the as-of date is scored with :func:`index.engine.score_frame`
(GCPI total, grade and *completeness*, the share of the methodology's indicators with data), each ratchet KPI's
latest value is compared with the next observation's SPT (headroom [KPI unit], signed so that ≥ 0 meets it) and
the status thresholds of ``data/finance/portfolio_status.toml`` give *at risk* / *on track*; P(met) of the next
observation is read from the latest stored simulation of the deal, where one was stored.

Functions
---------
``portfolio(source_or_store, as_of, *, actor="admin", rules=None, methodology=None) -> PortfolioFrame``
    (exported as ``workflows.portfolio_of``: ``workflows.portfolio`` is this module)
``load_status_rules(path=STATUS_FILE) -> StatusRules``
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from common.errors import InputError
from common.settings import data_dir
from finance.conventions import conventions
from finance.monitoring import MARGIN_ORDER
from index.engine import inputs_frame, score_frame
from index.methodology import load_methodology
from index.reference import default_bundle
from index.tomlfile import read_toml
from store.bookview import book_view

STATUS_FILE = data_dir() / "finance" / "portfolio_status.toml"
#: status codes, best first
STATUSES: tuple[str, ...] = ("on_track", "at_risk", "missed")
#: columns of :attr:`PortfolioFrame.frame`, in order (see :func:`portfolio`)
COLUMNS: tuple[str, ...] = (
    "deal_id", "name", "borrower", "facility_id", "facility", "facility_zh", "currency", "amount",
    "contractual_margin_bp", "margin_bp", "adjustment_bp", "margin_since", "margin_source", "margin_reason_en",
    "margin_reason_zh", "last_observation", "last_record", "last_index", "last_statement",
    "period", "period_status", "index", "grade", "completeness", "indicative",
    "next_observation", "next_spt", "headroom_kpi", "headroom", "headroom_spt", "headroom_value", "p_met",
    "status", "status_reason", "status_kpi", "status_value", "status_spt", "status_date")
#: KPIs of a score result other than indicator raw values: KPI id → score_frame column
SCORE_KPIS = {"index": "total", "total": "total", "core": "core", "addon": "addon"}


# --------------------------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class StatusRules:
    """Thresholds of the deal status (``data/finance/portfolio_status.toml``).

    Attributes
    ----------
    headroom : dict
        KPI id → headroom [KPI unit]: a latest value that clears the next SPT by less than this is *at risk*.
    units : dict
        KPI id → unit of its headroom, as written in the file.
    file : str
        The file the rules came from (named in errors).
    sources : dict
        KPI id → the source or rationale of its headroom, as written in the file.
    """

    headroom: dict[str, float]
    units: dict[str, str]
    file: str
    sources: dict[str, str] = field(default_factory=dict)

    def headroom_for(self, kpi: str) -> float:
        """Headroom of ``kpi`` [KPI unit].

        Raises
        ------
        InputError
            If the file has no ``[headroom.<kpi>]`` (names the file and the field to add).
        """
        if kpi not in self.headroom:
            raise InputError(f"no headroom for KPI '{kpi}': add [headroom.{kpi}] with value, unit and source",
                             file=self.file, field=f"headroom.{kpi}", value=kpi)
        return self.headroom[kpi]


def load_status_rules(path: str | Path = STATUS_FILE) -> StatusRules:
    """Read the status thresholds (``data/finance/portfolio_status.toml`` by default).

    Each ``[headroom.<kpi>]`` needs ``value`` (a number ≥ 0, in the KPI's unit), ``unit`` and a non-empty
    ``source``.

    Raises
    ------
    InputError
        Unreadable TOML, no ``[headroom]`` table, or a bad entry (file, field, unit and value named).
    """
    raw = read_toml(path, "portfolio status file")
    table = raw.get("headroom")
    if not isinstance(table, dict) or not table:
        raise InputError("the file needs a [headroom.<kpi>] table per KPI", file=str(path), field="headroom")
    headroom, units, sources = {}, {}, {}
    for kpi, entry in table.items():
        fld = f"headroom.{kpi}"
        if not isinstance(entry, dict):
            raise InputError("give value, unit and source", file=str(path), field=fld, value=entry)
        unit = entry.get("unit")
        v = entry.get("value")
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
            raise InputError("headroom must be a number >= 0 in the KPI's unit", file=str(path),
                             field=fld + ".value", unit=unit, value=v)
        if not unit or not str(entry.get("source", "")).strip():
            raise InputError("every headroom needs its unit and a source", file=str(path), field=fld, unit=unit)
        headroom[kpi], units[kpi], sources[kpi] = float(v), str(unit), " ".join(str(entry["source"]).split())
    return StatusRules(headroom, units, str(path), sources)


# --------------------------------------------------------------------------------- result


@dataclass
class PortfolioFrame:
    """The portfolio on a date.

    Attributes
    ----------
    frame : DataFrame
        One row per deal (deal id order), columns :data:`COLUMNS`: ``amount`` [ccy];
        ``contractual_margin_bp``, ``margin_bp`` (in force), ``adjustment_bp`` (= margin − contractual) [bp];
        ``margin_since`` (effective date of the change in force, NaT while contractual); ``margin_source``
        (``record`` / ``contractual``); ``margin_reason_en``/``_zh``; ``last_observation`` (date);
        ``last_record`` (``verified`` / ``reported`` / None); ``last_index`` (GCPI total of that record);
        ``last_statement``; ``period``, ``period_status``, ``index`` [0-110], ``grade``, ``completeness``
        [fraction 0-1] of the facility's latest period; ``indicative`` (True when the index or the last
        observation rests on figures not verified); ``next_observation``, ``next_spt`` (KPI → SPT);
        ``headroom_kpi``, ``headroom`` [KPI unit, ≥ 0 meets], ``headroom_spt``, ``headroom_value`` of the
        tightest KPI (smallest headroom relative to its threshold); ``p_met`` [fraction] (stored simulation,
        weakest KPI of the next observation); ``status`` and ``status_reason`` / ``_kpi`` / ``_value`` /
        ``_spt`` / ``_date`` (reasons: ``missed``, ``not_reported``, ``overdue``, ``short``, ``thin``, ``ok``,
        ``no_next``).
    problems : list of (deal id, InputError)
        Deals left out, each with the reason.
    as_of : datetime.date
    """

    frame: pd.DataFrame
    problems: list = field(default_factory=list)
    as_of: dt.date | None = None

    def to_dict(self) -> dict:
        """JSON-ready: ``as_of``, ``deals`` (rows, NaN → None, dates ISO) and ``problems``."""
        rows = []
        for r in self.frame.to_dict("records"):
            out = {}
            for k, v in r.items():
                if isinstance(v, float) and math.isnan(v) or v is pd.NaT or v is None:
                    v = None
                elif isinstance(v, pd.Timestamp | dt.date):
                    v = v.isoformat()[:10]
                elif isinstance(v, np.generic):
                    v = v.item()
                out[k] = v
            rows.append(out)
        return {"as_of": self.as_of.isoformat() if self.as_of else None, "deals": rows,
                "problems": [{"deal": d, "error": str(e)} for d, e in self.problems]}


# --------------------------------------------------------------------------------- documents → long frames


def _date(v) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


#: parsed terms per (deal id, version) and scored latest periods per (facility id, period id, figures key,
#: methodology SHA-256): what does not change until a new deal version or a new figure is saved (both
#: append-only in the deal book), kept across calls in this process. Bounded: cleared past :data:`CACHE_MAX`.
_TERMS: dict[tuple[str, int], tuple] = {}
_SCORES: dict[tuple, dict] = {}
#: the long frames of the last call's deal versions (reused while no deal was added, changed or removed)
_FRAMES: dict = {}
CACHE_MAX = 200_000


def clear_cache() -> None:
    """Forget the parsed deal terms and scored periods (the next call reads and scores everything)."""
    _TERMS.clear()
    _SCORES.clear()
    _FRAMES.clear()


def _parse_terms(did: str, doc: dict, kpi_table: dict) -> tuple:
    """(name, observations [(i, date, certificate_due)], SPTs [(date, kpi, spt)], ratchet KPIs [(order, kpi,
    band, direction)]) of one deal document: plain dict reads, no pydantic.

    Raises
    ------
    InputError
        A field missing or of the wrong kind (deal and field named), or a KPI without a direction.
    """
    try:
        r = doc["ratchet"]
        rules = r.get("kpis") or ([{"kpi": r["kpi"]}] if r.get("kpi") else [])
        if not rules:
            raise InputError("the ratchet names no KPI", file=f"deal {did}", field="ratchet.kpis")
        kpis = []
        for j, k in enumerate(rules):
            direction = k.get("direction") or kpi_table.get(k["kpi"], {}).get("direction")
            if direction not in ("higher", "lower"):
                raise InputError(f"KPI '{k['kpi']}' has no direction (give direction = 'higher' or 'lower')",
                                 file=f"deal {did}", field=f"ratchet.kpis[{j}].direction", value=k["kpi"])
            kpis.append((j, k["kpi"], float(k.get("no_change_band", 0.0) or 0.0), direction))
        obs, spts = [], []
        for i, o in enumerate(doc.get("observations", [])):
            d = _date(o["date"])
            obs.append((i, d, _date(o["certificate_due"])))
            spts.extend((d, k, float(v)) for k, v in (o.get("spt") or {}).items()
                        if isinstance(v, int | float) and not isinstance(v, bool))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"the deal document is not a valid deal ({exc!r} missing or wrong)", file=f"deal {did}",
                         field=str(exc).strip("'")) from None
    return str(doc.get("name", "")), obs, spts, kpis


def _build_terms(deals: pd.DataFrame):
    """The long frames of :func:`_terms` from the documents (parsed ones taken from :data:`_TERMS`)."""
    kpi_table = conventions().kpi
    names, obs, spts, kpis, problems = {}, [], [], [], []
    for did, ver, doc in zip(deals["deal_id"], deals["version"], deals["document"], strict=True):
        t = _TERMS.get((did, ver))
        if t is None:
            try:
                t = _parse_terms(did, doc, kpi_table)
            except InputError as exc:
                problems.append((did, exc))
                continue
            _TERMS[(did, ver)] = t
        names[did] = t[0]
        obs.extend((did, *o) for o in t[1])
        spts.extend((did, *x) for x in t[2])
        kpis.extend((did, *k) for k in t[3])
    obs = pd.DataFrame(obs, columns=["deal_id", "i", "date", "certificate_due"])
    spts = pd.DataFrame(spts, columns=["deal_id", "date", "kpi", "spt"])
    kpis = pd.DataFrame(kpis, columns=["deal_id", "order", "kpi", "band", "direction"])
    return names, obs, spts, kpis, problems


def _terms(deals: pd.DataFrame, spt_records: pd.DataFrame):
    """Names, observations (deal, i, date, certificate_due), SPTs (deal, date, kpi, spt) and ratchet KPIs (deal,
    order, kpi, band, direction) of every deal; the deal book's current SPT records replace the document's.
    A document missing a field goes to ``problems``."""
    if len(_TERMS) > CACHE_MAX:
        _TERMS.clear()
    key = tuple(zip(deals["deal_id"], deals["version"], strict=True))
    memo = _FRAMES.get("last")  # (key, frames), replaced as one value (sessions run in threads)
    if memo is not None and memo[0] == key and deals["document"].isna().all():  # the same deal versions
        names, obs, spts, kpis = memo[1]
        obs, spts, problems = obs.copy(), spts.copy(), []
    else:
        names, obs, spts, kpis, problems = _build_terms(deals)
        if not problems:
            _FRAMES["last"] = (key, (names, obs.copy(), spts.copy(), kpis))
    if not spt_records.empty:  # the deal book's SPT recalculations (Store.set_spt) win over the document
        rec = spt_records.rename(columns={"observation_date": "date"})[["deal_id", "date", "kpi", "spt"]]
        spts = pd.concat([spts, rec], ignore_index=True).drop_duplicates(["deal_id", "date", "kpi"], keep="last")
    return names, obs, spts, kpis, problems


def _scores(view, m) -> pd.DataFrame:
    """The latest period of every facility scored (index columns of :func:`index.engine.score_frame`, indexed
    by facility id, plus ``period_status``): the periods not scored before in one vectorised call."""
    if len(_SCORES) > CACHE_MAX:
        _SCORES.clear()
    per = view.periods
    keys = [(f, p, k, m.sha256) for f, p, k in zip(per["facility_id"], per["period_id"], per["figures_key"],
                                                    strict=True)]
    todo = [(k, view.facilities[k[0]]) for k in keys if k not in _SCORES and k[0] in view.facilities]
    if todo:
        pairs = [(f, f.periods[0]) for _, f in todo]
        frame = score_frame(inputs_frame(pairs, m, default_bundle()), m, default_bundle())
        frame["period_status"] = [p.status for _, p in pairs]
        for (k, _), row in zip(todo, frame.to_dict("records"), strict=True):
            _SCORES[k] = row
    rows = [_SCORES[k] for k in keys if k in _SCORES]
    return pd.DataFrame(rows).set_index("facility_id") if rows else pd.DataFrame(
        columns=["period", "total", "grade", "completeness", "period_status"])


# --------------------------------------------------------------------------------- the step


def portfolio(source_or_store, as_of: dt.date, *, actor: str = "admin", rules: StatusRules | None = None,
              methodology=None) -> PortfolioFrame:
    """The portfolio of the deal book on ``as_of`` (see the module docstring for every rule).

    Parameters
    ----------
    source_or_store : store.Store or workflows.StoreSource
        The deal book.
    as_of : datetime.date
        Observations on or before it have taken place; records and approvals count when dated on or before it.
    actor : str
        Store username reading the portfolio (credit officer, verifier or admin).
    rules : StatusRules, optional
        Default :func:`load_status_rules` of the shipped file.
    methodology : index.methodology.Methodology, optional
        Scores the facilities' latest periods; default the shipped methodology.

    Returns
    -------
    PortfolioFrame

    Raises
    ------
    store.PermissionDenied
        ``actor`` may not read the portfolio.

    Notes
    -----
    A deal whose document lacks a field, or whose ratchet KPI has no headroom in ``rules``, is left out and listed
    in :attr:`PortfolioFrame.problems` with an :class:`InputError` naming the deal / file and the field to fix.
    """
    store = getattr(source_or_store, "store", source_or_store)
    rules = rules or load_status_rules()
    m = methodology or load_methodology()
    view = book_view(store, actor, as_of, known_deals=[k for k in _TERMS],
                     known_periods=[k[:3] for k in _SCORES if k[3] == m.sha256])
    deals = view.deals
    names, obs, spts, kpis, problems = _terms(deals, view.spts)
    for k in kpis["kpi"].unique():  # a KPI without a status threshold: its deals are left out, the rule named
        try:
            rules.headroom_for(k)
        except InputError as exc:
            problems.extend((d, exc) for d in kpis.loc[kpis["kpi"] == k, "deal_id"].unique())
    bad = {d for d, _ in problems}
    deals = deals[~deals["deal_id"].isin(bad)].drop(columns=["document", "version"]).reset_index(drop=True)
    if bad:
        obs, spts, kpis = (f[~f["deal_id"].isin(bad)] for f in (obs, spts, kpis))
    if deals.empty:
        return PortfolioFrame(pd.DataFrame(columns=list(COLUMNS)), problems, as_of)
    ts = pd.Timestamp(as_of)

    out = deals.copy()
    out["facility_zh"] = out["facility_zh"].fillna(out["facility"])
    out["name"] = out["deal_id"].map(names)
    out["contractual_margin_bp"] = out["contractual_margin_bp"].astype(float)

    # ---- margin in force: latest approved change effective on or before as_of
    ch = view.changes.copy()
    ch["effective_date"] = pd.to_datetime(ch["effective_date"])
    ch = ch[ch["effective_date"] <= ts]
    ch["regime"] = [c.get("regime", 0) if isinstance(c, dict) else 0 for c in ch["change"]]
    ch = ch.sort_values(["deal_id", *MARGIN_ORDER, "change_id"]).groupby("deal_id").tail(1)
    ch["margin_reason_en"] = [c.get("reason_en", "") if isinstance(c, dict) else "" for c in ch["change"]]
    ch["margin_reason_zh"] = [c.get("reason_zh", "") if isinstance(c, dict) else "" for c in ch["change"]]
    out = out.merge(ch[["deal_id", "margin_after_bp", "effective_date", "margin_reason_en", "margin_reason_zh"]],
                    on="deal_id", how="left")
    on_record = out["margin_after_bp"].notna()
    out["margin_bp"] = out["margin_after_bp"].where(on_record, out["contractual_margin_bp"]).astype(float)
    out["adjustment_bp"] = out["margin_bp"] - out["contractual_margin_bp"]
    out["margin_since"] = out.pop("effective_date")
    out["margin_source"] = np.where(on_record, "record", "contractual")
    out = out.drop(columns=["margin_after_bp"])
    for c in ("margin_reason_en", "margin_reason_zh"):
        out[c] = out[c].astype(object).fillna("")

    # ---- recorded observations known on as_of (verified: delivered by then; reported: received by then)
    rec = view.records.copy()
    rec["observation_date"] = pd.to_datetime(rec["observation_date"])
    delivered = pd.to_datetime(rec["certificate_delivered"])
    received = pd.to_datetime(rec["reported_on"]).fillna(rec["observation_date"])
    known = np.where(rec["status"] == "verified", delivered <= ts, received <= ts)
    rec = rec[known].groupby(["deal_id", "observation_date", "status"]).tail(1)  # later records supersede
    ver = rec[rec["status"] == "verified"].set_index(["deal_id", "observation_date"])
    rep = rec[rec["status"] == "reported"].set_index(["deal_id", "observation_date"])

    obs["date"] = pd.to_datetime(obs["date"])
    obs["certificate_due"] = pd.to_datetime(obs["certificate_due"])
    past = obs[obs["date"] <= ts].copy()
    key = pd.MultiIndex.from_frame(past[["deal_id", "date"]])
    past["verified"] = key.isin(ver.index)
    past["reported"] = key.isin(rep.index)
    last = past.sort_values(["deal_id", "date"]).groupby("deal_id").tail(1).set_index("deal_id")
    out["last_observation"] = out["deal_id"].map(last["date"])
    lkey = list(zip(last.index, last["date"], strict=True))
    vi = ver.reindex(lkey)
    ri = rep.reindex(lkey)
    last_rec = np.where(last["verified"], "verified", np.where(last["reported"], "reported", None))
    last_kpis = np.where(last["verified"], vi["kpis"].to_numpy(), ri["kpis"].to_numpy())
    last["last_record"] = last_rec
    last["last_index"] = [(k or {}).get("index") if isinstance(k, dict) else None for k in last_kpis]
    last["last_statement"] = np.where(last["verified"], vi["statement_id"].to_numpy(), None)
    for c in ("last_record", "last_index", "last_statement"):
        out[c] = out["deal_id"].map(last[c])
    out["last_index"] = pd.to_numeric(out["last_index"], errors="coerce")

    # ---- missed on the record: the latest decided observation (verified, or certificate overdue)
    decided = past[past["verified"] | (past["certificate_due"] < ts)]
    dec = decided.sort_values(["deal_id", "date"]).groupby("deal_id").tail(1)
    dec_v = dec[dec["verified"]]
    vrec = ver.reindex(list(zip(dec_v["deal_id"], dec_v["date"], strict=True)))
    miss = []  # (deal, kpi, value, spt, date) of the first ratchet KPI recorded missed
    spt_idx = spts.assign(date=pd.to_datetime(spts["date"])).set_index(["deal_id", "date", "kpi"])["spt"]
    order: dict[str, list] = {}
    for did, k in zip(kpis["deal_id"], kpis["kpi"], strict=True):
        order.setdefault(did, []).append(k)
    for (did, d), outcomes, kv in zip(vrec.index, vrec["outcomes"], vrec["kpis"], strict=True):
        for k in order.get(did, []):
            if (outcomes or {}).get(k) == "missed":
                v = (kv or {}).get(k)
                miss.append((did, "missed" if v is not None else "not_reported", k, v,
                             spt_idx.get((did, d, k), np.nan), d))
                break
    overdue = dec[~dec["verified"]]
    status = pd.DataFrame(
        miss + [(did, "overdue", None, None, np.nan, due) for did, due in
                zip(overdue["deal_id"], overdue["certificate_due"], strict=True)],
        columns=["deal_id", "status_reason", "status_kpi", "status_value", "status_spt", "status_date"])
    status["status"] = "missed"

    # ---- latest facility period, scored for all deals at once (vectorised GCPI), with completeness
    scored = _scores(view, m)
    out["period"] = out["facility_id"].map(scored["period"])
    out["period_status"] = out["facility_id"].map(scored["period_status"])
    out["index"] = out["facility_id"].map(scored["total"]).astype(float)
    out["grade"] = out["facility_id"].map(scored["grade"])
    out["completeness"] = out["facility_id"].map(scored["completeness"]).astype(float)
    out["indicative"] = (out["period"].notna() & (out["period_status"] != "verified")) | (
        out["last_record"] == "reported")

    # ---- forward: next observation, headroom of each ratchet KPI against its SPT
    nxt = obs[obs["date"] > ts].sort_values(["deal_id", "date"]).groupby("deal_id").head(1)
    out["next_observation"] = out["deal_id"].map(nxt.set_index("deal_id")["date"])
    fwd = nxt[["deal_id", "date"]].merge(kpis, on="deal_id").merge(
        spts.assign(date=pd.to_datetime(spts["date"])), on=["deal_id", "date", "kpi"], how="inner")
    fwd = fwd.merge(out[["deal_id", "facility_id"]], on="deal_id")
    value = np.full(len(fwd), np.nan)
    for k, idx in fwd.groupby("kpi").groups.items():
        col = SCORE_KPIS.get(k, f"raw.{k}")
        if col in scored.columns:
            value[fwd.index.get_indexer(idx)] = fwd.loc[idx, "facility_id"].map(scored[col]).astype(float)
    fwd["value"] = value
    fwd["room"] = fwd["kpi"].map(rules.headroom).astype(float)
    fwd["gap"] = np.where(fwd["direction"] == "higher", fwd["value"] - fwd["spt"], fwd["spt"] - fwd["value"])
    fwd["rel"] = fwd["gap"] / fwd["room"].where(fwd["room"] > 0, np.nan)
    fwd["reason"] = np.select([fwd["value"].isna(), fwd["gap"] < 0, fwd["gap"] < fwd["room"]],
                              ["not_reported", "short", "thin"], "ok")
    # the old rule, in ratchet order: the first not-reported or short KPI decides, else the first thin one
    fwd["rank"] = fwd["reason"].map({"not_reported": 0, "short": 0, "thin": 1, "ok": 2})
    pick = fwd.sort_values(["deal_id", "rank", "order"]).groupby("deal_id").head(1).set_index("deal_id")
    tight = fwd.assign(r=fwd["rel"].fillna(-np.inf)).sort_values(["deal_id", "r", "order"]) \
        .groupby("deal_id").head(1).set_index("deal_id")
    nspt: dict[str, dict] = {}
    for did, k, v in zip(fwd["deal_id"], fwd["kpi"], fwd["spt"], strict=True):
        nspt.setdefault(did, {})[k] = float(v)
    out["next_spt"] = [nspt.get(d, {}) for d in out["deal_id"]]
    out["headroom_kpi"] = out["deal_id"].map(tight["kpi"])
    out["headroom"] = out["deal_id"].map(tight["gap"]).astype(float)
    out["headroom_spt"] = out["deal_id"].map(tight["spt"]).astype(float)
    out["headroom_value"] = out["deal_id"].map(tight["value"]).astype(float)

    # ---- P(met) of the next observation from the latest stored simulation (weakest KPI)
    p = {}
    nd = nxt.set_index("deal_id")["date"]
    for did, res in zip(view.simulations["deal_id"], view.simulations["result"], strict=True):
        if did not in nd.index or not isinstance(res, dict):
            continue
        want = nd[did].date().isoformat()
        for o in res.get("per_observation", []):
            if str(o.get("date", ""))[:10] == want:
                vals = [o[k]["p_met"] for k in res.get("kpis", []) if isinstance(o.get(k), dict)]
                if vals:
                    p[did] = float(min(vals))
    out["p_met"] = out["deal_id"].map(p).astype(float)

    # ---- status: missed on the record first, else the forward rule, else no observation left
    fw = pick.assign(status=np.where(pick["rank"] == 2, "on_track", "at_risk"))
    fw = fw.assign(status_reason=fw["reason"], status_kpi=np.where(fw["rank"] == 2, None, fw["kpi"]),
                   status_value=np.where(fw["rank"] == 2, np.nan, fw["value"]),
                   status_spt=np.where(fw["rank"] == 2, np.nan, fw["spt"]), status_date=fw["date"]).reset_index()
    cols = ["deal_id", "status", "status_reason", "status_kpi", "status_value", "status_spt", "status_date"]
    st_all = pd.concat([status[cols], fw[cols]], ignore_index=True).drop_duplicates("deal_id", keep="first")
    out = out.merge(st_all, on="deal_id", how="left")
    none_left = out["status"].isna()
    out.loc[none_left, "status"] = "on_track"
    out.loc[none_left, "status_reason"] = "no_next"
    out["status_value"] = pd.to_numeric(out["status_value"], errors="coerce")
    out["status_spt"] = pd.to_numeric(out["status_spt"], errors="coerce")
    for c in ("margin_since", "last_observation", "next_observation", "status_date"):
        out[c] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in out[c]]

    for c in ("last_record", "last_statement", "period", "period_status", "grade", "headroom_kpi", "status_kpi"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)  # text columns: None when missing, never NaN
    for did, exc in view.problems:
        for d in out.loc[out["facility_id"] == did, "deal_id"]:
            problems.append((d, exc))
    return PortfolioFrame(out[list(COLUMNS)].reset_index(drop=True), problems, as_of)


__all__ = ["COLUMNS", "STATUSES", "STATUS_FILE", "PortfolioFrame", "StatusRules", "clear_cache", "load_status_rules",
           "portfolio"]
