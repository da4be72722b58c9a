"""Interval meter data in the deal book (issue 15): one versioned Parquet blob per facility, period and upload.

Why Parquet in the database rather than rows: a year of 15-minute data for 100 meters is 3.5 million readings;
as zstd Parquet it is about 16–17 MB (162 MB as CSV) and reads back in about a second (``bench/bench_cfe.py``),
and it stays in the one system of record on SQLite and PostgreSQL alike (no side files to back up or lose).
Versions are append-only (a database trigger refuses UPDATE and DELETE); the latest version of a facility and
period is the one used, earlier ones stay readable.

What is stored: the readings that passed validation (meter, channel, interval start in UTC, minutes, kWh) —
never gap-filled values, which are recomputed by the same rule on reading — plus the window, the UTC offsets
written in the file, the meter register and the completeness at saving time.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select

from index.cfe import Meter, validate_intervals
from store.base import StoreBase
from store.errors import NotFound
from store.schema import IntervalSeriesRow


@dataclass(frozen=True)
class IntervalVersion:
    """One stored version of a facility's interval data for a period (listing; no readings)."""

    facility_id: str
    period: str
    version: int
    rows: int
    sha256: str
    window_start: str
    window_end: str
    source: str | None
    created_at: str
    created_by: str
    completeness: dict


class IntervalsMixin(StoreBase):
    """Store methods for interval meter data."""

    def save_intervals(self, actor: str, facility_id: str, period: str, data, *, source: str | None = None) -> int:
        """Save a new version of a facility's interval data for a period (operator of the facility).

        Parameters
        ----------
        actor : str
        facility_id : str
        period : str
            Period label (e.g. ``"2025"``) the data belongs to.
        data : index.cfe.IntervalData
            Validated interval data (:func:`index.cfe.read_intervals` / :func:`index.cfe.validate_intervals`).
        source : str, optional
            File name of the upload, kept with the version and in the audit row.

        Returns
        -------
        int
            The version number; saving the same readings as the latest version writes nothing and returns it.

        Raises
        ------
        InputErrors
            The data has validation errors (unfilled gaps included); nothing is saved.
        PermissionDenied
            ``actor`` is not an operator of the facility (or an importing admin).
        NotFound
            Unknown facility.
        """

        data.raise_for_errors()
        f = data.frame
        measured = f[~f["filled"].to_numpy() & f["kwh"].notna().to_numpy()]
        table = pd.DataFrame({"meter": measured["meter"].astype(str).to_numpy(),
                              "channel": measured["channel"].astype(str).to_numpy(),
                              "start": measured["start"].to_numpy(), "minutes": measured["minutes"].to_numpy(),
                              "kwh": measured["kwh"].to_numpy()})
        buf = io.BytesIO()
        table.to_parquet(buf, compression="zstd", index=False)
        blob = buf.getvalue()
        digest = hashlib.sha256(blob).hexdigest()
        comp = data.completeness()
        meta = {"utc_offsets": list(data.utc_offsets),
                "meters": {m.id: {"calibration_ref": m.calibration_ref, "channel": m.channel,
                                  "calibration_date": m.calibration_date, "accuracy_class": m.accuracy_class}
                           for m in data.meters.values()},
                "completeness": {ch: {k: float(v) for k, v in row.items()} for ch, row in comp.iterrows()},
                "filled_intervals": int(f["filled"].sum())}
        with self._write() as s:
            a = self._actor(s, actor)
            self._require(a, "intervals.save", facility_id)
            self._facility_row(s, facility_id)
            latest = s.scalars(select(IntervalSeriesRow).where(
                IntervalSeriesRow.facility_id == facility_id, IntervalSeriesRow.period == str(period))
                .order_by(IntervalSeriesRow.version.desc()).limit(1)).first()
            if latest is not None and latest.sha256 == digest:
                return latest.version
            version = 1 if latest is None else latest.version + 1
            s.add(IntervalSeriesRow(facility_id=facility_id, period=str(period), version=version, parquet=blob,
                                    sha256=digest, rows=len(table), window_start=data.window[0].to_pydatetime(),
                                    window_end=data.window[1].to_pydatetime(), meta=meta, source=source,
                                    created_by=a.username))
            s.flush()
            self._audit(s, a, "intervals.save", "interval_series", f"{facility_id}/{period}", None,
                        {"version": version, "rows": len(table), "sha256": digest, "source": source,
                         "window": [data.window[0].isoformat(), data.window[1].isoformat()]})
            return version

    def interval_versions(self, facility_id: str, period: str | None = None) -> list[IntervalVersion]:
        """Stored versions of a facility's interval data (all periods, or one), oldest first."""
        with self._read() as s:
            self._facility_row(s, facility_id)
            q = select(IntervalSeriesRow).where(IntervalSeriesRow.facility_id == facility_id)
            if period is not None:
                q = q.where(IntervalSeriesRow.period == str(period))
            rows = s.scalars(q.order_by(IntervalSeriesRow.period, IntervalSeriesRow.version)).all()
            return [IntervalVersion(r.facility_id, r.period, r.version, r.rows, r.sha256,
                                    r.window_start.isoformat(), r.window_end.isoformat(), r.source,
                                    r.created_at.isoformat(), r.created_by, r.meta.get("completeness", {}))
                    for r in rows]

    def intervals(self, facility_id: str, period: str, *, version: int | None = None):
        """A facility's interval data for a period, re-validated (latest version unless ``version``).

        Returns
        -------
        index.cfe.IntervalData or None
            None when nothing is stored for that facility and period.

        Raises
        ------
        NotFound
            Unknown facility, or a version that does not exist.
        """

        with self._read() as s:
            self._facility_row(s, facility_id)
            q = select(IntervalSeriesRow).where(IntervalSeriesRow.facility_id == facility_id,
                                                IntervalSeriesRow.period == str(period))
            if version is None:
                v = s.scalar(select(func.max(IntervalSeriesRow.version)).where(
                    IntervalSeriesRow.facility_id == facility_id, IntervalSeriesRow.period == str(period)))
                if v is None:
                    return None
                version = v
            row = s.scalars(q.where(IntervalSeriesRow.version == version)).first()
            if row is None:
                raise NotFound(f"no interval data version {version} of {facility_id} for {period}")
            blob, meta = row.parquet, dict(row.meta)
            w0, w1 = pd.Timestamp(row.window_start), pd.Timestamp(row.window_end)
        table = pd.read_parquet(io.BytesIO(blob))
        table = table.rename(columns={"start": "timestamp"})[["timestamp", "channel", "kwh", "meter"]]
        meters = {k: Meter(id=k, **v) for k, v in meta.get("meters", {}).items()} or None
        label = f"deal book: interval data {facility_id}/{period} v{version}"
        w0 = w0.tz_localize("UTC") if w0.tz is None else w0.tz_convert("UTC")
        w1 = w1.tz_localize("UTC") if w1.tz is None else w1.tz_convert("UTC")
        data = validate_intervals(table, file=label, meters=meters, window=(w0, w1))
        data.utc_offsets = tuple(meta.get("utc_offsets", ()))
        return data
