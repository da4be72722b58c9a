"""The deal book: :class:`Store` and :func:`open_store`.

Every public write method

* takes the acting user's name first and checks its roles (stored in the database, see
  :mod:`store.roles`) inside the transaction — a wrong role raises :class:`~store.errors.PermissionDenied`;
* runs in exactly one database transaction (SQLite: ``BEGIN IMMEDIATE``), so an error, a permission failure
  or a killed process leaves the database as it was;
* writes one :class:`~store.schema.AuditRow` per record it changes (who, when, what, before, after) and none
  when nothing changed.

Verified figures, issued statements, stored methodologies, baselines/SPTs/observations/margin changes and the
audit log are never updated or deleted: corrections are new rows pointing to the old ones. The store refuses
such changes (:class:`~store.errors.ImmutableRecordError`), an ORM ``before_flush`` hook refuses them for code
that edits rows directly, and database triggers refuse them for raw SQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Engine, and_, event, exists, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from index.errors import InputError
from index.models import Facility
from store import db
from store.errors import ImmutableRecordError, NotFound, PermissionDenied, StaleWriteConflict, StoreError
from store.inputs import InputsMixin
from store.migrations._guards import MARKER
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
from store.roles import PERMISSIONS, ROLES, is_allowed
from store.schema import (
    SIGNATURE_STATUSES,
    AuditRow,
    BaselineRow,
    DealRow,
    EngagementRow,
    FacilityOperator,
    FacilityRow,
    FigureRow,
    MarginChangeRow,
    MethodologyRow,
    ObservationRow,
    PeriodRow,
    RatchetTermsRow,
    SimulationRow,
    SptRow,
    StatementRow,
    TargetsSettingsRow,
    User,
    UserRole,
)
from store.tomlio import Spec, facility_specs, from_json, jsonable, period_dict, period_specs, to_json

PROFILE_FIELDS = ("name", "name_zh", "operator", "province", "grid_region", "hub_node", "cluster",
                  "computing_type", "lifecycle_stage", "commissioning_date", "cooling", "source", "notes")
PERIOD_META = ("start", "end", "status", "source", "compute_precision", "gpu_utilisation_definition",
               "evidence", "notes")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------------- ORM guard

def _committed(obj, attr: str):
    from sqlalchemy import inspect

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
        elif isinstance(obj, (TargetsSettingsRow, EngagementRow)):
            what = f"{obj.__tablename__} are versioned; save a new version instead"
        if what:
            raise ImmutableRecordError(what)


# ----------------------------------------------------------------------------------- deal documents

def _pick(doc: Mapping, paths: tuple[str, ...]):
    for p in paths:
        cur: Any = doc
        for part in p.split("."):
            if not isinstance(cur, Mapping) or part not in cur:
                cur = None
                break
            cur = cur[part]
        if cur is not None:
            return cur, p
    return None, paths[0]


def deal_columns(doc: Mapping, *, file: str | None = None) -> dict:
    """The indexed columns of a deal document.

    Looks for top-level ``id``, ``facility`` (an id, or an inline facility table whose ``id`` /
    ``facility.id`` is used), ``borrower`` — the layout of ``data/deals/*.toml`` (:class:`finance.deal.Deal`) —
    or the same keys inside a ``[deal]`` table; ``loan.currency``, ``loan.amount`` [currency units] and
    ``loan.margin_bp`` [bp].

    Raises
    ------
    InputError
        Naming the file and field when one of id, facility, currency or amount is missing or of the wrong type.
    """
    out = {}
    fac = doc.get("facility")
    if isinstance(fac, Mapping):  # inline facility
        inner = fac.get("facility") if isinstance(fac.get("facility"), Mapping) else fac
        doc = {**doc, "facility": inner.get("id")}
    for key, paths, typ in (
        ("id", ("id", "deal.id"), str),
        ("facility_id", ("facility", "deal.facility", "deal.facility_id", "facility_id"), str),
        ("currency", ("loan.currency", "currency"), str),
        ("amount", ("loan.amount", "amount"), (int, float)),
    ):
        v, where = _pick(doc, paths)
        if v is None:
            raise InputError(f"missing {key.replace('_', ' ')} (looked for {', '.join(paths)})", file=file,
                             field=where)
        if not isinstance(v, typ) or isinstance(v, bool):
            raise InputError(f"{key} has the wrong type", file=file, field=where, value=v)
        out[key] = v
    out["amount"] = float(out["amount"])
    if out["amount"] <= 0:
        raise InputError("loan amount must be positive", file=file, field="loan.amount", unit="currency units",
                         value=out["amount"])
    b, _ = _pick(doc, ("borrower", "deal.borrower"))
    out["borrower"] = b if isinstance(b, str) else None
    m, _ = _pick(doc, ("loan.margin_bp", "margin_bp"))
    out["margin_bp"] = float(m) if isinstance(m, (int, float)) and not isinstance(m, bool) else None
    return out


# ----------------------------------------------------------------------------------- the store

class Store(InputsMixin):
    """The deal book on one database (SQLite file or PostgreSQL).

    Use :func:`open_store` to create one. Methods return plain records (:mod:`store.records`), pydantic
    models of :mod:`index.models` or TOML mappings, never ORM objects.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        An engine from :func:`store.db.make_engine` (SQLite pragmas and write locking set up).
    deal_validator : callable, optional
        ``f(document, file=None)`` called on every deal before it is saved; it raises
        :class:`~index.errors.InputError` for a bad deal (wired to the finance engine's deal model when that
        is merged). The store itself only checks the columns it indexes.
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

    # ------------------------------------------------------------------- transactions and checks

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
        s.add(AuditRow(at=_now(), actor=name, action=action, entity=entity, entity_key=key,
                       before=jsonable(before) if before is not None else None,
                       after=jsonable(after) if after is not None else None))

    def user(self, username: str) -> Actor:
        """The user with its roles and facilities.

        Raises
        ------
        PermissionDenied
            If the user is unknown or deactivated.
        """
        with self._read() as s:
            return self._actor(s, username)

    # ------------------------------------------------------------------- users and roles

    def bootstrap_admin(self, username: str, display_name: str | None = None) -> bool:
        """Create the first admin of an empty deal book; returns False (and does nothing) if users exist."""
        with self._write() as s:
            if s.scalar(select(func.count()).select_from(User)):
                return False
            s.add(User(username=username, display_name=display_name, active=True, created_at=_now()))
            s.flush()
            s.add(UserRole(username=username, role="admin"))
            self._audit(s, username, "user.bootstrap", "user", username, None,
                        {"username": username, "roles": ["admin"]})
        return True

    def add_user(self, actor: str, username: str, roles, *, display_name: str | None = None,
                 facilities=()) -> Actor:
        """Add a user with ``roles`` (subset of :data:`store.roles.ROLES`); admin only.

        Raises
        ------
        InputError
            Duplicate username, unknown role, unknown facility.
        PermissionDenied
            If ``actor`` is not an admin.
        """
        roles = sorted(set(roles))
        bad = [r for r in roles if r not in ROLES]
        if bad or not roles:
            raise InputError(f"unknown role(s) {bad}; roles are {', '.join(ROLES)}", field="roles", value=roles)
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "user.manage")
            if s.get(User, username) is not None:
                raise InputError(f"user {username!r} already exists; use set_roles to change its roles",
                                 field="username", value=username)
            s.add(User(username=username, display_name=display_name, active=True, created_at=_now()))
            s.flush()
            for r in roles:
                s.add(UserRole(username=username, role=r))
            for f in facilities:
                self._facility_row(s, f)
                s.add(FacilityOperator(facility_id=f, username=username))
            self._audit(s, a, "user.add", "user", username, None,
                        {"username": username, "roles": roles, "facilities": sorted(facilities),
                         "display_name": display_name})
        return self.user(username)

    def set_roles(self, actor: str, username: str, roles) -> Actor:
        """Replace a user's roles (admin only)."""
        roles = sorted(set(roles))
        bad = [r for r in roles if r not in ROLES]
        if bad:
            raise InputError(f"unknown role(s) {bad}; roles are {', '.join(ROLES)}", field="roles", value=roles)
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "user.manage")
            if s.get(User, username) is None:
                raise NotFound(f"no user {username!r}", field="username")
            old = sorted(s.scalars(select(UserRole.role).where(UserRole.username == username)))
            if old == roles:
                return self.user(username)
            for r in s.scalars(select(UserRole).where(UserRole.username == username)):
                s.delete(r)
            s.flush()
            for r in roles:
                s.add(UserRole(username=username, role=r))
            self._audit(s, a, "user.roles", "user", username, {"roles": old}, {"roles": roles})
        return self.user(username)

    def assign_facility(self, actor: str, username: str, facility_id: str) -> None:
        """Let operator ``username`` report for ``facility_id`` (admin only)."""
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "user.manage")
            if s.get(User, username) is None:
                raise NotFound(f"no user {username!r}", field="username")
            self._facility_row(s, facility_id)
            if s.get(FacilityOperator, (facility_id, username)) is None:
                s.add(FacilityOperator(facility_id=facility_id, username=username))
                self._audit(s, a, "user.assign_facility", "user", username, None, {"facility": facility_id})

    def deactivate_user(self, actor: str, username: str) -> None:
        """Deactivate a user (kept for the audit trail; admin only)."""
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "user.manage")
            u = s.get(User, username)
            if u is None:
                raise NotFound(f"no user {username!r}", field="username")
            if u.active:
                u.active = False
                self._audit(s, a, "user.deactivate", "user", username, {"active": True}, {"active": False})

    # ------------------------------------------------------------------- methodologies

    def save_methodology(self, actor: str, source, *, sha256: str | None = None,
                         file: str | None = None) -> MethodologyInfo:
        """Store a methodology file's exact bytes (admin only).

        Parameters
        ----------
        source : bytes, str, pathlib.Path or index.methodology.Methodology
            The file content, a path to it, or a loaded methodology (its file is re-read and must still hash
            to ``Methodology.sha256``).
        sha256 : str, optional
            The hash the caller expects (hex); checked against the content.

        Raises
        ------
        InputError
            If the content's SHA-256 differs from ``sha256`` / the loaded methodology's hash; if the file is not
            a valid methodology (:func:`index.methodology.parse_methodology`); if the same id and version are
            stored with other content, or the same content under another id/version.
        PermissionDenied
            If ``actor`` is not an admin.
        """
        from index.methodology import Methodology, parse_methodology

        if isinstance(source, Methodology):
            file = file or source.path
            sha256 = sha256 or source.sha256
            content = Path(source.path).read_bytes()
        elif isinstance(source, (str, Path)) and not (isinstance(source, str) and "\n" in source):
            file = file or str(source)
            content = Path(source).read_bytes()
        elif isinstance(source, str):
            content = source.encode("utf-8")
        else:
            content = bytes(source)
        digest = _sha256(content)
        if sha256 is not None and sha256.lower() != digest:
            raise InputError(f"methodology content hashes to {digest}, not the {sha256} it claims: the file was "
                             "changed after it was hashed; reload it and check which version the deal uses",
                             file=file, field="sha256", value=sha256)
        try:
            data = tomllib.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"not a valid TOML methodology: {exc}", file=file) from None
        m = parse_methodology(data, path=file or "<store>", sha256=digest)
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "methodology.save")
            row = s.get(MethodologyRow, (m.id, m.version))
            if row is not None:
                if row.sha256 == digest:
                    return MethodologyInfo(row.id, row.version, row.sha256, row.title)
                raise InputError(f"methodology {m.id} version {m.version} is already stored with other content "
                                 f"(sha256 {row.sha256}); give the changed file a new version", file=file,
                                 field="version", value=m.version)
            other = s.scalar(select(MethodologyRow).where(MethodologyRow.sha256 == digest))
            if other is not None:
                raise InputError(f"this content is already stored as {other.id} {other.version}", file=file,
                                 field="id", value=m.id)
            s.add(MethodologyRow(id=m.id, version=m.version, sha256=digest, content=content,
                                 title=m.title_en or None, created_at=_now(), created_by=a.username))
            self._audit(s, a, "methodology.save", "methodology", f"{m.id}@{m.version}", None,
                        {"id": m.id, "version": m.version, "sha256": digest, "bytes": len(content)})
        return MethodologyInfo(m.id, m.version, digest, m.title_en or None)

    def methodologies(self) -> list[MethodologyInfo]:
        """Stored methodologies, by id and version."""
        with self._read() as s:
            rows = s.execute(select(MethodologyRow.id, MethodologyRow.version, MethodologyRow.sha256,
                                    MethodologyRow.title).order_by(MethodologyRow.id, MethodologyRow.version))
            return [MethodologyInfo(*r) for r in rows]

    def methodology_content(self, methodology_id: str, version: str) -> bytes:
        """The stored bytes of a methodology file, checked against their hash.

        Raises
        ------
        NotFound
        StoreError
            If the stored bytes no longer hash to the stored SHA-256 (the database was tampered with).
        """
        with self._read() as s:
            row = s.get(MethodologyRow, (methodology_id, version))
            if row is None:
                raise NotFound(f"no methodology {methodology_id} version {version}", field="methodology")
            if _sha256(row.content) != row.sha256:
                raise StoreError(f"stored methodology {methodology_id} {version} does not match its hash "
                                 f"{row.sha256}; restore it from a backup")
            return bytes(row.content)

    def load_methodology(self, methodology_id: str, version: str):
        """The stored methodology parsed as :class:`index.methodology.Methodology` (``sha256`` = stored hash)."""
        from index.methodology import parse_methodology

        content = self.methodology_content(methodology_id, version)
        return parse_methodology(tomllib.loads(content.decode("utf-8")),
                                 path=f"store:{methodology_id}@{version}", sha256=_sha256(content))

    # ------------------------------------------------------------------- facilities

    def _facility_row(self, s: Session, facility_id: str, *, file: str | None = None,
                      field: str = "facility") -> FacilityRow:
        row = s.get(FacilityRow, facility_id)
        if row is None:
            raise NotFound(f"unknown facility {facility_id!r}; save the facility first "
                           "(dcsll db seed-demo loads data/facilities/)", file=file, field=field, value=facility_id)
        return row

    @staticmethod
    def _heads(s: Session, facility_id: str) -> dict[tuple[int | None, str], FigureRow]:
        newer = aliased(FigureRow)
        rows = s.scalars(select(FigureRow).where(
            FigureRow.facility_id == facility_id,
            ~exists().where(newer.restates_id == FigureRow.id)))
        return {(r.period_id, r.field): r for r in rows}

    @staticmethod
    def _spec(r: FigureRow) -> Spec:
        return (r.kind, r.value, r.text, tuple(r.items) if r.items is not None else None, r.status, r.source)

    @staticmethod
    def _spec_json(spec: Spec) -> dict:
        kind, value, text, items, status, source = spec
        d: dict[str, Any] = {"kind": kind, "status": status, "source": source}
        if value is not None:
            d["value"] = value
        if text is not None:
            d["text"] = text
        if items is not None:
            d["items"] = list(items)
        return d

    def save_facility(self, actor: str, facility: Facility, *, reason: str | None = None,
                      file: str | None = None) -> FacilitySaveReport:
        """Save a facility's profile and periods (one transaction, one audit row per record changed).

        Figures are appended, never overwritten: a changed figure is a new row restating the old one, a figure
        missing from ``facility`` is recorded as ``removed``. Periods not in ``facility`` are kept as stored.

        Roles: a new facility needs ``facility.create`` (credit officer, admin); profile changes (including
        design IT power and standard racks) ``facility.profile``; design/reported figures ``figure.report`` (the facility's operator); verified
        figures ``figure.verify`` (verifier). An admin may import whole files (``data.import``).

        Raises
        ------
        ImmutableRecordError
            If a verified figure would change or disappear, or a verified period's dates or defaults change
            (unless a verifier passes ``reason``: then changed verified figures are restatements).
        PermissionDenied
            If a needed role is missing (nothing is written).
        """
        with self._write() as s:
            a = self._actor(s, actor)
            return self._save_facility(s, a, facility, reason=reason, file=file)

    def _save_facility(self, s: Session, a: Actor, facility: Facility, *, reason, file) -> FacilitySaveReport:
        fid = facility.id
        importer = is_allowed(a.roles, "data.import")
        needed: set[str] = set()
        row = s.get(FacilityRow, fid)
        created = row is None
        profile = {k: getattr(facility, k) for k in PROFILE_FIELDS}
        now = _now()
        audits: list[tuple[str, str, str, dict | None, dict | None]] = []
        if created:
            needed.add("facility.create")
            row = FacilityRow(id=fid, created_at=now, updated_at=now, **profile)
            s.add(row)
            audits.append(("facility.create", "facility", fid, None, profile))
        else:
            old = {k: getattr(row, k) for k in PROFILE_FIELDS}
            if old != profile:
                needed.add("facility.profile")
                for k, v in profile.items():
                    setattr(row, k, v)
                row.updated_at = now
                audits.append(("facility.update", "facility", fid,
                               {k: v for k, v in old.items() if profile[k] != v},
                               {k: v for k, v in profile.items() if old[k] != v}))
        s.flush()
        heads = {} if created else self._heads(s, fid)
        periods = {} if created else {p.label: p for p in s.scalars(select(PeriodRow).where(
            PeriodRow.facility_id == fid))}
        new_rows: list[dict] = []
        report_created, report_changed = [], []

        def diff(period_id, label, specs: dict[str, Spec], report_action: str = "figure.report") -> tuple[dict, dict]:
            before, after = {}, {}
            fields = set(specs) | {f for (pid, f), h in heads.items() if pid == period_id and h.kind != "removed"}
            for field in sorted(fields):
                head = heads.get((period_id, field))
                hspec = self._spec(head) if head is not None and head.kind != "removed" else None
                nspec = specs.get(field)
                if hspec == nspec:
                    continue
                status = (nspec or hspec)[4]
                where = f"{fid} period {label} field {field}" if label else f"{fid} field {field}"
                if head is not None and head.status == "verified" and head.kind != "removed":
                    if not (reason and nspec is not None and nspec[4] == "verified"
                            and is_allowed(a.roles, "figure.verify")):
                        raise ImmutableRecordError(
                            f"{where} is verified ({hspec[1] if hspec[1] is not None else hspec[2]!r}) and cannot "
                            f"be {'removed' if nspec is None else 'changed'}; a verifier records a correction with "
                            "Store.restate_figure(..., reason=...)")
                needed.add("figure.verify" if status == "verified" else report_action)
                if nspec is None:
                    kind, value, text, items, st, src = "removed", None, None, None, hspec[4], hspec[5]
                else:
                    kind, value, text, items, st, src = nspec
                new_rows.append(dict(facility_id=fid, period_id=period_id, field=field, kind=kind, value=value,
                                     text=text, items=list(items) if items is not None else None, status=st,
                                     source=src, restates_id=head.id if head is not None else None,
                                     reason=reason, created_at=now, created_by=a.username))
                before[field] = self._spec_json(hspec) if hspec else None
                after[field] = self._spec_json(nspec) if nspec else None
            return before, after

        # design IT power and standard racks belong to the profile (credit officer at onboarding, operator)
        b, af = diff(None, None, facility_specs(facility),
                     "facility.create" if created else "facility.profile")
        if af:
            audits.append(("facility.figures", "facility", fid, b, af))
        pending: list[tuple[int | None, Any, dict | None]] = []
        new_periods: list[dict] = []
        for p in facility.periods:
            meta = {k: getattr(p, k) for k in PERIOD_META}
            meta["evidence"] = list(meta["evidence"])
            prow = periods.get(p.label)
            if prow is None:
                new_periods.append(dict(facility_id=fid, label=p.label, **meta))
                pending.append((None, p, None))
                report_created.append(p.label)
            else:
                old = {k: getattr(prow, k) for k in PERIOD_META}
                old["evidence"] = list(old["evidence"] or [])
                mchange = {k: v for k, v in meta.items() if old[k] != v}
                if mchange:
                    if prow.status == "verified" and not (reason and is_allowed(a.roles, "figure.verify")):
                        raise ImmutableRecordError(
                            f"{fid} period {p.label} is verified; its {', '.join(mchange)} cannot change "
                            "(a verifier may restate it with a reason)")
                    needed.add("figure.verify" if "verified" in (prow.status, meta["status"]) else "figure.report")
                    for k, v in mchange.items():
                        setattr(prow, k, v)
                pending.append((prow.id, p, {k: old[k] for k in mchange} if mchange else {}))
        s.flush()
        new_ids: dict[str, int] = {}
        if new_periods:
            # one multi-VALUES INSERT ... RETURNING for all new periods (not one ORM statement per row)
            res = s.execute(insert(PeriodRow.__table__).values(new_periods)
                            .returning(PeriodRow.__table__.c.label, PeriodRow.__table__.c.id))
            new_ids = {label: pid for label, pid in res}
        for pid, p, old_meta in pending:
            pid = new_ids[p.label] if pid is None else pid
            before, after = diff(pid, p.label, period_specs(p))
            if old_meta is None:
                meta = {k: getattr(p, k) for k in PERIOD_META}
                audits.append(("period.create", "period", f"{fid}/{p.label}", None, {**meta, "figures": after}))
            elif old_meta or after:
                new_meta = {k: getattr(p, k) for k in old_meta}
                audits.append(("period.update", "period", f"{fid}/{p.label}", {**old_meta, "figures": before},
                               {**new_meta, "figures": after}))
                report_changed.append(p.label)
        if not importer:
            for action in sorted(needed):
                self._require(a, action, fid)
        if new_rows:
            self._bulk_insert(s, FigureRow, new_rows)
        if audits:
            self._bulk_insert(s, AuditRow, [
                dict(at=now, actor=a.username, action=act, entity=ent, entity_key=key,
                     before=jsonable(bf) if bf is not None else None, after=jsonable(at) if at is not None else None)
                for act, ent, key, bf, at in audits])
        return FacilitySaveReport(fid, created, tuple(report_created), tuple(report_changed), len(new_rows),
                                  len(audits))

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

    def facility_ids(self) -> list[str]:
        with self._read() as s:
            return list(s.scalars(select(FacilityRow.id).order_by(FacilityRow.id)))

    def load_facility(self, facility_id: str) -> Facility:
        """The facility with the current value of every figure (restated values replace the old ones).

        Raises
        ------
        NotFound
            For an unknown facility.
        """
        with self._read() as s:
            row = self._facility_row(s, facility_id)
            heads = self._heads(s, facility_id)
            prows = s.scalars(select(PeriodRow).where(PeriodRow.facility_id == facility_id)
                              .order_by(PeriodRow.start, PeriodRow.id)).all()
            data: dict[str, Any] = {"id": row.id}
            for k in PROFILE_FIELDS:
                v = getattr(row, k)
                if v is not None:
                    data[k] = v
            by_period: dict[int | None, dict[str, Spec]] = {}
            for (pid, field), h in heads.items():
                by_period.setdefault(pid, {})[field] = self._spec(h)
            for field, spec in by_period.get(None, {}).items():
                if spec[0] == "number":
                    data[field] = {"value": spec[1], "status": spec[4], "source": spec[5]}
            periods = []
            for p in prows:
                meta = {"label": p.label, **{k: getattr(p, k) for k in PERIOD_META}}
                meta = {k: v for k, v in meta.items() if v is not None}
                periods.append(period_dict(meta, by_period.get(p.id, {})))
            data["periods"] = periods
        return Facility.model_validate(data)

    def _append_figure(self, actor: str, facility_id: str, period: str, field: str, value, *, status: str,
                       source: str | None, reason: str | None, restate: bool) -> FigureRecord:
        from index.models import FIGURE_UNITS

        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "figure.verify" if status == "verified" else "figure.report", facility_id)
            self._facility_row(s, facility_id)
            prow = s.scalar(select(PeriodRow).where(PeriodRow.facility_id == facility_id,
                                                    PeriodRow.label == str(period)))
            if prow is None:
                raise NotFound(f"facility {facility_id!r} has no period {period!r}", field="period", value=period)
            if field not in FIGURE_UNITS:
                raise InputError(f"unknown figure field {field!r}; one of {', '.join(FIGURE_UNITS)}", field=field)
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise InputError("figure value must be a number", field=field, unit=FIGURE_UNITS[field],
                                 value=value) from None
            head = self._heads_one(s, facility_id, prow.id, field)
            if head is not None and head.status == "verified":
                if not restate:
                    raise ImmutableRecordError(
                        f"{facility_id} period {period} field {field} is verified ({head.value:g}); it cannot be "
                        "changed — a verifier records a correction with Store.restate_figure(..., reason=...)")
            elif restate:
                raise InputError(f"{facility_id} period {period} field {field} is not verified yet; use "
                                 "verify_figure instead of restate_figure", field=field)
            # check the whole period still validates with the new value
            new = FigureRow(facility_id=facility_id, period_id=prow.id, field=field, kind="number", value=value,
                            status=status, source=source, restates_id=head.id if head is not None else None,
                            reason=reason, created_at=_now(), created_by=a.username)
            s.add(new)
            s.flush()
            self._validate_period(s, facility_id, prow)
            before = self._spec_json(self._spec(head)) if head is not None else None
            self._audit(s, a, "figure.restate" if restate else f"figure.{status}", "figure",
                        f"{facility_id}/{period}/{field}", before, {**self._spec_json(self._spec(new)),
                                                                     "reason": reason})
            return self._figure_record(new, period)

    def _validate_period(self, s: Session, facility_id: str, prow: PeriodRow) -> None:
        from pydantic import ValidationError

        from index.models import PeriodData

        heads = {f: self._spec(h) for (pid, f), h in self._heads(s, facility_id).items() if pid == prow.id}
        meta = {"label": prow.label, **{k: getattr(prow, k) for k in PERIOD_META}}
        meta = {k: v for k, v in meta.items() if v is not None}
        try:
            PeriodData.model_validate(period_dict(meta, heads))
        except ValidationError as exc:
            raise InputError("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()),
                             row=f"period {prow.label}") from None

    @staticmethod
    def _heads_one(s: Session, facility_id: str, period_id: int, field: str) -> FigureRow | None:
        newer = aliased(FigureRow)
        return s.scalar(select(FigureRow).where(
            FigureRow.facility_id == facility_id, FigureRow.period_id == period_id, FigureRow.field == field,
            ~exists().where(newer.restates_id == FigureRow.id)))

    @staticmethod
    def _figure_record(r: FigureRow, period: str | None) -> FigureRecord:
        return FigureRecord(r.id, r.facility_id, period, r.field, r.kind, r.value, r.text,
                            tuple(r.items) if r.items is not None else None, r.status, r.source, r.restates_id,
                            r.reason, r.created_at, r.created_by)

    def report_figure(self, actor: str, facility_id: str, period: str, field: str, value: float, *,
                      source: str | None = None, status: str = "reported") -> FigureRecord:
        """Record a design or reported value [unit of ``field``] (the facility's operator).

        Raises
        ------
        ImmutableRecordError
            If the current value is verified.
        InputError
            Unknown period or field, or the period no longer validates with the new value.
        """
        if status not in ("design", "reported"):
            raise InputError("an operator records design or reported values; verifiers use verify_figure",
                             field="status", value=status)
        return self._append_figure(actor, facility_id, period, field, value, status=status, source=source,
                                   reason=None, restate=False)

    def verify_figure(self, actor: str, facility_id: str, period: str, field: str, value: float, *,
                      source: str, reason: str | None = None) -> FigureRecord:
        """Fix the verified value of a figure (verifier); ``source`` is the evidence reference.

        Raises
        ------
        ImmutableRecordError
            If the figure is already verified (use :meth:`restate_figure`).
        """
        return self._append_figure(actor, facility_id, period, field, value, status="verified", source=source,
                                   reason=reason, restate=False)

    def restate_figure(self, actor: str, facility_id: str, period: str, field: str, value: float, *,
                       source: str, reason: str) -> FigureRecord:
        """Correct a verified figure: a new verified row pointing to the old one, which stays unchanged."""
        if not reason:
            raise InputError("a restatement needs a reason", field="reason")
        return self._append_figure(actor, facility_id, period, field, value, status="verified", source=source,
                                   reason=reason, restate=True)

    def figure_history(self, facility_id: str, period: str | None, field: str) -> list[FigureRecord]:
        """Every stored value of a figure, oldest first."""
        with self._read() as s:
            q = select(FigureRow).where(FigureRow.facility_id == facility_id, FigureRow.field == field)
            if period is None:
                q = q.where(FigureRow.period_id.is_(None))
            else:
                q = q.join(PeriodRow, PeriodRow.id == FigureRow.period_id).where(PeriodRow.label == str(period))
            return [self._figure_record(r, period) for r in s.scalars(q.order_by(FigureRow.id))]

    # ------------------------------------------------------------------- deals

    def save_deal(self, actor: str, document: Mapping, *, expected_version: int | None = None,
                  file: str | None = None) -> DealInfo:
        """Create (``expected_version=None``) or update a deal from its TOML document (credit officer).

        The document is stored as it is (:func:`store.tomlio.to_json`) with its indexed columns
        (:func:`deal_columns`); its ``ratchet`` table is also kept in ``ratchet_terms``.

        Raises
        ------
        InputError
            Missing id/facility/currency/amount, an unknown facility, creating a deal whose id exists, or
            whatever the deal validator refuses.
        NotFound
            Updating a deal that does not exist.
        StaleWriteConflict
            If the stored version is not ``expected_version`` (someone saved in between); nothing is written.
        PermissionDenied
            If ``actor`` is not a credit officer.
        """
        cols = deal_columns(document, file=file)
        if self.deal_validator is not None:
            self.deal_validator(document, file=file)
        doc = to_json(dict(document))
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "deal.save")
            return self._save_deal(s, a, cols, doc, expected_version, file)

    def _save_deal(self, s, a, cols, doc, expected_version, file) -> DealInfo:
        self._facility_row(s, cols["facility_id"], file=file, field="facility")
        row = s.get(DealRow, cols["id"])
        now = _now()
        if expected_version is None:
            if row is not None:
                raise InputError(f"deal {cols['id']!r} already exists (version {row.version}); to change it, "
                                 f"save with expected_version={row.version}", file=file, field="id",
                                 value=cols["id"])
            row = DealRow(document=doc, created_at=now, updated_at=now, updated_by=a.username, **cols)
            s.add(row)
            s.flush()
            self._audit(s, a, "deal.create", "deal", cols["id"], None, {**cols, "document": doc})
        else:
            if row is None:
                raise NotFound(f"no deal {cols['id']!r} to update; save it with expected_version=None to create it",
                               file=file, field="deal.id", value=cols["id"])
            if row.version != expected_version:
                raise StaleWriteConflict("deal", cols["id"], expected_version, row.version)
            if row.document == doc and all(getattr(row, k) == v for k, v in cols.items()):
                return self._deal_info(row)
            before = {k: getattr(row, k) for k in cols} | {"document": row.document}
            for k, v in cols.items():
                setattr(row, k, v)
            row.document = doc
            row.updated_at, row.updated_by = now, a.username
            s.flush()  # UPDATE ... WHERE version = expected: StaleDataError if another writer got there first
            self._audit(s, a, "deal.update", "deal", cols["id"], before, {**cols, "document": doc})
        ratchet = doc.get("ratchet")
        rrow = s.get(RatchetTermsRow, cols["id"])
        if isinstance(ratchet, dict):
            vals = dict(design=ratchet.get("design"), cap_bp=_num(ratchet.get("cap_bp")),
                        margin_floor_bp=_num(ratchet.get("margin_floor_bp")), document=ratchet)
            if rrow is None:
                s.add(RatchetTermsRow(deal_id=cols["id"], **vals))
            else:
                for k, v in vals.items():
                    setattr(rrow, k, v)
        elif rrow is not None:
            s.delete(rrow)
        s.flush()
        return self._deal_info(row)

    @staticmethod
    def _deal_info(row: DealRow) -> DealInfo:
        return DealInfo(row.id, row.facility_id, row.borrower, row.currency, row.amount, row.margin_bp,
                        row.version, row.updated_at, row.updated_by)

    def deal(self, deal_id: str) -> DealInfo:
        """Indexed columns and current version of a deal (raises :class:`NotFound`)."""
        with self._read() as s:
            row = s.get(DealRow, deal_id)
            if row is None:
                raise NotFound(f"no deal {deal_id!r}", field="deal.id", value=deal_id)
            return self._deal_info(row)

    def load_deal_document(self, deal_id: str) -> dict:
        """The deal's TOML mapping exactly as saved (dump with ``tomli_w``)."""
        with self._read() as s:
            row = s.get(DealRow, deal_id)
            if row is None:
                raise NotFound(f"no deal {deal_id!r}", field="deal.id", value=deal_id)
            return from_json(row.document)

    def deal_ids(self) -> list[str]:
        with self._read() as s:
            return list(s.scalars(select(DealRow.id).order_by(DealRow.id)))

    # ------------------------------------------------------------------- baselines, SPTs, results

    def _deal_row(self, s: Session, deal_id: str) -> DealRow:
        row = s.get(DealRow, deal_id)
        if row is None:
            raise NotFound(f"no deal {deal_id!r}", field="deal_id", value=deal_id)
        return row

    def set_baseline(self, actor: str, deal_id: str, kpi: str, value: float, *, unit: str | None = None,
                     period_label: str | None = None, methodology_id: str | None = None,
                     methodology_sha256: str | None = None, reason: str | None = None) -> TargetRecord:
        """Set or recalculate the baseline of ``kpi`` [its unit] for a deal (credit officer).

        A recalculation is a new row superseding the current one (which is kept); it needs a ``reason``.
        """
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "target.save")
            self._deal_row(s, deal_id)
            newer = aliased(BaselineRow)
            cur = s.scalar(select(BaselineRow).where(BaselineRow.deal_id == deal_id, BaselineRow.kpi == kpi,
                                                     ~exists().where(newer.supersedes_id == BaselineRow.id)))
            if cur is not None and not reason:
                raise InputError(f"deal {deal_id} already has a {kpi} baseline ({cur.value:g}); a recalculation "
                                 "needs a reason", field="reason")
            row = BaselineRow(deal_id=deal_id, kpi=kpi, value=float(value), unit=unit, period_label=period_label,
                              methodology_id=methodology_id, methodology_sha256=methodology_sha256,
                              supersedes_id=cur.id if cur else None, reason=reason, created_at=_now(),
                              created_by=a.username)
            s.add(row)
            s.flush()
            self._audit(s, a, "baseline.recalculate" if cur else "baseline.set", "baseline", f"{deal_id}/{kpi}",
                        {"id": cur.id, "value": cur.value} if cur else None,
                        {"id": row.id, "value": row.value, "period": period_label, "reason": reason})
            return TargetRecord(row.id, deal_id, kpi, row.value, None, row.supersedes_id, reason, row.created_at,
                                row.created_by, True, {"unit": unit, "period_label": period_label})

    def set_spt(self, actor: str, deal_id: str, kpi: str, observation_date: dt.date, target: float, *,
                baseline_id: int | None = None, reason: str | None = None) -> TargetRecord:
        """Set or recalculate the SPT of ``kpi`` at ``observation_date`` (credit officer)."""
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "target.save")
            self._deal_row(s, deal_id)
            newer = aliased(SptRow)
            cur = s.scalar(select(SptRow).where(SptRow.deal_id == deal_id, SptRow.kpi == kpi,
                                                SptRow.observation_date == observation_date,
                                                ~exists().where(newer.supersedes_id == SptRow.id)))
            if cur is not None and not reason:
                raise InputError(f"deal {deal_id} already has a {kpi} SPT for {observation_date} ({cur.target:g}); "
                                 "a recalculation needs a reason", field="reason")
            row = SptRow(deal_id=deal_id, kpi=kpi, observation_date=observation_date, target=float(target),
                         baseline_id=baseline_id, supersedes_id=cur.id if cur else None, reason=reason,
                         created_at=_now(), created_by=a.username)
            s.add(row)
            s.flush()
            self._audit(s, a, "spt.recalculate" if cur else "spt.set", "spt",
                        f"{deal_id}/{kpi}/{observation_date.isoformat()}",
                        {"id": cur.id, "target": cur.target} if cur else None,
                        {"id": row.id, "target": row.target, "reason": reason})
            return TargetRecord(row.id, deal_id, kpi, row.target, observation_date, row.supersedes_id, reason,
                                row.created_at, row.created_by, True, {"baseline_id": baseline_id})

    def targets(self, deal_id: str, *, history: bool = False) -> list[TargetRecord]:
        """Baselines then SPTs of a deal (current only, or every row with ``history=True``)."""
        with self._read() as s:
            sup_b = set(s.scalars(select(BaselineRow.supersedes_id).where(BaselineRow.deal_id == deal_id)))
            sup_s = set(s.scalars(select(SptRow.supersedes_id).where(SptRow.deal_id == deal_id)))
            out = []
            for b in s.scalars(select(BaselineRow).where(BaselineRow.deal_id == deal_id).order_by(BaselineRow.id)):
                cur = b.id not in sup_b
                if history or cur:
                    out.append(TargetRecord(b.id, deal_id, b.kpi, b.value, None, b.supersedes_id, b.reason,
                                            b.created_at, b.created_by, cur,
                                            {"unit": b.unit, "period_label": b.period_label}))
            for t in s.scalars(select(SptRow).where(SptRow.deal_id == deal_id)
                               .order_by(SptRow.observation_date, SptRow.id)):
                cur = t.id not in sup_s
                if history or cur:
                    out.append(TargetRecord(t.id, deal_id, t.kpi, t.target, t.observation_date, t.supersedes_id,
                                            t.reason, t.created_at, t.created_by, cur,
                                            {"baseline_id": t.baseline_id}))
            return out

    def record_observation(self, actor: str, deal_id: str, observation_date: dt.date, period_label: str,
                           result, *, status: str = "verified", methodology_id: str | None = None,
                           methodology_sha256: str | None = None, supersedes: int | None = None) -> int:
        """Store the index result of a deal at an observation date (credit officer); returns its id.

        ``result`` is an ``IndexResult`` (anything with ``model_dump``) or its dict; ``total``, ``grade``,
        ``methodology_id`` and ``methodology_sha256`` (or ``methodology_hash``) are read from it when present.
        """
        if hasattr(result, "model_dump"):
            result = result.model_dump(mode="json")
        result = jsonable(dict(result))
        mid = methodology_id or result.get("methodology_id")
        msha = methodology_sha256 or result.get("methodology_sha256") or result.get("methodology_hash")
        if not mid or not msha:
            raise InputError("an observation needs the methodology id and content hash it was scored with",
                             field="methodology_id")
        if status not in ("simulated", "reported", "verified"):
            raise InputError("status must be simulated, reported or verified", field="status", value=status)
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "observation.record")
            self._deal_row(s, deal_id)
            row = ObservationRow(deal_id=deal_id, observation_date=observation_date, period_label=str(period_label),
                                 status=status, methodology_id=mid, methodology_sha256=msha,
                                 total=_num(result.get("total")), grade=result.get("grade"), result=result,
                                 supersedes_id=supersedes, created_at=_now(), created_by=a.username)
            s.add(row)
            s.flush()
            self._audit(s, a, "observation.record", "observation", f"{deal_id}/{observation_date.isoformat()}",
                        None, {"id": row.id, "status": status, "total": row.total, "grade": row.grade,
                               "methodology": f"{mid}@{msha[:12]}", "supersedes": supersedes})
            return row.id

    def record_margin_change(self, actor: str, deal_id: str, effective_date: dt.date, adjustment_bp: float,
                             margin_bp: float, *, observation_id: int | None = None,
                             reason: str | None = None) -> int:
        """Record a margin change [bp] effective from ``effective_date`` (credit officer); returns its id."""
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "margin.record")
            self._deal_row(s, deal_id)
            row = MarginChangeRow(deal_id=deal_id, observation_id=observation_id, effective_date=effective_date,
                                  adjustment_bp=float(adjustment_bp), margin_bp=float(margin_bp), reason=reason,
                                  created_at=_now(), created_by=a.username)
            s.add(row)
            s.flush()
            self._audit(s, a, "margin.change", "margin_change", f"{deal_id}/{effective_date.isoformat()}", None,
                        {"id": row.id, "adjustment_bp": adjustment_bp, "margin_bp": margin_bp,
                         "observation_id": observation_id, "reason": reason})
            return row.id

    def save_simulation(self, actor: str, facility_id: str, name: str, inputs: Mapping, result=None, *,
                        deal_id: str | None = None) -> int:
        """Keep a target-path simulation (operator of the facility, or credit officer); returns its id."""
        if hasattr(result, "model_dump"):
            result = result.model_dump(mode="json")
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "simulation.save", facility_id)
            self._facility_row(s, facility_id)
            row = SimulationRow(facility_id=facility_id, deal_id=deal_id, name=name, inputs=jsonable(dict(inputs)),
                                result=jsonable(result) if result is not None else None, created_at=_now(),
                                created_by=a.username)
            s.add(row)
            s.flush()
            self._audit(s, a, "simulation.save", "simulation", f"{facility_id}/{row.id}", None,
                        {"name": name, "inputs": row.inputs})
            return row.id

    # ------------------------------------------------------------------- verification statements

    def save_statement(self, actor: str, statement_id: str, *, facility_id: str, pdf: bytes,
                       signature_status: str = "unsigned", deal_id: str | None = None,
                       period_label: str | None = None, issue: bool = False,
                       restates: str | None = None) -> StatementInfo:
        """Store a verification statement PDF with its SHA-256 (verifier).

        A draft may be replaced by saving the same id again; an issued statement never changes — a correction
        is a new statement with ``restates=<old id>`` (the old one must be issued and not yet restated).

        Raises
        ------
        ImmutableRecordError
            Saving over an issued statement.
        InputError
            Unknown facility/deal, empty PDF, unknown signature status, a bad ``restates``.
        """
        if signature_status not in SIGNATURE_STATUSES:
            raise InputError(f"signature status must be one of {', '.join(SIGNATURE_STATUSES)}",
                             field="signature_status", value=signature_status)
        pdf = bytes(pdf)
        if not pdf.startswith(b"%PDF-"):
            raise InputError("a statement must be a PDF file (bytes starting with %PDF-)", field="pdf")
        digest = _sha256(pdf)
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "statement.save")
            self._facility_row(s, facility_id)
            if deal_id is not None:
                self._deal_row(s, deal_id)
            if restates is not None:
                old = s.get(StatementRow, restates)
                if old is None or old.status != "issued":
                    raise InputError(f"statement {restates!r} is not an issued statement; only issued statements "
                                     "are restated", field="restates", value=restates)
                if s.scalar(select(StatementRow.id).where(StatementRow.restates_id == restates)):
                    raise InputError(f"statement {restates!r} was already restated; restate the latest one",
                                     field="restates", value=restates)
            row = s.get(StatementRow, statement_id)
            now = _now()
            vals = dict(deal_id=deal_id, facility_id=facility_id, period_label=period_label, pdf=pdf, sha256=digest,
                        signature_status=signature_status, status="issued" if issue else "draft",
                        issued_at=now if issue else None, restates_id=restates)
            if row is None:
                row = StatementRow(id=statement_id, created_at=now, created_by=a.username, **vals)
                s.add(row)
                s.flush()
                self._audit(s, a, "statement.issue" if issue else "statement.draft", "statement", statement_id,
                            None, {k: v for k, v in vals.items() if k != "pdf"} | {"bytes": len(pdf)})
            else:
                if row.status == "issued":
                    raise ImmutableRecordError(
                        f"statement {statement_id!r} is issued (sha256 {row.sha256[:12]}…) and cannot be replaced; "
                        "save the correction under a new id with restates=" + repr(statement_id))
                before = {"sha256": row.sha256, "signature_status": row.signature_status, "status": row.status}
                for k, v in vals.items():
                    setattr(row, k, v)
                s.flush()
                self._audit(s, a, "statement.issue" if issue else "statement.draft", "statement", statement_id,
                            before, {k: v for k, v in vals.items() if k != "pdf"} | {"bytes": len(pdf)})
            return self._statement_info(row)

    def issue_statement(self, actor: str, statement_id: str, *, signature_status: str | None = None) -> StatementInfo:
        """Issue a draft statement (verifier); from then on it is immutable."""
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "statement.issue")
            row = s.get(StatementRow, statement_id)
            if row is None:
                raise NotFound(f"no statement {statement_id!r}", field="statement_id")
            if row.status == "issued":
                raise ImmutableRecordError(f"statement {statement_id!r} is already issued")
            if signature_status is not None:
                if signature_status not in SIGNATURE_STATUSES:
                    raise InputError("unknown signature status", field="signature_status", value=signature_status)
                row.signature_status = signature_status
            row.status, row.issued_at = "issued", _now()
            s.flush()
            self._audit(s, a, "statement.issue", "statement", statement_id, {"status": "draft"},
                        {"status": "issued", "signature_status": row.signature_status, "sha256": row.sha256})
            return self._statement_info(row)

    @staticmethod
    def _statement_info(r: StatementRow) -> StatementInfo:
        return StatementInfo(r.id, r.facility_id, r.deal_id, r.period_label, r.sha256, r.signature_status, r.status,
                             r.issued_at, r.restates_id, len(r.pdf))

    def statement(self, statement_id: str) -> StatementInfo:
        with self._read() as s:
            row = s.get(StatementRow, statement_id)
            if row is None:
                raise NotFound(f"no statement {statement_id!r}", field="statement_id")
            return self._statement_info(row)

    def statement_pdf(self, statement_id: str) -> bytes:
        """The PDF bytes, checked against the stored hash (raises :class:`StoreError` if they differ)."""
        with self._read() as s:
            row = s.get(StatementRow, statement_id)
            if row is None:
                raise NotFound(f"no statement {statement_id!r}", field="statement_id")
            if _sha256(row.pdf) != row.sha256:
                raise StoreError(f"statement {statement_id!r} does not match its hash; restore it from a backup")
            return bytes(row.pdf)

    def statement_ids(self) -> list[str]:
        with self._read() as s:
            return list(s.scalars(select(StatementRow.id).order_by(StatementRow.id)))

    # ------------------------------------------------------------------- reading

    def portfolio_summary(self, actor: str) -> list[DealSummary]:
        """One row per deal: terms, current margin [bp] and the latest observation (one query).

        Roles: credit officer, verifier, admin.
        """
        with self._read() as s:
            a = self._actor(s, actor)
            self._require(a, "portfolio.read")
            obs_rank = select(
                ObservationRow.deal_id, ObservationRow.observation_date, ObservationRow.total, ObservationRow.grade,
                ObservationRow.status,
                func.row_number().over(partition_by=ObservationRow.deal_id,
                                       order_by=(ObservationRow.observation_date.desc(),
                                                 ObservationRow.id.desc())).label("rn")).subquery()
            mc_rank = select(
                MarginChangeRow.deal_id, MarginChangeRow.margin_bp,
                func.row_number().over(partition_by=MarginChangeRow.deal_id,
                                       order_by=(MarginChangeRow.effective_date.desc(),
                                                 MarginChangeRow.id.desc())).label("rn")).subquery()
            q = (select(DealRow.id, DealRow.facility_id, FacilityRow.name, DealRow.borrower, DealRow.currency,
                        DealRow.amount, DealRow.margin_bp, mc_rank.c.margin_bp, DealRow.version,
                        obs_rank.c.observation_date, obs_rank.c.total, obs_rank.c.grade, obs_rank.c.status)
                 .join(FacilityRow, FacilityRow.id == DealRow.facility_id)
                 .outerjoin(obs_rank, and_(obs_rank.c.deal_id == DealRow.id, obs_rank.c.rn == 1))
                 .outerjoin(mc_rank, and_(mc_rank.c.deal_id == DealRow.id, mc_rank.c.rn == 1))
                 .order_by(DealRow.id))
            out = []
            for r in s.execute(q):
                r = list(r)
                if r[7] is None:
                    r[7] = r[6]
                out.append(DealSummary(*r))
            return out

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


def _num(v) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def open_store(url: str | None = None, *, migrate: bool = False, deal_validator=None, **engine_kw) -> Store:
    """Open the deal book at ``url`` (default ``$DCSLL_DATABASE_URL`` or the per-user SQLite file).

    Parameters
    ----------
    migrate : bool
        Apply pending migrations first (what ``dcsll db upgrade`` does). Without it a database that is not at
        the latest revision is refused.

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
