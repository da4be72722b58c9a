"""Bulk reads of the whole deal book for the portfolio (issue 12 item 7): a few queries for every deal at once.

The per-record methods of :class:`store.Store` (``load_deal_document``, ``targets``, ``monitoring_records``,
``margin_change_records``, ``load_facility``) answer for one deal each; a portfolio of N deals built from them
makes N × 5 queries. :func:`book_view` reads the same records for the whole book in a few queries and returns them
as pandas frames (plus the facilities' latest periods as :class:`index.models.Facility` objects, only
those the caller does not hold already). Nothing here
computes a margin or a score: the store never imports finance (import-linter contract); the workflow step
:func:`workflows.portfolio.portfolio` does the arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased

from index.errors import InputError
from index.models import Facility
from store.facilities import PERIOD_META, PROFILE_FIELDS
from store.schema import (
    DealRow,
    FacilityRow,
    FigureRow,
    MarginChangeDecisionRow,
    MarginChangeRecordRow,
    MonitoringRecordRow,
    PeriodRow,
    SimulationRow,
    SptRow,
)
from store.tomlio import from_json, period_dict

DEAL_COLUMNS = ["deal_id", "facility_id", "facility", "facility_zh", "borrower", "currency", "amount",
                "contractual_margin_bp", "version", "document"]
SPT_COLUMNS = ["deal_id", "kpi", "observation_date", "spt"]
RECORD_COLUMNS = ["record_id", "deal_id", "observation_date", "status", "kpis", "outcomes", "grade",
                  "statement_id", "certificate_delivered", "reported_on"]
CHANGE_COLUMNS = ["change_id", "deal_id", "observation_date", "kind", "effective_date", "adjustment_bp",
                  "margin_before_bp", "margin_after_bp", "change", "decided_by"]
SIMULATION_COLUMNS = ["simulation_id", "deal_id", "name", "result", "created_at"]
PERIOD_COLUMNS = ["facility_id", "period_id", "period", "period_status", "figures_key"]
#: deal ids per ``IN (...)`` query (below SQLite's and PostgreSQL's bound-parameter limits)
CHUNK = 900


@dataclass
class BookView:
    """The deal book's records for every deal, as frames (a few queries for the whole book).

    Attributes
    ----------
    deals : DataFrame
        :data:`DEAL_COLUMNS`: deal id, facility id and names, borrower, currency, amount [ccy], contractual
        margin [bp], deal version and the deal's document (dict, as :meth:`store.Store.load_deal_document`;
        None for the deals whose ``(id, version)`` the caller said it knows), in deal id order.
    spts : DataFrame
        :data:`SPT_COLUMNS`: current SPT records (not superseded) [KPI unit].
    records : DataFrame
        :data:`RECORD_COLUMNS`: recorded observations (verified / reported), oldest first.
    changes : DataFrame
        :data:`CHANGE_COLUMNS`: margin changes a second credit officer **approved** (prepared or rejected ones are
        not here), margins [bp].
    simulations : DataFrame
        :data:`SIMULATION_COLUMNS`: the latest stored simulation with a result per deal.
    periods : DataFrame
        :data:`PERIOD_COLUMNS`: per facility, its latest period ended on or before the as-of date, and
        ``figures_key`` (the largest figure row id of the facility: figures are append-only, so a new or
        restated figure changes it).
    facilities : dict
        Facility id → :class:`index.models.Facility` holding only that latest period (and the facility-level
        figures), for the facilities whose ``(facility_id, period_id, figures_key)`` the caller does not know.
    problems : list of (facility id, InputError)
        Facilities whose stored figures do not make a valid facility.
    """

    deals: pd.DataFrame
    spts: pd.DataFrame
    records: pd.DataFrame
    changes: pd.DataFrame
    simulations: pd.DataFrame
    periods: pd.DataFrame
    facilities: dict[str, Facility]
    problems: list = field(default_factory=list)


def _frame(rows, columns) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _chunks(ids: list) -> list[list]:
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]


def book_view(store, actor: str, as_of: dt.date, *, simulations: bool = True,
              known_deals: Collection[tuple[str, int]] = (), known_periods: Collection[tuple] = ()) -> BookView:
    """Read every deal of the deal book with its SPTs, records, approved changes and facility.

    Eight queries for the whole book, plus the documents and figures the caller does not hold already (a
    caller that keeps what it parsed, keyed by deal version and by figures key, reads only what changed).

    Parameters
    ----------
    store : store.Store
    actor : str
        Store username; must be allowed ``portfolio.read`` (credit officer, verifier, admin).
    as_of : datetime.date
        Facilities are read with their latest period whose ``end`` is on or before this date.
    simulations : bool
        Read the stored simulations (their results can be large; the portfolio uses the next observation's
        P(met) of the latest one per deal).
    known_deals : collection of (deal id, version)
        Deal versions whose documents the caller holds: their ``document`` is None.
    known_periods : collection of (facility id, period id, figures key)
        Facility periods the caller holds: they are not in ``facilities``.

    Raises
    ------
    store.PermissionDenied
        ``actor`` may not read the portfolio.
    """
    known_deals, known_periods = set(known_deals), set(known_periods)
    with store._read() as s:
        a = store._actor(s, actor)
        store._require(a, "portfolio.read")
        deals = _frame(s.execute(
            select(DealRow.id, DealRow.facility_id, FacilityRow.name, FacilityRow.name_zh, DealRow.borrower,
                   DealRow.currency, DealRow.amount, DealRow.margin_bp, DealRow.version)
            .join(FacilityRow, FacilityRow.id == DealRow.facility_id).order_by(DealRow.id)), DEAL_COLUMNS[:-1])
        want = [d for d, v in zip(deals["deal_id"], deals["version"], strict=True) if (d, v) not in known_deals]
        docs = {}
        q = select(DealRow.id, DealRow.document)
        for part in ([None] if len(want) == len(deals) else _chunks(want)):
            for did, doc in s.execute(q if part is None else q.where(DealRow.id.in_(part))):
                docs[did] = from_json(doc)  # tagged dates back to dates
        deals["document"] = deals["deal_id"].map(docs)
        newer = aliased(SptRow)
        spts = _frame(s.execute(
            select(SptRow.deal_id, SptRow.kpi, SptRow.observation_date, SptRow.target)
            .where(~exists().where(newer.supersedes_id == SptRow.id)).order_by(SptRow.id)), SPT_COLUMNS)
        records = _frame(s.execute(
            select(MonitoringRecordRow.id, MonitoringRecordRow.deal_id, MonitoringRecordRow.observation_date,
                   MonitoringRecordRow.status, MonitoringRecordRow.kpis, MonitoringRecordRow.outcomes,
                   MonitoringRecordRow.grade, MonitoringRecordRow.statement_id,
                   MonitoringRecordRow.certificate_delivered, MonitoringRecordRow.reported_on)
            .order_by(MonitoringRecordRow.id)), RECORD_COLUMNS)
        changes = _frame(s.execute(
            select(MarginChangeRecordRow.id, MarginChangeRecordRow.deal_id, MarginChangeRecordRow.observation_date,
                   MarginChangeRecordRow.kind, MarginChangeRecordRow.effective_date,
                   MarginChangeRecordRow.adjustment_bp, MarginChangeRecordRow.margin_before_bp,
                   MarginChangeRecordRow.margin_after_bp, MarginChangeRecordRow.change,
                   MarginChangeDecisionRow.decided_by)
            .join(MarginChangeDecisionRow, MarginChangeDecisionRow.change_id == MarginChangeRecordRow.id)
            .where(MarginChangeDecisionRow.decision == "approved").order_by(MarginChangeRecordRow.id)),
            CHANGE_COLUMNS)
        if simulations:
            latest = (select(SimulationRow.deal_id, func.max(SimulationRow.id).label("id"))
                      .where(SimulationRow.deal_id.is_not(None), SimulationRow.result.is_not(None))
                      .group_by(SimulationRow.deal_id).subquery())
            sims = _frame(s.execute(
                select(SimulationRow.id, SimulationRow.deal_id, SimulationRow.name, SimulationRow.result,
                       SimulationRow.created_at).join(latest, latest.c.id == SimulationRow.id)), SIMULATION_COLUMNS)
            sims["result"] = [from_json(r) for r in sims["result"]]
        else:
            sims = pd.DataFrame(columns=SIMULATION_COLUMNS)
        periods, chosen = _latest_periods(s, as_of)
        need = [pid for f, pid, key in zip(periods["facility_id"], periods["period_id"], periods["figures_key"],
                                           strict=True) if (f, pid, key) not in known_periods]
        facilities, problems = _facilities(s, chosen, need)
    return BookView(deals, spts, records, changes, sims, periods, facilities, problems)


def _latest_periods(s, as_of: dt.date):
    """Per facility its latest period ended by ``as_of`` (ranked in SQL) and its figures key; also the subquery
    of the chosen period ids."""
    ranked = (select(PeriodRow.id, PeriodRow.facility_id,
                     func.row_number().over(partition_by=PeriodRow.facility_id,
                                            order_by=(PeriodRow.end.desc(), PeriodRow.label.desc(),
                                                      PeriodRow.id.desc())).label("rn"))
              .where(PeriodRow.end <= as_of).subquery())
    chosen = select(ranked.c.id).where(ranked.c.rn == 1)
    keys = (select(FigureRow.facility_id, func.max(FigureRow.id).label("k")).group_by(FigureRow.facility_id)
            .subquery())
    rows = s.execute(select(PeriodRow.facility_id, PeriodRow.id, PeriodRow.label, PeriodRow.status, keys.c.k)
                     .outerjoin(keys, keys.c.facility_id == PeriodRow.facility_id)
                     .where(PeriodRow.id.in_(chosen)))
    return _frame(rows, PERIOD_COLUMNS), chosen


def _facilities(s, chosen, need: list[int]) -> tuple[dict[str, Facility], list]:
    """The facilities of the periods ``need`` (ids among ``chosen``), each with only that period and its
    facility-level figures: three queries (periods, profiles, current figures), one pydantic validation each."""
    if not need:
        return {}, []
    pick = chosen if len(need) > CHUNK else need
    prows = {p.id: p for p in s.scalars(select(PeriodRow).where(PeriodRow.id.in_(pick)))}
    prows = {k: v for k, v in prows.items() if k in set(need)}
    fids = {p.facility_id for p in prows.values()}
    fac_cols = [getattr(FacilityRow, k) for k in PROFILE_FIELDS]
    frows = {r[0]: r[1:] for r in s.execute(select(FacilityRow.id, *fac_cols)) if r[0] in fids}
    newer = aliased(FigureRow)
    figs = s.execute(
        select(FigureRow.facility_id, FigureRow.period_id, FigureRow.field, FigureRow.kind, FigureRow.value,
               FigureRow.text, FigureRow.items, FigureRow.status, FigureRow.source)
        .where(~exists().where(newer.restates_id == FigureRow.id),
               or_(FigureRow.period_id.is_(None), FigureRow.period_id.in_(pick))))
    by: dict[str, dict[int | None, dict[str, tuple]]] = {}
    for fid, pid, fld, kind, value, text, items, status, source in figs:
        if fid in fids:
            spec = (kind, value, text, tuple(items) if items is not None else None, status, source)
            by.setdefault(fid, {}).setdefault(pid, {})[fld] = spec
    out, problems = {}, []
    for p in prows.values():
        fid = p.facility_id
        prof = frows.get(fid)
        if prof is None:
            continue
        data: dict[str, Any] = {"id": fid}
        data.update({k: v for k, v in zip(PROFILE_FIELDS, prof, strict=True) if v is not None})
        figs_f = by.get(fid, {})
        for fld, spec in figs_f.get(None, {}).items():
            if spec[0] == "number":
                data[fld] = {"value": spec[1], "status": spec[4], "source": spec[5]}
                if spec[2] == "proxy":  # store.tomlio.PROXY_TAG, as Store.load_facility
                    data[fld]["proxy"] = True
        meta = {"label": p.label, **{k: getattr(p, k) for k in PERIOD_META}}
        data["periods"] = [period_dict({k: v for k, v in meta.items() if v is not None}, figs_f.get(p.id, {}))]
        try:
            out[fid] = Facility.model_validate(data)
        except (ValueError, InputError) as exc:
            problems.append((fid, InputError(f"the stored facility is not valid: {exc}", field="facility",
                                             value=fid)))
    return out, problems


__all__ = ["BookView", "book_view"]
