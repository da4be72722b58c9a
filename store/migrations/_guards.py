"""Database triggers that refuse changes to immutable rows (shared by the migrations).

SQLite: ``RAISE(ABORT, ...)`` triggers. PostgreSQL: one PL/pgSQL function ``dcsll_refuse_change`` raising
SQLSTATE 23001 (restrict_violation), used by ``BEFORE UPDATE OR DELETE`` row triggers. Every message starts
with ``dcsll-immutable:`` so the store can turn the driver error into :class:`store.errors.ImmutableRecordError`.
"""

from __future__ import annotations

MARKER = "dcsll-immutable:"

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION dcsll_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MARKER} % on % refused: %', TG_OP, TG_TABLE_NAME, TG_ARGV[0]
        USING ERRCODE = 'restrict_violation';
END $$;
"""


def create_guard(op, table: str, name: str, message: str, when: str | None = None) -> None:
    """Refuse UPDATE and DELETE on ``table`` rows (only those matching ``when``, an SQL condition on OLD)."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        cond = f"WHEN ({when}) " if when else ""
        op.execute(f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW {cond}"
                   f"EXECUTE FUNCTION dcsll_refuse_change('{message}')")
    elif dialect == "sqlite":
        cond = f"WHEN {when} " if when else ""
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {name}_{event.lower()} BEFORE {event} ON {table} FOR EACH ROW {cond}"
                       f"BEGIN SELECT RAISE(ABORT, '{MARKER} {event} on {table} refused: {message}'); END")
    else:  # pragma: no cover
        raise NotImplementedError(f"no immutability triggers for {dialect}")


def drop_guard(op, table: str, name: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}_{event}")
