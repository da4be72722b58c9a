"""Deal-book inputs that used to live only in files (issue 11): monthly metered series, targets settings,
lever presets, verifier identities and engagements.

=====================  ==============================  ==========================  ==========================
record                 file form                       writer                      history
=====================  ==============================  ==========================  ==========================
monthly series         ``data/monthly/*.csv``          operator of the facility    months replaced in place
targets settings       ``data/targets/<deal>.toml``    credit officer              versions, append-only
lever presets          ``data/targets/*levers*.toml``  operator (own facility)     replaced in place
verifier identity      ``[verifier]`` of a verifier    verifier, admin             replaced in place
                       file (never a key)
engagement             ``sample_engagement.toml``      verifier                    versions, append-only
=====================  ==============================  ==========================  ==========================

An admin importing whole files (``data.import``: ``dcsll db seed-demo``, ``dcsll db import``) may write all
of them. Every write checks what it saves first (:class:`~index.errors.InputError` naming field, row and unit;
nothing is saved then), writes one audit row when something changed and none otherwise; saving the same
content again changes nothing. "Replaced in place" rows keep their earlier values in the audit log.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import pandas as pd
from sqlalchemy import select

from index.errors import InputError, InputErrors
from index.forecast import monthly_from_rows
from index.levers import parse_levers
from store.base import StoreBase, _now
from store.errors import NotFound
from store.schema import (
    EngagementRow,
    LeverPresetRow,
    MonthlyRow,
    TargetsSettingsRow,
    VerifierRow,
)
from store.tomlio import from_json, to_json

#: columns :func:`index.forecast.add_derived` computes from the stored ones (never stored)
DERIVED_MONTHLY = ("hours", "pue", "it_kw", "wue")
#: text columns of a monthly frame
MONTHLY_TEXT = ("status", "source")

#: tables of a deal's targets settings and the keys each may hold (``dcsll targets`` reads them:
#: ``baseline`` → :func:`index.baseline.compute_baseline`, ``regulatory_profile`` →
#: :func:`index.ambition.applicable_rules`, ``proposal`` → :func:`index.targets.propose_plan`)
TARGETS_TABLES = ("baseline", "regulatory_profile", "proposal", "facility")
TARGETS_BASELINE_KEYS = {"periods": list, "allow_reported": bool}
TARGETS_PROFILE_KEYS = {"new_build": bool, "government_procurement": bool, "city": str}
TARGETS_PROPOSAL_KEYS = {"method": str, "target_value": float, "target_year": int, "trajectory": str,
                         "comparator": str, "milestones": dict}
#: keys of a targets settings file that are not settings: the deal it belongs to and the monthly CSV path
TARGETS_FILE_ONLY = ("deal", "monthly")

#: keys of a verifier identity (:class:`finance.statement.Verifier`); bilingual ones are ``{en, zh}`` tables
VERIFIER_KEYS = {"name": "bilingual", "accreditation": str, "accreditation_body": str, "signatory": str,
                 "signatory_title": "bilingual", "place": "bilingual"}
VERIFIER_REQUIRED = ("name", "accreditation", "signatory", "signatory_title", "place")
#: keys that would put signing material in the deal book (refused with their own message)
SECRET_KEYS = ("signing", "pkcs12", "key_pem", "cert_pem", "chain_pem", "passphrase", "passphrase_env",
               "private_key", "key")

#: keys of an engagement (what :func:`finance.statement_build.build_statement` reads, plus ``verifier_id``)
ENGAGEMENT_KEYS = {"statement_id": str, "issue_date": "date", "standards": list, "assurance_level": str,
                   "conclusion": str, "borrower": "bilingual", "loan_reference": str, "baseline_period": str,
                   "verifier_id": str, "methodology_sha256": str, "verified": dict, "reported": dict,
                   "notes": list}


# ----------------------------------------------------------------------------------- checks


def _type_ok(value, want) -> bool:
    if want == "bilingual":   # finance.statement.Bilingual: both languages, neither empty
        return isinstance(value, Mapping) and set(value) == {"en", "zh"} and all(
            isinstance(v, str) and v.strip() for v in value.values())
    if want == "date":
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if want is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if want is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, want)


def _type_name(want) -> str:
    return {"bilingual": "a table {en = ..., zh = ...}", "date": "a date (YYYY-MM-DD)", float: "a finite number",
            int: "a whole number", str: "text", bool: "true or false", list: "a list", dict: "a table"}[want]


def _check_keys(doc: Mapping, spec: Mapping, *, where: str, file: str | None) -> list[InputError]:
    errs = []
    for k, v in doc.items():
        field = f"{where}.{k}" if where else k
        if k not in spec:
            errs.append(InputError(f"unknown key {k!r}; known: {', '.join(spec)}", file=file, field=field))
        elif not _type_ok(v, spec[k]):
            errs.append(InputError(f"must be {_type_name(spec[k])}", file=file, field=field,
                                   value=v if not isinstance(v, (dict, list)) else None))
    return errs


def check_targets_settings(settings: Mapping, *, file: str | None = None) -> dict:
    """Check a deal's targets settings (``{"baseline": …, "regulatory_profile": …, "proposal": …}``).

    Only the known tables (:data:`TARGETS_TABLES`) and, inside them, the known keys and types are accepted;
    ``deal`` and ``monthly`` belong to the file form only (the deal is the record's key, the monthly series
    is stored with the facility: :meth:`store.Store.save_monthly`).

    Returns
    -------
    dict
        The settings as a plain dict.

    Raises
    ------
    InputErrors
        Every problem, naming the field.
    """
    if not isinstance(settings, Mapping):
        raise InputError("targets settings must be a table", file=file)
    errs: list[InputError] = []
    for k, v in settings.items():
        if k in TARGETS_FILE_ONLY:
            errs.append(InputError(f"{k!r} belongs to the targets file, not to the stored settings (the deal is "
                                   "the record's key; the monthly series is saved with save_monthly)",
                                   file=file, field=k))
        elif k not in TARGETS_TABLES:
            errs.append(InputError(f"unknown table {k!r}; known: {', '.join(TARGETS_TABLES)}", file=file, field=k))
        elif not isinstance(v, Mapping):
            errs.append(InputError("must be a table", file=file, field=k))
    if errs:
        raise InputErrors(errs)
    errs += _check_keys(settings.get("baseline", {}), TARGETS_BASELINE_KEYS, where="baseline", file=file)
    periods = settings.get("baseline", {}).get("periods")
    if isinstance(periods, list) and not all(isinstance(p, str) and p for p in periods):
        errs.append(InputError("baseline periods are period labels (text, e.g. \"2024\")", file=file,
                               field="baseline.periods", value=periods))
    errs += _check_keys(settings.get("regulatory_profile", {}), TARGETS_PROFILE_KEYS, where="regulatory_profile",
                        file=file)
    for kpi, spec in settings.get("proposal", {}).items():
        if not isinstance(spec, Mapping):
            errs.append(InputError("must be a table {method = ..., ...}", file=file, field=f"proposal.{kpi}"))
            continue
        errs += _check_keys(spec, TARGETS_PROPOSAL_KEYS, where=f"proposal.{kpi}", file=file)
        for year, value in (spec.get("milestones") or {}).items():
            if not str(year).isdigit() or not _type_ok(value, float):
                errs.append(InputError("milestones map a year to a finite number", file=file,
                                       field=f"proposal.{kpi}.milestones.{year}", value=value))
    if errs:
        raise InputErrors(errs)
    return dict(settings)


def check_levers(document: Mapping, *, file: str | None = None) -> dict:
    """Check a lever preset ``{"levers": [ {...}, ... ]}`` with :func:`index.levers.parse_levers`.

    Raises
    ------
    InputError
        Unknown top-level keys, an invalid lever (lever number, field and unit named).
    """

    if not isinstance(document, Mapping):
        raise InputError("a lever preset must be a table {levers = [...]}", file=file)
    extra = sorted(set(document) - {"levers"})
    if extra:
        raise InputError(f"unknown top-level key(s) {', '.join(extra)}; put each lever in [[levers]]", file=file,
                         field=extra[0])
    items = document.get("levers")
    if not isinstance(items, list) or not items:
        raise InputError("a lever preset needs at least one [[levers]] table", file=file, field="levers")
    parse_levers([dict(i) if isinstance(i, Mapping) else i for i in items], file=file)
    return {"levers": [dict(i) for i in items]}


def check_verifier(document: Mapping, *, file: str | None = None) -> dict:
    """Check a verifier identity (the ``[verifier]`` table): known keys, bilingual names, no signing keys.

    Raises
    ------
    InputErrors
        Every problem, naming the field.
    """
    if not isinstance(document, Mapping):
        raise InputError("a verifier identity must be a table", file=file, field="verifier")
    errs = [InputError("signing keys, certificates and their paths never go into the deal book; keep them in "
                       "the verifier's own key store", file=file, field=f"verifier.{k}")
            for k in document if k in SECRET_KEYS]
    errs += _check_keys({k: v for k, v in document.items() if k not in SECRET_KEYS}, VERIFIER_KEYS,
                        where="verifier", file=file)
    errs += [InputError("required", file=file, field=f"verifier.{k}") for k in VERIFIER_REQUIRED if k not in document]
    if isinstance(document.get("accreditation"), str) and not document["accreditation"].strip():
        errs.append(InputError("a statement from an unaccredited body is refused: give the accreditation "
                               "(e.g. CNAS V0123)", file=file, field="verifier.accreditation"))
    if errs:
        raise InputErrors(errs)
    return dict(document)


def check_engagement(document: Mapping, *, file: str | None = None) -> dict:
    """Check an engagement (the mapping of ``data/statements/sample_engagement.toml``): known keys and types.

    Raises
    ------
    InputErrors
        Every problem, naming the field.
    """
    if not isinstance(document, Mapping):
        raise InputError("an engagement must be a table", file=file)
    errs = _check_keys(document, ENGAGEMENT_KEYS, where="", file=file)
    for i, n in enumerate(document.get("notes") or []):
        if not isinstance(n, Mapping):
            errs.append(InputError("each note is a table {kind, indicator, en, zh}", file=file,
                                   field=f"notes[{i}]", row=i + 1))
    if not all(isinstance(s, str) for s in document.get("standards") or []):
        errs.append(InputError("standards are names (text)", file=file, field="standards"))
    if errs:
        raise InputErrors(errs)
    return dict(document)


def monthly_rows(frame, *, file: str | None = None) -> list[dict]:
    """A monthly frame (as :func:`index.forecast.load_monthly` returns it, or with a ``month`` column) as
    rows ``{"month": "YYYY-MM", <column>: value, …}`` without the derived columns.

    Raises
    ------
    InputError
        If the frame has neither a month index nor a ``month`` column.
    """

    if not isinstance(frame, pd.DataFrame):
        raise InputError("monthly data must be a table (pandas DataFrame) with one row per month", file=file)
    df = frame.drop(columns=[c for c in DERIVED_MONTHLY if c in frame.columns])
    if "month" in df.columns:
        months = list(df["month"])
        df = df.drop(columns=["month"])
    elif isinstance(df.index, pd.PeriodIndex):
        months = [str(p) for p in df.index.asfreq("M")]
    elif isinstance(df.index, pd.DatetimeIndex):
        months = [str(p) for p in df.index.to_period("M")]
    else:
        raise InputError("monthly data needs a 'month' column (YYYY-MM) or a month index", file=file, field="month")
    cols = [str(c) for c in df.columns]
    out = []
    for m, values in zip(months, df.itertuples(index=False, name=None), strict=True):
        row = {"month": str(m) if not isinstance(m, str) else m}
        for c, v in zip(cols, values, strict=True):
            row[c] = v.item() if hasattr(v, "item") else v
        out.append(row)
    return out


def _text(v) -> str | None:
    """A status/source cell as text; a blank cell (None, NaN, pandas NA, empty) is None."""
    if v is None or v is _NA or (isinstance(v, float) and v != v):
        return None
    v = str(v)
    return v if v.strip() else None


try:  # pandas' missing-value singleton, compared by identity
    from pandas import NA as _NA
except ImportError:  # pragma: no cover - pandas is a dependency
    _NA = object()


# ----------------------------------------------------------------------------------- the records


class InputsMixin(StoreBase):
    """Store methods for the deal-book inputs (mixed into :class:`store.Store`)."""

    # ------------------------------------------------------------------- monthly series

    def save_monthly(self, actor: str, facility_id: str, frame, *, source: str | None = None) -> int:
        """Save a facility's monthly metered series: the months given replace the stored ones, others stay.

        Parameters
        ----------
        frame : pandas.DataFrame
            One row per month, as :func:`index.forecast.load_monthly` returns it (``PeriodIndex``; the derived
            ``hours``/``pue``/``it_kw``/``wue`` columns are dropped) or with a ``month`` column ``YYYY-MM``.
            Numeric columns carry their unit in the name (``*_kwh`` [kWh], ``water_m3`` [m³], ``gec_mwh``
            [MWh]); ``status`` and ``source`` are text.
        source : str, optional
            Where the data came from (file name of an upload); named in errors and kept in the audit row.

        Returns
        -------
        int
            Number of months written (new or changed); 0 when the stored series already holds these values.

        Raises
        ------
        InputError
            The checks of :func:`index.forecast.monthly_from_rows` (months unique, in order, parseable; values
            finite and non-negative; IT energy ≤ total energy; known columns), on the frame given and on the
            series after merging (no gap, the same columns in every month). Nothing is saved then.
        PermissionDenied
            ``actor`` is not an operator of the facility (or an importing admin).
        """

        label = source or f"monthly data of {facility_id}"
        rows = monthly_rows(frame, file=label)
        monthly_from_rows(rows, file=label, contiguous=False)   # raises InputError naming row, field, unit
        with self._write() as s:
            return self._save_monthly(s, self._actor(s, actor), facility_id, rows, source)

    def _save_monthly(self, s, a, facility_id: str, rows: list[dict], source: str | None) -> int:

        label = source or f"monthly data of {facility_id}"
        new = {str(pd.Period(r["month"], freq="M")): r for r in rows}
        self._require(a, "monthly.save", facility_id)
        self._facility_row(s, facility_id)
        stored = {r.month: r for r in s.scalars(select(MonthlyRow).where(MonthlyRow.facility_id == facility_id))}
        if stored:
            have = set(next(iter(stored.values())).values)
            given = set(rows[0]) - {"month", *MONTHLY_TEXT}
            if have != given:
                raise InputError(
                    f"the numeric columns differ from the stored series of {facility_id} (stored: "
                    f"{', '.join(sorted(have))}; given: {', '.join(sorted(given))}); every month of a series "
                    "has the same columns", file=label, field="columns")
        merged = {m: self._monthly_row_dict(r) for m, r in stored.items()} | {
            m: {**r, "month": m} for m, r in new.items()}
        monthly_from_rows([merged[m] for m in sorted(merged)],
                          file=f"{label} merged into the stored series of {facility_id}" if stored else label)
        before, after = {}, {}
        now = _now()
        for m, r in new.items():
            values = {c: float(v) for c, v in r.items() if c not in ("month", *MONTHLY_TEXT)}
            text = {c: _text(r.get(c)) for c in MONTHLY_TEXT}
            old = stored.get(m)
            if old is not None:
                if old.values == values and all(getattr(old, c) == text[c] for c in MONTHLY_TEXT):
                    continue
                before[m] = self._monthly_row_dict(old)
                old.values, old.status, old.source = values, text["status"], text["source"]
                old.updated_at, old.updated_by = now, a.username
            else:
                s.add(MonthlyRow(facility_id=facility_id, month=m, values=values, updated_at=now,
                                 updated_by=a.username, **text))
            after[m] = {"month": m, **values, **{c: v for c, v in text.items() if v is not None}}
        if after:
            s.flush()
            self._audit(s, a, "monthly.save", "monthly", facility_id, before or None,
                        {"source": source, "months": after})
        return len(after)

    @staticmethod
    def _monthly_row_dict(r: MonthlyRow) -> dict:
        d = {"month": r.month, **r.values}
        for c in MONTHLY_TEXT:
            if getattr(r, c) is not None:
                d[c] = getattr(r, c)
        return d

    def monthly(self, facility_id: str):
        """The facility's monthly series as :func:`index.forecast.load_monthly` returns it, or None.

        Raises
        ------
        NotFound
            For an unknown facility.
        """

        with self._read() as s:
            self._facility_row(s, facility_id)
            rows = [self._monthly_row_dict(r) for r in s.scalars(
                select(MonthlyRow).where(MonthlyRow.facility_id == facility_id).order_by(MonthlyRow.month))]
        if not rows:
            return None
        return monthly_from_rows(rows, file=f"deal book: monthly series of {facility_id}")

    # ------------------------------------------------------------------- targets settings

    def save_targets_settings(self, actor: str, deal_id: str, settings: Mapping) -> int:
        """Save a new version of a deal's targets settings (credit officer); returns the version number.

        Saving the same settings as the latest version writes nothing and returns that version.

        Raises
        ------
        InputError
            Unknown tables or keys, wrong types (:func:`check_targets_settings`); an unknown deal.
        PermissionDenied
            ``actor`` is not a credit officer (or an importing admin).
        """
        doc = to_json(check_targets_settings(settings))
        with self._write() as s:
            return self._save_targets_settings(s, self._actor(s, actor), deal_id, doc)

    def _save_targets_settings(self, s, a, deal_id: str, doc: dict) -> int:
        self._require(a, "targets_settings.save")
        self._deal_row(s, deal_id)
        return self._append_version(s, a, TargetsSettingsRow, doc, "targets_settings", deal_id, deal_id=deal_id)

    def targets_settings(self, deal_id: str) -> dict | None:
        """The latest targets settings of a deal (``None`` if none were saved)."""
        with self._read() as s:
            row = self._latest(s, TargetsSettingsRow, deal_id=deal_id)
            return None if row is None else from_json(row.document)

    # ------------------------------------------------------------------- engagements

    def save_engagement(self, actor: str, deal_id: str, period: str, document: Mapping) -> int:
        """Save a new version of the verifier's engagement for one observation period of a deal (verifier).

        Returns the version number; the same content as the latest version writes nothing.

        Raises
        ------
        InputError
            Unknown keys or wrong types (:func:`check_engagement`); an unknown deal; a period the deal does not
            observe; a ``verifier_id`` not in the deal book.
        PermissionDenied
            ``actor`` is not a verifier (or an importing admin).
        """
        period = str(period)
        if not period:
            raise InputError("give the observation period (e.g. \"2025\")", field="period")
        doc = to_json(check_engagement(document))
        with self._write() as s:
            return self._save_engagement(s, self._actor(s, actor), deal_id, period, doc)

    def _save_engagement(self, s, a, deal_id: str, period: str, doc: dict) -> int:
        self._require(a, "engagement.save")
        drow = self._deal_row(s, deal_id)
        obs = from_json(drow.document).get("observations")
        labels = [str(o["period"]) for o in obs if isinstance(o, Mapping) and "period" in o] \
            if isinstance(obs, list) else []
        if labels and period not in labels:
            raise InputError(f"deal {deal_id} has no observation for period {period!r} (it observes "
                             f"{', '.join(labels)})", field="period", value=period)
        vid = doc.get("verifier_id")
        if vid is not None and s.get(VerifierRow, vid) is None:
            raise NotFound(f"unknown verifier {vid!r}; save its identity first (save_verifier)",
                           field="verifier_id", value=vid)
        return self._append_version(s, a, EngagementRow, doc, "engagement", f"{deal_id}/{period}",
                                    deal_id=deal_id, period_label=period)

    def engagement(self, deal_id: str, period: str) -> dict | None:
        """The latest engagement of a deal's observation period (``None`` if none was saved)."""
        with self._read() as s:
            row = self._latest(s, EngagementRow, deal_id=deal_id, period_label=str(period))
            return None if row is None else from_json(row.document)

    def engagements(self, deal_id: str) -> dict[str, dict]:
        """The latest engagement of each observation period of a deal: ``{period: document}``, by period."""
        with self._read() as s:
            rows = s.scalars(select(EngagementRow).where(EngagementRow.deal_id == deal_id)
                             .order_by(EngagementRow.period_label, EngagementRow.version))
            return {r.period_label: from_json(r.document) for r in rows}   # later versions overwrite earlier

    # ------------------------------------------------------------------- versioned documents

    @staticmethod
    def _latest(s, model, **key):
        q = select(model)
        for k, v in key.items():
            q = q.where(getattr(model, k) == v)
        return s.scalar(q.order_by(model.version.desc()).limit(1))

    def _append_version(self, s, a, model, doc: dict, entity: str, key: str, **cols) -> int:
        cur = self._latest(s, model, **cols)
        if cur is not None and cur.document == doc:
            return cur.version
        version = 1 if cur is None else cur.version + 1
        s.add(model(version=version, document=doc, created_at=_now(), created_by=a.username, **cols))
        s.flush()
        self._audit(s, a, f"{entity}.save", entity, key,
                    None if cur is None else {"version": cur.version, "document": cur.document},
                    {"version": version, "document": doc})
        return version

    # ------------------------------------------------------------------- lever presets

    def save_lever_preset(self, actor: str, name: str, document: Mapping, *, facility_id: str | None = None) -> None:
        """Save (or replace) a named lever preset ``{"levers": [...]}``; ``facility_id`` None = any facility.

        Writer: an operator (of ``facility_id`` when given, and of the facility of the preset it replaces),
        or an importing admin.

        Raises
        ------
        InputError
            An invalid lever (:func:`check_levers`), an empty name, an unknown facility.
        PermissionDenied
            ``actor`` may not write levers for that facility.
        """
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise InputError("a lever preset needs a name (1 to 200 characters)", field="name", value=name)
        doc = to_json(check_levers(document, file=f"lever preset {name!r}"))
        with self._write() as s:
            self._save_lever_preset(s, self._actor(s, actor), name, doc, facility_id)

    def _save_lever_preset(self, s, a, name: str, doc: dict, facility_id: str | None) -> None:
        self._require(a, "levers.save", facility_id)
        if facility_id is not None:
            self._facility_row(s, facility_id)
        row = s.get(LeverPresetRow, name)
        now = _now()
        if row is None:
            s.add(LeverPresetRow(name=name, facility_id=facility_id, document=doc, updated_at=now,
                                 updated_by=a.username))
            s.flush()
            self._audit(s, a, "levers.create", "lever_preset", name, None,
                        {"facility_id": facility_id, "document": doc})
            return
        if row.facility_id == facility_id and row.document == doc:
            return
        self._require(a, "levers.save", row.facility_id)
        before = {"facility_id": row.facility_id, "document": row.document}
        row.facility_id, row.document, row.updated_at, row.updated_by = facility_id, doc, now, a.username
        s.flush()
        self._audit(s, a, "levers.update", "lever_preset", name, before,
                    {"facility_id": facility_id, "document": doc})

    def lever_presets(self, facility_id: str | None = None) -> dict[str, dict]:
        """Lever presets by name: those of ``facility_id`` and those for any facility (all, when None)."""
        with self._read() as s:
            q = select(LeverPresetRow).order_by(LeverPresetRow.name)
            if facility_id is not None:
                q = q.where((LeverPresetRow.facility_id == facility_id) | LeverPresetRow.facility_id.is_(None))
            return {r.name: from_json(r.document) for r in s.scalars(q)}

    # ------------------------------------------------------------------- verifiers

    def save_verifier(self, actor: str, verifier_id: str, document: Mapping) -> None:
        """Save (or replace) a verification body's identity (verifier, admin); never a key or key path.

        Raises
        ------
        InputError
            Unknown keys, missing required keys, signing material (:func:`check_verifier`), an empty id.
        PermissionDenied
            ``actor`` is neither a verifier nor an admin.
        """
        if not isinstance(verifier_id, str) or not verifier_id.strip() or len(verifier_id) > 100:
            raise InputError("a verifier needs an id (1 to 100 characters)", field="verifier_id", value=verifier_id)
        doc = to_json(check_verifier(document))
        with self._write() as s:
            self._save_verifier(s, self._actor(s, actor), verifier_id, doc)

    def _save_verifier(self, s, a, verifier_id: str, doc: dict) -> None:
        self._require(a, "verifier.save")
        row = s.get(VerifierRow, verifier_id)
        now = _now()
        if row is None:
            s.add(VerifierRow(id=verifier_id, document=doc, updated_at=now, updated_by=a.username))
            s.flush()
            self._audit(s, a, "verifier.create", "verifier", verifier_id, None, doc)
        elif row.document != doc:
            before = row.document
            row.document, row.updated_at, row.updated_by = doc, now, a.username
            s.flush()
            self._audit(s, a, "verifier.update", "verifier", verifier_id, before, doc)

    def verifiers(self) -> dict[str, dict]:
        """Verifier identities by id."""
        with self._read() as s:
            return {r.id: from_json(r.document) for r in s.scalars(select(VerifierRow).order_by(VerifierRow.id))}

    def monthly_facility_ids(self) -> list[str]:
        """Facilities with a stored monthly series."""
        with self._read() as s:
            return list(s.scalars(select(MonthlyRow.facility_id).distinct().order_by(MonthlyRow.facility_id)))


__all__ = ["InputsMixin", "check_targets_settings", "check_levers", "check_verifier", "check_engagement",
           "monthly_rows"]
