"""Verified state held in a column only by a verifier's record (issue 13): periods and monitoring records.

``figures`` and ``statements`` carry their author (``created_by``) and migration ``0006`` refuses a verified
figure or issued statement whose author is not an active verifier. ``periods.status`` had no author, so a plain
ORM session or raw SQL could create a period marked ``verified`` (or turn a reported one verified) and unlock
nothing less than the verified score. This revision:

* adds ``periods.verified_by`` — the verifier whose record (``period.create`` / ``period.update`` audit row,
  written by :meth:`store.Store.save_facility`) made the period verified; existing verified periods get the
  author of their verified figures (the verifier who attested them), else stay NULL and are reported by
  ``dcsll db verify``;
* refuses, in the database, an INSERT or UPDATE leaving a period ``verified`` whose ``verified_by`` is not an
  active user holding the ``verifier`` role (on UPDATE: when the status becomes verified or ``verified_by``
  changes), and an UPDATE turning a verified period back to ``reported``/``design`` (which would reopen its
  figures to the operator);
* refuses a ``monitoring_records`` row with ``status = 'verified'`` that does not point to an issued statement
  (the store's own check, :meth:`store.Store.record_monitoring_observation`, now held by the database too);
* PostgreSQL: refuses an INSERT or UPDATE of ``user_roles`` giving the ``verifier`` or ``admin`` role unless the
  database user is (a member of) the table's owner — the least-privilege app role (:mod:`store.pgroles`) cannot
  make a user a verifier and then write "verified" rows in that user's name; those roles are granted with
  ``dcsll db add-user`` / ``set-roles`` run with the owner's URL. (SQLite has no database users: the file's
  permissions are the guard.)

SQLite: ``RAISE(ABORT)`` triggers; PostgreSQL: PL/pgSQL row triggers raising SQLSTATE 23001. Every message starts
with ``dcsll-immutable:`` (:data:`store.migrations._guards.MARKER`).

Revision ID: 0007_verified_guard
Revises: 0006_integrity
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from store.migrations._guards import MARKER

revision = "0007_verified_guard"
down_revision = "0006_integrity"
branch_labels = None
depends_on = None

PERIOD_MSG = "only a user with the verifier role makes a period verified (periods.verified_by)"
UNVERIFY_MSG = "a verified period stays verified (a verifier restates its figures instead)"
MONITORING_MSG = "a verified monitoring record needs an issued statement (statement_id)"
ROLE_MSG = ("the verifier and admin roles are granted by the owner of the database (dcsll db add-user / set-roles "
            "with the owner URL), not by the app role")
#: roles only the owner of the tables grants (PostgreSQL)
OWNER_GRANTED_ROLES = ("verifier", "admin")

_NOT_VERIFIER = ("NOT EXISTS (SELECT 1 FROM user_roles r JOIN users u ON u.username = r.username "
                 "WHERE r.username = NEW.verified_by AND r.role = 'verifier' AND u.active)")
_NO_ISSUED = ("NOT EXISTS (SELECT 1 FROM statements st WHERE st.id = NEW.statement_id AND st.status = 'issued')")

ROLE_MSG_SQL = ROLE_MSG.replace("'", "''")
_OWNER_ROLES_SQL = ", ".join(f"'{r}'" for r in OWNER_GRANTED_ROLES)

PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION dcsll_period_verified_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = 'verified' AND NEW.status <> 'verified' THEN
        RAISE EXCEPTION '{MARKER} UPDATE on periods refused: {UNVERIFY_MSG}' USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.status = 'verified' AND (TG_OP = 'INSERT' OR OLD.status <> 'verified'
                                    OR NEW.verified_by IS DISTINCT FROM OLD.verified_by) THEN
        IF {_NOT_VERIFIER} THEN
            RAISE EXCEPTION '{MARKER} % on periods refused: {PERIOD_MSG}', TG_OP
                USING ERRCODE = 'restrict_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION dcsll_owner_grants_role() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.role IN ({_OWNER_ROLES_SQL}) AND NOT EXISTS (
            SELECT 1 FROM pg_class c WHERE c.oid = TG_RELID AND pg_has_role(current_user, c.relowner, 'USAGE')) THEN
        RAISE EXCEPTION '{MARKER} % on user_roles refused: {ROLE_MSG_SQL}', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION dcsll_monitoring_verified_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'verified' AND {_NO_ISSUED} THEN
        RAISE EXCEPTION '{MARKER} % on monitoring_records refused: {MONITORING_MSG}', TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
"""


