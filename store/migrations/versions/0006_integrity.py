"""The record cannot be rewritten (issue 13): audit hash chain, REPLACE-proof and TRUNCATE-proof guards,
verified figures only by verifiers, one current baseline/SPT, optimistic locking of facilities.

* ``audit_log.prev_hash`` / ``row_hash`` (:mod:`store.auditchain`); existing rows are chained here, in id
  order; a trigger refuses a new row that does not extend the chain (``prev_hash`` = last ``row_hash``).
* SQLite: ``INSERT OR REPLACE`` / ``REPLACE INTO`` / ``UPDATE OR REPLACE`` delete the conflicting row without
  firing DELETE triggers (unless ``PRAGMA recursive_triggers``), so every guarded table gets BEFORE INSERT and
  BEFORE UPDATE triggers refusing a row whose unique key (or rowid) is already held by another row.
* PostgreSQL: ``BEFORE TRUNCATE`` statement triggers on every guarded table (``DISABLE``/``DROP TRIGGER`` are
  kept from the app by running it as a role that owns nothing, :mod:`store.pgroles`).
* Figures are append-only as a whole (an UPDATE could turn a reported row into a verified one), and a figure
  inserted as ``verified`` must be created by an active user holding the ``verifier`` role; likewise a statement
  inserted or updated as ``issued``.
* Partial unique indexes: one current (not superseding) first baseline per deal and KPI and one first SPT per
  deal, KPI and observation date, so two concurrent first ``set_baseline`` / ``set_spt`` cannot both succeed.
* ``facilities.version`` for optimistic locking (``save_facility(..., expected_version=n)``).

Revision ID: 0006_integrity
Revises: 0004_intervals  (the lead re-points this to 0005_monitoring when merging)
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from store.auditchain import GENESIS, row_hash
from store.migrations._guards import MARKER, PG_FUNCTION, create_guard, drop_guard

revision = "0006_integrity"
down_revision = "0005_monitoring"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

#: guarded table -> SQL conditions (on NEW, against a row ``t`` of the same table) that mean "same unique key"
UNIQUE_KEYS: dict[str, tuple[str, ...]] = {
    "audit_log": ("t.id = NEW.id",),
    "figures": ("t.id = NEW.id", "t.restates_id = NEW.restates_id"),
    "methodologies": ("t.id = NEW.id AND t.version = NEW.version", "t.sha256 = NEW.sha256"),
    "statements": ("t.id = NEW.id", "t.restates_id = NEW.restates_id"),
    "baselines": ("t.id = NEW.id", "t.supersedes_id = NEW.supersedes_id",
                  "NEW.supersedes_id IS NULL AND t.supersedes_id IS NULL AND t.deal_id = NEW.deal_id "
                  "AND t.kpi = NEW.kpi"),
    "spts": ("t.id = NEW.id", "t.supersedes_id = NEW.supersedes_id",
             "NEW.supersedes_id IS NULL AND t.supersedes_id IS NULL AND t.deal_id = NEW.deal_id "
             "AND t.kpi = NEW.kpi AND t.observation_date = NEW.observation_date"),
    "observations": ("t.id = NEW.id", "t.supersedes_id = NEW.supersedes_id"),
    "margin_changes": ("t.id = NEW.id",),
    "targets_settings": ("t.id = NEW.id", "t.deal_id = NEW.deal_id AND t.version = NEW.version"),
    "engagements": ("t.id = NEW.id",
                    "t.deal_id = NEW.deal_id AND t.period_label = NEW.period_label AND t.version = NEW.version"),
    "interval_series": ("t.id = NEW.id",
                        "t.facility_id = NEW.facility_id AND t.period = NEW.period AND t.version = NEW.version"),
    # the monitoring record of 0005_monitoring (append-only)
    "deal_versions": ("t.id = NEW.id", "t.deal_id = NEW.deal_id AND t.version = NEW.version"),
    "monitoring_records": ("t.id = NEW.id", "t.statement_id = NEW.statement_id", "t.supersedes_id = NEW.supersedes_id"),
    "margin_change_records": ("t.id = NEW.id", "t.change_key = NEW.change_key AND t.attempt = NEW.attempt"),
    "margin_change_decisions": ("t.id = NEW.id", "t.change_id = NEW.change_id"),
    "margin_notices": ("t.id = NEW.id",),
}

PG_REQUIRE_VERIFIER = f"""
CREATE OR REPLACE FUNCTION dcsll_require_verifier() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM user_roles r JOIN users u ON u.username = r.username
                   WHERE r.username = NEW.created_by AND r.role = 'verifier' AND u.active) THEN
        RAISE EXCEPTION '{MARKER} % on % refused: %', TG_OP, TG_TABLE_NAME, TG_ARGV[0]
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
"""

PG_AUDIT_LINK = f"""
CREATE OR REPLACE FUNCTION dcsll_audit_link() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE last_hash text;
BEGIN
    SELECT row_hash INTO last_hash FROM audit_log ORDER BY id DESC LIMIT 1;
    IF NEW.row_hash IS NULL OR NEW.prev_hash IS DISTINCT FROM COALESCE(last_hash, '{GENESIS}') THEN
        RAISE EXCEPTION '{MARKER} INSERT on audit_log refused: a new audit row must extend the hash chain '
            '(prev_hash = row_hash of the last row)' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
