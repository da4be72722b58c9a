"""ORM tables of the deal book (SQLAlchemy 2.x, typed ``Mapped[...]``).

The schema itself is created by the Alembic migrations in ``store/migrations`` (never by
``metadata.create_all``); ``tests/store/test_migrations.py`` checks that the migrations and these classes
agree. Rules the database enforces itself (triggers, created by the migrations): the audit log is
append-only; verified figures, issued statements and stored methodologies cannot be updated or deleted.

Figures are append-only: a new value for a field is a new row whose ``restates_id`` points to the row it
replaces; the current value of a field is the row nobody restates. ``kind`` is ``number`` (``value``),
``category`` (``text``), ``checklist`` (``items``), ``refrigerant`` (``text`` = gas, ``value`` = kg) or
``removed`` (the field was taken out of a later file).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

FIGURE_STATUSES = ("design", "reported", "verified")
STATEMENT_STATUSES = ("draft", "issued")
SIGNATURE_STATUSES = ("unsigned", "signed", "signature_valid", "signature_invalid")
OBSERVATION_STATUSES = ("simulated", "reported", "verified")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, dt.datetime: DateTime(timezone=True),
                           float: Double}


def _in(col: str, values) -> str:
    return f"{col} IN ({', '.join(repr(v) for v in values)})"


# ------------------------------------------------------------------------------------------ users, roles

class User(Base):
    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(_in("role", ("credit_officer", "operator", "verifier", "admin")),
                                      name="role"),)
    username: Mapped[str] = mapped_column(ForeignKey("users.username"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class FacilityOperator(Base):
    """Which operator users report for which facility."""

    __tablename__ = "facility_operators"
    facility_id: Mapped[str] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username"), primary_key=True)


# ------------------------------------------------------------------------------------------ methodologies

class MethodologyRow(Base):
    __tablename__ = "methodologies"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[str] = mapped_column(String(50), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    title: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    created_by: Mapped[str] = mapped_column(String(64))


# ------------------------------------------------------------------------------------------ facilities

class FacilityRow(Base):
    __tablename__ = "facilities"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_zh: Mapped[str | None] = mapped_column(String(300))
    operator: Mapped[str | None] = mapped_column(String(300))
    province: Mapped[str] = mapped_column(String(50))
    grid_region: Mapped[str | None] = mapped_column(String(50))
    hub_node: Mapped[str | None] = mapped_column(String(100))
    cluster: Mapped[str | None] = mapped_column(String(100))
    computing_type: Mapped[str] = mapped_column(String(30))
    lifecycle_stage: Mapped[str] = mapped_column(String(30))
    commissioning_date: Mapped[dt.date | None] = mapped_column(Date)
    cooling: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_now)
    #: optimistic lock (revision 0006): bumped by every change to the facility or its periods and figures
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class PeriodRow(Base):
    __tablename__ = "periods"
    __table_args__ = (UniqueConstraint("facility_id", "label", name="uq_periods_facility_label"),
                      CheckConstraint(_in("status", FIGURE_STATUSES), name="status"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    facility_id: Mapped[str] = mapped_column(ForeignKey("facilities.id"))
    label: Mapped[str] = mapped_column(String(50))
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(Text)
    compute_precision: Mapped[str | None] = mapped_column(String(10))
    gpu_utilisation_definition: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    #: the verifier whose record made the period verified (revision 0007; the database refuses a verified period
    #: whose ``verified_by`` is not an active verifier)
    verified_by: Mapped[str | None] = mapped_column(String(64))


class FigureRow(Base):
    __tablename__ = "figures"
    __table_args__ = (
        CheckConstraint(_in("status", FIGURE_STATUSES), name="status"),
        CheckConstraint(_in("kind", ("number", "category", "checklist", "refrigerant", "removed")), name="kind"),
        Index("ix_figures_facility_period_field", "facility_id", "period_id", "field"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    facility_id: Mapped[str] = mapped_column(ForeignKey("facilities.id"))
    period_id: Mapped[int | None] = mapped_column(ForeignKey("periods.id"))
    field: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[float | None] = mapped_column(Double)
    text: Mapped[str | None] = mapped_column(Text)
    items: Mapped[list[Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(Text)
    restates_id: Mapped[int | None] = mapped_column(ForeignKey("figures.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    created_by: Mapped[str] = mapped_column(String(64))


GEC_KINDS = ("lot", "green_trading_id", "onsite_sold_id", "empty")


class GecLotRow(Base):
    """A version of one period's green-certificate evidence (0008_gec_lots; append-only).

    One row per item: an unbundled GEC lot (``kind = "lot"``: ``lot_id`` = registry serial / lot id, ``mwh``,
    vintage ``generation_start``–``generation_end``, ``market``, ``retired_for``, ``evidence`` = cancellation
    record), a certificate id settled in bundled green-power trading (``green_trading_id``) or sold from on-site
    generation (``onsite_sold_id``), or ``empty`` (a version without any: the evidence was taken out). The
    period's current evidence is its highest ``version``; ``seq`` keeps the file's order. A lot id may be
    claimed by one facility period only (checked on save, :mod:`store.gec`).
    """

    __tablename__ = "gec_lots"
    __table_args__ = (
        UniqueConstraint("period_id", "version", "seq", name="uq_gec_lots_period_version_seq"),
        CheckConstraint(_in("kind", GEC_KINDS), name="kind"),
        CheckConstraint(_in("status", FIGURE_STATUSES), name="status"),
        Index("ix_gec_lots_lot_id", "lot_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    facility_id: Mapped[str] = mapped_column(ForeignKey("facilities.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"))
    version: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    lot_id: Mapped[str | None] = mapped_column(String(200))
    mwh: Mapped[float | None] = mapped_column(Double)
    generation_start: Mapped[dt.date | None] = mapped_column(Date)
    generation_end: Mapped[dt.date | None] = mapped_column(Date)
    market: Mapped[str | None] = mapped_column(String(20))
    retired_for: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    created_by: Mapped[str] = mapped_column(String(64))


# ------------------------------------------------------------------------------------------ deals

class DealRow(Base):
    """A loan: its validated TOML document (JSON, TOML types tagged) plus the columns queries need."""

    __tablename__ = "deals"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    facility_id: Mapped[str] = mapped_column(ForeignKey("facilities.id"), index=True)
    borrower: Mapped[str | None] = mapped_column(String(300))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[float] = mapped_column(Double)
    margin_bp: Mapped[float | None] = mapped_column(Double)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_now)
    updated_by: Mapped[str] = mapped_column(String(64))

    __mapper_args__ = {"version_id_col": version}


class AuditRow(Base):
    """Append-only (database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(default=_now)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(50))
    entity_key: Mapped[str] = mapped_column(String(200), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: hash chain (revision 0006, :mod:`store.auditchain`): ``row_hash`` of the previous row, and this row's
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


# ---------------------------------------------------------------- revision 0002: terms, targets, results

class RatchetTermsRow(Base):
    __tablename__ = "ratchet_terms"
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id"), primary_key=True)
    design: Mapped[str | None] = mapped_column(String(30))
    cap_bp: Mapped[float | None] = mapped_column(Double)
    margin_floor_bp: Mapped[float | None] = mapped_column(Double)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class BaselineRow(Base):
    __tablename__ = "baselines"
    #: one first (not superseding) baseline per deal and KPI (revision 0006)
    __table_args__ = (Index("uq_baselines_first", "deal_id", "kpi", unique=True,
                            sqlite_where=text("supersedes_id IS NULL"),
                            postgresql_where=text("supersedes_id IS NULL")),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id"), index=True)
    kpi: Mapped[str] = mapped_column(String(50))
    value: Mapped[float] = mapped_column(Double)
    unit: Mapped[str | None] = mapped_column(String(30))
    period_label: Mapped[str | None] = mapped_column(String(50))
    methodology_id: Mapped[str | None] = mapped_column(String(100))
    methodology_sha256: Mapped[str | None] = mapped_column(String(64))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("baselines.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    created_by: Mapped[str] = mapped_column(String(64))


class SptRow(Base):
    __tablename__ = "spts"
    #: one first (not superseding) SPT per deal, KPI and observation date (revision 0006)
    __table_args__ = (Index("uq_spts_first", "deal_id", "kpi", "observation_date", unique=True,
                            sqlite_where=text("supersedes_id IS NULL"),
                            postgresql_where=text("supersedes_id IS NULL")),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id"), index=True)
    kpi: Mapped[str] = mapped_column(String(50))
    observation_date: Mapped[dt.date] = mapped_column(Date)
    target: Mapped[float] = mapped_column(Double)
    baseline_id: Mapped[int | None] = mapped_column(ForeignKey("baselines.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("spts.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    created_by: Mapped[str] = mapped_column(String(64))


class ObservationRow(Base):
    __tablename__ = "observations"
    __table_args__ = (CheckConstraint(_in("status", OBSERVATION_STATUSES), name="status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id"), index=True)
    observation_date: Mapped[dt.date] = mapped_column(Date)
    period_label: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))
    methodology_id: Mapped[str] = mapped_column(String(100))
    methodology_sha256: Mapped[str] = mapped_column(String(64))
    total: Mapped[float | None] = mapped_column(Double)
    grade: Mapped[str | None] = mapped_column(String(20))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("observations.id"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    created_by: Mapped[str] = mapped_column(String(64))


class MarginChangeRow(Base):
    __tablename__ = "margin_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id"), index=True)
    observation_id: Mapped[int | None] = mapped_column(ForeignKey("observations.id"))
    effective_date: Mapped[dt.date] = mapped_column(Date)
    adjustment_bp: Mapped[float] = mapped_column(Double)
    margin_bp: Mapped[float] = mapped_column(Double)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    created_by: Mapped[str] = mapped_column(String(64))


class StatementRow(Base):
    __tablename__ = "statements"
    __table_args__ = (CheckConstraint(_in("status", STATEMENT_STATUSES), name="status"),
                      CheckConstraint(_in("signature_status", SIGNATURE_STATUSES), name="signature_status"))
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    deal_id: Mapped[str | None] = mapped_column(ForeignKey("deals.id"))
    facility_id: Mapped[str] = mapped_column(ForeignKey("facilities.id"))
    period_label: Mapped[str | None] = mapped_column(String(50))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    signature_status: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    issued_at: Mapped[dt.datetime | None] = mapped_column()
    restates_id: Mapped[str | None] = mapped_column(ForeignKey("statements.id"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    created_by: Mapped[str] = mapped_column(String(64))


class SimulationRow(Base):
    __tablename__ = "simulations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    facility_id: Mapped[str] = mapped_column(ForeignKey("facilities.id"), index=True)
    deal_id: Mapped[str | None] = mapped_column(ForeignKey("deals.id"))
    name: Mapped[str] = mapped_column(String(200))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    created_by: Mapped[str] = mapped_column(String(64))


# ---------------------------------------------------------------- revision 0003: deal-book inputs

class MonthlyRow(Base):
    """One month of a facility's metered series (what a ``data/monthly/*.csv`` row holds).

    ``values`` maps each numeric column (named with its unit, :data:`index.forecast.MONTHLY_UNITS`) to its
    value; replaced in place when the operator uploads the month again (the audit log keeps the old values).
    """

    __tablename__ = "monthly_data"
    facility_id: Mapped[str] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_now)
    updated_by: Mapped[str] = mapped_column(String(64))


class TargetsSettingsRow(Base):
    """A version of a deal's targets settings (append-only: a change is a new version)."""

    __tablename__ = "targets_settings"
    __table_args__ = (UniqueConstraint("deal_id", "version", name="uq_targets_settings_deal_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    created_by: Mapped[str] = mapped_column(String(64))


class LeverPresetRow(Base):
    """A named set of operator levers (``{"levers": [...]}``); ``facility_id`` None = any facility."""

    __tablename__ = "lever_presets"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    facility_id: Mapped[str | None] = mapped_column(ForeignKey("facilities.id"), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_now)
    updated_by: Mapped[str] = mapped_column(String(64))


class VerifierRow(Base):
    """A verification body's identity (the ``[verifier]`` table; never a key or a key path)."""

    __tablename__ = "verifiers"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_now)
    updated_by: Mapped[str] = mapped_column(String(64))


class EngagementRow(Base):
    """A version of the verifier's engagement for one observation period of a deal (append-only)."""

    __tablename__ = "engagements"
    __table_args__ = (UniqueConstraint("deal_id", "period_label", "version",
                                       name="uq_engagements_deal_period_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id"), index=True)
    period_label: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    created_by: Mapped[str] = mapped_column(String(64))


# ------------------------------------------------------------------------------------------ interval data

class IntervalSeriesRow(Base):
    """A version of a facility's interval meter data for one period (issue 15; append-only).

    The validated readings (``meter``, ``channel``, ``start`` UTC, ``kwh``; measured only, never gap-filled
    values) are kept as one zstd-compressed Parquet file in ``parquet``: columnar and ~10× smaller than the
    CSV (3.5 million 15-minute rows: about 16–17 MB, ``bench/bench_cfe.py``), on SQLite and PostgreSQL alike.
    """

    __tablename__ = "interval_series"
    __table_args__ = (UniqueConstraint("facility_id", "period", "version", name="uq_interval_series_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    facility_id: Mapped[str] = mapped_column(ForeignKey("facilities.id"), index=True)
    period: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer)
    parquet: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[dt.datetime] = mapped_column()
    window_end: Mapped[dt.datetime] = mapped_column()
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    created_by: Mapped[str] = mapped_column(String(64))


# ------------------------------------------------------------------ the monitoring loop (issue 12, 0005_monitoring)


class DealVersionRow(Base):
    """Every saved version of a deal document, with the reason of an amendment (append-only).

    ``deals`` holds the current version; this table keeps each one (the first with ``reason`` NULL or
    "created"), so an amended deal's old terms stay readable.
    """

    __tablename__ = "deal_versions"
    __table_args__ = (UniqueConstraint("deal_id", "version", name="uq_deal_versions_deal_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))         # created | updated | amended
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    created_by: Mapped[str] = mapped_column(String(64))


class MonitoringRecordRow(Base):
    """What the deal book recorded for one observation date of a deal (append-only).

    ``status = 'verified'``: from an issued statement (its id and the PDF's SHA-256, the certificate delivery
    date), one row per statement (``statement_id`` unique: the same statement is never recorded twice).
    ``status = 'reported'``: the operator's figures before verification (indicative only). A later record of
    the same date and status supersedes the earlier one (``supersedes_id``), e.g. after a restated statement.
    """

    __tablename__ = "monitoring_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id"), index=True)
    observation_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    kpis: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcomes: Mapped[dict[str, Any]] = mapped_column(JSON)
    grade: Mapped[str | None] = mapped_column(String(20))
    statement_id: Mapped[str | None] = mapped_column(ForeignKey("statements.id"), unique=True)
    statement_sha256: Mapped[str | None] = mapped_column(String(64))
    certificate_delivered: Mapped[dt.date | None] = mapped_column(Date)
    reported_on: Mapped[dt.date | None] = mapped_column(Date)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_records.id"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    created_by: Mapped[str] = mapped_column(String(64))


class MarginChangeRecordRow(Base):
    """A margin change prepared by a credit officer from the record (append-only; its decision is a row of
    ``margin_change_decisions``). ``change_key`` names the change (deal / observation date / kind / statement)
    and ``attempt`` counts preparations of it (a new one only after a rejection)."""

    __tablename__ = "margin_change_records"
    __table_args__ = (UniqueConstraint("change_key", "attempt", name="uq_margin_change_records_key_attempt"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id"), index=True)
    change_key: Mapped[str] = mapped_column(String(300))
    attempt: Mapped[int] = mapped_column(Integer)
    observation_date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(30))
    effective_date: Mapped[dt.date] = mapped_column(Date)
    adjustment_bp: Mapped[float] = mapped_column(Double)
    margin_before_bp: Mapped[float] = mapped_column(Double)
    margin_after_bp: Mapped[float] = mapped_column(Double)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_records.id"))
    change: Mapped[dict[str, Any]] = mapped_column(JSON)
    prepared_at: Mapped[dt.datetime] = mapped_column(default=_now)
    prepared_by: Mapped[str] = mapped_column(String(64))


class MarginChangeDecisionRow(Base):
    """The second credit officer's decision on a prepared margin change (one per change, append-only)."""

    __tablename__ = "margin_change_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("margin_change_records.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(20))     # approved | rejected
    note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime] = mapped_column(default=_now)
    decided_by: Mapped[str] = mapped_column(String(64))


class MarginNoticeRow(Base):
    """A margin-change notice as sent to loan operations: PDF and JSON (append-only)."""

    __tablename__ = "margin_notices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("margin_change_records.id"), index=True)
    notice_id: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    created_by: Mapped[str] = mapped_column(String(64))
