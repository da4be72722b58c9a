"""Core deal book: users and roles, methodologies, facilities, periods, figures, deals, audit log.

Revision ID: 0001_core
Revises:
Create Date: 2025-11-21
"""

import sqlalchemy as sa
from alembic import op

from store.migrations._guards import create_guard, drop_guard

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200)),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("username", name="pk_users"),
    )
    op.create_table(
        "user_roles",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.CheckConstraint("role IN ('credit_officer', 'operator', 'verifier', 'admin')",
                           name="ck_user_roles_role"),
        sa.ForeignKeyConstraint(["username"], ["users.username"], name="fk_user_roles_username_users"),
        sa.PrimaryKeyConstraint("username", "role", name="pk_user_roles"),
    )
    op.create_table(
        "methodologies",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("title", sa.String(300)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", "version", name="pk_methodologies"),
        sa.UniqueConstraint("sha256", name="uq_methodologies_sha256"),
    )
    op.create_table(
        "facilities",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("name_zh", sa.String(300)),
        sa.Column("operator", sa.String(300)),
        sa.Column("province", sa.String(50), nullable=False),
        sa.Column("grid_region", sa.String(50)),
        sa.Column("hub_node", sa.String(100)),
        sa.Column("cluster", sa.String(100)),
        sa.Column("computing_type", sa.String(30), nullable=False),
        sa.Column("lifecycle_stage", sa.String(30), nullable=False),
        sa.Column("commissioning_date", sa.Date()),
        sa.Column("cooling", sa.Text()),
        sa.Column("source", sa.Text()),
        sa.Column("notes", sa.Text()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_facilities"),
    )
    op.create_table(
        "facility_operators",
        sa.Column("facility_id", sa.String(100), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["facility_id"], ["facilities.id"],
                                name="fk_facility_operators_facility_id_facilities"),
        sa.ForeignKeyConstraint(["username"], ["users.username"], name="fk_facility_operators_username_users"),
        sa.PrimaryKeyConstraint("facility_id", "username", name="pk_facility_operators"),
    )
    op.create_table(
        "periods",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("facility_id", sa.String(100), nullable=False),
        sa.Column("label", sa.String(50), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source", sa.Text()),
        sa.Column("compute_precision", sa.String(10)),
        sa.Column("gpu_utilisation_definition", sa.Text()),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text()),
        sa.CheckConstraint("status IN ('design', 'reported', 'verified')", name="ck_periods_status"),
        sa.ForeignKeyConstraint(["facility_id"], ["facilities.id"], name="fk_periods_facility_id_facilities"),
        sa.PrimaryKeyConstraint("id", name="pk_periods"),
        sa.UniqueConstraint("facility_id", "label", name="uq_periods_facility_label"),
    )
    op.create_table(
        "figures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("facility_id", sa.String(100), nullable=False),
        sa.Column("period_id", sa.Integer()),
        sa.Column("field", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.Double()),
        sa.Column("text", sa.Text()),
        sa.Column("items", sa.JSON()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source", sa.Text()),
        sa.Column("restates_id", sa.Integer()),
        sa.Column("reason", sa.Text()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.CheckConstraint("status IN ('design', 'reported', 'verified')", name="ck_figures_status"),
        sa.CheckConstraint("kind IN ('number', 'category', 'checklist', 'refrigerant', 'removed')",
                           name="ck_figures_kind"),
        sa.ForeignKeyConstraint(["facility_id"], ["facilities.id"], name="fk_figures_facility_id_facilities"),
        sa.ForeignKeyConstraint(["period_id"], ["periods.id"], name="fk_figures_period_id_periods"),
        sa.ForeignKeyConstraint(["restates_id"], ["figures.id"], name="fk_figures_restates_id_figures"),
        sa.PrimaryKeyConstraint("id", name="pk_figures"),
        sa.UniqueConstraint("restates_id", name="uq_figures_restates_id"),
    )
    op.create_index("ix_figures_facility_period_field", "figures", ["facility_id", "period_id", "field"])
    op.create_table(
        "deals",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("facility_id", sa.String(100), nullable=False),
        sa.Column("borrower", sa.String(300)),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.Double(), nullable=False),
        sa.Column("margin_bp", sa.Double()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["facility_id"], ["facilities.id"], name="fk_deals_facility_id_facilities"),
        sa.PrimaryKeyConstraint("id", name="pk_deals"),
    )
    op.create_index("ix_deals_facility_id", "deals", ["facility_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("entity_key", sa.String(200), nullable=False),
        sa.Column("before", sa.JSON()),
        sa.Column("after", sa.JSON()),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_entity_key", "audit_log", ["entity_key"])

    create_guard(op, "audit_log", "audit_log_append_only",
                 "the audit log is append-only")
    create_guard(op, "figures", "figures_verified_immutable",
                 "a verified figure is immutable; record a restatement instead", when="OLD.status = 'verified'")
    create_guard(op, "methodologies", "methodologies_immutable",
                 "a stored methodology is immutable; save a new version instead")


def downgrade() -> None:
    for table, name in (("methodologies", "methodologies_immutable"), ("figures", "figures_verified_immutable"),
                        ("audit_log", "audit_log_append_only")):
        drop_guard(op, table, name)
    op.drop_index("ix_audit_log_entity_key", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_deals_facility_id", table_name="deals")
    op.drop_table("deals")
    op.drop_index("ix_figures_facility_period_field", table_name="figures")
    for t in ("figures", "periods", "facility_operators", "facilities", "methodologies", "user_roles", "users"):
        op.drop_table(t)
