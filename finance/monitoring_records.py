"""Recorded observations of a sustainability-linked loan: what the deal book holds per observation date.

Part of :mod:`finance.monitoring` (split by concern; import the public names from there). A *verified* record
comes from an issued verification statement (:func:`recorded_observation_from_statement`) and moves the margin;
a *reported* one holds the operator's figures before verification and only gives indicative changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DueStatus = Literal["upcoming", "due", "overdue", "delivered"]
ChangeKind = Literal["result", "reporting_failure", "cure"]
ChangeStatus = Literal["in_force", "scheduled", "indicative"]

# error messages (what is wrong and what is needed)
ERR_UNKNOWN_OBSERVATION = ("recorded observation {date} is not an observation date of deal '{deal}' "
                           "(its dates are {dates}): record it against one of those dates")
ERR_OTHER_DEAL = "recorded observation belongs to deal '{got}', not '{want}'"
ERR_OUTCOME_MISMATCH = ("recorded outcome for KPI '{kpi}' at {date} is '{recorded}', but the verified value {value} "
                        "against the SPT {spt} gives '{computed}' under the deal's ratchet: re-issue the statement "
                        "or correct the record")
ERR_VERIFIED_NEEDS = ("a verified observation needs the statement id, the statement SHA-256 and the date the "
                      "certificate was delivered (missing: {missing})")



class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)



class SptOutcome(_Model):
    """One KPI of one observation: value, SPT, outcome and what it moves [bp]."""

    kpi: str
    value: float | None = Field(description="KPI value [KPI unit]; None = not reported.")
    spt: float | None = Field(None, description="SPT [KPI unit]; None for score-grid and interpolated ratchets.")
    direction: Literal["higher", "lower"] | None = None
    outcome: Literal["met", "band", "missed", "scored"] = Field(
        description="met / band (within the no-change band) / missed; 'scored' for grid and interpolated ratchets.")
    effect_bp: float = Field(description="This KPI's share of the adjustment: weight × step [bp].")


class RecordedObservation(_Model):
    """What the deal book recorded for one observation date of a deal.

    ``status = "verified"``: figures of an issued verification statement (needs ``statement_id``,
    ``statement_sha256`` and ``certificate_delivered``); they move the margin. ``status = "reported"``: the
    operator's figures before verification; they only give *indicative* changes.
    """

    deal_id: str
    observation_date: dt.date
    status: Literal["verified", "reported"]
    kpis: dict[str, float | None] = Field(
        description="Values of the ratchet's KPIs [KPI unit]: 'index' (GCPI total), 'core', indicator ids "
        "such as 'pue'. None = not reported (counts as missed).")
    grade: str | None = Field(None, description="Grade, for score-grid ratchets by grade.")
    outcomes: dict[str, Literal["met", "band", "missed"]] = Field(
        default_factory=dict, description="SPT outcome per KPI as the statement recorded it (checked against "
        "the values and the deal's SPTs).")
    statement_id: str | None = None
    statement_sha256: str | None = None
    certificate_delivered: dt.date | None = Field(None, description="Date the compliance certificate was delivered.")
    reported_on: dt.date | None = Field(None, description="Date the reported figures reached the bank.")
    record_id: int | None = Field(None, description="Deal-book id of the observation record, if any.")

    @model_validator(mode="after")
    def _verified_complete(self) -> RecordedObservation:
        if self.status == "verified":
            missing = [f for f in ("statement_id", "statement_sha256", "certificate_delivered")
                       if getattr(self, f) is None]
            if missing:
                raise ValueError(ERR_VERIFIED_NEEDS.format(missing=", ".join(missing)))
        return self


def recorded_observation_from_statement(statement, *, deal_id: str, statement_sha256: str,
                                        certificate_delivered: dt.date, record_id: int | None = None
                                        ) -> RecordedObservation:
    """The recorded observation of an issued verification statement.

    Parameters
    ----------
    statement : finance.statement.VerificationStatement
        The issued statement: its SPT rows give the verified KPI values and outcomes, ``index`` the GCPI total.
    deal_id : str
    statement_sha256 : str
        SHA-256 the deal book holds for the issued PDF [64 hex characters].
    certificate_delivered : datetime.date
        Date the compliance certificate (with the statement) reached the bank.
    record_id : int, optional

    Returns
    -------
    RecordedObservation
        ``status = "verified"``; KPI values from the SPT rows plus ``index`` / ``core`` from the index summary.
    """
    kpis: dict[str, float | None] = {"index": statement.index.total, "core": statement.index.core}
    outcomes = {}
    for s in statement.spts:
        kpis[s.kpi] = s.verified_value
        outcomes[s.kpi] = "band" if s.within_band else "met" if s.met else "missed"
    return RecordedObservation(deal_id=deal_id, observation_date=statement.observation_date, status="verified",
                               kpis=kpis, grade=statement.index.grade, outcomes=outcomes,
                               statement_id=statement.statement_id, statement_sha256=statement_sha256,
                               certificate_delivered=certificate_delivered, record_id=record_id)

