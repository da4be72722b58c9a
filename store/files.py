"""Files in and out of the deal book: import a folder of facility and deal TOML files, export everything.

Layout of an export folder (and of ``data/``, which ``seed-demo`` reads)::

    facilities/<facility id>.toml      canonical facility file (store.tomlio.dumps_facility)
    deals/<deal id>.toml               the deal document as saved (tomli_w)
    methodology/<id>-<version>.toml    the methodology file's exact bytes
    statements/<statement id>.pdf      statement PDFs (bytes as stored, hash checked)
    monthly/<facility id>.csv          monthly metered series (index.forecast.load_monthly reads it)
    targets/<deal id>.toml             targets settings, ``deal`` and the ``monthly`` CSV of its facility
    targets/<preset name>.toml         lever presets (``[[levers]]``)
    statements/<verifier id>.toml      verifier identities (``[verifier]``)
    statements/engagement-<deal id>-<period>.toml   engagements, with ``deal`` and ``period``
    audit_log.jsonl                    the audit trail, one JSON object per line

``dcsll db seed-demo --data DIR`` (or ``dcsll db import`` of the files) loads an export folder back.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w
from sqlalchemy import select

from index.errors import InputError, InputErrors
from index.models import Facility, facility_from_dict, load_facility
from index.tomlfile import read_toml
from store.core import deal_columns
from store.inputs import DERIVED_MONTHLY, MONTHLY_TEXT
from store.roles import is_allowed
from store.schema import AuditRow, DealRow
from store.tomlio import dumps_facility, jsonable, to_json


@dataclass
class ImportReport:
    """What an import wrote: ids per kind and the number of audit rows."""

    facilities: list[str] = field(default_factory=list)
    deals: list[str] = field(default_factory=list)
    methodologies: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    #: deal-book inputs written (``kind:key``: targets settings and monthly series, levers, verifiers,
    #: engagements)
    inputs: list[str] = field(default_factory=list)


def read_facilities(folder: Path) -> list[tuple[Path, Facility]]:
    """Load every ``*.toml`` of a folder as a facility (sorted by name).

    Raises
    ------
    InputErrors
        Every bad file, and every facility id found in more than one file (naming both files).
    """
    out, errors, seen = [], [], {}
    for p in sorted(Path(folder).glob("*.toml")):
        try:
            f = load_facility(p)
        except InputErrors as exc:
            errors.extend(exc.errors)
            continue
        except InputError as exc:
            errors.append(exc)
            continue
        if f.id in seen:
            errors.append(InputError(f"duplicate facility id {f.id!r}: also in {seen[f.id]}", file=str(p),
                                     field="facility.id", value=f.id))
            continue
        seen[f.id] = str(p)
        out.append((p, f))
    if errors:
        raise InputErrors(errors)
    return out


def read_deals(folder: Path) -> list[tuple[Path, dict]]:
    """Load every ``*.toml`` of a folder as a deal document; duplicate deal ids are refused."""

    out, errors, seen = [], [], {}
    for p in sorted(Path(folder).glob("*.toml")):
        try:
            doc = read_toml(p)
            cols = deal_columns(doc, file=str(p))
        except InputError as exc:
            errors.append(exc)
            continue
        if cols["id"] in seen:
            errors.append(InputError(f"duplicate deal id {cols['id']!r}: also in {seen[cols['id']]}", file=str(p),
                                     field="id", value=cols["id"]))
            continue
        seen[cols["id"]] = str(p)
        out.append((p, doc))
    if errors:
        raise InputErrors(errors)
    return out


def import_folder(store, actor: str, data_dir: Path, *, deal_actor: str | None = None,
                  verified_by: str | None = None) -> ImportReport:
    """Load ``data_dir/facilities/*.toml``, ``data_dir/deals/*.toml`` and ``data_dir/methodology/*.toml``.

    Everything is read and checked before anything is written, and the whole import is one transaction per
    kind of record (facilities, then deals): a bad deal leaves no deal written. Existing records are updated
    (deals at their current version) and unchanged ones left alone.

    Raises
    ------
    InputErrors
        Bad files, duplicate ids, a deal naming an unknown facility.
    """

    data_dir = Path(data_dir)
    rep = ImportReport()
    facilities = read_facilities(data_dir / "facilities") if (data_dir / "facilities").is_dir() else []
    deals = read_deals(data_dir / "deals") if (data_dir / "deals").is_dir() else []
    errs = []
    ids = {f.id: str(p) for p, f in facilities}
    for p, doc in deals:  # inline facilities of deals are stored as facilities too
        fac = doc.get("facility")
        if isinstance(fac, dict):
            try:
                f = facility_from_dict(dict(fac), file=f"{p} [facility]")
            except InputErrors as exc:
                errs.extend(exc.errors)
                continue
            except InputError as exc:
                errs.append(exc)
                continue
            if f.id in ids:
                errs.append(InputError(f"duplicate facility id {f.id!r}: also in {ids[f.id]}", file=str(p),
                                       field="facility.id", value=f.id))
                continue
            ids[f.id] = str(p)
            facilities.append((p, f))
    known = set(store.facility_ids()) | set(ids)
    for p, doc in deals:
        cols = deal_columns(doc, file=str(p))
        if cols["facility_id"] not in known:
            errs.append(InputError(f"unknown facility {cols['facility_id']!r}; add data/facilities/"
                                   f"{cols['facility_id']}.toml or fix the id", file=str(p), field="facility",
                                   value=cols["facility_id"]))
        if store.deal_validator is not None:
            try:
                store.deal_validator(doc, file=str(p))
            except InputErrors as exc:
                errs.extend(exc.errors)
            except InputError as exc:
                errs.append(exc)
    if errs:
        raise InputErrors(errs)
    mdir = data_dir / "methodology"
    if mdir.is_dir():
        stored = {m.sha256 for m in store.methodologies()}
        for p in sorted(mdir.glob("*.toml")):
            info = store.save_methodology(actor, p)
            (rep.unchanged if info.sha256 in stored else rep.methodologies).append(f"{info.id}@{info.version}")
    with store._write() as s:
        a = store._actor(s, actor)
        for p, f in facilities:
            r = store._save_facility(s, a, f, reason=None, file=str(p), verified_by=verified_by)
            (rep.facilities if r.changes else rep.unchanged).append(f.id)
    da = deal_actor or actor
    with store._write() as s:
        a = store._actor(s, da)
        if not is_allowed(a.roles, "data.import"):
            store._require(a, "deal.save")
        for p, doc in deals:
            cols = deal_columns(doc, file=str(p))

            row = s.get(DealRow, cols["id"])
            if row is not None and row.document == to_json(dict(doc)):
                rep.unchanged.append(cols["id"])
                continue
            store._save_deal(s, a, cols, to_json(dict(doc)), row.version if row is not None else None, str(p))
            rep.deals.append(cols["id"])
    return rep


def export_folder(store, out_dir: Path) -> dict[str, int]:
    """Write every facility, deal, methodology, statement and the audit log under ``out_dir``.

    Returns the number of files per kind. Existing files of the same name are overwritten; nothing else in
    ``out_dir`` is touched.
    """

    out = Path(out_dir)
    counts = {"facilities": 0, "deals": 0, "methodology": 0, "statements": 0, "audit_rows": 0}
    for sub in ("facilities", "deals", "methodology", "statements"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for fid in store.facility_ids():
        (out / "facilities" / f"{fid}.toml").write_text(dumps_facility(store.load_facility(fid)), encoding="utf-8")
        counts["facilities"] += 1
    for did in store.deal_ids():
        (out / "deals" / f"{did}.toml").write_text(tomli_w.dumps(store.load_deal_document(did)), encoding="utf-8")
        counts["deals"] += 1
    for m in store.methodologies():
        (out / "methodology" / f"{m.id}-{m.version}.toml").write_bytes(store.methodology_content(m.id, m.version))
        counts["methodology"] += 1
    for sid in store.statement_ids():
        (out / "statements" / f"{sid}.pdf").write_bytes(store.statement_pdf(sid))
        counts["statements"] += 1
    counts.update(export_inputs(store, out))

    with store._read() as s, open(out / "audit_log.jsonl", "w", encoding="utf-8") as fh:
        for r in s.scalars(select(AuditRow).order_by(AuditRow.id)):
            fh.write(json.dumps(jsonable({"id": r.id, "at": r.at, "actor": r.actor, "action": r.action,
                                          "entity": r.entity, "key": r.entity_key, "before": r.before,
                                          "after": r.after}), ensure_ascii=False) + "\n")
            counts["audit_rows"] += 1
    return counts


def _csv_number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 2**53 else repr(float(v))


def export_inputs(store, out_dir: Path) -> dict[str, int]:
    """Write the deal-book inputs under ``out_dir`` in the layout of ``data/`` (module docstring).

    Monthly values are written exactly (``repr`` of the float, whole numbers without a decimal point), so
    reading the CSV back gives the stored numbers.
    """



    out = Path(out_dir)
    counts = {"monthly": 0, "targets_settings": 0, "lever_presets": 0, "verifiers": 0, "engagements": 0}
    for sub in ("monthly", "targets", "statements"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    deals = store.deal_ids()
    presets = store.lever_presets()
    clash = sorted(set(presets) & set(deals))
    if clash:
        raise InputError(f"lever preset {clash[0]!r} has the name of a deal: its file would overwrite the deal's "
                         "targets settings file; rename the preset", field="name", value=clash[0])
    monthly_of = {}
    for fid in store.monthly_facility_ids():
        df = store.monthly(fid)
        cols = [c for c in df.columns if c not in DERIVED_MONTHLY]
        path = out / "monthly" / f"{fid}.csv"
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["month", *cols])
            for month, row in zip(df.index, df[cols].itertuples(index=False, name=None), strict=True):
                w.writerow([str(month), *(v if c in MONTHLY_TEXT else _csv_number(v) for c, v in zip(cols, row,
                                                                                                    strict=True))])
        monthly_of[fid] = path.name
        counts["monthly"] += 1
    for did in deals:
        settings = store.targets_settings(did)
        if settings is not None:
            head: dict = {"deal": did}
            fid = store.deal(did).facility_id
            if fid in monthly_of:
                head["monthly"] = f"../monthly/{monthly_of[fid]}"
            (out / "targets" / f"{did}.toml").write_text(tomli_w.dumps(head | settings), encoding="utf-8")
            counts["targets_settings"] += 1
        for period, eng in store.engagements(did).items():
            (out / "statements" / f"engagement-{did}-{period}.toml").write_text(
                tomli_w.dumps({"deal": did, "period": period} | eng), encoding="utf-8")
            counts["engagements"] += 1
    for name, doc in presets.items():
        (out / "targets" / f"{name}.toml").write_text(tomli_w.dumps(doc), encoding="utf-8")
        counts["lever_presets"] += 1
    for vid, doc in store.verifiers().items():
        (out / "statements" / f"{vid}.toml").write_text(tomli_w.dumps({"verifier": doc}), encoding="utf-8")
        counts["verifiers"] += 1
    return counts
