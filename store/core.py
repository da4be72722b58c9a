"""The deal book: :class:`Store` and :func:`open_store`.

:class:`Store` is composed of one mixin per kind of record, each in its own module, over the shared
transaction, role and audit machinery of :class:`store.base.StoreBase`:

=========================  ===================================================================================
module                     records
=========================  ===================================================================================
:mod:`store.users`         users, roles, operators' facilities
:mod:`store.methodologies` methodology files (exact bytes + SHA-256)
:mod:`store.facilities`    facility profiles, periods, the append-only figure history
:mod:`store.verification`  reported / verified / restated figures
:mod:`store.deals`         deals, ratchet terms, baselines, SPTs, observations, margin changes, simulations,
                           portfolio summary
:mod:`store.statements`    verification statement PDFs, their issue and restatement, listing per deal
:mod:`store.audit`         reading the audit log
:mod:`store.inputs`        monthly series, targets settings, lever presets, verifier identities, engagements
=========================  ===================================================================================

The rules every write follows (roles, one transaction, one audit row per change, immutable records) are
described in :mod:`store.base`.
"""

from __future__ import annotations

from store import db
from store.audit import AuditMixin
from store.base import StoreBase
from store.deals import DealsMixin, deal_columns
from store.errors import StoreError
from store.facilities import FacilitiesMixin
from store.inputs import InputsMixin
from store.intervals import IntervalsMixin
from store.methodologies import MethodologiesMixin
from store.monitoring import MonitoringMixin
from store.statements import StatementsMixin
from store.users import UsersMixin
from store.verification import VerificationMixin

__all__ = ["Store", "open_store", "deal_columns"]


class Store(UsersMixin, MethodologiesMixin, FacilitiesMixin, VerificationMixin, DealsMixin, StatementsMixin,
            AuditMixin, InputsMixin, IntervalsMixin, MonitoringMixin, StoreBase):
    """The deal book on one database (SQLite file or PostgreSQL).

    Use :func:`open_store` to create one. Methods return plain records (:mod:`store.records`), pydantic
    models of :mod:`index.models`, pandas frames (monthly series) or TOML mappings, never ORM objects.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        An engine from :func:`store.db.make_engine` (SQLite pragmas and write locking set up).
    deal_validator : callable, optional
        ``f(document, file=None)`` raising :class:`~index.errors.InputError` for a bad deal: the finance
        engine's deal check (:func:`finance.deal_book.deal_validator`), injected by the app and the CLI.
    """


def open_store(url: str | None = None, *, migrate: bool = False, deal_validator=None, **engine_kw) -> Store:
    """Open the deal book at ``url`` (default ``$DCSLL_DATABASE_URL`` or the per-user SQLite file).

    Parameters
    ----------
    migrate : bool
        Apply pending migrations first (what ``dcsll db upgrade`` does). Without it a database that is not at
        the latest revision is refused.
    deal_validator : callable, optional
        See :class:`Store`.

    Raises
    ------
    StoreError
        If the database is not at the latest migration and ``migrate`` is False.
    """
    engine = db.make_engine(url, **engine_kw)
    if migrate:
        db.upgrade(engine)
    else:
        cur, head = db.current_revision(engine), db.head_revision()
        if cur != head:
            engine.dispose()
            raise StoreError(f"the database is at migration {cur or '(empty)'} but this dcsll needs {head}; "
                             "run `dcsll db upgrade` (back the file up first with `dcsll db backup`)")
    return Store(engine, deal_validator=deal_validator)
