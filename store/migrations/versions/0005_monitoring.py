"""The annual monitoring loop (issue 12): deal versions, recorded observations, prepared / approved margin
changes and margin-change notices. Every table is append-only (database triggers).

Existing deals get their current document as their first ``deal_versions`` row.

Revision ID: 0005_monitoring
Revises: 0004_intervals
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from store.migrations._guards import create_guard, drop_guard

revision = "0005_monitoring"
down_revision = "0004_intervals"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
TABLES = ("deal_versions", "monitoring_records", "margin_change_records", "margin_change_decisions", "margin_notices")


def _fk(table: str, col: str, target: str) -> sa.ForeignKeyConstraint:
    ref_table, ref_col = target.split(".")
    return sa.ForeignKeyConstraint([col], [target], name=f"fk_{table}_{col}_{ref_table}")


def upgrade() -> None:
    op.create_table(
        "deal_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deal_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _fk("deal_versions", "deal_id", "deals.id"),
        sa.PrimaryKeyConstraint("id", name="pk_deal_versions"),
        sa.UniqueConstraint("deal_id", "version", name="uq_deal_versions_deal_version"),
    )
    op.create_index("ix_deal_versions_deal_id", "deal_versions", ["deal_id"])
    op.execute("INSERT INTO deal_versions (deal_id, version, document, reason, kind, created_at, created_by) "
               "SELECT id, version, document, NULL, 'created', updated_at, updated_by FROM deals")

    op.create_table(
        "monitoring_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deal_id", sa.String(100), nullable=False),
        sa.Column("observation_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("kpis", sa.JSON(), nullable=False),
        sa.Column("outcomes", sa.JSON(), nullable=False),
        sa.Column("grade", sa.String(20)),
        sa.Column("statement_id", sa.String(100)),
        sa.Column("statement_sha256", sa.String(64)),
        sa.Column("certificate_delivered", sa.Date()),
        sa.Column("reported_on", sa.Date()),
        sa.Column("supersedes_id", sa.Integer()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _fk("monitoring_records", "deal_id", "deals.id"),
        _fk("monitoring_records", "statement_id", "statements.id"),
        _fk("monitoring_records", "supersedes_id", "monitoring_records.id"),
        sa.PrimaryKeyConstraint("id", name="pk_monitoring_records"),
        sa.UniqueConstraint("statement_id", name="uq_monitoring_records_statement_id"),
        sa.UniqueConstraint("supersedes_id", name="uq_monitoring_records_supersedes_id"),
    )
    op.create_index("ix_monitoring_records_deal_id", "monitoring_records", ["deal_id"])

    op.create_table(
        "margin_change_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deal_id", sa.String(100), nullable=False),
        sa.Column("change_key", sa.String(300), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("observation_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("adjustment_bp", sa.Double(), nullable=False),
        sa.Column("margin_before_bp", sa.Double(), nullable=False),
        sa.Column("margin_after_bp", sa.Double(), nullable=False),
        sa.Column("record_id", sa.Integer()),
        sa.Column("change", sa.JSON(), nullable=False),
        sa.Column("prepared_at", TS, nullable=False),
        sa.Column("prepared_by", sa.String(64), nullable=False),
        _fk("margin_change_records", "deal_id", "deals.id"),
        _fk("margin_change_records", "record_id", "monitoring_records.id"),
        sa.PrimaryKeyConstraint("id", name="pk_margin_change_records"),
        sa.UniqueConstraint("change_key", "attempt", name="uq_margin_change_records_key_attempt"),
    )
    op.create_index("ix_margin_change_records_deal_id", "margin_change_records", ["deal_id"])

    op.create_table(
        "margin_change_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("decided_at", TS, nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=False),
        _fk("margin_change_decisions", "change_id", "margin_change_records.id"),
        sa.PrimaryKeyConstraint("id", name="pk_margin_change_decisions"),
        sa.UniqueConstraint("change_id", name="uq_margin_change_decisions_change_id"),
    )

    op.create_table(
        "margin_notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.String(200), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("pdf", sa.LargeBinary()),
        sa.Column("sha256", sa.String(64)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _fk("margin_notices", "change_id", "margin_change_records.id"),
        sa.PrimaryKeyConstraint("id", name="pk_margin_notices"),
    )
    op.create_index("ix_margin_notices_change_id", "margin_notices", ["change_id"])

    for t in TABLES:
        create_guard(op, t, f"{t}_append_only", f"{t} keep their history; record a new row instead")


def downgrade() -> None:
    for t in TABLES:
        drop_guard(op, t, f"{t}_append_only")
    op.drop_index("ix_margin_notices_change_id", table_name="margin_notices")
    op.drop_index("ix_margin_change_records_deal_id", table_name="margin_change_records")
    op.drop_index("ix_monitoring_records_deal_id", table_name="monitoring_records")
    op.drop_index("ix_deal_versions_deal_id", table_name="deal_versions")
    for t in reversed(TABLES):
        op.drop_table(t)
