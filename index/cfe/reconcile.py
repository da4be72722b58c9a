"""Reconciliation of interval sums to the period's metered totals (the bills).

Each channel's interval sum must match the period total(s) of its fields (``data/cfe/cfe.toml``
``[reconciliation.fields]``, e.g. ``load`` ↔ ``total_energy_kwh``) within ``[reconciliation] tolerance``
(relative to the bill). Against a yearly period the whole window is compared; against monthly totals each
calendar month of the bills' time zone. A difference beyond the tolerance fails loudly
(:func:`check_reconciliation`): interval data that does not add up to the bills cannot support a KPI.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from common.errors import InputError, InputErrors
from index.cfe.intervals import IntervalData
from index.cfe.settings import CFESettings, load_settings

RECON_COLUMNS = ["period", "channel", "fields", "intervals_kwh", "bill_kwh", "diff_kwh", "rel_diff", "tolerance", "ok"]


def _row(period, ch, fields, iv, bill, tol):
    diff = iv - bill
    rel = abs(diff) / bill if bill > 0 else (0.0 if abs(diff) == 0 else np.inf)
    return {"period": period, "channel": ch, "fields": "+".join(fields), "intervals_kwh": iv, "bill_kwh": bill,
            "diff_kwh": diff, "rel_diff": rel, "tolerance": tol, "ok": bool(rel <= tol)}


def reconcile_period(data: IntervalData, totals: Mapping[str, float | None], *, label: str = "period",
                     settings: CFESettings | None = None) -> pd.DataFrame:
    """Compare interval sums over the whole window with one period's totals.

    Parameters
    ----------
    data : IntervalData
    totals : mapping of str to float
        Period totals by field name [kWh] (e.g. ``{"total_energy_kwh": 1.2e8, "it_energy_kwh": 9.0e7}``);
        ``None`` or absent fields are skipped.
    label : str
        Period label for the table.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RECON_COLUMNS`, one row per channel present in both.
    """
    st = settings or load_settings()
    sums = data.totals()
    rows = []
    for ch, fields in st.reconcile_fields.items():
        given = [f for f in fields if totals.get(f) is not None]
        if not given or ch not in sums.columns:
            continue
        bill = float(sum(float(totals[f]) for f in given))
        rows.append(_row(label, ch, given, float(sums[ch].iat[0]), bill, st.tolerance))
    return pd.DataFrame(rows, columns=RECON_COLUMNS)


def reconcile_monthly(data: IntervalData, monthly: pd.DataFrame, *, tz: str | None = None,
                      settings: CFESettings | None = None) -> pd.DataFrame:
    """Compare interval sums per calendar month with monthly totals.

    Parameters
    ----------
    data : IntervalData
    monthly : pandas.DataFrame
        Indexed by month (``PeriodIndex``, as :func:`index.forecast.load_monthly` returns), columns named
        as the fields [kWh]. Only months covered by the interval window are compared; a covered month
        missing from ``monthly`` fails.
    tz : str, optional
        Time zone of the bill months (default: the file's single UTC offset).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RECON_COLUMNS`, one row per month and channel.
    """
    st = settings or load_settings()
    sums = data.totals(by="month", tz=tz)
    rows = []
    for month in sums.index:
        for ch, fields in st.reconcile_fields.items():
            given = [f for f in fields if f in monthly.columns]
            if not given or ch not in sums.columns:
                continue
            iv = float(sums.at[month, ch])
            if month not in monthly.index:
                rows.append({**_row(str(month), ch, given, iv, 0.0, st.tolerance), "bill_kwh": np.nan, "ok": False})
                continue
            vals = [monthly.at[month, f] for f in given]
            vals = [float(v) for v in vals if v is not None and not pd.isna(v)]
            if not vals:
                continue
            rows.append(_row(str(month), ch, given, iv, float(sum(vals)), st.tolerance))
    return pd.DataFrame(rows, columns=RECON_COLUMNS)


def check_reconciliation(table: pd.DataFrame, *, file: str | None = None) -> None:
    """Raise if any row of a reconciliation table is beyond its tolerance.

    Raises
    ------
    InputErrors
        One error per failing row, naming the period, channel, both sums [kWh] and the difference.
    """
    bad = table[~table["ok"].astype(bool)]
    if bad.empty:
        return
    errs = []
    for r in bad.itertuples():
        if pd.isna(r.bill_kwh):
            msg = f"{r.period}: no bill for channel {r.channel} ({r.fields}) although interval data covers it"
        else:
            msg = (f"{r.period}: channel {r.channel} sums to {r.intervals_kwh:,.1f} kWh but the bill ({r.fields}) "
                   f"says {r.bill_kwh:,.1f} kWh — difference {r.diff_kwh:+,.1f} kWh ({r.rel_diff:.2%}), beyond "
                   f"the {r.tolerance:.1%} tolerance")
        errs.append(InputError(msg, file=file, row=r.period, field=r.fields, unit="kWh"))
    raise InputErrors(errs)
