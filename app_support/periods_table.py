"""Periods as a table (CSV or Excel, one reporting period per row) ↔ the facility file's ``[[periods]]``.

Columns are the :class:`~index.models.PeriodData` field names (units in the names: kWh, MWh, m3, L, kW,
fractions 0–1). List fields are written in one cell, separated by ``;``: ``evidence``, each
``checklists.<indicator id>`` (capability ids from the methodology file) and ``refrigerants`` as
``gas:kg`` pairs (``R134a:350;R410A:20``). Empty cells are left out (the figure is missing), never zero.
"""

from __future__ import annotations

import io
import math
import tomllib
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from common.inputfile import read_csv_text, read_xlsx
from index.errors import InputError
from index.forecast import monthly_from_rows
from index.models import FIGURE_UNITS, PeriodData

TEMPLATE_TOML = Path(__file__).parent / "templates" / "facility_template.toml"
#: separator of list cells
LIST_SEP = ";"
#: separator of a refrigerant cell's gas and mass [kg]
PAIR_SEP = ":"
#: fields of a period kept as text (everything else numeric or a list)
TEXT_FIELDS = ("label", "start", "end", "status", "source", "compute_precision", "availability",
               "gpu_utilisation_definition", "notes")
#: the first spreadsheet row holds the headers; data rows are numbered from here (as a spreadsheet shows them)
FIRST_DATA_LINE = 2


