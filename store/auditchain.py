"""The audit log's hash chain: every row carries the SHA-256 of the row before it (issue 13).

Each audit row stores ``prev_hash`` (the ``row_hash`` of the row with the next lower id, :data:`GENESIS` for the
first row) and ``row_hash`` = SHA-256 over ``prev_hash`` followed by the canonical JSON of the row's content
(:func:`canonical`: ``at`` as UTC ISO 8601 with microseconds, ``actor``, ``action``, ``entity``,
``entity_key``, ``before``, ``after``; keys sorted, no whitespace, UTF-8). The id is not hashed (rows written
with PostgreSQL ``COPY`` get theirs from the sequence); the chain order is the id order.

A row that is changed, deleted or inserted in the middle breaks the chain at that row, even when an owner of the
database switched the append-only triggers off: :func:`store.integrity.verify` (``dcsll db verify``) recomputes
it. The writer (:func:`chain`) serialises appends — SQLite already holds the write lock from ``BEGIN
IMMEDIATE``; on PostgreSQL it takes a transaction-scoped advisory lock (:data:`PG_LOCK_KEY`, no table privilege
needed) — and a database trigger refuses a row whose ``prev_hash`` is not the last row's ``row_hash``
(migration ``0006_integrity``), so two writers cannot fork the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping

from sqlalchemy import text

#: ``prev_hash`` of the first audit row
GENESIS = "0" * 64
#: key of the PostgreSQL advisory lock held while appending audit rows (ASCII "dcsllaud")
PG_LOCK_KEY = 0x6463736C6C617564 - (1 << 63)
FIELDS = ("at", "actor", "action", "entity", "entity_key", "before", "after")


def _at(v) -> str:
    if isinstance(v, str):
        v = dt.datetime.fromisoformat(v)
    if v.tzinfo is None:  # SQLite hands back naive UTC
        v = v.replace(tzinfo=dt.UTC)
    return v.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(row: Mapping) -> bytes:
    """Canonical JSON bytes of an audit row's content (the :data:`FIELDS`; see the module docstring)."""
    doc = {k: row.get(k) for k in FIELDS}
    doc["at"] = _at(row["at"])
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def row_hash(prev_hash: str, row: Mapping) -> str:
    """SHA-256 (hex) of ``prev_hash`` (ASCII hex) followed by :func:`canonical` of ``row``."""
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(row)).hexdigest()


def head(conn) -> str:
    """``row_hash`` of the last audit row on ``conn`` (:data:`GENESIS` for an empty log)."""

    h = conn.execute(text("SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1")).scalar()
    return h or GENESIS


def chain(session, rows: list[dict]) -> list[dict]:
    """Fill ``prev_hash`` and ``row_hash`` of new audit rows (dicts of :data:`FIELDS`), in order.

    The first call in a transaction takes the PostgreSQL advisory lock and reads the last row's hash; the head is
    then kept in ``session.info`` so several rows of one transaction chain without re-reading.
    """

    session.flush()  # pending ORM audit rows first, so ids follow the chain order
    prev = session.info.get("dcsll_audit_head")
    if prev is None:
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_KEY})
        prev = head(conn)
    for r in rows:
        r["prev_hash"] = prev
        r["row_hash"] = prev = row_hash(prev, r)
    session.info["dcsll_audit_head"] = prev
    return rows
