"""The annual monitoring loop on the deal book (issue 12): recorded observations, margin changes prepared by one
credit officer and approved (or rejected) by another, and the notices sent to loan operations.

DESIGN.md §2, "a loan's life is recorded, not recomputed": every row here is append-only (database triggers of
migration ``0005_monitoring`` and the ORM guard of :mod:`store.base`). A correction is a new row: a restated
statement gives a new observation record superseding the old one; a rejected change may be prepared again
(``attempt`` + 1). The store keeps what the workflows computed (:mod:`workflows.monitoring`) and never computes a
margin itself (it never imports finance).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import func, select

from index.errors import InputError
from store.base import StoreBase, _now, _sha256
from store.errors import NotFound, PermissionDenied, StoreError
from store.records import MarginChangeRecord, MonitoringRecord, NoticeRecord
from store.schema import (
    MarginChangeDecisionRow,
    MarginChangeRecordRow,
    MarginNoticeRow,
    MonitoringRecordRow,
    StatementRow,
)
from store.tomlio import jsonable

MONITORING_STATUSES = ("verified", "reported")
CHANGE_KINDS = ("result", "reporting_failure", "cure")

ERR_FOUR_EYES = ("four-eyes rule: {who!r} prepared margin change {id} and cannot approve or reject it; a second "
                 "credit officer must decide")
ERR_DECIDED = "margin change {id} was already {decision} by {who} on {at}; a decision is final"


class MonitoringMixin(StoreBase):
    """Recorded observations, margin changes (maker-checker) and notices."""

    # ------------------------------------------------------------------ observations

    def record_monitoring_observation(self, actor: str, deal_id: str, observation_date: dt.date, *,
                                      status: str, kpis: Mapping, outcomes: Mapping | None = None,
                                      grade: str | None = None, statement_id: str | None = None,
                                      certificate_delivered: dt.date | None = None,
                                      reported_on: dt.date | None = None) -> MonitoringRecord:
        """Record what an observation gave (verifier or credit officer); returns the record.

        Parameters
        ----------
        status : {"verified", "reported"}
            ``verified`` needs ``statement_id`` of an **issued** statement of this deal (its stored SHA-256 is
            recorded) and ``certificate_delivered``; ``reported`` records the operator's figures (indicative).
        kpis : mapping
            KPI values [KPI unit] (``index``, ``core``, indicator ids); None = not reported.
        outcomes : mapping, optional
            SPT outcome per KPI (``met`` / ``band`` / ``missed``) as the statement recorded it.

        Returns
        -------
        MonitoringRecord
            With ``created = False`` when this statement was already recorded (the existing record is returned,
            nothing is written: the same statement is never recorded twice).

        Raises
        ------
        InputError
            Unknown status; a verified record without an issued statement of this deal or a delivery date.
        """
        if status not in MONITORING_STATUSES:
            raise InputError(f"status must be one of {', '.join(MONITORING_STATUSES)}", field="status", value=status)
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "monitoring.record")
            self._deal_row(s, deal_id)
            sha = None
            if status == "verified":
                if not statement_id or certificate_delivered is None:
                    raise InputError("a verified observation needs the issued statement's id and the date the "
                                     "certificate was delivered", field="statement_id" if not statement_id
                                     else "certificate_delivered")
                st = s.get(StatementRow, statement_id)
                if st is None or st.status != "issued":
                    raise InputError(f"statement {statement_id!r} is not an issued statement of the deal book; "
                                     "issue it first", field="statement_id", value=statement_id)
                if st.deal_id not in (None, deal_id):
                    raise InputError(f"statement {statement_id!r} belongs to deal {st.deal_id!r}, not {deal_id!r}",
                                     field="statement_id", value=statement_id)
                sha = st.sha256
                old = s.scalar(select(MonitoringRecordRow).where(MonitoringRecordRow.statement_id == statement_id))
                if old is not None:
                    return self._monitoring_record(old, created=False)
            cur = s.scalar(select(MonitoringRecordRow).where(
                MonitoringRecordRow.deal_id == deal_id, MonitoringRecordRow.observation_date == observation_date,
                MonitoringRecordRow.status == status).order_by(MonitoringRecordRow.id.desc()).limit(1))
            row = MonitoringRecordRow(
                deal_id=deal_id, observation_date=observation_date, status=status, kpis=jsonable(dict(kpis)),
                outcomes=jsonable(dict(outcomes or {})), grade=grade, statement_id=statement_id,
                statement_sha256=sha, certificate_delivered=certificate_delivered, reported_on=reported_on,
                supersedes_id=cur.id if cur is not None else None, created_at=_now(), created_by=a.username)
            s.add(row)
            s.flush()
            self._audit(s, a, "observation.record_" + status, "monitoring_record",
                        f"{deal_id}/{observation_date.isoformat()}",
                        {"id": cur.id, "kpis": cur.kpis} if cur is not None else None,
                        {"id": row.id, "status": status, "kpis": row.kpis, "outcomes": row.outcomes,
                         "statement_id": statement_id, "statement_sha256": sha,
                         "certificate_delivered": certificate_delivered, "reported_on": reported_on})
            return self._monitoring_record(row)

    @staticmethod
    def _monitoring_record(r: MonitoringRecordRow, created: bool = True) -> MonitoringRecord:
        return MonitoringRecord(r.id, r.deal_id, r.observation_date, r.status, dict(r.kpis), dict(r.outcomes),
                                r.grade, r.statement_id, r.statement_sha256, r.certificate_delivered,
                                r.reported_on, r.supersedes_id, r.created_at, r.created_by, created)

    def monitoring_records(self, deal_id: str | None = None) -> list[MonitoringRecord]:
        """Recorded observations (of one deal or all), oldest first (later ones supersede earlier ones)."""
        with self._read() as s:
            q = select(MonitoringRecordRow).order_by(MonitoringRecordRow.id)
            if deal_id is not None:
                q = q.where(MonitoringRecordRow.deal_id == deal_id)
            return [self._monitoring_record(r) for r in s.scalars(q)]

    # ------------------------------------------------------------------ margin changes (maker-checker)

    def prepare_margin_change(self, actor: str, deal_id: str, change_key: str, change: Mapping, *,
                              record_id: int | None = None) -> MarginChangeRecord:
        """Prepare a margin change computed from the record (credit officer A, the *maker*).

        Parameters
        ----------
        change_key : str
            Names the change (deal / observation date / kind / statement id): the same change is prepared once;
            preparing it again returns the pending or approved one (``created = False``, nothing written), and
            only a rejected change can be prepared anew.
        change : mapping
            The change as computed (``finance.monitoring.MarginChange`` as JSON): ``observation_date``, ``kind``
            (result / reporting_failure / cure), ``effective_date``, ``ratchet_adjustment_bp`` [bp],
            ``margin_before_bp`` [bp], ``margin_after_bp`` [bp], reasons, SPT outcomes.

        Raises
        ------
        InputError
            A field missing or of the wrong kind.
        PermissionDenied
            ``actor`` is not a credit officer.
        """
        doc = jsonable(dict(change))
        try:
            obs = dt.date.fromisoformat(str(doc["observation_date"]))
            eff = dt.date.fromisoformat(str(doc["effective_date"]))
            kind = str(doc["kind"])
            adj, before, after = (float(doc[k]) for k in ("ratchet_adjustment_bp", "margin_before_bp",
                                                          "margin_after_bp"))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"a margin change needs observation_date, effective_date, kind, ratchet_adjustment_bp, "
                             f"margin_before_bp and margin_after_bp [bp] ({exc})", field="change") from None
        if kind not in CHANGE_KINDS:
            raise InputError(f"kind must be one of {', '.join(CHANGE_KINDS)}", field="change.kind", value=kind)
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "margin.prepare")
            self._deal_row(s, deal_id)
            prev = list(s.scalars(select(MarginChangeRecordRow).where(MarginChangeRecordRow.change_key == change_key)
                                  .order_by(MarginChangeRecordRow.attempt)))
            if prev:
                last = prev[-1]
                dec = s.scalar(select(MarginChangeDecisionRow).where(MarginChangeDecisionRow.change_id == last.id))
                if dec is None or dec.decision == "approved":
                    return self._change_record(s, last, created=False)
            row = MarginChangeRecordRow(
                deal_id=deal_id, change_key=change_key, attempt=len(prev) + 1, observation_date=obs, kind=kind,
                effective_date=eff, adjustment_bp=adj, margin_before_bp=before, margin_after_bp=after,
                record_id=record_id, change=doc, prepared_at=_now(), prepared_by=a.username)
            s.add(row)
            s.flush()
            self._audit(s, a, "margin.prepare", "margin_change", change_key, None,
                        {"id": row.id, "attempt": row.attempt, "kind": kind, "effective_date": eff,
                         "adjustment_bp": adj, "margin_before_bp": before, "margin_after_bp": after,
                         "record_id": record_id})
            return self._change_record(s, row)

    def approve_margin_change(self, actor: str, change_id: int, *, note: str | None = None) -> MarginChangeRecord:
        """Approve a prepared margin change (credit officer B, the *checker*, not the preparer).

        From then on the change is in force from its effective date (``workflows.evaluate_deal`` prices it).

        Raises
        ------
        PermissionDenied
            ``actor`` is not a credit officer, or prepared this change (four-eyes rule).
        StoreError
            The change was already approved or rejected.
        NotFound
            No such change.
        """
        return self._decide(actor, change_id, "approved", note)

    def reject_margin_change(self, actor: str, change_id: int, *, reason: str) -> MarginChangeRecord:
        """Reject a prepared margin change (a second credit officer); it can then be prepared again.

        Raises
        ------
        InputError
            No reason given. Otherwise as :meth:`approve_margin_change`.
        """
        if not (reason or "").strip():
            raise InputError("a rejection needs a reason", field="reason")
        return self._decide(actor, change_id, "rejected", reason)

    def _decide(self, actor: str, change_id: int, decision: str, note: str | None) -> MarginChangeRecord:
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "margin.approve")
            row = s.get(MarginChangeRecordRow, change_id)
            if row is None:
                raise NotFound(f"no margin change {change_id}", field="change_id", value=change_id)
            if row.prepared_by == a.username:
                raise PermissionDenied(a.username, "margin.approve",
                                       ERR_FOUR_EYES.format(who=a.username, id=change_id))
            dec = s.scalar(select(MarginChangeDecisionRow).where(MarginChangeDecisionRow.change_id == change_id))
            if dec is not None:
                raise StoreError(ERR_DECIDED.format(id=change_id, decision=dec.decision, who=dec.decided_by,
                                                    at=dec.decided_at))
            s.add(MarginChangeDecisionRow(change_id=change_id, decision=decision, note=note, decided_at=_now(),
                                          decided_by=a.username))
            s.flush()
            self._audit(s, a, "margin." + ("approve" if decision == "approved" else "reject"), "margin_change",
                        row.change_key, {"id": row.id, "state": "prepared", "prepared_by": row.prepared_by},
                        {"id": row.id, "state": decision, "note": note, "margin_after_bp": row.margin_after_bp,
                         "effective_date": row.effective_date})
            return self._change_record(s, row)

    def _change_record(self, s, r: MarginChangeRecordRow, created: bool = True) -> MarginChangeRecord:
        dec = s.scalar(select(MarginChangeDecisionRow).where(MarginChangeDecisionRow.change_id == r.id))
        return MarginChangeRecord(
            r.id, r.deal_id, r.change_key, r.attempt, r.observation_date, r.kind, r.effective_date, r.adjustment_bp,
            r.margin_before_bp, r.margin_after_bp, r.record_id, dict(r.change), r.prepared_at, r.prepared_by,
            "prepared" if dec is None else dec.decision, dec.decided_by if dec else None,
            dec.decided_at if dec else None, dec.note if dec else None, created)

    def margin_change_records(self, deal_id: str | None = None, *, state: str | None = None
                              ) -> list[MarginChangeRecord]:
        """Prepared margin changes with their state (prepared / approved / rejected), oldest first."""
        with self._read() as s:
            q = select(MarginChangeRecordRow).order_by(MarginChangeRecordRow.id)
            if deal_id is not None:
                q = q.where(MarginChangeRecordRow.deal_id == deal_id)
            out = [self._change_record(s, r) for r in s.scalars(q)]
            return [c for c in out if state is None or c.state == state]

    def margin_change_record(self, change_id: int) -> MarginChangeRecord:
        with self._read() as s:
            row = s.get(MarginChangeRecordRow, change_id)
            if row is None:
                raise NotFound(f"no margin change {change_id}", field="change_id", value=change_id)
            return self._change_record(s, row)

    # ------------------------------------------------------------------ notices

    def save_notice(self, actor: str, change_id: int, notice_id: str, document: Mapping, *,
                    pdf: bytes | None = None) -> NoticeRecord:
        """Keep a margin-change notice as sent (credit officer): its JSON and PDF with the PDF's SHA-256.

        Raises
        ------
        InputError
            The change is not approved (a notice goes out only for an approved change), or ``pdf`` is not a PDF.
        """
        if pdf is not None and not bytes(pdf).startswith(b"%PDF-"):
            raise InputError("a notice PDF must start with %PDF-", field="pdf")
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "notice.save")
            ch = s.get(MarginChangeRecordRow, change_id)
            if ch is None:
                raise NotFound(f"no margin change {change_id}", field="change_id", value=change_id)
            dec = s.scalar(select(MarginChangeDecisionRow).where(MarginChangeDecisionRow.change_id == change_id))
            if dec is None or dec.decision != "approved":
                raise InputError(f"margin change {change_id} is {dec.decision if dec else 'not yet approved'}; a "
                                 "notice goes out only for an approved change", field="change_id", value=change_id)
            sha = _sha256(bytes(pdf)) if pdf is not None else None
            row = MarginNoticeRow(change_id=change_id, notice_id=notice_id, document=jsonable(dict(document)),
                                  pdf=bytes(pdf) if pdf is not None else None, sha256=sha, created_at=_now(),
                                  created_by=a.username)
            s.add(row)
            s.flush()
            self._audit(s, a, "notice.issue", "margin_notice", notice_id, None,
                        {"id": row.id, "change_id": change_id, "sha256": sha,
                         "bytes": len(pdf) if pdf is not None else 0})
            return NoticeRecord(row.id, change_id, notice_id, dict(row.document), sha, row.created_at, row.created_by)

    def notices(self, deal_id: str | None = None) -> list[NoticeRecord]:
        """Notices kept (no PDF bytes), oldest first."""
        with self._read() as s:
            q = (select(MarginNoticeRow).join(MarginChangeRecordRow, MarginChangeRecordRow.id == MarginNoticeRow.change_id)
                 .order_by(MarginNoticeRow.id))
            if deal_id is not None:
                q = q.where(MarginChangeRecordRow.deal_id == deal_id)
            return [NoticeRecord(r.id, r.change_id, r.notice_id, dict(r.document), r.sha256, r.created_at,
                                 r.created_by) for r in s.scalars(q)]

    def notice_pdf(self, notice_row_id: int) -> bytes:
        """The PDF of a kept notice, checked against its SHA-256."""
        with self._read() as s:
            row = s.get(MarginNoticeRow, notice_row_id)
            if row is None or row.pdf is None:
                raise NotFound(f"no notice PDF {notice_row_id}", field="notice")
            if _sha256(row.pdf) != row.sha256:
                raise StoreError(f"notice {row.notice_id!r} does not match its hash; restore it from a backup")
            return bytes(row.pdf)

    def monitoring_count(self) -> int:
        """Number of recorded observations (no role needed)."""
        with self._read() as s:
            return int(s.scalar(select(func.count()).select_from(MonitoringRecordRow)))
