"""A figure's life: reported or design value (operator), verified value (verifier), restatement of a
verified value (verifier, with a reason). Every value is a new row pointing to the one it replaces.
"""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from index.errors import InputError
from index.models import FIGURE_UNITS, PeriodData
from store.base import StoreBase, _now
from store.errors import ImmutableRecordError, NotFound
from store.facilities import PERIOD_META
from store.records import (
    FigureRecord,
)
from store.schema import (
    FigureRow,
    PeriodRow,
)
from store.tomlio import period_dict


class VerificationMixin(StoreBase):
    """Reported, verified and restated figures of a facility's periods."""

    def _append_figure(self, actor: str, facility_id: str, period: str, field: str, value, *, status: str,
                       source: str | None, reason: str | None, restate: bool) -> FigureRecord:

        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "figure.verify" if status == "verified" else "figure.report", facility_id)
            frow = self._facility_row(s, facility_id)
            prow = s.scalar(select(PeriodRow).where(PeriodRow.facility_id == facility_id,
                                                    PeriodRow.label == str(period)))
            if prow is None:
                raise NotFound(f"facility {facility_id!r} has no period {period!r}", field="period", value=period)
            if field not in FIGURE_UNITS:
                raise InputError(f"unknown figure field {field!r}; one of {', '.join(FIGURE_UNITS)}", field=field)
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise InputError("figure value must be a number", field=field, unit=FIGURE_UNITS[field],
                                 value=value) from None
            if prow.status == "verified" and status != "verified":
                raise ImmutableRecordError(
                    f"{facility_id} period {period} is verified; an operator cannot add or change its figures — "
                    "a verifier records the value (verify_figure / restate_figure)")
            head = self._heads_one(s, facility_id, prow.id, field)
            if head is not None and head.status == "verified":
                if not restate:
                    raise ImmutableRecordError(
                        f"{facility_id} period {period} field {field} is verified ({head.value:g}); it cannot be "
                        "changed — a verifier records a correction with Store.restate_figure(..., reason=...)")
            elif restate:
                raise InputError(f"{facility_id} period {period} field {field} is not verified yet; use "
                                 "verify_figure instead of restate_figure", field=field)
            # check the whole period still validates with the new value
            new = FigureRow(facility_id=facility_id, period_id=prow.id, field=field, kind="number", value=value,
                            status=status, source=source, restates_id=head.id if head is not None else None,
                            reason=reason, created_at=_now(), created_by=a.username)
            s.add(new)
            frow.updated_at = new.created_at  # bumps the facility's optimistic-lock version
            s.flush()
            self._validate_period(s, facility_id, prow)
            before = self._spec_json(self._spec(head)) if head is not None else None
            self._audit(s, a, "figure.restate" if restate else f"figure.{status}", "figure",
                        f"{facility_id}/{period}/{field}", before, {**self._spec_json(self._spec(new)),
                                                                     "reason": reason})
            return self._figure_record(new, period)

    def _validate_period(self, s: Session, facility_id: str, prow: PeriodRow) -> None:

        heads = {f: self._spec(h) for (pid, f), h in self._heads(s, facility_id).items() if pid == prow.id}
        meta = {"label": prow.label, **{k: getattr(prow, k) for k in PERIOD_META}}
        meta = {k: v for k, v in meta.items() if v is not None}
        try:
            PeriodData.model_validate(period_dict(meta, heads))
        except ValidationError as exc:
            raise InputError("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()),
                             row=f"period {prow.label}") from None

    @staticmethod
    def _heads_one(s: Session, facility_id: str, period_id: int, field: str) -> FigureRow | None:
        newer = aliased(FigureRow)
        return s.scalar(select(FigureRow).where(
            FigureRow.facility_id == facility_id, FigureRow.period_id == period_id, FigureRow.field == field,
            ~exists().where(newer.restates_id == FigureRow.id)))

    @staticmethod
    def _figure_record(r: FigureRow, period: str | None) -> FigureRecord:
        return FigureRecord(r.id, r.facility_id, period, r.field, r.kind, r.value, r.text,
                            tuple(r.items) if r.items is not None else None, r.status, r.source, r.restates_id,
                            r.reason, r.created_at, r.created_by)

    def report_figure(self, actor: str, facility_id: str, period: str, field: str, value: float, *,
                      source: str | None = None, status: str = "reported") -> FigureRecord:
        """Record a design or reported value [unit of ``field``] (the facility's operator).

        Raises
        ------
        ImmutableRecordError
            If the current value is verified.
        InputError
            Unknown period or field, or the period no longer validates with the new value.
        """
        if status not in ("design", "reported"):
            raise InputError("an operator records design or reported values; verifiers use verify_figure",
                             field="status", value=status)
        return self._append_figure(actor, facility_id, period, field, value, status=status, source=source,
                                   reason=None, restate=False)

    def verify_figure(self, actor: str, facility_id: str, period: str, field: str, value: float, *,
                      source: str, reason: str | None = None) -> FigureRecord:
        """Fix the verified value of a figure (verifier); ``source`` is the evidence reference.

        Raises
        ------
        ImmutableRecordError
            If the figure is already verified (use :meth:`restate_figure`).
        """
        return self._append_figure(actor, facility_id, period, field, value, status="verified", source=source,
                                   reason=reason, restate=False)

    def restate_figure(self, actor: str, facility_id: str, period: str, field: str, value: float, *,
                       source: str, reason: str) -> FigureRecord:
        """Correct a verified figure: a new verified row pointing to the old one, which stays unchanged."""
        if not reason:
            raise InputError("a restatement needs a reason", field="reason")
        return self._append_figure(actor, facility_id, period, field, value, status="verified", source=source,
                                   reason=reason, restate=True)

    def figure_history(self, facility_id: str, period: str | None, field: str) -> list[FigureRecord]:
        """Every stored value of a figure, oldest first."""
        with self._read() as s:
            q = select(FigureRow).where(FigureRow.facility_id == facility_id, FigureRow.field == field)
            if period is None:
                q = q.where(FigureRow.period_id.is_(None))
            else:
                q = q.join(PeriodRow, PeriodRow.id == FigureRow.period_id).where(PeriodRow.label == str(period))
            return [self._figure_record(r, period) for r in s.scalars(q.order_by(FigureRow.id))]
