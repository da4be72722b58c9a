"""Margin-change notices for loan operations and the core banking system (issue 12, part 4).

A notice is what loan operations key into the core banking system when a recorded margin change takes effect:
deal, facility, old and new margin [bp], effective date, the reason (SPT outcomes, or a late compliance
certificate and its cure), the verification statement id and SHA-256 behind it, who prepared it and who approved
it (four eyes: the preparer is never an approver). It is built from a :class:`finance.monitoring.MarginChange`;
an *indicative* change (reported figures only) never gives a notice.

Outputs: :func:`notice_to_json` (one notice or a list, canonical JSON), :func:`notice_to_csv` (one row per
notice, flat columns) and :func:`finance.notice_pdf.render_notice_pdf` (bilingual PDF).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from finance.monitoring import ChangeKind, MarginChange, SptOutcome, margin_order
from index.errors import InputError

SCHEMA = "dcsll.margin_notice/1"

ERR_INDICATIVE = ("the change of observation {date} is indicative (reported figures, not verified): a margin-change "
                  "notice is issued on verified results or a missed certificate due date only")
ERR_FOUR_EYES = "the notice is prepared by '{who}', who may not also approve it (four-eyes rule)"
ERR_APPROVED_BEFORE = "approved on {approved}, before the change was prepared on {prepared}"
ERR_NO_APPROVER = "a margin-change notice needs at least one approver other than the preparer"
ERR_NO_CHANGE_FOR = "deal '{deal}' has no recorded margin change for observation {date} (recorded: {have})"

#: CSV columns, in order (one row per notice).
CSV_COLUMNS = (
    "notice_id", "issue_date", "deal_id", "deal_name", "borrower", "facility_id", "currency", "base_rate",
    "observation_date", "kind", "old_margin_bp", "new_margin_bp", "change_bp", "ratchet_adjustment_bp",
    "effective_date", "certificate_due", "certificate_delivered", "statement_id", "statement_sha256",
    "spt_outcomes", "reason_en", "reason_zh", "prepared_by", "prepared_on", "approved_by", "approved_on",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class MarginChangeNotice(_Model):
    """A margin-change notice (one recorded margin change of one deal).

    Margins in [bp] over the base rate; ``change_bp`` = ``new_margin_bp`` − ``old_margin_bp``.

    Raises
    ------
    pydantic.ValidationError
        Preparer among the approvers, no approver, or a ``change_bp`` that is not new − old.
    """

    schema_: Literal["dcsll.margin_notice/1"] = Field(default=SCHEMA, alias="schema")
    notice_id: str = Field(min_length=1)
    issue_date: dt.date
    deal_id: str
    deal_name: str = ""
    borrower: str = ""
    facility_id: str | None = None
    currency: str
    base_rate: str = Field(description="Base-rate index, e.g. LPR_1Y, TERM_SOFR_3M.")
    observation_date: dt.date
    kind: ChangeKind
    old_margin_bp: float
    new_margin_bp: float
    change_bp: float
    ratchet_adjustment_bp: float
    effective_date: dt.date
    certificate_due: dt.date
    certificate_delivered: dt.date | None = None
    statement_id: str | None = None
    statement_sha256: str | None = None
    spts: list[SptOutcome] = Field(default_factory=list)
    reason_en: str
    reason_zh: str
    prepared_by: str = Field(min_length=1)
    prepared_on: dt.date | None = Field(default=None, description="Date the change was prepared (the deal book).")
    approved_by: list[str] = Field(default_factory=list)
    approved_on: dt.date | None = Field(default=None, description="Date of the approval (the deal book's decision).")

    @model_validator(mode="after")
    def _checks(self) -> MarginChangeNotice:
        if abs(self.new_margin_bp - self.old_margin_bp - self.change_bp) > 1e-9:
            raise ValueError(f"change_bp {self.change_bp} is not new {self.new_margin_bp} - old {self.old_margin_bp}")
        problem = approval_problem(self.prepared_by, self.approved_by, self.prepared_on, self.approved_on)
        if problem:
            raise ValueError(problem[0])
        return self


def approval_problem(prepared_by: str, approved_by: list[str], prepared_on: dt.date | None = None,
                     approved_on: dt.date | None = None) -> tuple[str, str, str | None, str | None] | None:
    """The first maker-checker problem of a notice as (message, field, value, unit), None when in order: the
    preparer among the approvers (four eyes), no approver, or an approval dated before the preparation."""
    approved = [a for a in approved_by if a]
    if prepared_by in approved:
        return ERR_FOUR_EYES.format(who=prepared_by), "approved_by", prepared_by, None
    if not approved:
        return ERR_NO_APPROVER, "approved_by", None, None
    if prepared_on and approved_on and approved_on < prepared_on:
        return (ERR_APPROVED_BEFORE.format(approved=approved_on, prepared=prepared_on), "approved_on",
                str(approved_on), "date YYYY-MM-DD")
    return None


def notice_id(change: MarginChange) -> str:
    """Stable notice id: ``MCN-<deal>-<observation date>-<kind>``."""
    return f"MCN-{change.deal_id}-{change.observation_date.isoformat()}-{change.kind}"


def notice_from_change(deal, change: MarginChange, *, prepared_by: str, approved_by: list[str],
                       issue_date: dt.date, prepared_on: dt.date | None = None,
                       approved_on: dt.date | None = None) -> MarginChangeNotice:
    """The notice of one recorded margin change.

    Parameters
    ----------
    deal : finance.deal.Deal
    change : MarginChange
        A recorded change (``in_force`` or ``scheduled``), from :func:`finance.monitoring.margin_events_from_record`.
    prepared_by : str
        Username of the credit officer who prepared the change.
    approved_by : list of str
        Usernames of the approvers (at least one, not the preparer).
    issue_date : datetime.date
    prepared_on, approved_on : datetime.date, optional
        Dates of the preparation and of the approval, as recorded in the deal book (maker-checker).

    Returns
    -------
    MarginChangeNotice

    Raises
    ------
    InputError
        An indicative change; the preparer among the approvers; no approver; approved before prepared.
    """
    if change.status == "indicative":
        raise InputError(ERR_INDICATIVE.format(date=change.observation_date), field="change.status",
                         value=change.status)
    problem = approval_problem(prepared_by, approved_by, prepared_on, approved_on)
    if problem:
        msg, fld, value, unit = problem
        raise InputError(msg, field=fld, unit=unit, value=value)
    approved = [a for a in approved_by if a]
    facility = deal.facility if isinstance(deal.facility, str) else (
        deal.facility.get("id") if isinstance(deal.facility, dict) else None)
    return MarginChangeNotice(
        notice_id=notice_id(change), issue_date=issue_date, deal_id=deal.id, deal_name=deal.name,
        borrower=deal.borrower, facility_id=facility, currency=deal.loan.currency, base_rate=deal.loan.base_rate.index,
        observation_date=change.observation_date, kind=change.kind, old_margin_bp=change.margin_before_bp,
        new_margin_bp=change.margin_after_bp, change_bp=change.change_bp,
        ratchet_adjustment_bp=change.ratchet_adjustment_bp, effective_date=change.effective_date,
        certificate_due=change.certificate_due, certificate_delivered=change.certificate_delivered,
        statement_id=change.statement_id, statement_sha256=change.statement_sha256, spts=change.spts,
        reason_en=change.reason_en, reason_zh=change.reason_zh, prepared_by=prepared_by, approved_by=approved,
        prepared_on=prepared_on, approved_on=approved_on)


def notices_for_observation(deal, changes: list[MarginChange], observation_date: dt.date, *, prepared_by: str,
                            approved_by: list[str], issue_date: dt.date) -> list[MarginChangeNotice]:
    """Notices of every recorded (not indicative) change of one observation date, in effective-date order.

    A certificate delivered late gives two: the reporting failure (all SPTs missed from the due date) and its cure.

    Raises
    ------
    InputError
        No recorded change for that observation date (naming the dates that have one).
    """
    mine = [c for c in changes if c.observation_date == observation_date and c.status != "indicative"]
    if not mine:
        have = sorted({c.observation_date.isoformat() for c in changes if c.status != "indicative"})
        raise InputError(ERR_NO_CHANGE_FOR.format(deal=deal.id, date=observation_date, have=", ".join(have) or "none"),
                         field="observation", unit="date YYYY-MM-DD", value=str(observation_date))
    mine.sort(key=margin_order)
    return [notice_from_change(deal, c, prepared_by=prepared_by, approved_by=approved_by, issue_date=issue_date)
            for c in mine]


def notice_to_json(notices: MarginChangeNotice | list[MarginChangeNotice]) -> str:
    """JSON of one notice (an object) or several (an array): sorted keys, ISO dates, UTF-8 characters kept."""
    if isinstance(notices, MarginChangeNotice):
        data = notices.model_dump(mode="json", by_alias=True)
    else:
        data = [n.model_dump(mode="json", by_alias=True) for n in notices]
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


def _spt_cell(spts: list[SptOutcome]) -> str:
    parts = []
    for s in spts:
        v = "n/a" if s.value is None else f"{s.value:g}"
        tgt = "" if s.spt is None else f"/{s.spt:g}"
        parts.append(f"{s.kpi}={v}{tgt}:{s.outcome}:{s.effect_bp:+g}bp")
    return "; ".join(parts)


def notice_to_csv(notices: MarginChangeNotice | list[MarginChangeNotice]) -> str:
    """CSV (header + one row per notice, columns :data:`CSV_COLUMNS`) for the core banking system upload.

    ``spt_outcomes`` packs each SPT as ``kpi=value/target:outcome:effect bp`` joined by ``; ``;
    ``approved_by`` joins usernames with ``;``. Margins in [bp], dates ISO 8601.
    """
    if isinstance(notices, MarginChangeNotice):
        notices = [notices]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for n in notices:
        row = n.model_dump(mode="json")
        row["spt_outcomes"] = _spt_cell(n.spts)
        row["approved_by"] = ";".join(n.approved_by)
        w.writerow(["" if row.get(c) is None else row[c] for c in CSV_COLUMNS])
    return buf.getvalue()