def _backfill(bind) -> None:
    """``verified_by`` of existing verified periods: the single verifier who authored their verified figures."""
    periods = sa.table("periods", sa.column("id", sa.Integer), sa.column("status"), sa.column("verified_by"))
    figures = sa.table("figures", sa.column("period_id", sa.Integer), sa.column("status"),
                       sa.column("created_by"))
    ids = bind.execute(sa.select(periods.c.id).where(periods.c.status == "verified")).scalars().all()
    for pid in ids:
        authors = bind.execute(sa.select(figures.c.created_by).distinct().where(
            figures.c.period_id == pid, figures.c.status == "verified")).scalars().all()
        if len(authors) == 1:
            bind.execute(periods.update().where(periods.c.id == pid).values(verified_by=authors[0]))


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    op.add_column("periods", sa.Column("verified_by", sa.String(64)))
    _backfill(bind)
    if dialect == "sqlite":
        op.execute(f"CREATE TRIGGER periods_verified_by_verifier_insert BEFORE INSERT ON periods FOR EACH ROW "
                   f"WHEN NEW.status = 'verified' AND {_NOT_VERIFIER} "
                   f"BEGIN SELECT RAISE(ABORT, '{MARKER} INSERT on periods refused: {PERIOD_MSG}'); END")
        op.execute(f"CREATE TRIGGER periods_verified_by_verifier_update BEFORE UPDATE ON periods FOR EACH ROW "
                   f"WHEN NEW.status = 'verified' AND (OLD.status <> 'verified' OR NEW.verified_by IS NOT "
                   f"OLD.verified_by) AND {_NOT_VERIFIER} "
                   f"BEGIN SELECT RAISE(ABORT, '{MARKER} UPDATE on periods refused: {PERIOD_MSG}'); END")
        op.execute(f"CREATE TRIGGER periods_stay_verified BEFORE UPDATE ON periods FOR EACH ROW "
                   f"WHEN OLD.status = 'verified' AND NEW.status <> 'verified' "
                   f"BEGIN SELECT RAISE(ABORT, '{MARKER} UPDATE on periods refused: {UNVERIFY_MSG}'); END")
        op.execute(f"CREATE TRIGGER monitoring_records_verified_statement BEFORE INSERT ON monitoring_records "
                   f"FOR EACH ROW WHEN NEW.status = 'verified' AND {_NO_ISSUED} "
                   f"BEGIN SELECT RAISE(ABORT, '{MARKER} INSERT on monitoring_records refused: "
                   f"{MONITORING_MSG}'); END")
    elif dialect == "postgresql":
        op.execute(PG_FUNCTIONS)
        op.execute("CREATE TRIGGER periods_verified_guard BEFORE INSERT OR UPDATE ON periods FOR EACH ROW "
                   "EXECUTE FUNCTION dcsll_period_verified_guard()")
        op.execute("CREATE TRIGGER monitoring_records_verified_statement BEFORE INSERT OR UPDATE ON "
                   "monitoring_records FOR EACH ROW EXECUTE FUNCTION dcsll_monitoring_verified_guard()")
        op.execute("CREATE TRIGGER user_roles_owner_grants BEFORE INSERT OR UPDATE ON user_roles FOR EACH ROW "
                   "EXECUTE FUNCTION dcsll_owner_grants_role()")
    else:  # pragma: no cover
        raise NotImplementedError(dialect)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("periods_verified_by_verifier_insert", "periods_verified_by_verifier_update",
                     "periods_stay_verified", "monitoring_records_verified_statement"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS periods_verified_guard ON periods")
        op.execute("DROP TRIGGER IF EXISTS monitoring_records_verified_statement ON monitoring_records")
        op.execute("DROP FUNCTION IF EXISTS dcsll_period_verified_guard()")
        op.execute("DROP FUNCTION IF EXISTS dcsll_monitoring_verified_guard()")
        op.execute("DROP TRIGGER IF EXISTS user_roles_owner_grants ON user_roles")
        op.execute("DROP FUNCTION IF EXISTS dcsll_owner_grants_role()")
    with op.batch_alter_table("periods") as b:
        b.drop_column("verified_by")
