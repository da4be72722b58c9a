"""Import single TOML files into the deal book (``dcsll db import FILE…``), each recognised by its tables.

=============  ================================================  ===============================================
kind           recognised by                                     saved as
=============  ================================================  ===============================================
methodology    ``pillars``, ``indicators`` and ``grades``        :meth:`Store.save_methodology` (exact bytes)
facility       a ``[facility]`` table, no ``loan``               :meth:`Store.save_facility`
deal           a ``[loan]`` table                                :meth:`Store.save_deal` (an inline facility too)
verifier       a ``[verifier]`` table (``[signing]`` skipped)    :meth:`Store.save_verifier`, id = file stem
levers         only ``[[levers]]``                               :meth:`Store.save_lever_preset`, name = stem
targets        ``deal = "<deal id>"`` and settings tables        :meth:`Store.save_targets_settings`; the
                                                                 ``monthly`` CSV it names (relative to the
                                                                 file) → :meth:`Store.save_monthly` of the
                                                                 deal's facility
engagement     ``statement_id`` / ``loan_reference``, ``period`` :meth:`Store.save_engagement` of deal
                                                                 ``deal`` (else ``loan_reference``), ``period``
=============  ================================================  ===============================================

Each file is checked completely and saved in one transaction, so a bad file saves nothing of itself (other
files of the same call are unaffected). Importing the same content again changes nothing and writes no audit
rows. The acting user needs the roles of each record, or ``admin`` (``data.import``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from common.errors import InputError, InputErrors
from common.inputfile import decode_text, parse_toml, read_bytes
from index.forecast import monthly_from_rows
from index.models import facility_from_dict, load_facility
from store.core import deal_columns
from store.errors import PermissionDenied, StoreError
from store.inputs import (
    ENGAGEMENT_KEYS,
    TARGETS_FILE_ONLY,
    TARGETS_TABLES,
    check_engagement,
    check_levers,
    check_targets_settings,
    check_verifier,
)
from store.roles import is_allowed
from store.schema import AuditRow, DealRow
from store.tomlio import to_json

#: import order within one call: what a later kind refers to comes first
KIND_ORDER = ("methodology", "facility", "deal", "verifier", "levers", "targets", "engagement")
#: keys of an engagement file that say where it belongs (not stored in the engagement itself)
ENGAGEMENT_FILE_ONLY = ("deal", "period")


@dataclass(frozen=True)
class FileImport:
    """What importing one file did: its kind, the record key and whether anything changed."""

    file: str
    kind: str
    key: str
    changed: bool


def classify(doc: dict, *, file: str | None = None) -> str:
    """The kind of a deal-book TOML document (see the module table).

    Raises
    ------
    InputError
        If the document is none of the known kinds.
    """
    keys = set(doc)
    if {"pillars", "indicators", "grades"} <= keys:
        return "methodology"
    if "loan" in keys:
        return "deal"
    if isinstance(doc.get("facility"), dict) and keys <= {"facility", "periods"}:
        return "facility"
    if isinstance(doc.get("verifier"), dict) and keys <= {"verifier", "signing"}:
        return "verifier"
    if keys == {"levers"}:
        return "levers"
    if isinstance(doc.get("deal"), str) and keys <= set(TARGETS_TABLES) | set(TARGETS_FILE_ONLY):
        return "targets"
    if keys & {"statement_id", "loan_reference"} and keys <= set(ENGAGEMENT_KEYS) | set(ENGAGEMENT_FILE_ONLY):
        return "engagement"
    raise InputError("not a deal-book file: expected a facility ([facility]), a deal ([loan]), a methodology, "
                     "targets settings (deal = ...), levers ([[levers]]), a verifier ([verifier]) or an "
                     f"engagement (statement_id, period); found the keys {', '.join(sorted(keys)) or '(none)'}",
                     file=file)


def read_document(path: Path) -> tuple[bytes, dict]:
    """The bytes and the TOML mapping of a file (file kind, size, encoding and number checks of
    :mod:`common.inputfile`).

    Raises
    ------
    InputError
        An unreadable, oversized or wrongly encoded file or invalid TOML (the file named).
    """
    try:
        raw = read_bytes(path)
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    return raw, parse_toml(decode_text(raw, str(path))[0], str(path), "the file")


def import_file(store, actor: str, path: str | Path, *, verified_by: str | None = None) -> FileImport:
    """Check one file and save it in one transaction.

    Raises
    ------
    InputError
        A bad file (file and field named); nothing of it is saved.
    PermissionDenied
        ``actor`` may not write that kind of record, or the file holds verified figures and neither ``actor``
        nor ``verified_by`` is a verifier (only a verifier makes a figure verified).
    """
    path = Path(path)
    f = str(path)
    raw, doc = read_document(path)
    kind = classify(doc, file=f)
    if kind == "methodology":
        before = {m.sha256 for m in store.methodologies()}
        info = store.save_methodology(actor, raw, file=f)
        return FileImport(f, kind, f"{info.id}@{info.version}", info.sha256 not in before)
    if kind == "facility":
        fac = load_facility(path)
        rep = store.save_facility(actor, fac, file=f, verified_by=verified_by)
        return FileImport(f, kind, fac.id, bool(rep.changes))
    if kind == "deal":
        return _import_deal(store, actor, doc, f, verified_by)
    if kind == "verifier":
        vdoc = to_json(check_verifier(doc["verifier"], file=f))
        with store._write() as s:
            n = _audit_rows(s)
            store._save_verifier(s, store._actor(s, actor), path.stem, vdoc)
            return FileImport(f, kind, path.stem, _audit_rows(s) > n)
    if kind == "levers":
        ldoc = to_json(check_levers(doc, file=f))
        with store._write() as s:
            n = _audit_rows(s)
            store._save_lever_preset(s, store._actor(s, actor), path.stem, ldoc, None)
            return FileImport(f, kind, path.stem, _audit_rows(s) > n)
    if kind == "targets":
        return _import_targets(store, actor, doc, path)
    return _import_engagement(store, actor, doc, f)


def _audit_rows(s) -> int:


    return int(s.scalar(select(func.count()).select_from(AuditRow)))


def _import_deal(store, actor, doc: dict, f: str, verified_by: str | None = None) -> FileImport:
    cols = deal_columns(doc, file=f)
    if store.deal_validator is not None:
        store.deal_validator(doc, file=f)
    inline = facility_from_dict(dict(doc["facility"]), file=f"{f} [facility]") \
        if isinstance(doc.get("facility"), dict) else None
    jdoc = to_json(dict(doc))
    with store._write() as s:
        a = store._actor(s, actor)
        n = _audit_rows(s)
        if inline is not None:
            store._save_facility(s, a, inline, reason=None, file=f, verified_by=verified_by)
        if not is_allowed(a.roles, "data.import"):
            store._require(a, "deal.save")
        row = s.get(DealRow, cols["id"])
        if row is None or row.document != jdoc:
            store._save_deal(s, a, cols, jdoc, row.version if row is not None else None, f)
        return FileImport(f, "deal", cols["id"], _audit_rows(s) > n)


def _import_targets(store, actor, doc: dict, path: Path) -> FileImport:
    f = str(path)
    deal_id = doc["deal"]
    settings = {k: v for k, v in doc.items() if k not in TARGETS_FILE_ONLY}
    tdoc = to_json(check_targets_settings(settings, file=f))
    rows = None
    if "monthly" in doc:
        if not isinstance(doc["monthly"], str):
            raise InputError("monthly is the path of the monthly CSV (relative to this file)", file=f,
                             field="monthly", value=doc["monthly"])
        csv_path = (path.parent / doc["monthly"]).resolve()
        rows = _csv_rows(csv_path, f)
        monthly_from_rows(rows, file=str(csv_path))
    with store._write() as s:
        a = store._actor(s, actor)
        n = _audit_rows(s)
        drow = store._deal_row(s, deal_id)
        store._save_targets_settings(s, a, deal_id, tdoc)
        if rows is not None:
            store._save_monthly(s, a, drow.facility_id, rows, str(csv_path))
        return FileImport(f, "targets", deal_id, _audit_rows(s) > n)


def _csv_rows(path: Path, f: str) -> list[dict]:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    except OSError as exc:
        raise InputError(f"cannot read the monthly CSV {path}: {exc.strerror}", file=f, field="monthly") from None


def _import_engagement(store, actor, doc: dict, f: str) -> FileImport:
    deal_id = doc.get("deal", doc.get("loan_reference"))
    if not isinstance(deal_id, str) or not deal_id:
        raise InputError("an engagement file names its deal: deal = \"<deal id>\" (or loan_reference)", file=f,
                         field="deal")
    period = doc.get("period")
    if not isinstance(period, str) or not period:
        raise InputError("an engagement file names the observation period it covers: period = \"2025\"", file=f,
                         field="period", value=period)
    edoc = to_json(check_engagement({k: v for k, v in doc.items() if k not in ENGAGEMENT_FILE_ONLY}, file=f))
    with store._write() as s:
        n = _audit_rows(s)
        store._save_engagement(s, store._actor(s, actor), deal_id, period, edoc)
        return FileImport(f, "engagement", f"{deal_id}/{period}", _audit_rows(s) > n)


def import_files(store, actor: str, paths, *, verified_by: str | None = None) -> tuple[list[FileImport], list[InputError]]:
    """Import several files (methodologies, facilities, deals first), each in its own transaction.

    Returns
    -------
    (list of FileImport, list of InputError)
        What was imported and, for each bad file, why (its records were not saved).

    Raises
    ------
    PermissionDenied
        ``actor`` may not write a record of a file (files imported before it stay saved).
    """

    docs, errors = [], []
    for p in map(Path, paths):
        try:
            _raw, doc = read_document(p)
            docs.append((KIND_ORDER.index(classify(doc, file=str(p))), p))
        except InputError as exc:
            errors.append(exc)
    done = []
    for _k, p in sorted(docs, key=lambda t: t[0]):
        try:
            done.append(import_file(store, actor, p, verified_by=verified_by))
        except InputErrors as exc:
            errors.extend(_named(e, str(p)) for e in exc.errors)
        except InputError as exc:
            errors.append(_named(exc, str(p)))
        except PermissionDenied:
            raise
        except StoreError as exc:   # e.g. an immutable record the file would change
            errors.append(InputError(str(exc), file=str(p)))
    return done, errors


def _named(exc: InputError, file: str) -> InputError:
    if exc.file is None:
        return InputError(exc.message, file=file, field=exc.field, row=exc.row, unit=exc.unit, value=exc.value)
    return exc
