"""Ratchet terms, baselines and SPTs with recalculation history, observations, margin changes,
verification statements and simulations.

Revision ID: 0002_terms_results
Revises: 0001_core
Create Date: 2025-11-21
"""

import sqlalchemy as sa
from alembic import op

from store.migrations._guards import create_guard, drop_guard

revision = "0002_terms_results"
down_revision = "0001_core"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _fk(table: str, col: str, ref: str) -> sa.ForeignKeyConstraint:
    rt, rc = ref.split(".")
    return sa.ForeignKeyConstraint([col], [ref], name=f"fk_{table}_{col}_{rt}")


def upgrade() -> None:
    op.create_table(
        "ratchet_terms",
        sa.Column("deal_id", sa.String(100), nullable=False),
        sa.Column("design", sa.String(30)),
        sa.Column("cap_bp", sa.Double()),
        sa.Column("margin_floor_bp", sa.Double()),
        sa.Column("document", sa.JSON(), nullable=False),
        _fk("ratchet_terms", "deal_id", "deals.id"),
        sa.PrimaryKeyConstraint("deal_id", name="pk_ratchet_terms"),
    )
    op.create_table(
        "baselines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deal_id", sa.String(100), nullable=False),
        sa.Column("kpi", sa.String(50), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("unit", sa.String(30)),
        sa.Column("period_label", sa.String(50)),
        sa.Column("methodology_id", sa.String(100)),
        sa.Column("methodology_sha256", sa.String(64)),
        sa.Column("supersedes_id", sa.Integer()),
        sa.Column("reason", sa.Text()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _fk("baselines", "deal_id", "deals.id"),
        _fk("baselines", "supersedes_id", "baselines.id"),
        sa.PrimaryKeyConstraint("id", name="pk_baselines"),
        sa.UniqueConstraint("supersedes_id", name="uq_baselines_supersedes_id"),
    )
    op.create_index("ix_baselines_deal_id", "baselines", ["deal_id"])
    op.create_table(
        "spts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deal_id", sa.String(100), nullable=False),
        sa.Column("kpi", sa.String(50), nullable=False),
        sa.Column("observation_date", sa.Date(), nullable=False),
        sa.Column("target", sa.Double(), nullable=False),
        sa.Column("baseline_id", sa.Integer()),
        sa.Column("supersedes_id", sa.Integer()),
        sa.Column("reason", sa.Text()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _fk("spts", "deal_id", "deals.id"),
        _fk("spts", "baseline_id", "baselines.id"),
        _fk("spts", "supersedes_id", "spts.id"),
        sa.PrimaryKeyConstraint("id", name="pk_spts"),
        sa.UniqueConstraint("supersedes_id", name="uq_spts_supersedes_id"),
    )
    op.create_index("ix_spts_deal_id", "spts", ["deal_id"])
    op.create_table(
        "observations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deal_id", sa.String(100), nullable=False),
        sa.Column("observation_date", sa.Date(), nullable=False),
        sa.Column("period_label", sa.String(50), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("methodology_id", sa.String(100), nullable=False),
        sa.Column("methodology_sha256", sa.String(64), nullable=False),
        sa.Column("total", sa.Double()),
        sa.Column("grade", sa.String(20)),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("supersedes_id", sa.Integer()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.CheckConstraint("status IN ('simulated', 'reported', 'verified')", name="ck_observations_status"),
        _fk("observations", "deal_id", "deals.id"),
        _fk("observations", "supersedes_id", "observations.id"),
        sa.PrimaryKeyConstraint("id", name="pk_observations"),
        sa.UniqueConstraint("supersedes_id", name="uq_observations_supersedes_id"),
    )
    op.create_index("ix_observations_deal_id", "observations", ["deal_id"])
    op.create_table(
        "margin_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deal_id", sa.String(100), nullable=False),
        sa.Column("observation_id", sa.Integer()),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("adjustment_bp", sa.Double(), nullable=False),
        sa.Column("margin_bp", sa.Double(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _fk("margin_changes", "deal_id", "deals.id"),
        _fk("margin_changes", "observation_id", "observations.id"),
        sa.PrimaryKeyConstraint("id", name="pk_margin_changes"),
    )
    op.create_index("ix_margin_changes_deal_id", "margin_changes", ["deal_id"])
    op.create_table(
        "statements",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("deal_id", sa.String(100)),
        sa.Column("facility_id", sa.String(100), nullable=False),
        sa.Column("period_label", sa.String(50)),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("signature_status", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("issued_at", TS),
        sa.Column("restates_id", sa.String(100)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'issued')", name="ck_statements_status"),
        sa.CheckConstraint("signature_status IN ('unsigned', 'signed', 'signature_valid', 'signature_invalid')",
                           name="ck_statements_signature_status"),
        _fk("statements", "deal_id", "deals.id"),
        _fk("statements", "facility_id", "facilities.id"),
        _fk("statements", "restates_id", "statements.id"),
        sa.PrimaryKeyConstraint("id", name="pk_statements"),
        sa.UniqueConstraint("restates_id", name="uq_statements_restates_id"),
    )
    op.create_table(
        "simulations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("facility_id", sa.String(100), nullable=False),
        sa.Column("deal_id", sa.String(100)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _fk("simulations", "facility_id", "facilities.id"),
        _fk("simulations", "deal_id", "deals.id"),
        sa.PrimaryKeyConstraint("id", name="pk_simulations"),
    )
    op.create_index("ix_simulations_facility_id", "simulations", ["facility_id"])

    create_guard(op, "statements", "statements_issued_immutable",
                 "an issued statement is immutable; save a restated statement instead", when="OLD.status = 'issued'")
    for t in ("baselines", "spts", "observations", "margin_changes"):
        create_guard(op, t, f"{t}_append_only",
                     f"{t} keep their history; record a new row that supersedes the old one")


def downgrade() -> None:
    drop_guard(op, "statements", "statements_issued_immutable")
    for t in ("baselines", "spts", "observations", "margin_changes"):
        drop_guard(op, t, f"{t}_append_only")
    for t, ix in (("simulations", "facility_id"), ("margin_changes", "deal_id"), ("observations", "deal_id"),
                  ("spts", "deal_id"), ("baselines", "deal_id")):
        op.drop_index(f"ix_{t}_{ix}", table_name=t)
    for t in ("simulations", "statements", "margin_changes", "observations", "spts", "baselines", "ratchet_terms"):
        op.drop_table(t)
