"""Facilities: profile, periods and their figures (append-only figure history).

Figures are appended, never overwritten: a changed figure is a new row restating the old one, a figure
missing from a saved facility is recorded as ``removed``; :meth:`FacilitiesMixin.load_facility` gives the
current value of each.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session, aliased

from index.models import Facility
from store import gec
from store.base import StoreBase, _now
from store.errors import ImmutableRecordError, PermissionDenied, StaleWriteConflict
from store.records import (
    Actor,
    FacilitySaveReport,
)
from store.roles import is_allowed
from store.schema import (
    FacilityOperator,
    FacilityRow,
    FigureRow,
    PeriodRow,
)
from store.tomlio import Spec, facility_specs, jsonable, period_dict, period_specs

PROFILE_FIELDS = ("name", "name_zh", "operator", "province", "grid_region", "hub_node", "cluster",
                  "computing_type", "lifecycle_stage", "commissioning_date", "cooling", "source", "notes")


PERIOD_META = ("start", "end", "status", "source", "compute_precision", "gpu_utilisation_definition",
               "evidence", "notes")


class FacilitiesMixin(StoreBase):
    """Facilities and their periods."""

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
                      file: str | None = None, expected_version: int | None = None,
                      verified_by: str | None = None) -> FacilitySaveReport:
        """Save a facility's profile and periods (one transaction, one audit row per record changed).

        Figures are appended, never overwritten: a changed figure is a new row restating the old one, a figure
        missing from ``facility`` is recorded as ``removed``. Periods not in ``facility`` are kept as stored.

        Roles: a new facility needs ``facility.create`` (credit officer, admin, or an operator, who then reports
        for it); profile changes (including
        design IT power and standard racks) ``facility.profile``; design/reported figures ``figure.report`` (the
        facility's operator); verified figures and periods ``figure.verify`` (verifier). An admin may import
        whole files (``data.import``), but only a verifier makes a figure verified (separation of duties, issue
        13): the verified content of an imported file is written in the name of ``verified_by``, a user with the
        verifier role (the audit rows name both), else the save is refused. Changing anything a verified score
        depends on — a figure of a verified period, or a facility-level figure (design IT power, standard
        racks) once any period is verified — is a restatement: a verifier with a ``reason``.

        ``expected_version`` (from :meth:`facility_version` or the previous report's ``version``) makes the save
        optimistic: when someone changed the facility since, :class:`StaleWriteConflict` is raised and nothing is
        written (a stale form never silently reverts another user's change).

        Raises
        ------
        ImmutableRecordError
            If a verified figure would change or disappear, or a verified period's dates or defaults change
            (unless a verifier passes ``reason``: then changed verified figures are restatements).
        PermissionDenied
            If a needed role is missing, or ``verified_by`` is not an active verifier (nothing is written).
        StaleWriteConflict
            If the facility's version is not ``expected_version``.
        """
        with self._write() as s:
            a = self._actor(s, actor)
            return self._save_facility(s, a, facility, reason=reason, file=file, expected_version=expected_version,
                                       verified_by=verified_by)

    def facility_version(self, facility_id: str) -> int:
        """The facility's optimistic-lock version (pass it back as ``save_facility(expected_version=...)``)."""
        with self._read() as s:
            return self._facility_row(s, facility_id).version

    def _save_facility(self, s: Session, a: Actor, facility: Facility, *, reason, file,
                       expected_version: int | None = None, verified_by: str | None = None) -> FacilitySaveReport:
        fid = facility.id
        importer = is_allowed(a.roles, "data.import")
        verifier = a
        if verified_by is not None:
            if not importer:
                raise PermissionDenied(a.username, "data.import",
                                       "only an admin importing a file names the verifier of its verified content")
            verifier = self._actor(s, verified_by)
            if not is_allowed(verifier.roles, "figure.verify"):
                raise PermissionDenied(verified_by, "figure.verify",
                                       f"verified_by={verified_by!r} is not a user with the verifier role")
        needed: set[str] = set()
        row = s.get(FacilityRow, fid)
        created = row is None
        if expected_version is not None and (created or row.version != expected_version):
            raise StaleWriteConflict("facility", fid, expected_version, None if created else row.version)
        any_verified = not created and s.scalar(select(exists().where(
            PeriodRow.facility_id == fid, PeriodRow.status == "verified")))
        profile = {k: getattr(facility, k) for k in PROFILE_FIELDS}
        now = _now()
        audits: list[tuple[str, str, str, dict | None, dict | None]] = []
        if created:
            needed.add("facility.create")
            row = FacilityRow(id=fid, created_at=now, updated_at=now, **profile)
            s.add(row)
            audits.append(("facility.create", "facility", fid, None, profile))
            if "operator" in a.roles and not (a.roles & {"credit_officer", "admin"}):
                # a borrower's operator onboards its own facility and reports for it from then on
                s.flush()
                s.add(FacilityOperator(facility_id=fid, username=a.username))
                audits.append(("user.assign_facility", "user", a.username, None, {"facility": fid}))
                a = dataclasses.replace(a, facilities=a.facilities | {fid})
                if verifier.username == a.username:
                    verifier = a
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

        def diff(period_id, label, specs: dict[str, Spec], report_action: str = "figure.report",
                 locked: bool = False) -> tuple[dict, dict]:
            """``locked``: a verified score depends on these figures; any change is a verifier's restatement."""
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
                if locked and not (reason and is_allowed(verifier.roles, "figure.verify")):
                    raise ImmutableRecordError(
                        f"{where} belongs to a verified score ({'period ' + label if label else 'facility-level'} "
                        "figure); changing it is a restatement by a verifier with a reason")
                needed.add("figure.verify" if status == "verified" or locked else report_action)
                if nspec is None:
                    kind, value, text, items, st, src = "removed", None, None, None, hspec[4], hspec[5]
                else:
                    kind, value, text, items, st, src = nspec
                new_rows.append(dict(facility_id=fid, period_id=period_id, field=field, kind=kind, value=value,
                                     text=text, items=list(items) if items is not None else None, status=st,
                                     source=src, restates_id=head.id if head is not None else None,
                                     reason=reason, created_at=now,
                                     created_by=verifier.username if st == "verified" else a.username))
                before[field] = self._spec_json(hspec) if hspec else None
                after[field] = self._spec_json(nspec) if nspec else None
            return before, after

        # design IT power and standard racks belong to the profile (credit officer at onboarding, operator)
        b, af = diff(None, None, facility_specs(facility),
                     "facility.create" if created else "facility.profile", locked=bool(any_verified))
        if af:
            audits.append(("facility.figures", "facility", fid, b, af))
        pending: list[tuple[int | None, Any, dict | None]] = []
        locked_periods: set[int] = set()
        new_periods: list[dict] = []
        def require_verifier() -> None:
            """Only a verifier makes a figure or a period verified (importers name one with ``verified_by``)."""
            if importer and verifier is a and not is_allowed(a.roles, "figure.verify"):
                raise PermissionDenied(a.username, "figure.verify", (
                    f"{fid}: the file holds verified periods or figures and only a verifier makes a figure "
                    "verified; name the verifier whose attestation they carry (save_facility(..., "
                    "verified_by=USER), `dcsll db import --verified-by USER`)"))
            self._require(verifier, "figure.verify", fid)

        for p in facility.periods:
            meta = {k: getattr(p, k) for k in PERIOD_META}
            meta["evidence"] = list(meta["evidence"])
            prow = periods.get(p.label)
            if prow is None:
                # a period marked verified is the verifier's to create; the database (revision 0007) refuses a
                # verified period whose verified_by is not a verifier, so check the role before writing
                if meta["status"] == "verified":
                    require_verifier()
                new_periods.append(dict(facility_id=fid, label=p.label, **meta,
                                        verified_by=verifier.username if meta["status"] == "verified" else None))
                needed.add("figure.verify" if meta["status"] == "verified" else "figure.report")
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
                    if mchange.get("status") == "verified":
                        require_verifier()
                        prow.verified_by = verifier.username
                    for k, v in mchange.items():
                        setattr(prow, k, v)
                pending.append((prow.id, p, {k: old[k] for k in mchange} if mchange else {}))
                if prow.status == "verified":
                    locked_periods.add(prow.id)
        s.flush()
        new_ids: dict[str, int] = {}
        if new_periods:
            # one multi-VALUES INSERT ... RETURNING for all new periods (not one ORM statement per row)
            res = s.execute(insert(PeriodRow.__table__).values(new_periods)
                            .returning(PeriodRow.__table__.c.label, PeriodRow.__table__.c.id))
            new_ids = {label: pid for label, pid in res}
        gec_now = gec.current_items(s, [pid for pid, _, _ in pending if pid is not None])
        for pid, p, old_meta in pending:
            pid = new_ids[p.label] if pid is None else pid
            before, after = diff(pid, p.label, period_specs(p), locked=pid in locked_periods)
            # GEC lot evidence (store.gec, table gec_lots): a new version when it changed
            items = gec.period_items(p)
            have_v, have = gec_now.get(pid, (0, []))
            if items != have:
                gec.check_no_double_claim(s, fid, p.label, pid, items)
                if pid in locked_periods and not (reason and is_allowed(verifier.roles, "figure.verify")):
                    raise ImmutableRecordError(
                        f"{fid} period {p.label}: its GEC lot evidence belongs to a verified score; changing it is a "
                        "restatement by a verifier with a reason")
                needed.add("figure.verify" if pid in locked_periods or any(i[8] == "verified" for i in items)
                           else "figure.report")
                gec.append_version(s, fid, pid, have_v + 1, items, reason=reason, now=now, reporter=a.username,
                                   verifier=verifier.username)
                audits.append(("period.gec_evidence", "period", f"{fid}/{p.label}",
                               {"gec": gec.item_json(have)} if have_v else None, {"gec": gec.item_json(items)}))
                if old_meta is not None and not (old_meta or after):
                    report_changed.append(p.label)
            if old_meta is None:
                meta = {k: getattr(p, k) for k in PERIOD_META}
                audits.append(("period.create", "period", f"{fid}/{p.label}", None, {**meta, "figures": after}))
            elif old_meta or after:
                new_meta = {k: getattr(p, k) for k in old_meta}
                audits.append(("period.update", "period", f"{fid}/{p.label}", {**old_meta, "figures": before},
                               {**new_meta, "figures": after}))
                report_changed.append(p.label)
        for action in sorted(needed):
            if action == "figure.verify":  # importers too: only a verifier makes a figure verified
                require_verifier()
            elif not importer:
                self._require(a, action, fid)
        if audits:
            if not created:  # any change bumps the optimistic-lock version (UPDATE ... WHERE version = read)
                row.updated_at = now
                s.flush()
            if verifier is not a and "figure.verify" in needed:
                audits = [(act, ent, key, bf, {**(at or {}), "verified_by": verifier.username})
                          for act, ent, key, bf, at in audits]
        if new_rows:
            self._bulk_insert(s, FigureRow, new_rows)
        if audits:
            self._audit_many(s, [
                dict(at=now, actor=a.username, action=act, entity=ent, entity_key=key,
                     before=jsonable(bf) if bf is not None else None, after=jsonable(at) if at is not None else None)
                for act, ent, key, bf, at in audits])
        return FacilitySaveReport(fid, created, tuple(report_created), tuple(report_changed), len(new_rows),
                                  len(audits), row.version)

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
                    if spec[2] == "proxy":  # store.tomlio.PROXY_TAG
                        data[field]["proxy"] = True
            periods = []
            lots = gec.current_items(s, [p.id for p in prows])
            for p in prows:
                meta = {"label": p.label, **{k: getattr(p, k) for k in PERIOD_META}}
                meta = {k: v for k, v in meta.items() if v is not None}
                periods.append(period_dict(meta, by_period.get(p.id, {})) | gec.period_fields(lots.get(p.id, (0, []))[1]))
            data["periods"] = periods
        return Facility.model_validate(data)
