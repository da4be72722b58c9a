"""The grid's hourly carbon-free share ``g`` for 24/7 CFE matching.

Two public hourly formats are read as they are:

- **Electricity Maps** data-portal CSV (``Datetime (UTC)``, …, ``Low Carbon Percentage`` [%]): ``g`` = low-carbon
  percentage / 100 (renewables and nuclear), the source of Google's regional CFE% [1]_.
- **EIA-930** hourly net generation by fuel (``timestamp``, ``WND``, ``SUN``, ``WAT``, ``OIL``, ``NG``, ``COL``,
  ``NUC``, ``OTH`` [MWh]): ``g = (WND + SUN + WAT + NUC) / Σ fuels`` [1]_ [2]_.

Blank hours are filled by the rule of ``data/cfe/cfe.toml`` ``[gap_fill]`` (linear interpolation up to
``grid_max_interp_hours``, then the same file's mean share of that hour of day in that month) and flagged.

For Chinese provinces no public hourly grid data exists: :func:`annual_fallback` gives a constant ``g`` from
``data/cfe/grid_cfe_fallback.csv`` (1 − average factor / fossil-power factor of the MEE/NBS notices), and the
result says that its grid basis is annual.

References
----------
.. [1] Google (2021), *24/7 Carbon-Free Energy: Methodologies and Metrics*,
   https://sustainability.google/reports/24x7-carbon-free-energy-methodologies-metrics/
.. [2] US EIA, Form EIA-930 Hourly Electric Grid Monitor (net generation by energy source).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from common.errors import InputError
from index.cfe.settings import CFESettings, load_settings
from index.reference import data_dir, province_info

EIA930_FUELS = ("WND", "SUN", "WAT", "OIL", "NG", "COL", "NUC", "OTH")


@dataclass
class GridCFE:
    """Hourly carbon-free share of a grid.

    Attributes
    ----------
    share : pandas.Series
        ``g`` per UTC hour [-], in [0, 1]; index hourly ``DatetimeIndex`` (UTC). For an annual fallback the
        series is empty and :attr:`annual_share` is set.
    filled : pandas.Series
        Bool per hour: filled by the gap rule.
    basis : str
        ``"hourly"`` or ``"annual"``.
    source : str
        Where ``g`` comes from (file and format, or the fallback row's source).
    zone : str or None
    annual_share : float or None
    notes : list of str
    """

    share: pd.Series
    filled: pd.Series
    basis: str
    source: str
    zone: str | None = None
    annual_share: float | None = None
    notes: tuple[str, ...] = ()
    solar: pd.Series | None = None  # EIA-930 SUN generation per hour [MWh] (shape for a solar PPA lever)

    def on(self, hours: pd.DatetimeIndex, *, file: str | None = None) -> np.ndarray:
        """``g`` on the given UTC hours [-], shape (len(hours),).

        Raises
        ------
        InputError
            Hourly grid data that does not cover every hour asked for.
        """
        if self.basis == "annual":
            return np.full(len(hours), float(self.annual_share))
        g = self.share.reindex(hours)
        if g.isna().any():
            miss = hours[g.isna().to_numpy()]
            raise InputError(f"the grid data covers {self.share.index.min()} – {self.share.index.max()} but not "
                             f"{len(miss)} hours of the interval data (first {miss[0].isoformat()}); use grid data "
                             "of the same year", file=file or self.source, field="timestamp")
        return g.to_numpy(dtype=float)


def _fill(share: pd.Series, st: CFESettings) -> tuple[pd.Series, pd.Series, list[str]]:
    """Apply the grid gap rule; returns filled share, filled flags and notes."""
    miss = share.isna()
    notes = []
    if not miss.any():
        return share, miss, notes
    m = miss.to_numpy()
    edges = np.diff(np.concatenate(([0], m.view(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    out = share.copy()
    interp = share.interpolate(method="linear", limit_area="inside")
    idx = share.index
    month_hour = share.groupby([idx.month, idx.hour]).transform("mean")
    lim = st.grid_max_interp_hours
    for a, b in zip(starts, ends, strict=True):
        inside = a > 0 and b < len(share)
        if inside and (b - a) <= lim:
            out.iloc[a:b] = interp.iloc[a:b]
            how = "linear interpolation"
        else:
            out.iloc[a:b] = month_hour.iloc[a:b]
            how = "mean of the same hour of day in the same month"
        notes.append(f"grid hours {idx[a].isoformat()} – {idx[b - 1].isoformat()} ({b - a} h) blank; filled by {how}")
    if out.isna().any():
        raise InputError("grid data has a month without any value for some hour of day; cannot fill",
                         field="share")
    return out, miss, notes


def grid_from_frame(df: pd.DataFrame, *, file: str | None = None, settings: CFESettings | None = None) -> GridCFE:
    """Hourly ``g`` from an Electricity Maps or EIA-930 table (format recognised by its columns).

    Parameters
    ----------
    df : pandas.DataFrame
        The file's rows as read (text or numbers), shape (hours, columns).

    Raises
    ------
    InputError
        Neither format; a timestamp not parseable; duplicated hours; a share outside [0, 100] %; negative
        generation.
    """
    st = settings or load_settings()
    cols = list(df.columns)
    solar = None
    if "Datetime (UTC)" in cols:
        col = st.electricitymaps_column
        if col not in cols:
            raise InputError(f"Electricity Maps file without the '{col}' column", file=file, field=col, unit="%")
        ts = pd.to_datetime(df["Datetime (UTC)"], format="ISO8601", errors="coerce")
        pct = pd.to_numeric(df[col], errors="coerce")
        bad = (pct < 0) | (pct > 100)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError("low-carbon share outside 0–100 %", file=file, row=i + 1, field=col, unit="%",
                             value=df[col].iat[i])
        share = pct / 100.0
        zone = str(df["Zone Id"].iat[0]) if "Zone Id" in cols else None
        fmt = f"Electricity Maps '{col}' / 100"
        if ts.dt.tz is None:
            ts = ts.dt.tz_localize("UTC")
    elif "timestamp" in cols and all(f in cols for f in EIA930_FUELS):
        ts = pd.to_datetime(df["timestamp"], format="ISO8601", utc=True, errors="coerce")
        gen = df[list(EIA930_FUELS)].apply(pd.to_numeric, errors="coerce")
        neg = (gen < 0).to_numpy()
        if neg.any():
            i, j = (int(x[0]) for x in np.nonzero(neg))
            raise InputError("negative net generation", file=file, row=i + 1, field=EIA930_FUELS[j], unit="MWh",
                             value=gen.iat[i, j])
        total = gen.sum(axis=1, min_count=1)
        clean = gen[list(st.eia930_carbon_free)].sum(axis=1, min_count=1)
        share = (clean / total).where(total > 0)
        zone = None
        fmt = f"EIA-930 ({' + '.join(st.eia930_carbon_free)}) / all fuels"
        solar = gen["SUN"]
    else:
        raise InputError("not a known grid file: expected Electricity Maps ('Datetime (UTC)', "
                         f"'{st.electricitymaps_column}') or EIA-930 ('timestamp', {', '.join(EIA930_FUELS)})",
                         file=file)
    if ts.isna().any():
        i = int(np.flatnonzero(ts.isna().to_numpy())[0])
        raise InputError("not a timestamp", file=file, row=i + 1, field=cols[0])
    idx = pd.DatetimeIndex(ts).tz_convert("UTC").as_unit("ns")
    if idx.duplicated().any():
        i = int(np.flatnonzero(idx.duplicated())[0])
        raise InputError("hour given twice", file=file, row=i + 1, field=cols[0], value=str(idx[i]))
    s = pd.Series(share.to_numpy(dtype=float), index=idx).sort_index()
    full = pd.date_range(s.index[0], s.index[-1], freq="h")
    absent = len(full) - len(s)
    s = s.reindex(full)
    s, filled, notes = _fill(s, st)
    if absent:
        notes.insert(0, f"{absent} hours absent from the file")
    sun = None
    if solar is not None:
        sun = pd.Series(solar.to_numpy(dtype=float), index=idx).sort_index().reindex(full).fillna(0.0)
    return GridCFE(share=s, filled=filled, basis="hourly", source=f"{file or 'grid table'}: {fmt}", zone=zone,
                   notes=tuple(notes), solar=sun)


def read_grid(path: str | Path, *, settings: CFESettings | None = None) -> GridCFE:
    """Read an Electricity Maps or EIA-930 hourly grid file (see :func:`grid_from_frame`).

    Raises
    ------
    InputError
        See :func:`grid_from_frame`.
    FileNotFoundError
        If the file does not exist.
    """
    p = Path(path)
    df = pd.read_csv(p, encoding="utf-8", dtype=str, keep_default_na=False, na_values=[""])
    return grid_from_frame(df, file=str(p), settings=settings)


def fallback_table() -> list[dict[str, str]]:
    """Rows of ``data/cfe/grid_cfe_fallback.csv``."""
    with open(data_dir() / "cfe" / "grid_cfe_fallback.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def annual_fallback(region: str, year: int) -> GridCFE:
    """A constant annual ``g`` for a Chinese province, regional grid or the nation (``cn``).

    Parameters
    ----------
    region : str
        Province (code, Chinese or English name), regional grid code (``north``, ``east``, …) or ``cn``.
    year : int
        Year of the interval data; the latest fallback year not after it is used (or the earliest one, with
        a note, for earlier years).

    Returns
    -------
    GridCFE
        ``basis="annual"``, with the row's method and source in ``source`` and ``notes``.

    Raises
    ------
    InputError
        An unknown region.
    """

    rows = fallback_table()
    code = region.strip().lower()
    if not any(r["region_code"] == code for r in rows):
        code = province_info(region).code
    mine = sorted((r for r in rows if r["region_code"] == code), key=lambda r: int(r["year"]))
    if not mine:
        raise InputError("no annual carbon-free share for this region in data/cfe/grid_cfe_fallback.csv",
                         field="region", value=region)
    earlier = [r for r in mine if int(r["year"]) <= year]
    row = earlier[-1] if earlier else mine[0]
    notes = ["no public hourly grid data for Chinese provinces: g is an annual figure, the same in every hour "
             "(hourly matching of the grid share is not possible)"]
    if int(row["year"]) != year:
        notes.append(f"fallback year {row['year']} used for {year} (latest published)")
    return GridCFE(share=pd.Series(dtype=float), filled=pd.Series(dtype=bool), basis="annual",
                   source=f"data/cfe/grid_cfe_fallback.csv {row['year']} {row['region_code']}: {row['method']} "
                          f"({row['source']})",
                   zone=row["region_code"], annual_share=float(row["cfe_share"]), notes=tuple(notes))


def annual_grid(share: float, *, source: str) -> GridCFE:
    """A constant ``g`` stated by the caller [-] (e.g. a figure from a utility disclosure), with its source.

    Raises
    ------
    InputError
        A share outside [0, 1].
    """
    if not 0.0 <= share <= 1.0:
        raise InputError("grid carbon-free share must be within 0–1", field="grid_share", value=share)
    return GridCFE(share=pd.Series(dtype=float), filled=pd.Series(dtype=bool), basis="annual", source=source,
                   annual_share=float(share), notes=("grid share given as one annual figure",))
