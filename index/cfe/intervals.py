"""Interval meter data (15-minute and hourly) per meter and channel: parsing, validation, gap-fill, completeness.

The long layout (one reading per row) is the input of every format::

    timestamp,channel,kwh[,meter]
    2025-01-01T00:00:00+08:00,load,5012.5,M-001

- ``timestamp``: start of the interval, ISO 8601 **with its UTC offset** (``+08:00`` for China, which has no
  DST; ``-05:00``/``-04:00`` across US DST changes). A timestamp without an offset is refused unless the caller
  names the meter's IANA time zone (``tz``), and then a local time that does not exist (spring forward) or
  exists twice (fall back) is refused too: the reading cannot be placed in time without an offset.
- ``channel``: one of :data:`index.cfe.settings.CHANNELS`.
- ``kwh``: energy in the interval [kWh], ≥ 0 (storage direction is in the channel name).
- ``meter``: meter id (default ``main``). A meter register (:func:`read_meters`) gives each meter its
  calibration reference; with a register, every meter id must be in it.

Validation finds, and reports in one failure table (file, row, field, unit, value, reason, severity), every
unparseable or offset-less timestamp, unknown channel, blank, non-numeric, infinite or negative reading,
duplicate reading (same meter, channel and interval), interval off the series' grid, and gap. Rows are
numbered from 1 (the first data row), as in :func:`index.forecast.load_monthly`.

Gap-fill (``data/cfe/cfe.toml`` ``[gap_fill]``): a run of missing intervals inside a series no longer than
``meter_max_gap_minutes`` is filled by linear interpolation of the interval energy between the readings on
either side, and every filled interval is flagged (``filled``). A longer run, or one at the start or end of the
window, is not filled: it is reported as an error, and the hourly series carries NaN there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from common.errors import InputError, InputErrors
from index.cfe.settings import CHANNELS, CFESettings, load_settings

ISSUE_COLUMNS = ["file", "row", "meter", "channel", "field", "unit", "value", "reason", "severity"]
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$")
NS_PER_MIN = 60_000_000_000
HOUR_NS = 60 * NS_PER_MIN


@dataclass(frozen=True)
class Meter:
    """One meter of a facility.

    Attributes
    ----------
    id : str
    channel : str or None
        The channel it measures, when it measures one only.
    calibration_ref : str
        Calibration certificate reference (e.g. the metrology institute's certificate number).
    calibration_date : str or None
        ISO date of the last calibration.
    accuracy_class : str or None
        E.g. ``0.5S`` (DL/T 448-2016 / IEC 62053-22).
    """

    id: str
    calibration_ref: str
    channel: str | None = None
    calibration_date: str | None = None
    accuracy_class: str | None = None


def meters_from_dict(doc: Mapping, *, file: str | None = None) -> dict[str, Meter]:
    """Meters from a mapping ``{"meter": [{id, calibration_ref, channel?, calibration_date?, accuracy_class?}]}``.

    Raises
    ------
    InputError
        A meter without ``id`` or ``calibration_ref``, a duplicated id, an unknown channel.
    """
    out: dict[str, Meter] = {}
    items = doc.get("meter")
    if not isinstance(items, list) or not items:
        raise InputError("a meter register needs [[meter]] tables", file=file, field="meter")
    for i, m in enumerate(items):
        where = f"meter[{i}]"
        for key in ("id", "calibration_ref"):
            if not str(m.get(key) or "").strip():
                raise InputError(f"'{key}' is required", file=file, field=f"{where}.{key}")
        mid = str(m["id"]).strip()
        if mid in out:
            raise InputError("meter id given twice", file=file, field=f"{where}.id", value=mid)
        ch = m.get("channel")
        if ch is not None and ch not in CHANNELS:
            raise InputError(f"unknown channel; channels are {', '.join(CHANNELS)}", file=file,
                             field=f"{where}.channel", value=ch)
        out[mid] = Meter(id=mid, calibration_ref=str(m["calibration_ref"]), channel=ch,
                         calibration_date=None if m.get("calibration_date") is None else str(m["calibration_date"]),
                         accuracy_class=m.get("accuracy_class"))
    return out


@dataclass
class IntervalData:
    """Validated interval data of one facility.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per expected interval of every series: ``meter``, ``channel``, ``start`` (UTC,
        ``datetime64[ns, UTC]``), ``minutes`` [min], ``kwh`` [kWh] (NaN where missing and not filled),
        ``filled`` (bool, gap-filled), ``row`` (source data row, 0 for filled or missing).
    series : pandas.DataFrame
        One row per (meter, channel): ``minutes``, ``expected``, ``measured``, ``filled``, ``missing``
        [intervals], ``kwh`` [kWh], ``calibration_ref``.
    issues : pandas.DataFrame
        The failure table, columns :data:`ISSUE_COLUMNS`; ``severity`` is ``error`` or ``warning``.
    window : tuple of pandas.Timestamp
        ``[start, end)`` in UTC covered by the file (or given by the caller).
    utc_offsets : tuple of str
        The UTC offsets written in the file (e.g. ``("+08:00",)``).
    file : str or None
    """

    frame: pd.DataFrame
    series: pd.DataFrame
    issues: pd.DataFrame
    window: tuple[pd.Timestamp, pd.Timestamp]
    utc_offsets: tuple[str, ...] = ()
    file: str | None = None
    meters: dict[str, Meter] = field(default_factory=dict)

    @property
    def errors(self) -> pd.DataFrame:
        """Rows of :attr:`issues` with severity ``error``."""
        return self.issues[self.issues["severity"] == "error"]

    def raise_for_errors(self, *, allow_gaps: bool = False, limit: int = 20) -> None:
        """Raise :class:`InputErrors` listing the errors (at most ``limit``, then a count).

        Parameters
        ----------
        allow_gaps : bool
            Accept unfilled gaps (the result then carries a completeness below 100 %); every other error
            still raises.
        """
        err = self.errors
        if allow_gaps:
            err = err[err["field"] != "gap"]
        if err.empty:
            return
        errs = [InputError(r.reason, file=r.file, row=None if r.row in (None, 0) or pd.isna(r.row) else int(r.row),
                           field=r.field, unit=r.unit or None,
                           value=None if r.value is None or (isinstance(r.value, float) and np.isnan(r.value))
                           else r.value)
                for r in err.head(limit).itertuples()]
        if len(err) > limit:
            errs.append(InputError(f"… and {len(err) - limit} more errors of the same kinds", file=self.file))
        raise InputErrors(errs)

    def channels(self) -> list[str]:
        """Channels present, in :data:`CHANNELS` order."""
        have = set(self.series["channel"])
        return [c for c in CHANNELS if c in have]

    def completeness(self) -> pd.DataFrame:
        """Completeness per channel.

        Returns
        -------
        pandas.DataFrame
            Indexed by channel: ``meters``, ``expected``, ``measured``, ``filled``, ``missing`` [intervals],
            ``measured_share``, ``filled_share``, ``missing_share`` [-], ``kwh`` [kWh].
        """
        s = self.series.groupby("channel", observed=True).agg(
            meters=("meter", "nunique"), expected=("expected", "sum"), measured=("measured", "sum"),
            filled=("filled", "sum"), missing=("missing", "sum"), kwh=("kwh", "sum"))
        for k in ("measured", "filled", "missing"):
            s[f"{k}_share"] = s[k] / s["expected"]
        return s.reindex([c for c in CHANNELS if c in s.index])

    def hourly(self, channels: list[str] | None = None) -> pd.DataFrame:
        """Energy per UTC hour and channel, summed over meters.

        Returns
        -------
        pandas.DataFrame
            Index: hour start (UTC, hourly, every hour of the window); columns: channels [kWh]. An hour
            with any missing (unfilled) interval of a channel is NaN for that channel.
        """
        f = self.frame
        if channels is not None:
            f = f[f["channel"].isin(channels)]
        start, end = self.window
        h0 = start.floor("h")
        nh = int(-(-(end.value - h0.value) // HOUR_NS))
        t = pd.DatetimeIndex(f["start"]).as_unit("ns").asi8
        codes = f["channel"].cat.codes.to_numpy().astype(np.int64)
        cats = list(f["channel"].cat.categories)
        key = codes * nh + (t - h0.value) // HOUR_NS
        kwh = f["kwh"].to_numpy(dtype=float)
        nan = np.isnan(kwh)
        size = len(cats) * nh
        sums = np.bincount(key, weights=np.where(nan, 0.0, kwh), minlength=size).reshape(len(cats), nh)
        nans = np.bincount(key, weights=nan, minlength=size).reshape(len(cats), nh)
        sums[nans > 0] = np.nan
        present = np.bincount(codes, minlength=len(cats)) > 0
        idx = pd.date_range(h0, periods=nh, freq="h", name="hour")
        cols = {c: sums[i] for i, c in enumerate(cats) if present[i]}
        order = [c for c in CHANNELS if c in cols and (channels is None or c in channels)]
        return pd.DataFrame({c: cols[c] for c in order}, index=idx)

    def totals(self, *, by: str | None = None, tz: str | None = None) -> pd.DataFrame:
        """Channel sums [kWh], over the window (``by=None``) or per calendar month (``by="month"``).

        Parameters
        ----------
        by : {None, "month"}
        tz : str, optional
            Time zone of the bills' months (IANA name or a fixed offset such as ``+08:00``). Default: the
            single UTC offset of the file; a file with several offsets (DST) needs ``tz``.

        Raises
        ------
        InputError
            ``by="month"`` on a file with several UTC offsets and no ``tz``.
        """
        f = self.frame
        if by is None:
            out = f.groupby("channel", observed=True)["kwh"].sum(min_count=1)
            out.index = out.index.astype(str)
            return out.to_frame("window").T
        if by != "month":
            raise ValueError("by must be None or 'month'")
        zone = tz or self.local_zone()
        local = pd.DatetimeIndex(f["start"]).tz_convert(zone)
        month = (local.year * 12 + local.month - 1).to_numpy()
        codes = f["channel"].cat.codes.to_numpy()
        out = f["kwh"].groupby([month, codes]).sum(min_count=1).unstack(1)
        cats = f["channel"].cat.categories
        out.columns = [str(cats[c]) for c in out.columns]
        out.index = pd.PeriodIndex([pd.Period(year=int(k // 12), month=int(k % 12) + 1, freq="M") for k in out.index])
        return out

    def local_zone(self) -> str:
        """The file's single UTC offset as a zone (``+08:00`` → ``UTC+08:00``).

        Raises
        ------
        InputError
            If the file has several offsets (DST): the caller must name the time zone.
        """
        offs = {("+00:00" if o == "Z" else o) for o in self.utc_offsets}
        if len(offs) != 1:
            raise InputError(f"the interval file has several UTC offsets ({', '.join(sorted(offs)) or 'none'}); "
                             "name the facility's time zone (e.g. America/Chicago) to group intervals into "
                             "bill months", file=self.file, field="timestamp")
        o = offs.pop()
        if not o.startswith(("+", "-")):  # a zone name (tz-aware Parquet / Excel columns, or the caller's tz)
            return o
        if re.fullmatch(r"[+-]\d{4}", o):
            o = f"{o[:3]}:{o[3:]}"
        elif re.fullmatch(r"[+-]\d{2}", o):
            o = f"{o}:00"
        return "UTC" if o in ("+00:00", "-00:00") else f"UTC{o}"


def _issue(rows, *, file, row=0, meter=None, channel=None, field, unit=None, value=None, reason, severity="error"):
    rows.append({"file": file, "row": row, "meter": meter, "channel": channel, "field": field, "unit": unit,
                 "value": value, "reason": reason, "severity": severity})


def _issues_from_mask(issues: list, mask: np.ndarray, df: pd.DataFrame, *, file, field, unit, reason,
                      values) -> None:
    for i in np.flatnonzero(mask):
        _issue(issues, file=file, row=int(i) + 1, meter=df.meter[i], channel=df.channel[i],
               field=field, unit=unit, value=None if values is None else str(values[i]), reason=reason)


def _parse_timestamps(ts: pd.Series, tz: str | None, file: str | None, issues: list, df: pd.DataFrame):
    """UTC nanoseconds (int64, NaT → min) and the set of offsets written; problems go to ``issues``."""
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        i8 = pd.DatetimeIndex(ts).tz_convert("UTC").as_unit("ns").asi8.copy()
        bad = pd.isna(ts).to_numpy()
        for i in np.flatnonzero(bad):
            _issue(issues, file=file, row=int(i) + 1, field="timestamp", reason="blank timestamp")
        return i8, (str(ts.dt.tz),)
    if pd.api.types.is_datetime64_dtype(ts.dtype):  # naive datetimes (Excel, Parquet without zone)
        strings = None
        codes, uniques = pd.factorize(ts, use_na_sentinel=True)
        naive = pd.DatetimeIndex(uniques)
        has_off = np.zeros(len(naive), bool)
    else:
        strings = ts
        codes, uniques = pd.factorize(ts, use_na_sentinel=True)
        uniq = pd.Index([str(u).strip() for u in uniques], dtype="object")
        has_off = np.array([bool(_OFFSET.search(u)) for u in uniq], bool)
        naive = None
    parsed = pd.Series(pd.NaT, index=range(len(uniques)), dtype="datetime64[ns, UTC]")
    offsets: set[str] = set()
    if strings is not None:
        with_off = np.flatnonzero(has_off)
        if len(with_off):
            vals = uniq[with_off]
            parsed.iloc[with_off] = pd.to_datetime(pd.Index(vals), format="ISO8601", utc=True, errors="coerce")
            offsets = {_OFFSET.search(v).group(0) for v in vals}
        no_off = np.flatnonzero(~has_off)
        if len(no_off):
            naive_vals = pd.to_datetime(pd.Index(uniq[no_off]), format="ISO8601", errors="coerce")
    else:
        no_off = np.arange(len(naive))
        naive_vals = naive
    bad_reason: dict[int, str] = {}
    if len(no_off):
        if tz is None:
            unparsed = pd.isna(naive_vals)
            for k, j in enumerate(no_off):
                bad_reason[int(j)] = ("not an ISO 8601 timestamp" if unparsed[k] else
                                      "timestamp has no UTC offset (write e.g. 2025-01-01T00:00:00+08:00, or name "
                                      "the meter's time zone)")
        else:
            ok = ~pd.isna(naive_vals)
            loc = pd.Series(pd.NaT, index=range(len(no_off)), dtype="datetime64[ns, UTC]")
            for k, (j, v) in enumerate(zip(no_off, naive_vals, strict=True)):
                if not ok[k]:
                    continue
                try:
                    loc.iloc[k] = pd.Timestamp(v).tz_localize(tz, ambiguous="raise", nonexistent="raise").tz_convert("UTC")
                except ValueError as exc:  # pandas: ambiguous or nonexistent local time
                    text = f"{type(exc).__name__} {exc}".lower()
                    what = ("does not exist (DST spring-forward)" if "nonexistent" in text
                            else "exists twice (DST fall-back)")
                    bad_reason[int(j)] = f"local time {v} {what} in {tz}; write the UTC offset"
            parsed.iloc[no_off] = loc.to_numpy()
            offsets.add(tz)
    nat = parsed.isna().to_numpy()
    for j in np.flatnonzero(nat):
        bad_reason.setdefault(int(j), "not an ISO 8601 timestamp")
    i8 = pd.DatetimeIndex(parsed).as_unit("ns").asi8 if len(parsed) else np.array([], np.int64)
    nat_i8 = np.iinfo(np.int64).min
    row_i8 = np.where(codes < 0, nat_i8, i8[np.where(codes < 0, 0, codes)] if len(i8) else nat_i8)
    blank = codes < 0
    bad_rows = blank.copy()
    if bad_reason:
        bad_codes = np.fromiter(bad_reason, int)
        bad_rows |= np.isin(codes, bad_codes)
    for i in np.flatnonzero(bad_rows):
        c = codes[i]
        reason = "blank timestamp" if c < 0 else bad_reason[int(c)]
        _issue(issues, file=file, row=int(i) + 1, meter=df.meter[i], channel=df.channel[i], field="timestamp", value=None if c < 0 else str(uniques[c]), reason=reason)
    row_i8[bad_rows] = nat_i8
    return row_i8, tuple(sorted(offsets))


def validate_intervals(df: pd.DataFrame, *, file: str | None = None, tz: str | None = None,
                       meters: Mapping[str, Meter] | None = None,
                       window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
                       settings: CFESettings | None = None, fill: bool = True) -> IntervalData:
    """Validate long-layout interval readings, fill short gaps and measure completeness.

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``timestamp``, ``channel``, ``kwh`` [kWh per interval], optional ``meter``; shape (n, 3–4).
    file : str, optional
        Name for messages.
    tz : str, optional
        IANA zone for timestamps written without an offset.
    meters : mapping of str to Meter, optional
        Meter register; every meter id in ``df`` must be in it, and a meter registered for one channel may
        only report that channel.
    window : (Timestamp, Timestamp), optional
        ``[start, end)`` the series must cover (e.g. the reporting period); default: from the first interval
        start to the last interval end in the file.
    settings : CFESettings, optional
        Default :func:`index.cfe.settings.load_settings`.
    fill : bool
        Apply the gap-fill rule (default True).

    Returns
    -------
    IntervalData
        Never raises on bad readings: they are in ``issues``; call :meth:`IntervalData.raise_for_errors`.

    Raises
    ------
    InputError
        A required column is missing, or no row is usable.
    """
    st = settings or load_settings()
    missing_cols = [c for c in ("timestamp", "channel", "kwh") if c not in df.columns]
    if missing_cols:
        raise InputError(f"column '{missing_cols[0]}' is required (long layout: timestamp, channel, kwh[, meter])",
                         file=file, field=missing_cols[0], unit="kWh" if missing_cols[0] == "kwh" else None)
    n = len(df)
    if n == 0:
        raise InputError("no interval rows", file=file)
    issues: list[dict] = []
    # meter and channel as codes into small tables of normalised names (work on uniques, not on rows)
    if "meter" in df.columns:
        m_codes, m_raw = pd.factorize(df["meter"], use_na_sentinel=True)
        m_names = np.array([str(u).strip() for u in m_raw] + [""], dtype=object)
        m_codes = np.where(m_codes < 0, len(m_raw), m_codes)
    else:
        m_codes, m_names = np.zeros(n, np.int64), np.array(["main"], dtype=object)
    c_codes, c_raw = pd.factorize(df["channel"], use_na_sentinel=True)
    c_names = np.array([str(u).strip().lower() for u in c_raw] + [""], dtype=object)
    c_codes = np.where(c_codes < 0, len(c_raw), c_codes)
    m_codes, m_names = _renormalise(m_codes, m_names)
    c_codes, c_names = _renormalise(c_codes, c_names)
    work = _RowView(m_names, m_codes, c_names, c_codes)
    blank_m = (m_names == "")[m_codes]
    for i in np.flatnonzero(blank_m):
        _issue(issues, file=file, row=int(i) + 1, field="meter", reason="blank meter id")
    bad_chan = np.array([u not in CHANNELS for u in c_names], bool)[c_codes]
    _issues_from_mask(issues, bad_chan, work, file=file, field="channel", unit=None,
                      reason=f"unknown channel; channels are {', '.join(CHANNELS)}", values=work.channel)
    # kwh
    raw = df["kwh"]
    if pd.api.types.is_numeric_dtype(raw.dtype):
        kwh = raw.to_numpy(dtype="float64", na_value=np.nan)
        blank = np.isnan(kwh)
        nonnum = np.zeros(n, bool)
    else:
        s = raw.astype("string").str.strip()
        blank = (s.isna() | (s == "")).to_numpy(dtype=bool, na_value=True)
        kwh = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        nonnum = np.isnan(kwh) & ~blank
    inf = np.isinf(kwh)
    neg = kwh < 0
    rawv = _LazyValues(raw)
    _issues_from_mask(issues, blank, work, file=file, field="kwh", unit="kWh", reason="blank reading", values=None)
    _issues_from_mask(issues, nonnum, work, file=file, field="kwh", unit="kWh", reason="not a number", values=rawv)
    _issues_from_mask(issues, inf, work, file=file, field="kwh", unit="kWh", reason="infinite reading", values=rawv)
    _issues_from_mask(issues, neg, work, file=file, field="kwh", unit="kWh",
                      reason="negative reading (energy per interval is ≥ 0; storage direction is in the channel)",
                      values=rawv)
    # meters
    if meters is not None:
        for j, mid in enumerate(m_names):
            rows_j = np.flatnonzero(m_codes == j)
            if mid == "" or not len(rows_j):
                continue
            if mid not in meters:
                _issue(issues, file=file, row=int(rows_j[0]) + 1, meter=mid, field="meter", value=mid,
                       reason=f"meter not in the meter register ({len(rows_j)} rows; first row given)")
                continue
            reg = meters[mid].channel
            if reg is not None:
                other = rows_j[c_names[c_codes[rows_j]] != reg]
                if len(other):
                    _issue(issues, file=file, row=int(other[0]) + 1, meter=mid, channel=work.channel[other[0]],
                           field="channel", value=work.channel[other[0]],
                           reason=f"meter {mid} is registered for channel '{reg}' ({len(other)} rows of other channels)")
    # timestamps → int64 ns UTC
    t_all, offsets = _parse_timestamps(df["timestamp"], tz, file, issues, work)
    if df.attrs.get("utc_offsets") and isinstance(df["timestamp"].dtype, pd.DatetimeTZDtype):
        offsets = tuple(df.attrs["utc_offsets"])  # offsets as written, kept by the reader's fast path
    nat_i8 = np.iinfo(np.int64).min
    bad = blank | nonnum | inf | neg | bad_chan | blank_m | (t_all == nat_i8)
    keep = np.flatnonzero(~bad)
    if not len(keep):
        table = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
        data = IntervalData(pd.DataFrame(), pd.DataFrame(), table, (pd.NaT, pd.NaT), offsets, file)
        data.raise_for_errors()
        raise InputError("no usable interval rows", file=file)
    # sort by (meter, channel, time); rows keep their 1-based file numbers
    order = _sort_rows(keep, m_codes, c_codes, len(c_names), t_all)
    gm, gc, gt, gv, gr = m_codes[order], c_codes[order], t_all[order], kwh[order], order + 1
    # duplicates: equal (meter, channel, time) neighbours
    same = (gm[1:] == gm[:-1]) & (gc[1:] == gc[:-1]) & (gt[1:] == gt[:-1])
    if same.any():
        first_of_run = np.flatnonzero(same & ~np.concatenate(([False], same[:-1])))
        for a in first_of_run:
            b = a + 1
            while b < len(same) and same[b]:
                b += 1
            vals = np.unique(gv[a:b + 1])
            rows = ", ".join(str(int(r)) for r in np.sort(gr[a:b + 1]))
            why = ("duplicate reading" if len(vals) == 1
                   else f"conflicting duplicate readings ({', '.join(f'{v:g}' for v in vals)} kWh)")
            m, c = m_names[gm[a]], c_names[gc[a]]
            _issue(issues, file=file, row=int(gr[a]), meter=m, channel=c, field="timestamp",
                   value=pd.Timestamp(int(gt[a]), tz="UTC").isoformat(),
                   reason=f"{why} for meter {m}, channel {c} (rows {rows})")
        first = np.concatenate(([True], ~same))
        gm, gc, gt, gv, gr = gm[first], gc[first], gt[first], gv[first], gr[first]
    # series boundaries
    brk = np.flatnonzero((gm[1:] != gm[:-1]) | (gc[1:] != gc[:-1])) + 1
    bounds = list(zip(np.concatenate(([0], brk)), np.concatenate((brk, [len(gm)])), strict=True))
    res_of = []
    for a, b in bounds:
        m, c = m_names[gm[a]], c_names[gc[a]]
        res = int(np.min(np.diff(gt[a:b])) // NS_PER_MIN) if b - a > 1 else min(st.allowed_minutes)
        if res not in st.allowed_minutes:
            _issue(issues, file=file, row=int(gr[a]), meter=m, channel=c, field="timestamp", unit="min",
                   value=res, reason=f"interval length {res} min is not one of {st.allowed_minutes} min")
            res = min(st.allowed_minutes)
        res_of.append(res)
    if window is None:
        w0_ns = int(gt.min())
        w1_ns = max(int(gt[b - 1]) + r * NS_PER_MIN for (a, b), r in zip(bounds, res_of, strict=True))
    else:
        w0_ns, w1_ns = (_utc(window[0]).value, _utc(window[1]).value)
    w0, w1 = pd.Timestamp(w0_ns, tz="UTC"), pd.Timestamp(w1_ns, tz="UTC")
    out_m, out_c, out_t, out_min, out_kwh, out_filled, out_row, series_rows = [], [], [], [], [], [], [], []
    max_gap = st.meter_max_gap_minutes
    for (a, b), res in zip(bounds, res_of, strict=True):
        m, c = m_names[gm[a]], c_names[gc[a]]
        res_ns = res * NS_PER_MIN
        t, vals, rows = gt[a:b], gv[a:b], gr[a:b]
        outside = (t < w0_ns) | (t >= w1_ns)
        if outside.any():
            i0 = np.flatnonzero(outside)
            _issue(issues, file=file, row=int(rows[i0[0]]), meter=m, channel=c, field="timestamp",
                   value=pd.Timestamp(int(t[i0[0]]), tz="UTC").isoformat(),
                   reason=f"{len(i0)} readings outside the window {w0.isoformat()} – {w1.isoformat()}; not used")
            t, vals, rows = t[~outside], vals[~outside], rows[~outside]
        if len(t) == 0:
            continue
        origin = int(t[0]) - ((int(t[0]) - w0_ns) // res_ns) * res_ns
        off = (t - origin) % res_ns
        if (off != 0).any():
            j = np.flatnonzero(off != 0)
            _issue(issues, file=file, row=int(rows[j[0]]), meter=m, channel=c, field="timestamp", unit="min",
                   value=pd.Timestamp(int(t[j[0]]), tz="UTC").isoformat(),
                   reason=f"{len(j)} readings are off the series' {res}-min grid; not used")
            t, vals, rows = t[off == 0], vals[off == 0], rows[off == 0]
        nslots = int(-(-(w1_ns - origin) // res_ns))
        pos = (t - origin) // res_ns
        full = np.full(nslots, np.nan)
        full[pos] = vals
        row_full = np.zeros(nslots, np.int64)
        row_full[pos] = rows
        miss = np.isnan(full)
        filled = np.zeros(nslots, bool)
        if miss.any():
            edges = np.diff(np.concatenate(([0], miss.view(np.int8), [0])))
            run_start, run_end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
            inside = (run_start > 0) & (run_end < nslots)
            short = inside & ((run_end - run_start) * res <= max_gap) if fill else np.zeros(len(run_start), bool)
            if short.any():
                measured = np.flatnonzero(~miss)
                interp = np.interp(np.arange(nslots), measured, full[measured])
                for ra, rb in zip(run_start[short], run_end[short], strict=True):
                    full[ra:rb] = interp[ra:rb]
                    filled[ra:rb] = True
                    _issue(issues, file=file, meter=m, channel=c, field="gap_filled", unit="kWh",
                           value=f"{rb - ra} × {res} min",
                           reason=f"gap {pd.Timestamp(origin + ra * res_ns, tz='UTC').isoformat()} – "
                                  f"{pd.Timestamp(origin + rb * res_ns, tz='UTC').isoformat()} filled by linear "
                                  f"interpolation (≤ {max_gap:g} min rule)", severity="warning")
            for ra, rb, ins in zip(run_start[~short], run_end[~short], inside[~short], strict=True):
                where = ("inside the series" if ins else
                         "at the start of the window" if ra == 0 else "at the end of the window")
                _issue(issues, file=file, meter=m, channel=c, field="gap", unit="min", value=f"{(rb - ra) * res} min",
                       reason=f"gap of {rb - ra} intervals {where}: "
                              f"{pd.Timestamp(origin + ra * res_ns, tz='UTC').isoformat()} – "
                              f"{pd.Timestamp(origin + rb * res_ns, tz='UTC').isoformat()} not filled "
                              f"(fill limit {max_gap:g} min inside a series)")
        starts = origin + np.arange(nslots, dtype=np.int64) * res_ns
        in_w = starts >= w0_ns  # slots before the window start are not expected
        k = int(in_w.sum())
        out_m.append(np.full(k, gm[a]))
        out_c.append(np.full(k, gc[a]))
        out_t.append(starts[in_w])
        out_min.append(np.full(k, res, np.int16))
        out_kwh.append(full[in_w])
        out_filled.append(filled[in_w])
        out_row.append(row_full[in_w])
        series_rows.append({"meter": m, "channel": c, "minutes": res, "expected": k,
                            "measured": int((~miss & in_w).sum()), "filled": int((filled & in_w).sum()),
                            "missing": int((np.isnan(full) & in_w).sum()), "kwh": float(np.nansum(full[in_w])),
                            "calibration_ref": meters[m].calibration_ref if meters and m in meters else None})
    if out_t:
        frame = pd.DataFrame({
            "meter": pd.Categorical.from_codes(np.concatenate(out_m), categories=pd.Index(m_names, dtype=object)),
            "channel": pd.Categorical.from_codes(np.concatenate(out_c), categories=pd.Index(c_names, dtype=object)),
            "start": pd.DatetimeIndex(np.concatenate(out_t).view("datetime64[ns]")).tz_localize("UTC"),
            "minutes": np.concatenate(out_min), "kwh": np.concatenate(out_kwh),
            "filled": np.concatenate(out_filled), "row": np.concatenate(out_row)})
    else:
        frame = pd.DataFrame(columns=["meter", "channel", "start", "minutes", "kwh", "filled", "row"])
    table = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
    return IntervalData(frame=frame, series=pd.DataFrame(series_rows), issues=table, window=(w0, w1),
                        utc_offsets=offsets, file=file, meters=dict(meters or {}))


def _sort_rows(keep, m_codes, c_codes, n_chan, t_all):
    """Row numbers ``keep`` ordered by (meter, channel, time, row): a stable radix sort on the series key, then
    a time sort only inside series that are not already in time order (files usually are)."""
    key = m_codes[keep].astype(np.int64) * (n_chan + 1) + c_codes[keep]
    small = key.max() < np.iinfo(np.int16).max
    order = keep[np.argsort(key.astype(np.int16) if small else key, kind="stable")]
    k = m_codes[order].astype(np.int64) * (n_chan + 1) + c_codes[order]
    t = t_all[order]
    same = k[1:] == k[:-1]
    if np.all(t[1:][same] >= t[:-1][same]):
        return order
    return keep[np.lexsort((keep, t_all[keep], c_codes[keep], m_codes[keep]))]


def _renormalise(codes: np.ndarray, names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge names that became equal after normalisation (``" M1"`` and ``"M1"``): codes into unique names."""
    new_codes, uniq = pd.factorize(pd.Index(names, dtype=object))
    return new_codes[codes], np.asarray(uniq, dtype=object)


def _utc(t) -> pd.Timestamp:
    t = pd.Timestamp(t)
    return t.tz_convert("UTC") if t.tz else t.tz_localize("UTC")


class _RowView:
    """Meter and channel of a row from the code tables (for messages about single rows)."""

    def __init__(self, m_names, m_codes, c_names, c_codes):
        self._m, self._mc, self._c, self._cc = m_names, m_codes, c_names, c_codes
        self.meter = _Index(m_names, m_codes)
        self.channel = _Index(c_names, c_codes)


class _Index:
    def __init__(self, names, codes):
        self._n, self._c = names, codes

    def __getitem__(self, i):
        return str(self._n[self._c[i]])


class _LazyValues:
    def __init__(self, s: pd.Series):
        self._s = s

    def __getitem__(self, i):
        return self._s.iat[int(i)]
