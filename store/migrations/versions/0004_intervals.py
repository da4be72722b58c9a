"""Interval meter data per facility and period (issue 15): versioned, append-only Parquet blobs.

Revision ID: 0004_intervals
Revises: 0003_deal_book_inputs
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from store.migrations._guards import create_guard, drop_guard

revision = "0004_intervals"
down_revision = "0003_deal_book_inputs"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "interval_series",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("facility_id", sa.String(100), nullable=False),
        sa.Column("period", sa.String(50), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("parquet", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("window_start", TS, nullable=False),
        sa.Column("window_end", TS, nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["facility_id"], ["facilities.id"], name="fk_interval_series_facility_id_facilities"),
        sa.PrimaryKeyConstraint("id", name="pk_interval_series"),
        sa.UniqueConstraint("facility_id", "period", "version", name="uq_interval_series_version"),
    )
    op.create_index("ix_interval_series_facility_id", "interval_series", ["facility_id"])
    create_guard(op, "interval_series", "interval_series_append_only",
                 "interval data is versioned; save a new version instead")


def downgrade() -> None:
    drop_guard(op, "interval_series", "interval_series_append_only")
    op.drop_index("ix_interval_series_facility_id", table_name="interval_series")
    op.drop_table("interval_series")
