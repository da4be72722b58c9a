"""Reading the append-only audit log (rows are written by every write method, :meth:`StoreBase._audit`).
"""

from __future__ import annotations

from sqlalchemy import func, select

from store.base import StoreBase
from store.records import (
    AuditEntry,
)
from store.schema import (
    AuditRow,
)


class AuditMixin(StoreBase):
    """The audit trail."""

    def audit_log(self, actor: str, *, entity: str | None = None, key: str | None = None,
                  since_id: int = 0) -> list[AuditEntry]:
        """Audit rows, oldest first (credit officer, verifier, admin)."""
        with self._read() as s:
            a = self._actor(s, actor)
            self._require(a, "audit.read")
            q = select(AuditRow).where(AuditRow.id > since_id)
            if entity:
                q = q.where(AuditRow.entity == entity)
            if key:
                q = q.where(AuditRow.entity_key == key)
            return [AuditEntry(r.id, r.at, r.actor, r.action, r.entity, r.entity_key, r.before, r.after)
                    for r in s.scalars(q.order_by(AuditRow.id))]

    def audit_count(self) -> int:
        """Number of audit rows (no role needed: a count reveals nothing)."""
        with self._read() as s:
            return int(s.scalar(select(func.count()).select_from(AuditRow)))