"""

VERIFIER_MSG = "only a user with the verifier role creates a verified figure"
STATEMENT_MSG = "only a statement created by a user with the verifier role is issued"
_SQLITE_NOT_VERIFIER = ("NOT EXISTS (SELECT 1 FROM user_roles r JOIN users u ON u.username = r.username "
                        "WHERE r.username = NEW.created_by AND r.role = 'verifier' AND u.active)")


def _sqlite_unique_guards(table: str, keys: tuple[str, ...]) -> None:
    same = " OR ".join(f"({k})" for k in keys)
    msg = f"{MARKER} %s on {table} refused: the row would replace an existing row (same key)"
    op.execute(f"CREATE TRIGGER {table}_no_replace_insert BEFORE INSERT ON {table} FOR EACH ROW "
               f"WHEN EXISTS (SELECT 1 FROM {table} t WHERE t.rowid = NEW.rowid OR {same}) "
               f"BEGIN SELECT RAISE(ABORT, '{msg % 'INSERT'}'); END")
    op.execute(f"CREATE TRIGGER {table}_no_replace_update BEFORE UPDATE ON {table} FOR EACH ROW "
               f"WHEN EXISTS (SELECT 1 FROM {table} t WHERE t.rowid <> OLD.rowid AND "
               f"(t.rowid = NEW.rowid OR {same})) "
               f"BEGIN SELECT RAISE(ABORT, '{msg % 'UPDATE'}'); END")


def _chain_existing_rows(bind) -> None:
    audit = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("at", TS), sa.column("actor"),
                     sa.column("action"), sa.column("entity"), sa.column("entity_key"),
                     sa.column("before", sa.JSON), sa.column("after", sa.JSON), sa.column("prev_hash"),
                     sa.column("row_hash"))
    prev = GENESIS
    rows = bind.execute(sa.select(audit).order_by(audit.c.id)).mappings().all()
    for r in rows:
        h = row_hash(prev, r)
        bind.execute(audit.update().where(audit.c.id == r["id"]).values(prev_hash=prev, row_hash=h))
        prev = h


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(64)))
    op.add_column("audit_log", sa.Column("row_hash", sa.String(64)))
    op.add_column("facilities", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    # the append-only guard refuses the UPDATE that chains the existing rows: lift it for this step only
    drop_guard(op, "audit_log", "audit_log_append_only")
    _chain_existing_rows(bind)
    create_guard(op, "audit_log", "audit_log_append_only", "the audit log is append-only")
    op.create_index("uq_baselines_first", "baselines", ["deal_id", "kpi"], unique=True,
                    sqlite_where=sa.text("supersedes_id IS NULL"), postgresql_where=sa.text("supersedes_id IS NULL"))
    op.create_index("uq_spts_first", "spts", ["deal_id", "kpi", "observation_date"], unique=True,
                    sqlite_where=sa.text("supersedes_id IS NULL"), postgresql_where=sa.text("supersedes_id IS NULL"))
    # figures are append-only as a whole (the verified-only guard of 0001 let reported rows be turned verified)
    create_guard(op, "figures", "figures_append_only",
                 "figures are append-only; record a new value (a restatement for a verified one)")
    if dialect == "sqlite":
        for table, keys in UNIQUE_KEYS.items():
            _sqlite_unique_guards(table, keys)
        op.execute(f"CREATE TRIGGER figures_verified_by_verifier BEFORE INSERT ON figures FOR EACH ROW "
                   f"WHEN NEW.status = 'verified' AND NOT EXISTS (SELECT 1 FROM user_roles r JOIN users u "
                   f"ON u.username = r.username WHERE r.username = NEW.created_by AND r.role = 'verifier' "
                   f"AND u.active) BEGIN SELECT RAISE(ABORT, '{MARKER} INSERT on figures refused: "
                   f"{VERIFIER_MSG}'); END")
        for event in ("INSERT", "UPDATE"):
            op.execute(f"CREATE TRIGGER statements_issued_by_verifier_{event.lower()} BEFORE {event} ON statements "
                       f"FOR EACH ROW WHEN NEW.status = 'issued' AND {_SQLITE_NOT_VERIFIER} BEGIN SELECT "
                       f"RAISE(ABORT, '{MARKER} {event} on statements refused: {STATEMENT_MSG}'); END")
        op.execute(f"CREATE TRIGGER audit_log_chain_link BEFORE INSERT ON audit_log FOR EACH ROW "
                   f"WHEN NEW.row_hash IS NULL OR NEW.prev_hash IS NOT COALESCE((SELECT row_hash FROM audit_log "
                   f"ORDER BY id DESC LIMIT 1), '{GENESIS}') BEGIN SELECT RAISE(ABORT, '{MARKER} INSERT on "
                   f"audit_log refused: a new audit row must extend the hash chain "
                   f"(prev_hash = row_hash of the last row)'); END")
    elif dialect == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_REQUIRE_VERIFIER)
        op.execute(PG_AUDIT_LINK)
        op.execute("CREATE TRIGGER figures_verified_by_verifier BEFORE INSERT ON figures FOR EACH ROW "
                   f"WHEN (NEW.status = 'verified') EXECUTE FUNCTION dcsll_require_verifier('{VERIFIER_MSG}')")
        op.execute("CREATE TRIGGER statements_issued_by_verifier BEFORE INSERT OR UPDATE ON statements FOR EACH ROW "
                   f"WHEN (NEW.status = 'issued') EXECUTE FUNCTION dcsll_require_verifier('{STATEMENT_MSG}')")
        op.execute("CREATE TRIGGER audit_log_chain_link BEFORE INSERT ON audit_log FOR EACH ROW "
                   "EXECUTE FUNCTION dcsll_audit_link()")
        for table in UNIQUE_KEYS:
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
                       f"EXECUTE FUNCTION dcsll_refuse_change('{table} keeps its history; TRUNCATE is refused')")
    else:  # pragma: no cover
        raise NotImplementedError(dialect)


def downgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "sqlite":
        for table in UNIQUE_KEYS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace_insert")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace_update")
        op.execute("DROP TRIGGER IF EXISTS figures_verified_by_verifier")
        op.execute("DROP TRIGGER IF EXISTS statements_issued_by_verifier_insert")
        op.execute("DROP TRIGGER IF EXISTS statements_issued_by_verifier_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_chain_link")
    else:
        for table in UNIQUE_KEYS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS figures_verified_by_verifier ON figures")
        op.execute("DROP TRIGGER IF EXISTS statements_issued_by_verifier ON statements")
        op.execute("DROP TRIGGER IF EXISTS audit_log_chain_link ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS dcsll_require_verifier()")
        op.execute("DROP FUNCTION IF EXISTS dcsll_audit_link()")
    drop_guard(op, "figures", "figures_append_only")
    op.drop_index("uq_spts_first", table_name="spts")
    op.drop_index("uq_baselines_first", table_name="baselines")
    with op.batch_alter_table("facilities") as b:
        b.drop_column("version")
    drop_guard(op, "audit_log", "audit_log_append_only")
    with op.batch_alter_table("audit_log") as b:
        b.drop_column("row_hash")
        b.drop_column("prev_hash")
    create_guard(op, "audit_log", "audit_log_append_only", "the audit log is append-only")
