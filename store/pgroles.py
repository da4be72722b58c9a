"""PostgreSQL roles: migrations run as the owner, the app as a least-privilege role (issue 13).

The owner of the tables may ``TRUNCATE`` them, ``ALTER TABLE … DISABLE TRIGGER`` and ``DROP TRIGGER`` — which
switches every immutability guard off. So production runs two roles:

* the **owner** (e.g. ``dcsll_owner``) creates and migrates the schema: ``dcsll db upgrade`` / ``alembic upgrade``
  with its URL; it never serves the app;
* the **app role** (e.g. ``dcsll_app``, ``LOGIN``, owns nothing) gets, from :func:`grant_app_role`
  (``dcsll db grant-app-role ROLE`` run as the owner after every upgrade): ``USAGE`` on the schema, ``SELECT`` on
  every table, ``INSERT`` on every table but ``alembic_version``, ``UPDATE`` only on the tables whose rows are
  edited in place (:data:`APPEND_ONLY` tables get none), ``DELETE`` only on :data:`DELETABLE`, ``USAGE, SELECT``
  on the sequences — and never ``TRUNCATE``, ``REFERENCES``, ``TRIGGER`` or DDL.

Not being the owner, the app role cannot disable or drop triggers, truncate or alter tables; the triggers
(migrations ``0001``–``0007``) refuse what its ``INSERT`` / ``UPDATE`` grants would otherwise allow on immutable
rows. Since ``0007_verified_guard`` it also cannot give a user the ``verifier`` or ``admin`` role (a trigger on
``user_roles`` checks that the database user is a member of the tables' owner): grant those with
``dcsll db add-user`` / ``dcsll db set-roles`` and the owner's URL. It can still create users, grant
``operator`` / ``credit_officer``, remove roles and (de)activate users — docs/store.md, "Limits".
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, text

#: tables never updated in place by the app (rows are appended; triggers refuse UPDATE/DELETE as well)
APPEND_ONLY = frozenset({"audit_log", "figures", "methodologies", "baselines", "spts", "observations",
                         "margin_changes", "targets_settings", "engagements", "interval_series",
                         "deal_versions", "monitoring_records", "margin_change_records", "margin_change_decisions",
                         "margin_notices", "gec_lots"})
#: tables the app deletes rows from (role changes, operator assignments, a deal's removed ratchet table)
DELETABLE = frozenset({"user_roles", "facility_operators", "ratchet_terms"})
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _ident(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"role/schema name {name!r}: use lower-case letters, digits and _ (at most 63)")
    return f'"{name}"'


def grant_app_role(engine: Engine, role: str, *, schema: str | None = None) -> dict[str, list[str]]:
    """Give the existing role ``role`` exactly the app's privileges on ``schema`` (default: the current one).

    Run as the owner after every ``dcsll db upgrade`` (new tables get no privilege by themselves). Earlier grants
    to ``role`` on these tables are revoked first, so running it again is safe.

    Returns
    -------
    dict
        privilege -> tables granted (``SELECT``, ``INSERT``, ``UPDATE``, ``DELETE``).

    Raises
    ------
    ValueError
        Not a PostgreSQL engine, or a role/schema name that is not a plain identifier.
    """
    if engine.dialect.name != "postgresql":
        raise ValueError("app roles are a PostgreSQL matter; SQLite has no roles (protect the file instead)")
    r = _ident(role)
    with engine.begin() as c:
        sch = schema or c.execute(text("SELECT current_schema()")).scalar()
        sq = _ident(sch)
        tables = sorted(c.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": sch}).scalars())
        seqs = sorted(c.execute(text("SELECT sequencename FROM pg_sequences WHERE schemaname = :s"),
                                {"s": sch}).scalars())
        c.execute(text(f"GRANT USAGE ON SCHEMA {sq} TO {r}"))
        c.execute(text(f"REVOKE CREATE ON SCHEMA {sq} FROM {r}"))
        out: dict[str, list[str]] = {"SELECT": [], "INSERT": [], "UPDATE": [], "DELETE": []}
        for t in tables:
            q = f'{sq}."{t}"'
            c.execute(text(f"REVOKE ALL ON {q} FROM {r}"))
            privs = ["SELECT"]
            if t != "alembic_version":
                privs.append("INSERT")
                if t not in APPEND_ONLY:
                    privs.append("UPDATE")
                if t in DELETABLE:
                    privs.append("DELETE")
            c.execute(text(f"GRANT {', '.join(privs)} ON {q} TO {r}"))
            for p in privs:
                out[p].append(t)
        for sname in seqs:
            c.execute(text(f'GRANT USAGE, SELECT ON SEQUENCE {sq}."{sname}" TO {r}'))
    return out
