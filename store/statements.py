"""Verification statement PDFs with their SHA-256: drafts, issued (immutable) statements and restatements.
"""

from __future__ import annotations

from sqlalchemy import func, select

from index.errors import InputError
from store.base import StoreBase, _now, _sha256
from store.errors import ImmutableRecordError, NotFound, StoreError
from store.records import (
    StatementInfo,
)
from store.schema import (
    SIGNATURE_STATUSES,
    StatementRow,
)


class StatementsMixin(StoreBase):
    """Verification statements (verifier writes)."""

    def save_statement(self, actor: str, statement_id: str, *, facility_id: str, pdf: bytes,
                       signature_status: str = "unsigned", deal_id: str | None = None,
                       period_label: str | None = None, issue: bool = False,
                       restates: str | None = None) -> StatementInfo:
        """Store a verification statement PDF with its SHA-256 (verifier).

        A draft may be replaced by saving the same id again; an issued statement never changes — a correction
        is a new statement with ``restates=<old id>`` (the old one must be issued and not yet restated).

        Raises
        ------
        ImmutableRecordError
            Saving over an issued statement.
        InputError
            Unknown facility/deal, empty PDF, unknown signature status, a bad ``restates``.
        """
        if signature_status not in SIGNATURE_STATUSES:
            raise InputError(f"signature status must be one of {', '.join(SIGNATURE_STATUSES)}",
                             field="signature_status", value=signature_status)
        pdf = bytes(pdf)
        if not pdf.startswith(b"%PDF-"):
            raise InputError("a statement must be a PDF file (bytes starting with %PDF-)", field="pdf")
        digest = _sha256(pdf)
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "statement.save")
            self._facility_row(s, facility_id)
            if deal_id is not None:
                self._deal_row(s, deal_id)
            if restates is not None:
                old = s.get(StatementRow, restates)
                if old is None or old.status != "issued":
                    raise InputError(f"statement {restates!r} is not an issued statement; only issued statements "
                                     "are restated", field="restates", value=restates)
                if s.scalar(select(StatementRow.id).where(StatementRow.restates_id == restates)):
                    raise InputError(f"statement {restates!r} was already restated; restate the latest one",
                                     field="restates", value=restates)
            row = s.get(StatementRow, statement_id)
            now = _now()
            vals = dict(deal_id=deal_id, facility_id=facility_id, period_label=period_label, pdf=pdf, sha256=digest,
                        signature_status=signature_status, status="issued" if issue else "draft",
                        issued_at=now if issue else None, restates_id=restates)
            if row is None:
                row = StatementRow(id=statement_id, created_at=now, created_by=a.username, **vals)
                s.add(row)
                s.flush()
                self._audit(s, a, "statement.issue" if issue else "statement.draft", "statement", statement_id,
                            None, {k: v for k, v in vals.items() if k != "pdf"} | {"bytes": len(pdf)})
            else:
                if row.status == "issued":
                    raise ImmutableRecordError(
                        f"statement {statement_id!r} is issued (sha256 {row.sha256[:12]}…) and cannot be replaced; "
                        "save the correction under a new id with restates=" + repr(statement_id))
                before = {"sha256": row.sha256, "signature_status": row.signature_status, "status": row.status}
                for k, v in vals.items():
                    setattr(row, k, v)
                s.flush()
                self._audit(s, a, "statement.issue" if issue else "statement.draft", "statement", statement_id,
                            before, {k: v for k, v in vals.items() if k != "pdf"} | {"bytes": len(pdf)})
            return self._statement_info(row)

    def issue_statement(self, actor: str, statement_id: str, *, signature_status: str | None = None) -> StatementInfo:
        """Issue a draft statement (verifier); from then on it is immutable."""
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "statement.issue")
            row = s.get(StatementRow, statement_id)
            if row is None:
                raise NotFound(f"no statement {statement_id!r}", field="statement_id")
            if row.status == "issued":
                raise ImmutableRecordError(f"statement {statement_id!r} is already issued")
            if signature_status is not None:
                if signature_status not in SIGNATURE_STATUSES:
                    raise InputError("unknown signature status", field="signature_status", value=signature_status)
                row.signature_status = signature_status
            row.status, row.issued_at = "issued", _now()
            s.flush()
            self._audit(s, a, "statement.issue", "statement", statement_id, {"status": "draft"},
                        {"status": "issued", "signature_status": row.signature_status, "sha256": row.sha256})
            return self._statement_info(row)

    @staticmethod
    def _statement_info(r: StatementRow) -> StatementInfo:
        return StatementInfo(r.id, r.facility_id, r.deal_id, r.period_label, r.sha256, r.signature_status, r.status,
                             r.issued_at, r.restates_id, len(r.pdf))

    def statement(self, statement_id: str) -> StatementInfo:
        with self._read() as s:
            row = s.get(StatementRow, statement_id)
            if row is None:
                raise NotFound(f"no statement {statement_id!r}", field="statement_id")
            return self._statement_info(row)

    def statement_pdf(self, statement_id: str) -> bytes:
        """The PDF bytes, checked against the stored hash (raises :class:`StoreError` if they differ)."""
        with self._read() as s:
            row = s.get(StatementRow, statement_id)
            if row is None:
                raise NotFound(f"no statement {statement_id!r}", field="statement_id")
            if _sha256(row.pdf) != row.sha256:
                raise StoreError(f"statement {statement_id!r} does not match its hash; restore it from a backup")
            return bytes(row.pdf)

    def statement_ids(self) -> list[str]:
        with self._read() as s:
            return list(s.scalars(select(StatementRow.id).order_by(StatementRow.id)))

    def statements(self, deal_id: str | None = None) -> list[StatementInfo]:
        """Stored statements (drafts and issued), of one deal or all, by id (no PDF bytes are read)."""
        with self._read() as s:
            cols = (StatementRow.id, StatementRow.facility_id, StatementRow.deal_id, StatementRow.period_label,
                    StatementRow.sha256, StatementRow.signature_status, StatementRow.status,
                    StatementRow.issued_at, StatementRow.restates_id, func.length(StatementRow.pdf))
            q = select(*cols).order_by(StatementRow.id)
            if deal_id is not None:
                q = q.where(StatementRow.deal_id == deal_id)
            return [StatementInfo(*r) for r in s.execute(q)]
