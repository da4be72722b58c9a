"""Checking an uploaded facility file (TOML) or periods table (CSV, Excel): every failure in one table.

Like a pandera ``lazy=True`` validation: the reader does not stop at the first problem. Unreadable cells are
left out and listed, the rest is validated (:func:`index.models.facility_from_dict`), and all failures come
back as rows of one table (``file``, ``row``, ``field``, ``unit``, ``value``, ``reason``), a table's rows
named by their spreadsheet line as well as their period.
"""

from __future__ import annotations

from app_support.periods_table import read_table, rows_to_periods
from common.errors import InputError, InputErrors
from common.inputfile import check_size, decode_text, parse_toml
from index.models import facility_from_dict


def validate_upload(name: str, data: bytes, header: dict | None = None) -> tuple[object, list[dict]]:
    """(facility or None, failure rows) of an uploaded file.

    Parameters
    ----------
    name : str
        The upload's file name; ``.toml`` is a facility file, ``.xlsx`` a workbook, anything else CSV.
    data : bytes
        The upload's content (size, encoding and spreadsheet extent are checked before parsing,
        :mod:`common.inputfile`).
    header : dict, optional
        For tables: the stored facility (without periods) the rows are attached to.

    Returns
    -------
    facility : index.models.Facility or None
        None when any failure was found.
    rows : list of dict
        Every failure (:meth:`common.errors.InputError.as_row`); empty when the facility is valid.
    """

    lines: dict[str, int] = {}
    try:
        if name.lower().endswith(".toml"):
            check_size(len(data), name)
            return build_facility(parse_toml(decode_text(data, name)[0], name), name)
        periods, lines, errors = rows_to_periods(read_table(name, data), name)
        fac, rows = build_facility(dict(header or {}, periods=periods), name, errors)
    except InputErrors as exc:
        return None, exc.table()
    except InputError as exc:
        return None, [exc.as_row()]
    for r in rows:
        if r["row"] in lines:
            r["row"] = f"{r['row']} (line {lines[r['row']]})"
    return fac, rows


def build_facility(raw: dict, name: str, errors: list[InputError] = ()) -> tuple[object, list[dict]]:
    """(facility or None, failure rows) of a facility mapping; ``errors`` are cells already found unreadable
    (those cells were left out, so the rest is still checked and every problem is listed at once)."""

    errors = list(errors)
    fac = None
    try:
        fac = facility_from_dict(raw, file=name)
    except InputErrors as exc:
        errors += exc.errors
    except InputError as exc:
        errors.append(exc)
    if errors:
        return None, InputErrors(errors).table()
    return fac, []
