"""Plain, immutable records the store returns (never live ORM objects)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Actor:
    """A user as the store sees it: roles and (for operators) the facilities it reports for."""

    username: str
    roles: frozenset[str]
    facilities: frozenset[str] = frozenset()
    active: bool = True
    display_name: str | None = None


@dataclass(frozen=True)
class FacilitySaveReport:
    """What :meth:`store.Store.save_facility` changed (counts of records; audit rows = ``changes``)."""

    facility_id: str
    created: bool
    periods_created: tuple[str, ...] = ()
    periods_changed: tuple[str, ...] = ()
    figures_written: int = 0
    changes: int = 0
    #: the facility's optimistic-lock version after the save (pass as ``expected_version`` next time)
    version: int | None = None


@dataclass(frozen=True)
class FigureRecord:
    """One stored figure (a row of the append-only figure history)."""

    id: int
    facility_id: str
    period: str | None
    field: str
    kind: str
    value: float | None
    text: str | None
    items: tuple | None
    status: str
    source: str | None
    restates_id: int | None
    reason: str | None
    created_at: dt.datetime
    created_by: str


@dataclass(frozen=True)
class DealInfo:
    """Indexed columns of a stored deal; ``version`` is what an update must quote (optimistic locking)."""

    id: str
    facility_id: str
    borrower: str | None
    currency: str
    amount: float
    margin_bp: float | None
    version: int
    updated_at: dt.datetime | None = None
    updated_by: str | None = None


@dataclass(frozen=True)
class MethodologyInfo:
    id: str
    version: str
    sha256: str
    title: str | None


@dataclass(frozen=True)
class TargetRecord:
    """A baseline (``observation_date`` None) or an SPT, with the row it supersedes."""

    id: int
    deal_id: str
    kpi: str
    value: float
    observation_date: dt.date | None
    supersedes_id: int | None
    reason: str | None
    created_at: dt.datetime
    created_by: str
    current: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StatementInfo:
    id: str
    facility_id: str
    deal_id: str | None
    period_label: str | None
    sha256: str
    signature_status: str
    status: str
    issued_at: dt.datetime | None
    restates_id: str | None
    size: int


@dataclass(frozen=True)
class DealSummary:
    """One row of the portfolio summary."""

    deal_id: str
    facility_id: str
    facility_name: str
    borrower: str | None
    currency: str
    amount: float
    margin_bp: float | None
    current_margin_bp: float | None
    version: int
    last_observation_date: dt.date | None
    last_total: float | None
    last_grade: str | None
    last_observation_status: str | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_key: str
    before: dict | None
    after: dict | None


@dataclass(frozen=True)
class MonitoringRecord:
    """A recorded observation of a deal (``monitoring_records``): verified (from an issued statement) or reported.

    ``kpis`` [KPI unit], ``outcomes`` (met / band / missed per KPI); ``created`` is False when the call found the
    statement already recorded and wrote nothing.
    """

    id: int
    deal_id: str
    observation_date: dt.date
    status: str
    kpis: dict
    outcomes: dict
    grade: str | None
    statement_id: str | None
    statement_sha256: str | None
    certificate_delivered: dt.date | None
    reported_on: dt.date | None
    supersedes_id: int | None
    created_at: dt.datetime
    created_by: str
    created: bool = True


@dataclass(frozen=True)
class MarginChangeRecord:
    """A margin change prepared from the record, with its state: ``prepared`` (awaiting a second credit officer),
    ``approved`` (in force from ``effective_date``) or ``rejected``. Margins [bp]."""

    id: int
    deal_id: str
    change_key: str
    attempt: int
    observation_date: dt.date
    kind: str
    effective_date: dt.date
    adjustment_bp: float
    margin_before_bp: float
    margin_after_bp: float
    record_id: int | None
    change: dict
    prepared_at: dt.datetime
    prepared_by: str
    state: str
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    note: str | None = None
    created: bool = True


@dataclass(frozen=True)
class NoticeRecord:
    """A margin-change notice as kept (JSON document; the PDF by :meth:`store.Store.notice_pdf`)."""

    id: int
    change_id: int
    notice_id: str
    document: dict
    sha256: str | None
    created_at: dt.datetime
    created_by: str
