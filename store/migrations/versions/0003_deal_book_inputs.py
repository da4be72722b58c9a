"""Deal-book inputs that lived only in files: monthly metered series, targets settings, lever presets,
verifier identities and engagements.

Targets settings and engagements are versioned and append-only (a change is a new version; database
triggers refuse UPDATE and DELETE). Monthly months, lever presets and verifier identities are replaced in
place; the audit log keeps every earlier value.

Revision ID: 0003_deal_book_inputs
Revises: 0002_terms_results
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from store.migrations._guards import create_guard, drop_guard

revision = "0003_deal_book_inputs"
down_revision = "0002_terms_results"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
APPEND_ONLY = ("targets_settings", "engagements")


def _fk(table: str, col: str, ref: str) -> sa.ForeignKeyConstraint:
    rt, _rc = ref.split(".")
    return sa.ForeignKeyConstraint([col], [ref], name=f"fk_{table}_{col}_{rt}")


def upgrade() -> None:
    op.create_table(
        "monthly_data",
        sa.Column("facility_id", sa.String(100), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20)),
        sa.Column("source", sa.Text()),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        _fk("monthly_data", "facility_id", "facilities.id"),
        sa.PrimaryKeyConstraint("facility_id", "month", name="pk_monthly_data"),
    )
    op.create_table(
        "targets_settings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deal_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _fk("targets_settings", "deal_id", "deals.id"),
        sa.PrimaryKeyConstraint("id", name="pk_targets_settings"),
        sa.UniqueConstraint("deal_id", "version", name="uq_targets_settings_deal_version"),
    )
    op.create_index("ix_targets_settings_deal_id", "targets_settings", ["deal_id"])
    op.create_table(
        "lever_presets",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("facility_id", sa.String(100)),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        _fk("lever_presets", "facility_id", "facilities.id"),
        sa.PrimaryKeyConstraint("name", name="pk_lever_presets"),
    )
    op.create_index("ix_lever_presets_facility_id", "lever_presets", ["facility_id"])
    op.create_table(
        "verifiers",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_verifiers"),
    )
    op.create_table(
        "engagements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deal_id", sa.String(100), nullable=False),
        sa.Column("period_label", sa.String(50), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _fk("engagements", "deal_id", "deals.id"),
        sa.PrimaryKeyConstraint("id", name="pk_engagements"),
        sa.UniqueConstraint("deal_id", "period_label", "version", name="uq_engagements_deal_period_version"),
    )
    op.create_index("ix_engagements_deal_id", "engagements", ["deal_id"])
    for t in APPEND_ONLY:
        create_guard(op, t, f"{t}_append_only", f"{t} are versioned; save a new version instead")


def downgrade() -> None:
    for t in APPEND_ONLY:
        drop_guard(op, t, f"{t}_append_only")
    op.drop_index("ix_engagements_deal_id", table_name="engagements")
    op.drop_index("ix_lever_presets_facility_id", table_name="lever_presets")
    op.drop_index("ix_targets_settings_deal_id", table_name="targets_settings")
    for t in ("engagements", "verifiers", "lever_presets", "targets_settings", "monthly_data"):
        op.drop_table(t)
