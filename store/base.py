"""Shared machinery of the deal book: transactions, the acting user and its roles, the audit row, and the
ORM guard that refuses changes to immutable rows.

Every public write method of :class:`store.Store`

* takes the acting user's name first and checks its roles (stored in the database, see
  :mod:`store.roles`) inside the transaction — a wrong role raises :class:`~store.errors.PermissionDenied`;
* runs in exactly one database transaction (SQLite: ``BEGIN IMMEDIATE``), so an error, a permission failure
  or a killed process leaves the database as it was;
* writes one :class:`~store.schema.AuditRow` per record it changes (who, when, what, before, after) and none
  when nothing changed.

Verified figures, issued statements, stored methodologies, baselines/SPTs/observations/margin changes,
versioned targets settings and engagements and the audit log are never updated or deleted: corrections are new
rows pointing to the old ones. The store refuses such changes (:class:`~store.errors.ImmutableRecordError`),
an ORM ``before_flush`` hook (:func:`_before_flush`) refuses them for code that edits rows directly, and
database triggers (:mod:`store.migrations._guards`) refuse them for raw SQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import JSON, Engine, event, insert, inspect, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from index.errors import InputError
from store import auditchain, db
from store.errors import ImmutableRecordError, NotFound, PermissionDenied, StaleWriteConflict
from store.migrations._guards import MARKER
from store.records import (
    Actor,
)
from store.roles import PERMISSIONS, is_allowed
from store.schema import (
    AuditRow,
    BaselineRow,
    DealRow,
    DealVersionRow,
    EngagementRow,
    FacilityOperator,
    FacilityRow,
    FigureRow,
    MarginChangeDecisionRow,
    MarginChangeRecordRow,
    MarginChangeRow,
    MarginNoticeRow,
    MethodologyRow,
    MonitoringRecordRow,
    ObservationRow,
    SptRow,
    StatementRow,
    TargetsSettingsRow,
    User,
    UserRole,
)
from store.tomlio import jsonable


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _num(v) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _committed(obj, attr: str):
    hist = inspect(obj).attrs[attr].history
    if hist.deleted:
        return hist.deleted[0]
    if hist.unchanged:
        return hist.unchanged[0]
    return getattr(obj, attr)


def _before_flush(session: Session, _ctx, _instances) -> None:
    """Refuse ORM updates/deletes of immutable rows (defence in depth; the API never issues them)."""
    for obj in list(session.dirty) + list(session.deleted):
        if obj in session.dirty and not session.is_modified(obj):
            continue
        what = None
        if isinstance(obj, AuditRow):
            what = "the audit log is append-only"
        elif isinstance(obj, FigureRow) and _committed(obj, "status") == "verified":
            what = (f"figure {obj.field!r} (id {obj.id}) is verified and immutable; "
                    "record a correction with Store.restate_figure(...)")
        elif isinstance(obj, StatementRow) and _committed(obj, "status") == "issued":
            what = (f"statement {obj.id!r} is issued and immutable; save a restated statement with "
                    "Store.save_statement(..., restates=...)")
        elif isinstance(obj, MethodologyRow):
            what = f"methodology {obj.id} {obj.version} is immutable; save a new version"
        elif isinstance(obj, (BaselineRow, SptRow, ObservationRow, MarginChangeRow)):
            what = f"{obj.__tablename__} keep their history; record a new row that supersedes the old one"
        elif isinstance(obj, (DealVersionRow, MonitoringRecordRow, MarginChangeRecordRow, MarginChangeDecisionRow,
                              MarginNoticeRow)):
            what = f"{obj.__tablename__} keep their history; record a new row instead"
        elif isinstance(obj, (TargetsSettingsRow, EngagementRow)):
            what = f"{obj.__tablename__} are versioned; save a new version instead"
        if what:
            raise ImmutableRecordError(what)


class StoreBase:
    """The deal book on one database (SQLite file or PostgreSQL): engine, transactions, roles, audit.

    The record methods live in one mixin per kind of record (:mod:`store.users`, :mod:`store.methodologies`,
    :mod:`store.facilities`, :mod:`store.verification`, :mod:`store.deals`, :mod:`store.statements`,
    :mod:`store.audit`, :mod:`store.inputs`), composed into :class:`store.Store`.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        An engine from :func:`store.db.make_engine` (SQLite pragmas and write locking set up).
    deal_validator : callable, optional
        ``f(document, file=None)`` called on every deal before it is saved; it raises
        :class:`~index.errors.InputError` for a bad deal. The deal schema is the finance engine's
        (:class:`finance.deal.Deal`); the app and the CLI inject its check
        (:func:`finance.deal_book.deal_validator`) — the store never imports finance.
    """

    def __init__(self, engine: Engine, *, deal_validator=None):
        self.engine = engine
        self.deal_validator = deal_validator

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    def _session(self, conn) -> Session:
        s = Session(bind=conn, expire_on_commit=False, autoflush=True)
        event.listen(s, "before_flush", _before_flush)
        return s

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self.engine.connect() as conn, self._session(conn) as s:
            yield s

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction; errors translated into the store's named errors, and everything rolled back."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{db.WRITE_OPTION: True})
                with self._session(conn) as s, s.begin():
                    yield s
        except StaleDataError as exc:
            raise StaleWriteConflict("record", str(exc), None, None) from None
        except DBAPIError as exc:
            text = str(exc.orig) if exc.orig is not None else str(exc)
            if MARKER in text:
                msg = text.split(MARKER, 1)[1].strip().splitlines()[0]
                raise ImmutableRecordError(msg) from None
            if isinstance(exc, IntegrityError):
                raise InputError(f"the database refused the write: {text.splitlines()[0]} "
                                 "(a duplicate id or a reference to a record that does not exist)") from None
            raise

    def _actor(self, s: Session, username: str | Actor) -> Actor:
        name = username.username if isinstance(username, Actor) else username
        u = s.get(User, name)
        if u is None or not u.active:
            raise PermissionDenied(name, "act", f"user {name!r} is unknown or deactivated; ask an admin to add "
                                   "it with `Store.add_user` (or run `dcsll db seed-demo` for the demo users)")
        roles = frozenset(s.scalars(select(UserRole.role).where(UserRole.username == name)))
        facs = frozenset(s.scalars(select(FacilityOperator.facility_id).where(FacilityOperator.username == name)))
        return Actor(name, roles, facs, u.active, u.display_name)

    def _require(self, actor: Actor, action: str, facility: str | None = None) -> None:
        if not is_allowed(actor.roles, action, facility=facility, own_facilities=actor.facilities):
            msg = None
            if "operator" in actor.roles and action in PERMISSIONS and "operator" in PERMISSIONS[action]:
                msg = (f"user {actor.username!r} is an operator but not of facility {facility!r}; "
                       "ask an admin to assign the facility with Store.assign_facility")
            raise PermissionDenied(actor.username, action, msg)

    def _audit(self, s: Session, actor: Actor | str, action: str, entity: str, key: str,
               before: dict | None, after: dict | None) -> None:
        name = actor.username if isinstance(actor, Actor) else actor
        row = dict(at=_now(), actor=name, action=action, entity=entity, entity_key=key,
                   before=jsonable(before) if before is not None else None,
                   after=jsonable(after) if after is not None else None)
        s.add(AuditRow(**auditchain.chain(s, [row])[0]))

    @staticmethod
    def _audit_many(s: Session, rows: list[dict]) -> None:
        """Append many audit rows (dicts of :data:`store.auditchain.FIELDS`) in one statement, chained."""
        StoreBase._bulk_insert(s, AuditRow, auditchain.chain(s, rows))

    def user(self, username: str) -> Actor:
        """The user with its roles and facilities.

        Raises
        ------
        PermissionDenied
            If the user is unknown or deactivated.
        """
        with self._read() as s:
            return self._actor(s, username)

    def _facility_row(self, s: Session, facility_id: str, *, file: str | None = None,
                      field: str = "facility") -> FacilityRow:
        row = s.get(FacilityRow, facility_id)
        if row is None:
            raise NotFound(f"unknown facility {facility_id!r}; save the facility first "
                           "(dcsll db seed-demo loads data/facilities/)", file=file, field=field, value=facility_id)
        return row

    def _deal_row(self, s: Session, deal_id: str) -> DealRow:
        row = s.get(DealRow, deal_id)
        if row is None:
            raise NotFound(f"no deal {deal_id!r}", field="deal_id", value=deal_id)
        return row

    @staticmethod
    def _bulk_insert(s: Session, model, rows: list[dict]) -> None:
        """Insert many rows fast: PostgreSQL ``COPY FROM STDIN`` (psycopg), elsewhere one executemany.

        Rows must all have the same keys; JSON columns are serialised here as SQLAlchemy's JSON type would.
        """
        conn = s.connection()
        if conn.dialect.name != "postgresql":
            s.execute(insert(model), rows)
            return
        table = model.__table__
        cols = list(rows[0])
        json_cols = {c for c in cols if isinstance(table.c[c].type, JSON)}
        dbapi = conn.connection.dbapi_connection
        name = ", ".join(f'"{c}"' for c in cols)
        with dbapi.cursor() as cur, cur.copy(f'COPY "{table.name}" ({name}) FROM STDIN') as cp:
            for r in rows:
                cp.write_row([json.dumps(r[c], ensure_ascii=False) if c in json_cols and r[c] is not None
                              else r[c] for c in cols])
