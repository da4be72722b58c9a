"""Tables as a reader sees them: no ``nan``, no ``None``, no unrounded floats (issue 17, DESIGN.md §7).

Every table a page draws goes through :func:`display_frame` (or :func:`show`, which draws it): floats are
rounded to a number of decimals per column, a missing cell is ``—`` (``common.text.MISSING``), and a column
keeps its numeric type (so it still sorts as numbers) when nothing in it is missing. :func:`table_problems`
is the check the tests run on every rendered table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
import streamlit as st

from common.text import MISSING

#: decimals a float keeps on screen unless the page says otherwise for the column
DEFAULT_DECIMALS = 4
#: a rendered float with more decimals than this is a defect (issue 17)
MAX_DECIMALS = 6


def _missing(v) -> bool:
    if v is None or v is pd.NaT:
        return True
    try:
        return bool(pd.isna(v)) if not isinstance(v, (list, tuple, dict, set)) else False
    except (TypeError, ValueError):
        return False


def _round(v, decimals: int):
    if isinstance(v, bool) or not isinstance(v, float):
        return v
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    r = round(v, decimals)
    return int(r) if decimals == 0 else r


def display_frame(df: pd.DataFrame, decimals: int | Mapping[str, int] = DEFAULT_DECIMALS,
                  missing: str | Mapping[str, str] = MISSING) -> pd.DataFrame:
    """A copy of ``df`` fit to show.

    Parameters
    ----------
    df : pandas.DataFrame
    decimals : int or mapping column → int
        Decimals kept by floats (default :data:`DEFAULT_DECIMALS`); a mapping gives them per column (others
        get the default).
    missing : str or mapping column → str
        Text of a missing cell (default ``—``); a mapping gives a reason per column, e.g.
        ``{"P(meet)": "— (not simulated)"}``.

    Returns
    -------
    pandas.DataFrame
        Same index and columns. A float column without missing cells stays float, rounded; a column with
        missing cells becomes text-and-numbers (object) with ``missing`` in those cells; ``±inf`` becomes
        ``∞`` / ``−∞``.
    """
    out = df.copy()
    for col in out.columns:
        d = decimals.get(col, DEFAULT_DECIMALS) if isinstance(decimals, Mapping) else decimals
        m = missing.get(col, MISSING) if isinstance(missing, Mapping) else missing
        s = out[col]
        if pd.api.types.is_float_dtype(s.dtype):
            if s.isna().any() or s.abs().eq(math.inf).any():
                out[col] = s.astype(object).map(lambda v, d=d, m=m: m if _missing(v) else _round(float(v), d))
            else:
                out[col] = s.round(d) if d else s.round(0).astype("int64")
        elif pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
            s = s.astype(object)
            out[col] = s.map(lambda v, d=d, m=m: m if _missing(v) else _round(v, d))
    return out


def show(df: pd.DataFrame, *, decimals: int | Mapping[str, int] = DEFAULT_DECIMALS,
         missing: str | Mapping[str, str] = MISSING, **kwargs):
    """Draw ``display_frame(df, decimals, missing)`` with ``st.dataframe`` (``kwargs`` passed on)."""
    return st.dataframe(display_frame(df, decimals, missing), **kwargs)


def _decimals(v: float) -> int:
    s = repr(v)
    if "e" in s or "E" in s:
        mant, exp = s.lower().split("e")
        frac = mant.split(".")[1] if "." in mant else ""
        return max(len(frac.rstrip("0")) - int(exp), 0)
    return len(s.split(".")[1].rstrip("0")) if "." in s else 0


def table_problems(df: pd.DataFrame, where: str = "") -> list[str]:
    """What a reader should never see in ``df``: ``nan`` / ``None`` / ``NaT`` cells or text, floats with more
    than :data:`MAX_DECIMALS` decimals. One line per problem cell: ``"<where> row <i> column <c>: <what>"``."""
    problems = []
    for col in df.columns:
        for i, v in enumerate(df[col].tolist()):
            what = None
            if _missing(v):
                what = f"missing cell shown as {v!r}"
            elif isinstance(v, float) and math.isfinite(v) and _decimals(v) > MAX_DECIMALS:
                what = f"unrounded float {v!r}"
            elif isinstance(v, str) and v.strip().lower() in {"nan", "none", "nat", "null"}:
                what = f"text {v!r}"
            if what:
                problems.append(f"{where} row {i} column {col!r}: {what}".strip())
    if any(str(c).strip().lower() in {"nan", "none"} for c in df.columns):
        problems.append(f"{where} a column header reads nan/None".strip())
    return problems
