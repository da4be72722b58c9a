"""Deals, their ratchet terms, baselines and SPTs with their recalculation history, observations, margin
changes, simulations and the portfolio summary.

One deal schema: a deal is the document of :class:`finance.deal.Deal` (``data/deals/*.toml``), checked by the
validator the app and the CLI inject (:func:`finance.deal_book.deal_validator`; the store never imports
finance). The store reads the columns it indexes from that same layout (:func:`deal_columns`) and keeps the
document as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased

from index.errors import InputError
from store.base import StoreBase, _now, _num
from store.errors import NotFound, PermissionDenied, StaleWriteConflict
from store.records import (
    DealInfo,
    DealSummary,
    TargetRecord,
)
from store.schema import (
    BaselineRow,
    DealRow,
    DealVersionRow,
    FacilityRow,
    MarginChangeDecisionRow,
    MarginChangeRecordRow,
    MarginChangeRow,
    ObservationRow,
    RatchetTermsRow,
    SimulationRow,
    SptRow,
)
from store.tomlio import from_json, jsonable, to_json

#: indexed column -> (path in the deal document, types accepted, required); the layout of
#: :class:`finance.deal.Deal` (``data/deals/*.toml``), the only deal layout
DEAL_COLUMNS: dict[str, tuple[str, tuple[type, ...], bool]] = {
    "id": ("id", (str,), True),
    "facility_id": ("facility", (str,), True),
    "borrower": ("borrower", (str,), False),
    "currency": ("loan.currency", (str,), True),
    "amount": ("loan.amount", (int, float), True),
    "margin_bp": ("loan.margin_bp", (int, float), False),
}


def _get(doc: Mapping, path: str):
    cur: Any = doc
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def deal_columns(doc: Mapping, *, file: str | None = None) -> dict:
    """The indexed columns of a deal document (:data:`DEAL_COLUMNS`), read from the finance deal layout.

    ``id``, ``facility`` (an id, or an inline facility table whose ``id`` / ``facility.id`` is used),
    ``borrower``, ``loan.currency``, ``loan.amount`` [currency units] and ``loan.margin_bp`` [bp]. This is a
    projection of the one deal schema, :class:`finance.deal.Deal`, not a second schema: the whole document is
    checked by the injected ``deal_validator``.

    Raises
    ------
    InputError
        Naming the file and field when id, facility, currency or amount is missing or of the wrong type, or the
        amount is not positive.
    """
    fac = doc.get("facility")
    if isinstance(fac, Mapping):  # inline facility
        inner = fac.get("facility") if isinstance(fac.get("facility"), Mapping) else fac
        doc = {**doc, "facility": inner.get("id")}
    out: dict[str, Any] = {}
    for key, (path, types, required) in DEAL_COLUMNS.items():
        v = _get(doc, path)
        if v is None:
            if required:
                raise InputError(f"missing {path} (a deal file has id, facility, borrower and a [loan] table with "
                                 "currency and amount; see data/deals/)", file=file, field=path)
            out[key] = None
            continue
        if not isinstance(v, types) or isinstance(v, bool):
            raise InputError(f"{path} has the wrong type", file=file, field=path, value=v)
        out[key] = float(v) if float in types else v
    if out["amount"] <= 0:
        raise InputError("loan amount must be positive", file=file, field="loan.amount", unit="currency units",
                         value=out["amount"])
    return out


class DealsMixin(StoreBase):
    """Deals and what is recorded against them (credit officer)."""

    def save_deal(self, actor: str, document: Mapping, *, expected_version: int | None = None,
                  file: str | None = None, reason: str | None = None, kind: str | None = None) -> DealInfo:
        """Create (``expected_version=None``) or update a deal from its TOML document (credit officer).

        The document is stored as it is (:func:`store.tomlio.to_json`) with its indexed columns
        (:func:`deal_columns`); its ``ratchet`` table is also kept in ``ratchet_terms``.

        Raises
        ------
        InputError
            Missing id/facility/currency/amount, an unknown facility, creating a deal whose id exists, or
            whatever the deal validator refuses.
        NotFound
            Updating a deal that does not exist.
        StaleWriteConflict
            If the stored version is not ``expected_version`` (someone saved in between); nothing is written.
        PermissionDenied
            If ``actor`` is not a credit officer.

        Notes
        -----
        Every version saved is also kept in ``deal_versions`` (:meth:`deal_versions`) with ``reason`` and
        ``kind`` (``created``, ``updated``, or ``amended`` for an SLLP recalculation, which needs a reason).
        """
        if kind == "amended" and not (reason or "").strip():
            raise InputError("an amendment needs a reason (acquisition, disposal, methodology change, restatement)",
                             field="reason")
        cols = deal_columns(document, file=file)
        if self.deal_validator is not None:
            self.deal_validator(document, file=file)
        doc = to_json(dict(document))
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "deal.save")
            return self._save_deal(s, a, cols, doc, expected_version, file, reason, kind)

    def _save_deal(self, s, a, cols, doc, expected_version, file, reason=None, kind=None) -> DealInfo:
        self._facility_row(s, cols["facility_id"], file=file, field="facility")
        row = s.get(DealRow, cols["id"])
        now = _now()
        if expected_version is None:
            if row is not None:
                raise InputError(f"deal {cols['id']!r} already exists (version {row.version}); to change it, "
                                 f"save with expected_version={row.version}", file=file, field="id",
                                 value=cols["id"])
            row = DealRow(document=doc, created_at=now, updated_at=now, updated_by=a.username, **cols)
            s.add(row)
            s.flush()
            self._audit(s, a, "deal.create", "deal", cols["id"], None, {**cols, "document": doc})
            s.add(DealVersionRow(deal_id=cols["id"], version=row.version, document=doc, reason=reason,
                                 kind=kind or "created", created_at=now, created_by=a.username))
        else:
            if row is None:
                raise NotFound(f"no deal {cols['id']!r} to update; save it with expected_version=None to create it",
                               file=file, field="deal.id", value=cols["id"])
            if row.version != expected_version:
                raise StaleWriteConflict("deal", cols["id"], expected_version, row.version)
            if row.document == doc and all(getattr(row, k) == v for k, v in cols.items()):
                return self._deal_info(row)
            before = {k: getattr(row, k) for k in cols} | {"document": row.document}
            for k, v in cols.items():
                setattr(row, k, v)
            row.document = doc
            row.updated_at, row.updated_by = now, a.username
            s.flush()  # UPDATE ... WHERE version = expected: StaleDataError if another writer got there first
            self._audit(s, a, "deal.amend" if kind == "amended" else "deal.update", "deal", cols["id"], before,
                        {**cols, "document": doc, "version": row.version, "reason": reason})
            s.add(DealVersionRow(deal_id=cols["id"], version=row.version, document=doc, reason=reason,
                                 kind=kind or "updated", created_at=now, created_by=a.username))
        ratchet = doc.get("ratchet")
        rrow = s.get(RatchetTermsRow, cols["id"])
        if isinstance(ratchet, dict):
            vals = dict(design=ratchet.get("design"), cap_bp=_num(ratchet.get("cap_bp")),
                        margin_floor_bp=_num(ratchet.get("margin_floor_bp")), document=ratchet)
            if rrow is None:
                s.add(RatchetTermsRow(deal_id=cols["id"], **vals))
            else:
                for k, v in vals.items():
                    setattr(rrow, k, v)
        elif rrow is not None:
            s.delete(rrow)
        s.flush()
        return self._deal_info(row)

    @staticmethod
    def _deal_info(row: DealRow) -> DealInfo:
        return DealInfo(row.id, row.facility_id, row.borrower, row.currency, row.amount, row.margin_bp,
                        row.version, row.updated_at, row.updated_by)

    def deal(self, deal_id: str) -> DealInfo:
        """Indexed columns and current version of a deal (raises :class:`NotFound`)."""
        with self._read() as s:
            row = s.get(DealRow, deal_id)
            if row is None:
                raise NotFound(f"no deal {deal_id!r}", field="deal.id", value=deal_id)
            return self._deal_info(row)

    def load_deal_document(self, deal_id: str) -> dict:
        """The deal's TOML mapping exactly as saved (dump with ``tomli_w``)."""
        with self._read() as s:
            row = s.get(DealRow, deal_id)
            if row is None:
                raise NotFound(f"no deal {deal_id!r}", field="deal.id", value=deal_id)
            return from_json(row.document)

    def deal_versions(self, deal_id: str) -> list[dict]:
        """Every saved version of a deal, oldest first: ``version``, ``kind`` (created / updated / amended),
        ``reason``, ``created_at``, ``created_by`` and the ``document`` as saved (TOML mapping)."""
        with self._read() as s:
            self._deal_row(s, deal_id)
            rows = s.scalars(select(DealVersionRow).where(DealVersionRow.deal_id == deal_id)
                             .order_by(DealVersionRow.version, DealVersionRow.id))
            return [dict(version=r.version, kind=r.kind, reason=r.reason, created_at=r.created_at,
                         created_by=r.created_by, document=from_json(r.document)) for r in rows]

    def deal_ids(self) -> list[str]:
        with self._read() as s:
            return list(s.scalars(select(DealRow.id).order_by(DealRow.id)))

    def _lock_deal(self, s, deal_id: str) -> DealRow:
        """The deal row, locked until commit (PostgreSQL ``SELECT … FOR UPDATE``; SQLite writers are serialised by
        ``BEGIN IMMEDIATE``): two concurrent first ``set_baseline`` / ``set_spt`` calls then run one after the other
        and the second sees the first's row (the partial unique indexes of migration 0006 back this up)."""
        row = s.get(DealRow, deal_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no deal {deal_id!r}", field="deal_id", value=deal_id)
        return row

    def set_baseline(self, actor: str, deal_id: str, kpi: str, value: float, *, unit: str | None = None,
                     period_label: str | None = None, methodology_id: str | None = None,
                     methodology_sha256: str | None = None, reason: str | None = None) -> TargetRecord:
        """Set or recalculate the baseline of ``kpi`` [its unit] for a deal (credit officer).

        A recalculation is a new row superseding the current one (which is kept); it needs a ``reason``.
        """
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "target.save")
            self._lock_deal(s, deal_id)
            newer = aliased(BaselineRow)
            cur = s.scalar(select(BaselineRow).where(BaselineRow.deal_id == deal_id, BaselineRow.kpi == kpi,
                                                     ~exists().where(newer.supersedes_id == BaselineRow.id)))
            if cur is not None and not reason:
                raise InputError(f"deal {deal_id} already has a {kpi} baseline ({cur.value:g}); a recalculation "
                                 "needs a reason", field="reason")
            row = BaselineRow(deal_id=deal_id, kpi=kpi, value=float(value), unit=unit, period_label=period_label,
                              methodology_id=methodology_id, methodology_sha256=methodology_sha256,
                              supersedes_id=cur.id if cur else None, reason=reason, created_at=_now(),
                              created_by=a.username)
            s.add(row)
            s.flush()
            self._audit(s, a, "baseline.recalculate" if cur else "baseline.set", "baseline", f"{deal_id}/{kpi}",
                        {"id": cur.id, "value": cur.value} if cur else None,
                        {"id": row.id, "value": row.value, "period": period_label, "reason": reason})
            return TargetRecord(row.id, deal_id, kpi, row.value, None, row.supersedes_id, reason, row.created_at,
                                row.created_by, True, {"unit": unit, "period_label": period_label})

    def set_spt(self, actor: str, deal_id: str, kpi: str, observation_date: dt.date, target: float, *,
                baseline_id: int | None = None, reason: str | None = None) -> TargetRecord:
        """Set or recalculate the SPT of ``kpi`` at ``observation_date`` (credit officer)."""
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "target.save")
            self._lock_deal(s, deal_id)
            newer = aliased(SptRow)
            cur = s.scalar(select(SptRow).where(SptRow.deal_id == deal_id, SptRow.kpi == kpi,
                                                SptRow.observation_date == observation_date,
                                                ~exists().where(newer.supersedes_id == SptRow.id)))
            if cur is not None and not reason:
                raise InputError(f"deal {deal_id} already has a {kpi} SPT for {observation_date} ({cur.target:g}); "
                                 "a recalculation needs a reason", field="reason")
            row = SptRow(deal_id=deal_id, kpi=kpi, observation_date=observation_date, target=float(target),
                         baseline_id=baseline_id, supersedes_id=cur.id if cur else None, reason=reason,
                         created_at=_now(), created_by=a.username)
            s.add(row)
            s.flush()
            self._audit(s, a, "spt.recalculate" if cur else "spt.set", "spt",
                        f"{deal_id}/{kpi}/{observation_date.isoformat()}",
                        {"id": cur.id, "target": cur.target} if cur else None,
                        {"id": row.id, "target": row.target, "reason": reason})
            return TargetRecord(row.id, deal_id, kpi, row.target, observation_date, row.supersedes_id, reason,
                                row.created_at, row.created_by, True, {"baseline_id": baseline_id})

    def targets(self, deal_id: str, *, history: bool = False) -> list[TargetRecord]:
        """Baselines then SPTs of a deal (current only, or every row with ``history=True``)."""
        with self._read() as s:
            sup_b = set(s.scalars(select(BaselineRow.supersedes_id).where(BaselineRow.deal_id == deal_id)))
            sup_s = set(s.scalars(select(SptRow.supersedes_id).where(SptRow.deal_id == deal_id)))
            out = []
            for b in s.scalars(select(BaselineRow).where(BaselineRow.deal_id == deal_id).order_by(BaselineRow.id)):
                cur = b.id not in sup_b
                if history or cur:
                    out.append(TargetRecord(b.id, deal_id, b.kpi, b.value, None, b.supersedes_id, b.reason,
                                            b.created_at, b.created_by, cur,
                                            {"unit": b.unit, "period_label": b.period_label}))
            for t in s.scalars(select(SptRow).where(SptRow.deal_id == deal_id)
                               .order_by(SptRow.observation_date, SptRow.id)):
                cur = t.id not in sup_s
                if history or cur:
                    out.append(TargetRecord(t.id, deal_id, t.kpi, t.target, t.observation_date, t.supersedes_id,
                                            t.reason, t.created_at, t.created_by, cur,
                                            {"baseline_id": t.baseline_id}))
            return out

    def record_observation(self, actor: str, deal_id: str, observation_date: dt.date, period_label: str,
                           result, *, status: str = "verified", methodology_id: str | None = None,
                           methodology_sha256: str | None = None, supersedes: int | None = None) -> int:
        """Store the index result of a deal at an observation date (credit officer); returns its id.

        ``result`` is an ``IndexResult`` (anything with ``model_dump``) or its dict; ``total``, ``grade``,
        ``methodology_id`` and ``methodology_sha256`` (or ``methodology_hash``) are read from it when present.
        """
        if hasattr(result, "model_dump"):
            result = result.model_dump(mode="json")
        result = jsonable(dict(result))
        mid = methodology_id or result.get("methodology_id")
        msha = methodology_sha256 or result.get("methodology_sha256") or result.get("methodology_hash")
        if not mid or not msha:
            raise InputError("an observation needs the methodology id and content hash it was scored with",
                             field="methodology_id")
        if status not in ("simulated", "reported", "verified"):
            raise InputError("status must be simulated, reported or verified", field="status", value=status)
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "observation.record")
            self._deal_row(s, deal_id)
            row = ObservationRow(deal_id=deal_id, observation_date=observation_date, period_label=str(period_label),
                                 status=status, methodology_id=mid, methodology_sha256=msha,
                                 total=_num(result.get("total")), grade=result.get("grade"), result=result,
                                 supersedes_id=supersedes, created_at=_now(), created_by=a.username)
            s.add(row)
            s.flush()
            self._audit(s, a, "observation.record", "observation", f"{deal_id}/{observation_date.isoformat()}",
                        None, {"id": row.id, "status": status, "total": row.total, "grade": row.grade,
                               "methodology": f"{mid}@{msha[:12]}", "supersedes": supersedes})
            return row.id

    def record_margin_change(self, actor: str, deal_id: str, effective_date: dt.date, adjustment_bp: float,
                             margin_bp: float, *, observation_id: int | None = None,
                             reason: str | None = None) -> int:
        """Record a margin change [bp] effective from ``effective_date`` (credit officer); returns its id."""
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "margin.record")
            self._deal_row(s, deal_id)
            row = MarginChangeRow(deal_id=deal_id, observation_id=observation_id, effective_date=effective_date,
                                  adjustment_bp=float(adjustment_bp), margin_bp=float(margin_bp), reason=reason,
                                  created_at=_now(), created_by=a.username)
            s.add(row)
            s.flush()
            self._audit(s, a, "margin.change", "margin_change", f"{deal_id}/{effective_date.isoformat()}", None,
                        {"id": row.id, "adjustment_bp": adjustment_bp, "margin_bp": margin_bp,
                         "observation_id": observation_id, "reason": reason})
            return row.id

    def save_simulation(self, actor: str, facility_id: str, name: str, inputs: Mapping, result=None, *,
                        deal_id: str | None = None) -> int:
        """Keep a target-path simulation (operator of the facility, or credit officer); returns its id."""
        if hasattr(result, "model_dump"):
            result = result.model_dump(mode="json")
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "simulation.save", facility_id)
            self._facility_row(s, facility_id)
            if deal_id is not None and self._deal_row(s, deal_id).facility_id != facility_id:
                # an operator may link its simulation only to a deal of its own facility (issue 13)
                raise PermissionDenied(a.username, "simulation.save",
                                       f"deal {deal_id!r} is not a deal of facility {facility_id!r}; a simulation "
                                       "is linked only to a deal of the facility it simulates")
            row = SimulationRow(facility_id=facility_id, deal_id=deal_id, name=name, inputs=jsonable(dict(inputs)),
                                result=jsonable(result) if result is not None else None, created_at=_now(),
                                created_by=a.username)
            s.add(row)
            s.flush()
            self._audit(s, a, "simulation.save", "simulation", f"{facility_id}/{row.id}", None,
                        {"name": name, "inputs": row.inputs})
            return row.id

    def portfolio_summary(self, actor: str) -> list[DealSummary]:
        """One row per deal: terms, current margin [bp] and the latest observation.

        The current margin is the latest **approved** margin change of the monitoring loop in force today
        (``margin_change_records``), else the latest ``margin_changes`` row, else the contractual margin.

        Roles: credit officer, verifier, admin.
        """
        with self._read() as s:
            a = self._actor(s, actor)
            self._require(a, "portfolio.read")
            obs_rank = select(
                ObservationRow.deal_id, ObservationRow.observation_date, ObservationRow.total, ObservationRow.grade,
                ObservationRow.status,
                func.row_number().over(partition_by=ObservationRow.deal_id,
                                       order_by=(ObservationRow.observation_date.desc(),
                                                 ObservationRow.id.desc())).label("rn")).subquery()
            mc_rank = select(
                MarginChangeRow.deal_id, MarginChangeRow.margin_bp,
                func.row_number().over(partition_by=MarginChangeRow.deal_id,
                                       order_by=(MarginChangeRow.effective_date.desc(),
                                                 MarginChangeRow.id.desc())).label("rn")).subquery()
            q = (select(DealRow.id, DealRow.facility_id, FacilityRow.name, DealRow.borrower, DealRow.currency,
                        DealRow.amount, DealRow.margin_bp, mc_rank.c.margin_bp, DealRow.version,
                        obs_rank.c.observation_date, obs_rank.c.total, obs_rank.c.grade, obs_rank.c.status)
                 .join(FacilityRow, FacilityRow.id == DealRow.facility_id)
                 .outerjoin(obs_rank, and_(obs_rank.c.deal_id == DealRow.id, obs_rank.c.rn == 1))
                 .outerjoin(mc_rank, and_(mc_rank.c.deal_id == DealRow.id, mc_rank.c.rn == 1))
                 .order_by(DealRow.id))
            # margin changes of the monitoring loop (issue 12): only approved ones, in force today
            today = _now().date()
            approved = {}
            aq = (select(MarginChangeRecordRow.deal_id, MarginChangeRecordRow.margin_after_bp)
                  .join(MarginChangeDecisionRow, MarginChangeDecisionRow.change_id == MarginChangeRecordRow.id)
                  .where(MarginChangeDecisionRow.decision == "approved",
                         MarginChangeRecordRow.effective_date <= today)
                  .order_by(MarginChangeRecordRow.effective_date, MarginChangeRecordRow.id))
            for did, m in s.execute(aq):
                approved[did] = m
            out = []
            for r in s.execute(q):
                r = list(r)
                if r[0] in approved:
                    r[7] = approved[r[0]]
                if r[7] is None:
                    r[7] = r[6]
                out.append(DealSummary(*r))
            return out
