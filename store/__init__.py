"""dcsll's deal book: persistence, audit trail and roles (used by the app and the CLI, never by the engines).

Quick start::

    from store import open_store
    st = open_store("sqlite:///var/dcsll.sqlite", migrate=True)
    st.bootstrap_admin("admin")
    st.add_user("admin", "alice", ["credit_officer"])
    st.save_facility("admin", load_facility("data/facilities/demo.toml"), verified_by="verifier")
    st.save_deal("alice", tomllib.load(open("data/deals/demo.toml", "rb")))

See ``docs/store.md`` for the model, the rules and the ``dcsll db`` commands.

Layering: below ``workflows``, the CLI and the app, beside the engines (DESIGN.md §2). It may use :mod:`index`
models to check what it saves, but never imports :mod:`finance`, the CLI (``dcsll``) or the app, and the engines
never import it; ``lint-imports`` checks this in CI (contracts in ``pyproject.toml``).
"""

from store.core import Store, deal_columns, open_store
from store.errors import ImmutableRecordError, NotFound, PermissionDenied, StaleWriteConflict, StoreError
from store.records import (
    Actor,
    AuditEntry,
    DealInfo,
    DealSummary,
    FacilitySaveReport,
    FigureRecord,
    MarginChangeRecord,
    MethodologyInfo,
    MonitoringRecord,
    NoticeRecord,
    StatementInfo,
    TargetRecord,
)
from store.roles import PERMISSIONS, ROLES

__all__ = [
    "open_store", "Store", "deal_columns",
    "StoreError", "PermissionDenied", "StaleWriteConflict", "ImmutableRecordError", "NotFound",
    "Actor", "AuditEntry", "DealInfo", "DealSummary", "FacilitySaveReport", "FigureRecord", "MarginChangeRecord", "MethodologyInfo",
    "MonitoringRecord", "NoticeRecord",
    "StatementInfo", "TargetRecord", "PERMISSIONS", "ROLES",
]
