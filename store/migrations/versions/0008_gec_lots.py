"""Green-certificate (GEC) lot evidence of facility periods (issue 14): table ``gec_lots``, append-only.

Each save that changes a period's certificate evidence appends a new ``version`` of it: the lots (registry
serial / lot id, MWh, vintage, market, beneficiary, cancellation record), the certificate ids settled in bundled
green-power trading and those sold from on-site generation (the GHG Protocol Scope 2 quality criteria the
engine checks, ``index.engine.gec_lot_problems``). Rows are never updated or deleted (guard triggers, as for
figures; SQLite REPLACE-proof, PostgreSQL TRUNCATE-proof as in 0006_integrity).

Revision ID: 0008_gec_lots
Revises: 0007_verified_guard
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from store.migrations._guards import MARKER, PG_FUNCTION, create_guard, drop_guard

revision = "0008_gec_lots"
down_revision = "0007_verified_guard"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
#: the guarded table's unique keys (conditions on NEW against a row ``t``), as 0006_integrity.UNIQUE_KEYS
UNIQUE_KEYS = {"gec_lots": ("t.id = NEW.id",
                            "t.period_id = NEW.period_id AND t.version = NEW.version AND t.seq = NEW.seq")}


def upgrade() -> None:
    op.create_table(
        "gec_lots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("facility_id", sa.String(100), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("lot_id", sa.String(200)),
        sa.Column("mwh", sa.Double()),
        sa.Column("generation_start", sa.Date()),
        sa.Column("generation_end", sa.Date()),
        sa.Column("market", sa.String(20)),
        sa.Column("retired_for", sa.Text()),
        sa.Column("evidence", sa.Text()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source", sa.Text()),
        sa.Column("reason", sa.Text()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.CheckConstraint("kind IN ('lot', 'green_trading_id', 'onsite_sold_id', 'empty')", name="ck_gec_lots_kind"),
        sa.CheckConstraint("status IN ('design', 'reported', 'verified')", name="ck_gec_lots_status"),
        sa.ForeignKeyConstraint(["facility_id"], ["facilities.id"], name="fk_gec_lots_facility_id_facilities"),
        sa.ForeignKeyConstraint(["period_id"], ["periods.id"], name="fk_gec_lots_period_id_periods"),
        sa.PrimaryKeyConstraint("id", name="pk_gec_lots"),
        sa.UniqueConstraint("period_id", "version", "seq", name="uq_gec_lots_period_version_seq"),
    )
    op.create_index("ix_gec_lots_facility_id", "gec_lots", ["facility_id"])
    op.create_index("ix_gec_lots_lot_id", "gec_lots", ["lot_id"])
    create_guard(op, "gec_lots", "gec_lots_append_only",
                 "GEC lot evidence is append-only; save a new version of the evidence")
    dialect = op.get_bind().dialect.name
    for table, keys in UNIQUE_KEYS.items():
        if dialect == "sqlite":
            same = " OR ".join(f"({k})" for k in keys)
            msg = f"{MARKER} %s on {table} refused: the row would replace an existing row (same key)"
            op.execute(f"CREATE TRIGGER {table}_no_replace_insert BEFORE INSERT ON {table} FOR EACH ROW "
                       f"WHEN EXISTS (SELECT 1 FROM {table} t WHERE t.rowid = NEW.rowid OR {same}) "
                       f"BEGIN SELECT RAISE(ABORT, '{msg % 'INSERT'}'); END")
            op.execute(f"CREATE TRIGGER {table}_no_replace_update BEFORE UPDATE ON {table} FOR EACH ROW "
                       f"WHEN EXISTS (SELECT 1 FROM {table} t WHERE t.rowid <> OLD.rowid AND "
                       f"(t.rowid = NEW.rowid OR {same})) "
                       f"BEGIN SELECT RAISE(ABORT, '{msg % 'UPDATE'}'); END")
        elif dialect == "postgresql":
            op.execute(PG_FUNCTION)
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
                       f"EXECUTE FUNCTION dcsll_refuse_change('{table} keeps its history; TRUNCATE is refused')")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in UNIQUE_KEYS:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace_insert")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace_update")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    drop_guard(op, "gec_lots", "gec_lots_append_only")
    op.drop_index("ix_gec_lots_lot_id", table_name="gec_lots")
    op.drop_index("ix_gec_lots_facility_id", table_name="gec_lots")
    op.drop_table("gec_lots")
