"""Where a workflow's inputs come from: files (the CLI's file form) or the deal book (the app, ``--deal ID``).

A source hands out objects (``Facility``, ``Deal``, ``Methodology``, monthly frames, settings mappings); the
engines never see where they came from. :meth:`Source.origin` names the place for error messages (a path,
or ``deal book: deal X``).

Both sources give the same objects for the same inputs: a deal imported into the deal book
(``dcsll db import``) scores, prices and simulates to the same figures as its file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

from common.errors import InputError
from common.settings import data_dir as _default_data_dir
from common.tomlio import read_toml
from index.engine import pinned as _file_pinned
from index.levers import load_levers, parse_levers
from index.methodology import DEFAULT_METHODOLOGY_ID, load_methodology
from index.models import load_facility
from index.reference import pinned_bundle

#: keys a targets settings mapping may have (data/targets/<deal id>.toml; ``deal`` and ``monthly`` only in files)
TARGETS_KEYS = frozenset({"baseline", "regulatory_profile", "proposal", "facility"})
TARGETS_FILE_KEYS = TARGETS_KEYS | {"deal", "monthly"}


@runtime_checkable
class Source(Protocol):
    """What a workflow reads. Every method raises :class:`common.errors.InputError` naming the place when
    a required record is absent; the ``dict | None`` ones return None instead."""

    def facility(self, facility_id: str): ...                       # -> index.models.Facility
    def deal(self, deal_id: str): ...                               # -> finance.deal.Deal
    def methodology(self): ...                                      # -> index.methodology.Methodology
    def pinned(self, methodology_id=None, methodology_sha256=None,
               reference_sha256=None): ...                          # -> (Methodology, ReferenceBundle | None)
    def monthly(self, facility_id: str): ...                        # -> pandas.DataFrame | None
    def targets_settings(self, deal_id: str) -> dict | None: ...
    def lever_presets(self, facility_id: str | None = None) -> dict[str, dict]: ...
    def levers(self, name: str, facility_id: str | None = None) -> list: ...
    def verifier(self, verifier_id: str | None = None) -> dict: ...
    def engagement(self, deal_id: str, period: str) -> dict | None: ...
    def origin(self, kind: str, key: str) -> str: ...


class FileSource:
    """Inputs from TOML/CSV files: the files given, else the conventional places under ``data_dir``.

    Parameters
    ----------
    data_dir : path, optional
        Folder with ``facilities/``, ``deals/``, ``targets/``, ``monthly/``, ``statements/`` (default the
        shipped ``data/``, :func:`common.settings.data_dir`).
    deal_file, facility_file, methodology_file, targets_file, levers_file, verifier_file, engagement_file : path
        Files named on the command line. A deal's facility is looked for beside the deal file first
        (``<deal folder>/../facilities/<id>.toml``), then in ``data_dir``; a deal's targets settings in
        ``targets_file``, ``<deal folder>/../targets/<deal id>.toml``, then ``data_dir/targets``; the monthly
        data where the targets settings' ``monthly`` entry says (relative to that file).
    """

    def __init__(self, data_dir=None, *, deal_file=None, facility_file=None, methodology_file=None,
                 targets_file=None, levers_file=None, verifier_file=None, engagement_file=None):
        self.data_dir = Path(data_dir) if data_dir is not None else _default_data_dir()
        self.deal_file = None if deal_file is None else Path(deal_file)
        self.facility_file = None if facility_file is None else Path(facility_file)
        self.methodology_file = methodology_file
        self.targets_file = None if targets_file is None else Path(targets_file)
        self.levers_file = levers_file
        self.verifier_file = verifier_file
        self.engagement_file = engagement_file
        self._monthly_files: dict[str, Path] = {}
        self._deals: dict[str, object] = {}

    # ---------------------------------------------------------------- records

    def deal(self, deal_id: str | None = None):
        """The deal of ``deal_file`` (any id when ``deal_id`` is None), else ``data_dir/deals/<id>.toml``."""
        from finance.deal import load_deal  # noqa: PLC0415 - finance only for deal reads; every command builds a Source

        if self.deal_file is not None:
            deal = load_deal(self.deal_file)
            if deal_id is not None and deal.id != deal_id:
                raise InputError(f"the deal file holds deal {deal.id!r}, not {deal_id!r}", file=str(self.deal_file),
                                 field="id", value=deal.id)
        else:
            if deal_id is None:
                raise InputError("give a deal file or a deal id", field="deal")
            deal = load_deal(self.data_dir / "deals" / f"{deal_id}.toml")
        self._deals[deal.id] = deal
        return deal

    def _facility_path(self, facility_id: str) -> Path:
        cands = []
        if self.deal_file is not None:
            cands.append(self.deal_file.resolve().parent.parent / "facilities" / f"{facility_id}.toml")
        cands.append(self.data_dir / "facilities" / f"{facility_id}.toml")
        for c in cands:
            if c.exists():
                return c
        raise InputError(f"facility '{facility_id}' not found in {', '.join(str(c.parent) for c in cands)}",
                         file=str(self.deal_file) if self.deal_file else None, field="facility", value=facility_id)

    def facility(self, facility_id: str | None = None):
        """The facility of ``facility_file`` (any id when ``facility_id`` is None), else found by id."""

        if self.facility_file is not None and facility_id is None:
            return load_facility(self.facility_file)
        if facility_id is None:
            raise InputError("give a facility file or a facility id", field="facility")
        return load_facility(self._facility_path(facility_id))

    def methodology(self):
        """``methodology_file``, else the shipped default (:func:`index.methodology.load_methodology`)."""

        return load_methodology(self.methodology_file)

    def pinned(self, methodology_id: str | None = None, methodology_sha256: str | None = None,
               reference_sha256: str | None = None):
        """What a deal pinned at signing, from the shipped files: :func:`index.engine.pinned`."""

        return _file_pinned(methodology_id, methodology_sha256, reference_sha256)

    def _targets_path(self, deal_id: str) -> Path | None:
        if self.targets_file is not None:
            return self.targets_file
        cands = []
        if self.deal_file is not None:
            cands.append(self.deal_file.resolve().parent.parent / "targets" / f"{deal_id}.toml")
        cands.append(self.data_dir / "targets" / f"{deal_id}.toml")
        return next((c for c in cands if c.exists()), None)

    def targets_settings(self, deal_id: str) -> dict | None:
        """The targets settings of a deal (``baseline``, ``regulatory_profile``, ``proposal``, ``facility``).

        Raises
        ------
        InputError
            Unknown keys, settings for another deal, no ``monthly`` entry (naming the file).
        """

        path = self._targets_path(deal_id)
        if path is None:
            return None
        cfg = read_toml(path)
        unknown = set(cfg) - TARGETS_FILE_KEYS
        if unknown:
            raise InputError(f"unknown key(s) {', '.join(sorted(unknown))}", file=str(path), field=sorted(unknown)[0])
        if cfg.get("deal", deal_id) != deal_id:
            raise InputError(f"targets file is for deal {cfg['deal']!r}, not {deal_id!r}", file=str(path),
                             field="deal")
        if "monthly" not in cfg:
            raise InputError("give the monthly metered data file", file=str(path), field="monthly")
        deal = self._deals.get(deal_id)
        fid = None if deal is None else deal.facility.get("id") if isinstance(deal.facility, dict) else deal.facility
        self._monthly_files[fid or deal_id] = (path.parent / cfg["monthly"]).resolve()
        return {k: v for k, v in cfg.items() if k not in ("deal", "monthly")}

    def monthly(self, facility_id: str):
        """Monthly metered data (:func:`index.forecast.load_monthly`) of the facility: the file the targets
        settings name (read them first), else ``data_dir/monthly/<facility id>.csv``, else None."""

        path = self._monthly_files.get(facility_id)
        if path is None:
            cand = self.data_dir / "monthly" / f"{facility_id}.csv"
            path = cand if cand.exists() else None
        # noqa reason: index.forecast loads pandas; every command builds a FileSource, few read monthly data
        from index.forecast import load_monthly  # noqa: PLC0415

        return None if path is None else load_monthly(path)

    def levers(self, name: str | None = None, facility_id: str | None = None):
        """Validated levers: of ``levers_file`` (:func:`index.levers.load_levers`; [] without one), or of the
        preset ``name`` (:meth:`lever_presets`).

        Raises
        ------
        InputError
            No such preset, or an invalid lever (naming the file).
        """

        if name is None:
            return [] if self.levers_file is None else load_levers(self.levers_file)
        path = self.data_dir / "targets" / f"{name}.toml"
        if name not in self.lever_presets(facility_id):
            raise InputError(f"no lever preset {name!r} (has {sorted(self.lever_presets(facility_id))})",
                             field="levers", value=name)
        return load_levers(path)

    def lever_presets(self, facility_id: str | None = None) -> dict[str, dict]:
        """``data_dir/targets/*levers*.toml`` by file stem (documents with a ``levers`` array)."""

        return {p.stem: read_toml(p) for p in sorted((self.data_dir / "targets").glob("*levers*.toml"))}

    def verifier(self, verifier_id: str | None = None) -> dict:
        """The ``[verifier]`` table of ``verifier_file`` (default ``data_dir/statements/sample_verifier.toml``)."""

        path = self.verifier_file or self.data_dir / "statements" / "sample_verifier.toml"
        return dict(read_toml(path, "verifier file").get("verifier", {}))

    def engagement(self, deal_id: str, period: str) -> dict | None:
        """The engagement mapping of ``engagement_file``; None without one."""
        from finance.statement_build import load_engagement  # noqa: PLC0415 - finance only for deal reads; every command builds a Source

        return None if self.engagement_file is None else load_engagement(self.engagement_file)

    def origin(self, kind: str, key: str) -> str:
        """File a record came from (for error messages)."""
        if kind == "deal":
            return str(self.deal_file or self.data_dir / "deals" / f"{key}.toml")
        if kind == "targets":
            p = self._targets_path(key)
            return str(p or self.data_dir / "targets" / f"{key}.toml")
        if kind == "engagement":
            return str(self.engagement_file) if self.engagement_file else "engagement"
        if kind == "facility":
            return str(self.facility_file or self.data_dir / "facilities" / f"{key}.toml")
        return kind


class StoreSource:
    """Inputs from the deal book (:class:`store.Store`), read through its public methods only.

    Methodologies are the deal book's stored versions (``Store.methodologies``): the book's *current* one
    (:meth:`current_methodology_info`) scores what pins nothing; a deal that pins a methodology (id and
    SHA-256) is scored with that stored version and its pinned reference-data bundle (:meth:`pinned`).
    ``methodology_file`` (CLI ``--methodology``) overrides the current one; a deal book that holds no
    methodology at all falls back to the shipped default file (the CLI on an empty book).
    """

    def __init__(self, store, *, methodology_file=None):
        self.store = store
        self.methodology_file = methodology_file

    def deal(self, deal_id: str):
        """:func:`finance.deal.deal_from_dict` of the stored deal document."""
        from finance.deal import deal_from_dict  # noqa: PLC0415 - finance only for deal reads; every command builds a Source

        return deal_from_dict(self.store.load_deal_document(deal_id), file=self.origin("deal", deal_id))

    def facility(self, facility_id: str):
        """:meth:`store.Store.load_facility` (the figures as they stand, restatements applied)."""
        return self.store.load_facility(facility_id)

    def methodologies(self) -> list:
        """The deal book's stored methodologies (:class:`store.records.MethodologyInfo`: id, version, sha256,
        title), by id and version."""
        return list(self.store.methodologies())

    def current_methodology_info(self):
        """The deal book's current methodology: the newest version (:func:`version_key` order) of the product
        default id (:data:`index.methodology.DEFAULT_METHODOLOGY_ID`), else the newest stored version of any
        id; None when the book holds no methodology. Publishing a new version of the default id makes it
        current; deals that pin a version are not affected (:meth:`pinned`)."""
        infos = self.methodologies()
        if not infos:
            return None
        pool = [m for m in infos if m.id == DEFAULT_METHODOLOGY_ID] or infos
        return max(pool, key=lambda m: (version_key(m.version), m.id))

    def book_methodology(self, methodology_id: str, version: str):
        """A stored version parsed (:meth:`store.Store.load_methodology`, checked against its SHA-256; parsed
        once per process and SHA-256, stored versions being immutable).

        Raises
        ------
        store.errors.NotFound
            No such version in the deal book.
        store.errors.StoreError
            The stored bytes no longer match their hash.
        """
        info = next((m for m in self.methodologies() if m.id == methodology_id and m.version == version), None)
        if info is not None and info.sha256 in _PARSED:
            return _PARSED[info.sha256]
        m = self.store.load_methodology(methodology_id, version)
        _PARSED[m.sha256] = m
        return m

    def methodology(self):
        """``methodology_file`` when given, else the deal book's current methodology
        (:meth:`current_methodology_info`), else (a book without methodologies) the shipped default file."""
        if self.methodology_file is not None:
            return load_methodology(self.methodology_file)
        info = self.current_methodology_info()
        if info is None:
            return load_methodology()
        return self.book_methodology(info.id, info.version)

    def pinned_info(self, methodology_id: str | None = None, methodology_sha256: str | None = None):
        """The stored version a deal's pins name (:data:`workflows.pipeline.PIN_FIELDS`): the one with the
        pinned SHA-256 (and id, when given); pinned by id only, the newest version of that id; nothing pinned,
        the current one (:meth:`current_methodology_info`).

        Raises
        ------
        InputError
            The deal book holds no version with the pinned SHA-256 / id (``field`` names the pin).
        """
        infos = self.methodologies()
        if methodology_sha256:
            found = [m for m in infos if m.sha256 == methodology_sha256.lower()
                     and (not methodology_id or m.id == methodology_id)]
            if not found:
                raise InputError(f"the deal pins methodology {methodology_id or ''} with SHA-256 "
                                 f"{methodology_sha256}, which the deal book does not hold: an admin publishes that "
                                 "file to the deal book (Methodology page, or dcsll db import FILE)",
                                 field="methodology_sha256", value=methodology_sha256)
            return found[0]
        if methodology_id:
            found = [m for m in infos if m.id == methodology_id]
            if not found:
                raise InputError(f"the deal pins methodology {methodology_id!r}, which the deal book does not hold "
                                 f"(has {sorted({m.id for m in infos})})", field="methodology", value=methodology_id)
            return max(found, key=lambda m: version_key(m.version))
        info = self.current_methodology_info()
        if info is None:
            raise InputError("the deal book holds no methodology: an admin publishes one (Methodology page, or "
                             "dcsll db import data/methodology/gcpi-2024.toml)", field="methodology")
        return info

    def pinned(self, methodology_id: str | None = None, methodology_sha256: str | None = None,
               reference_sha256: str | None = None):
        """What a deal pinned at signing, from the deal book: the stored methodology version of
        :meth:`pinned_info` and the reference-data bundle of ``reference_sha256``
        (:func:`index.reference.pinned_bundle`: the shipped bundle or its archived snapshot; None = the shipped
        bundle). ``methodology_file`` given: as :meth:`FileSource.pinned` (the CLI's explicit file wins).

        Returns
        -------
        (index.methodology.Methodology, index.reference.ReferenceBundle or None)

        Raises
        ------
        InputError
            See :meth:`pinned_info`; a bundle neither shipped nor archived.
        """
        if self.methodology_file is not None:
            return _file_pinned(methodology_id, methodology_sha256, reference_sha256)
        info = self.pinned_info(methodology_id, methodology_sha256)
        meth = self.book_methodology(info.id, info.version)
        return meth, (pinned_bundle(reference_sha256) if reference_sha256 else None)

    def monthly(self, facility_id: str):
        """:meth:`store.Store.monthly` (the frame :func:`index.forecast.load_monthly` gives), or None."""
        return self.store.monthly(facility_id)

    def targets_settings(self, deal_id: str) -> dict | None:
        """:meth:`store.Store.targets_settings` (latest version), or None."""
        cfg = self.store.targets_settings(deal_id)
        if cfg is None:
            return None
        unknown = set(cfg) - TARGETS_KEYS
        if unknown:
            raise InputError(f"unknown key(s) {', '.join(sorted(unknown))}", file=self.origin("targets", deal_id),
                             field=sorted(unknown)[0])
        return dict(cfg)

    def lever_presets(self, facility_id: str | None = None) -> dict[str, dict]:
        """:meth:`store.Store.lever_presets`: ``{name: {"levers": [...]}}``."""
        return dict(self.store.lever_presets(facility_id))

    def levers(self, name: str, facility_id: str | None = None):
        """Validated levers of the preset ``name`` (:func:`index.levers.parse_levers`).

        Raises
        ------
        InputError
            No such preset, or an invalid lever.
        """

        presets = self.lever_presets(facility_id)
        if name not in presets:
            raise InputError(f"no lever preset {name!r} in the deal book (has {sorted(presets)})", field="levers",
                             value=name)
        return parse_levers(presets[name].get("levers", []), file=self.origin("lever preset", name))

    def verifier(self, verifier_id: str | None = None) -> dict:
        """The ``[verifier]`` identity ``verifier_id`` (or the only one) of :meth:`store.Store.verifiers`."""
        found: Mapping = self.store.verifiers()
        if verifier_id is None and len(found) == 1:
            return dict(next(iter(found.values())))
        if verifier_id not in found:
            raise InputError(f"no verifier {verifier_id!r} in the deal book (has {sorted(found)})",
                             field="verifier", value=verifier_id)
        return dict(found[verifier_id])

    def engagement(self, deal_id: str, period: str) -> dict | None:
        """:meth:`store.Store.engagement` (latest version), or None."""
        return self.store.engagement(deal_id, str(period))

    def intervals(self, facility_id: str):
        """``(period, IntervalData)`` of the facility's stored interval data ending last (latest version), or
        None when it has none (:meth:`store.Store.intervals`)."""
        versions = self.store.interval_versions(facility_id)
        if not versions:
            return None
        last = max(versions, key=lambda v: (v.window_end, v.version))
        return last.period, self.store.intervals(facility_id, last.period)

    def origin(self, kind: str, key: str) -> str:
        return f"deal book: {kind} {key}"


#: parsed stored methodologies by SHA-256 (stored versions are immutable; the first load checks the hash)
_PARSED: dict[str, object] = {}


def version_key(version: str) -> tuple:
    """Natural sort key of a version label: numeric parts as numbers (``2024.2`` < ``2024.10``)."""
    return tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in re.split(r"(\d+)", str(version)) if x)
