"""Reading interval files (CSV, Parquet, Excel) and meter registers into :mod:`index.cfe.intervals`.

These are the loaders of the file form; the engines (:func:`index.cfe.intervals.validate_intervals`,
:func:`index.cfe.engine.hourly_cfe`) take data frames, never paths.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from common.errors import InputError
from common.tomlio import read_toml
from index.cfe.intervals import _OFFSET, IntervalData, Meter, meters_from_dict, validate_intervals
from index.cfe.settings import CFESettings

INTERVAL_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq", ".xlsx", ".xlsm")


def read_interval_table(path: str | Path | bytes, *, name: str | None = None) -> pd.DataFrame:
    """The raw long-layout table of an interval file, without checks beyond the file format.

    CSV is read with pyarrow (``timestamp``, ``channel``, ``meter`` as text, ``kwh`` as float64; a ``kwh``
    column with non-numbers is read as text so that validation can name each bad row); Parquet with pyarrow;
    Excel (first sheet) with openpyxl.

    Parameters
    ----------
    path : str, Path or bytes
        The file, or its content (an upload) with ``name`` giving the file name (its suffix picks the format).
    name : str, optional
        File name when ``path`` is bytes.

    Returns
    -------
    pandas.DataFrame
        Columns as in the file.

    Raises
    ------
    InputError
        Unknown suffix, unreadable file, header without the long-layout columns.
    FileNotFoundError
        If the file does not exist.
    """
    if isinstance(path, bytes):
        if not name:
            raise ValueError("name is required with bytes")
        p, label, src = Path(name), name, io.BytesIO(path)
    else:
        p = Path(path)
        label, src = str(p), p
        if not p.exists():
            raise FileNotFoundError(2, "No such file", str(p))
    name = p.name.lower()
    try:
        if name.endswith((".csv", ".csv.gz")):
            import pyarrow as pa  # noqa: PLC0415 - pyarrow is heavy, only CSV interval reads
            import pyarrow.csv as pacsv  # noqa: PLC0415 - pyarrow is heavy, only CSV interval reads

            # text columns dictionary-encoded while parsing: a year of 15-min data repeats each timestamp once
            # per meter, so validation works on the (few) distinct values, not on every row
            text = {k: pa.dictionary(pa.int32(), pa.string()) for k in ("timestamp", "channel", "meter")}
            try:
                tbl = pacsv.read_csv(src, convert_options=pacsv.ConvertOptions(
                    column_types={**text, "kwh": pa.float64()}, strings_can_be_null=True, null_values=[""]))
            except pa.ArrowInvalid:
                if isinstance(src, io.BytesIO):
                    src.seek(0)
                tbl = pacsv.read_csv(src, convert_options=pacsv.ConvertOptions(
                    column_types={**text, "kwh": pa.string()}, strings_can_be_null=True, null_values=[""]))
            fast = _parse_dictionary_timestamps(tbl.column("timestamp")) if "timestamp" in tbl.column_names else None
            if fast is None:
                return tbl.to_pandas()
            df = tbl.drop_columns(["timestamp"]).to_pandas()
            df.insert(0, "timestamp", fast[0])
            df.attrs["utc_offsets"] = fast[1]
            return df
        if name.endswith((".parquet", ".pq")):
            return pd.read_parquet(src)
        if name.endswith((".xlsx", ".xlsm")):
            df = pd.read_excel(src, sheet_name=0, engine="openpyxl")
            if "timestamp" in df.columns and df["timestamp"].dtype == object:
                df["timestamp"] = df["timestamp"].map(
                    lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
            return df
    except (OSError, ValueError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise InputError(f"cannot read the interval file: {exc}", file=label) from None
    raise InputError(f"unknown interval file type; use one of {', '.join(INTERVAL_SUFFIXES)}", file=label)


def _parse_dictionary_timestamps(col):
    """Fast path for a dictionary-encoded timestamp column in which every value carries a UTC offset.

    Each CSV block's dictionary (its distinct timestamps) is parsed by Arrow's ISO 8601 parser and taken back
    to the rows, and the offsets written are collected from the dictionaries. Returns ``(Series of
    datetime64[ns, UTC], offsets)``, or None when any value lacks an offset or does not parse — then the
    caller's slow path names every bad row.
    """

    if not pa.types.is_dictionary(col.type):
        return None
    parts, offsets = [], set()
    try:
        for chunk in col.chunks:
            d = chunk.dictionary
            parts.append(pc.cast(d, pa.timestamp("ns", tz="UTC")).take(chunk.indices))
            offsets |= set(pc.unique(pc.utf8_slice_codeunits(d, start=-6)).to_pylist()) - {None}
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None

    arr = pa.chunked_array(parts, type=pa.timestamp("ns", tz="UTC"))
    # the last 6 characters of each distinct timestamp hold its offset (``+08:00``, ``00:00Z``, ``0+0800``)
    found = {m.group(0) for m in (_OFFSET.search(x) for x in offsets) if m}
    return arr.to_pandas(), tuple(sorted(found))


def read_meters(path: str | Path) -> dict[str, Meter]:
    """Meter register from a TOML file with ``[[meter]]`` tables (``id``, ``calibration_ref``, …).

    Raises
    ------
    InputError
        See :func:`index.cfe.intervals.meters_from_dict`.
    """
    return meters_from_dict(read_toml(path, "meter register"), file=str(path))


def read_intervals(path: str | Path, *, tz: str | None = None, meters: dict[str, Meter] | None = None,
                   window=None, settings: CFESettings | None = None) -> IntervalData:
    """Read and validate an interval file (see :func:`index.cfe.intervals.validate_intervals`)."""
    df = read_interval_table(path)
    return validate_intervals(df, file=str(path), tz=tz, meters=meters, window=window, settings=settings)
