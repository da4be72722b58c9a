"""dcsll's deal book: persistence, audit trail and roles (used by the app and the CLI, never by the engines).

Quick start::

    from store import open_store
    st = open_store("sqlite:///var/dcsll.sqlite", migrate=True)
    st.bootstrap_admin("admin")
    st.add_user("admin", "alice", ["credit_officer"])
    st.save_facility("admin", load_facility("data/facilities/demo.toml"))
    st.save_deal("alice", tomllib.load(open("data/deals/demo.toml", "rb")))

See ``docs/store.md`` for the model, the rules and the ``dcsll db`` commands.
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
    MethodologyInfo,
    StatementInfo,
    TargetRecord,
)
from store.roles import PERMISSIONS, ROLES

__all__ = [
    "open_store", "Store", "deal_columns",
    "StoreError", "PermissionDenied", "StaleWriteConflict", "ImmutableRecordError", "NotFound",
    "Actor", "AuditEntry", "DealInfo", "DealSummary", "FacilitySaveReport", "FigureRecord", "MethodologyInfo",
    "StatementInfo", "TargetRecord", "PERMISSIONS", "ROLES",
]