def _empty(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def _number(v) -> float | int | None:
    """A numeric cell as a number (text like ``"1234.5"`` or ``"1e8"`` read, whole numbers as int; None when not
    a number: ``"N/A"``, ``"1,5"`` — a comma is a thousands separator or a decimal comma, never guessed)."""
    if isinstance(v, bool):
        return None
    if not isinstance(v, int | float):
        try:
            v = float(str(v).strip())
        except (ValueError, OverflowError):
            return None
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return int(v)
    return v


def _split(v) -> list[str]:
    return [x.strip() for x in str(v).split(LIST_SEP) if x.strip()]


def columns(checklist_ids: list[str]) -> list[str]:
    """Column order of the template: period fields, then one ``checklists.<id>`` column per checklist."""
    fields = [f for f in PeriodData.model_fields if f not in ("checklists",)]
    return fields + [f"checklists.{c}" for c in checklist_ids]


def read_table(name: str, data: bytes) -> pd.DataFrame:
    """A CSV or Excel (.xlsx, first sheet) upload as a DataFrame of cell values, every cell kept as given.

    CSV: the text encoding is detected (UTF-8, UTF-16 with BOM, GBK/GB18030 as Chinese-locale Excel writes
    it, latin-1), every cell is text. Excel: size, sheet extent and zip limits are checked before a cell is
    parsed, then openpyxl reads it in read-only mode (:mod:`common.inputfile`). No cell is turned into a
    missing value except an empty one: ``"N/A"`` reaches :func:`rows_to_periods`, which refuses it.

    Raises
    ------
    InputError
        If the file cannot be read as a table or exceeds a limit (:func:`common.inputfile.limits`).
    """

    if name.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx(data, name)
    if name.lower().endswith(".xls"):
        raise InputError("old Excel .xls workbooks are not read: save as .xlsx or CSV", file=name)
    return read_csv_text(data, name)


def read_monthly(name: str, data: bytes) -> pd.DataFrame:
    """A monthly metered series uploaded as CSV or Excel (one month per row), checked as a monthly file.

    Columns: ``month`` (``YYYY-MM``), the metered columns of :data:`index.forecast.MONTHLY_UNITS` (units in
    their names), optional ``status`` and ``source``; an empty cell is missing (refused, never zero).

    Returns
    -------
    DataFrame
        As :func:`index.forecast.load_monthly` (``Store.save_monthly`` takes it as it is).

    Raises
    ------
    InputError
        An unreadable table, or the first failure of :func:`index.forecast.monthly_from_rows` (row, field and
        unit named; months may come in any order and replace stored ones, so gaps are checked on saving).
    """

    return monthly_from_frame(read_table(name, data), name)


def monthly_from_frame(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """:func:`read_monthly` after reading: the table's cells checked by :func:`index.forecast.monthly_from_rows`."""
    if "month" in df.columns:
        df = df.astype({"month": str})
    rows = [{str(k).strip(): (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in r.items()}
            for r in df.to_dict(orient="records")]
    return monthly_from_rows(rows, file=name, contiguous=False)


def rows_to_periods(df: pd.DataFrame, file: str) -> tuple[list[dict], dict[str, int], list[InputError]]:
    """Turn table rows into ``[[periods]]`` mappings.

    Returns
    -------
    periods : list of dict
        One mapping per row, empty cells left out.
    lines : dict
        ``"period <label>"`` → spreadsheet line number of that row (for the failure table).
    errors : list of InputError
        Cells that could not be read (unknown column, bad refrigerant pair), each naming file, line and field.
    """
    known = set(PeriodData.model_fields) | {"year"}
    periods, lines, errors = [], {}, []
    for i, row in enumerate(df.to_dict(orient="records")):
        line = i + FIRST_DATA_LINE
        label = row.get("label", row.get("year"))
        where = f"line {line}" if _empty(label) else f"period {label} (line {line})"
        p: dict = {}
        for col, v in row.items():
            col = str(col).strip()
            if _empty(v):
                continue
            if col.startswith("checklists."):
                p.setdefault("checklists", {})[col.removeprefix("checklists.")] = _split(v)
            elif col == "evidence":
                p["evidence"] = _split(v)
            elif col == "refrigerants":
                items = []
                for pair in _split(v):
                    gas, sep, kg = pair.partition(PAIR_SEP)
                    try:
                        items.append({"gas": gas.strip(), "kg": float(kg)})
                    except ValueError:
                        errors.append(InputError(f"write refrigerants as gas{PAIR_SEP}kg pairs separated by "
                                                 f"'{LIST_SEP}'", file=file, row=where,
                                                 field="refrigerants", unit="kg", value=pair,
                                                 code="refrigerant_pair"))
                p["refrigerants"] = items
            elif col not in known:
                errors.append(InputError("unknown column", file=file, row=where, field=col, value=v,
                                         code="unknown_column"))
            elif col in TEXT_FIELDS:
                p[col] = v.date().isoformat() if col in ("start", "end") and hasattr(v, "date") else str(v).strip()
            else:
                x = _number(v)
                if x is None:
                    errors.append(InputError("not a number: leave the cell empty for a missing figure (text such "
                                             "as N/A is not read as missing)", file=file, row=where, field=col,
                                             unit=FIGURE_UNITS.get(col), value=v, code="not_a_number"))
                    continue
                p[col] = x
        periods.append(p)
        lines[f"period {p.get('label', p.get('year'))}"] = line
        lines.setdefault(f"period #{i + 1}", line)
    return periods, lines, errors


def _cell(v):
    """A figure's value (``{value, status, source}`` mappings give their value)."""
    return v.get("value") if isinstance(v, dict) and "value" in v else v


def period_row(period: dict, cols: list[str]) -> list:
    """One period mapping (as in a facility file, or ``PeriodData.model_dump(mode="json")``) as a table row in
    the order of ``cols``: figures as their values, lists joined with :data:`LIST_SEP`, refrigerants as
    ``gas:kg`` pairs, missing cells None. The inverse of :func:`rows_to_periods` for values (per-figure
    status and source are not carried: a row's figures take the row's ``status`` and ``source``)."""
    row = []
    for c in cols:
        if c.startswith("checklists."):
            v = (period.get("checklists") or {}).get(c.removeprefix("checklists."))
            if isinstance(v, dict):  # a dumped checklist: {items, status, source}
                v = v.get("items")
        else:
            v = _cell(period.get(c))
        if c == "refrigerants" and v:
            v = LIST_SEP.join(f"{r['gas']}{PAIR_SEP}{_cell(r['kg']):g}" for r in v)
        elif isinstance(v, list):
            v = LIST_SEP.join(str(x) for x in v)
        row.append(v)
    return row


def periods_frame(periods: list[dict], cols: list[str]) -> pd.DataFrame:
    """Periods as an editable table (one row per period, columns ``cols``; see :func:`period_row`).

    Text columns (:data:`TEXT_FIELDS`, lists, checklists) are object columns, the rest float [units in the
    column names], so a table editor offers numbers where the file expects numbers.
    """
    df = pd.DataFrame([period_row(p, cols) for p in periods], columns=cols)
    for c in cols:
        text = c in TEXT_FIELDS or c.startswith("checklists.") or c in ("evidence", "refrigerants")
        df[c] = df[c].astype(object) if text else pd.to_numeric(df[c], errors="coerce").astype(float)
    return df


def template_workbook(checklist_ids: list[str]) -> bytes:
    """The Excel template: sheet ``periods`` (headers and the TOML template's period as an example row) and
    sheet ``fields`` (each column with its description from the data model)."""

    example = tomllib.loads(TEMPLATE_TOML.read_text(encoding="utf-8"))["periods"][0]
    cols = columns(checklist_ids)
    wb = Workbook()
    ws = wb.active
    ws.title = "periods"
    ws.append(cols)
    ws.append(period_row(example, cols))
    doc = wb.create_sheet("fields")
    doc.append(["column", "description"])
    for c in cols:
        f = PeriodData.model_fields.get(c)
        desc = (f.description or "") if f else "capability ids present, separated by ';' (methodology file)"
        if c == "refrigerants":
            desc = f"refrigerant top-ups as gas{PAIR_SEP}kg pairs separated by '{LIST_SEP}' [kg]"
        doc.append([c, desc])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
