"""Checking an uploaded facility file (TOML), periods table or monthly series (CSV, Excel): every failure in one
table, shown by field label and unit with translated reasons.

Like a pandera ``lazy=True`` validation: the reader does not stop at the first problem. Period tables: unreadable
cells are left out and listed, the rest is validated (:func:`index.models.facility_from_dict`). Monthly series:
the cells are checked by a pandera schema (:func:`monthly_schema`, lazy, every failing cell listed) before the
series checks of :func:`index.forecast.monthly_from_rows`. All failures come back as rows of one table (``file``,
``row``, ``field``, ``unit``, ``value``, ``reason`` and the reason's ``code`` / ``params``).

:func:`failure_frame` turns those rows into what the page shows: the field by its label and unit (catalogue
``upload.field.<name>``, never an internal path like ``periods[0].it_energy_kwh``) and the reason from its code
(catalogue ``upload.reason.<code>``: pydantic's error types and this module's own codes), so no English
validator sentence appears in the Chinese page; a reason without a code keeps its text in English only in the
English page (the Chinese page shows a general reason and lists the original texts separately).
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping
from typing import get_args

import pandas as pd
import pandera.pandas as pa

from app_support.i18n import catalogue
from app_support.periods_table import monthly_from_frame, periods_frame, read_table, rows_to_periods
from common.errors import InputError, InputErrors
from common.inputfile import check_size, decode_text, parse_toml
from index.forecast import MONTHLY_UNITS, PLAUSIBILITY, REQUIRED_MONTHLY
from index.models import FIGURE_UNITS, PLAUSIBILITY_SOURCES, PeriodData, facility_from_dict

#: a monthly table's first data row is spreadsheet line 2 (line 1: headers)
FIRST_DATA_LINE = 2
#: pandera's built-in check names -> this module's reason codes
PANDERA_CODES = {"not_nullable": "blank", "field_uniqueness": "duplicate_month",
                 "column_in_schema": "unknown_column", "column_in_dataframe": "missing_column"}
#: pydantic codes whose text is the validator's own sentence (no general translation says what is wrong)
UNTRANSLATED = frozenset({"value_error", "assertion_error"})


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
        table = read_table(name, data)
        if table.empty:  # headers only: nothing to attach (never a silent "saved, nothing changed")
            raise InputError("the table has headers but no period rows", file=name, code="no_rows")
        periods, lines, errors = rows_to_periods(table, name)
        fac, rows = build_facility(dict(header or {}, periods=periods), name, errors)
    except InputErrors as exc:
        return None, exc.table()
    except InputError as exc:
        return None, [exc.as_row()]
    for r in rows:
        if r["row"] in lines:
            r["row"] = f"{r['row']} (line {lines[r['row']]})"
    return fac, rows


def _not_number(v) -> bool:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return True
    try:
        float(v)
    except OverflowError:
        return True
    return False


def figure_problem(value, unit: str) -> tuple[str, dict] | None:
    """(code, params) of a figure's value that no facility can have, or None.

    ``not_a_number`` (text, a list, a table, a boolean, an integer too large for a float), ``not_finite``
    (``inf``/``nan``), ``negative``, ``fraction_above_one`` (a share or utilisation above 1: per cent given
    as a fraction, 35 for 0.35), ``above_plausible`` (above ``figure_max.<unit>`` of
    :data:`index.models.PLAUSIBILITY`, params: the bound and its source). Cross-field rules (IT energy ≤ total energy, …) stay with the model.
    """
    if _not_number(value):
        return "not_a_number", {}
    x = float(value)
    if not math.isfinite(x):
        return "not_finite", {}
    if x < 0:
        return "negative", {}
    if unit == "fraction" and x > 1:
        return "fraction_above_one", {}
    cap = PLAUSIBILITY.get(f"figure_max.{unit}")
    if cap is not None and x > cap:
        return "above_plausible", _plausible_params(unit)
    return None


def _plausible_params(unit: str) -> dict:
    """Params of an ``above_plausible`` problem: the bound [unit] and its source."""
    key = f"figure_max.{unit}"
    return {"cap": f"{PLAUSIBILITY[key]:g}", "unit": unit, "source": PLAUSIBILITY_SOURCES[key]}


_FIGURE_TEXT = {"not_a_number": "expected a number", "not_finite": "must be a finite number",
                "negative": "must not be negative", "fraction_above_one": "a fraction cannot exceed 1 (35 % is 0.35)",
                "above_plausible": "above the largest plausible value for one facility"}


def unreadable_figures(raw, name: str) -> tuple[object, list[InputError]]:
    """(facility mapping without its impossible figures, one coded error per such figure).

    A figure (a key of :data:`index.models.FIGURE_UNITS`, given bare or as ``{value = …}``) whose value no
    facility can have (:func:`figure_problem`) is left out and listed with its code and value, so the rest of
    the file is still validated and every problem is listed at once (the model itself stops a period at its
    first unreadable figure). A figure given with its own ``unit`` (``{value = 86, unit = "%"}``) is checked
    for being a number only; the model converts it.
    """
    if not isinstance(raw, dict):
        return raw, []
    errors: list[InputError] = []

    def scan(table: dict, prefix: str, row) -> dict:
        out = dict(table)
        for key, v in table.items():
            if key not in FIGURE_UNITS or v is None or (isinstance(v, dict) and "value" not in v):
                continue
            val = v["value"] if isinstance(v, dict) else v
            found = figure_problem(val, FIGURE_UNITS[key])
            if found is None or (isinstance(v, dict) and "unit" in v and found[0] != "not_a_number"):
                continue
            code, params = found
            shown = val if isinstance(val, str | int | float) and not isinstance(val, bool) else None
            errors.append(InputError(_FIGURE_TEXT[code], file=name, row=row, field=f"{prefix}{key}",
                                     unit=FIGURE_UNITS[key], value=shown, code=code, params=params))
            del out[key]
        return out

    out = dict(raw)
    if isinstance(out.get("facility"), dict):
        out["facility"] = scan(out["facility"], "", None)
    elif "facility" not in out:
        out = scan(out, "", None)
    if isinstance(out.get("periods"), list):
        out["periods"] = [scan(p, f"periods[{i}].", f"period {p.get('label', p.get('year', f'#{i + 1}'))}")
                          if isinstance(p, dict) else p for i, p in enumerate(out["periods"])]
    return out, errors


def build_facility(raw: dict, name: str, errors: list[InputError] = ()) -> tuple[object, list[dict]]:
    """(facility or None, failure rows) of a facility mapping; ``errors`` are cells already found unreadable
    (those cells were left out, so the rest is still checked and every problem is listed at once). Figures no
    facility can have are listed and left out first (:func:`unreadable_figures`)."""

    raw, impossible = unreadable_figures(raw, name)
    errors = list(errors) + impossible
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


# ------------------------------------------------------------------------------------------ monthly series

def _num(v) -> float | None:
    """A cell as a float (text such as ``"1e8"`` read), None when it is not a number."""
    if isinstance(v, bool) or v is None:
        return None
    try:
        return float(str(v).strip()) if not isinstance(v, int | float) else float(v)
    except (TypeError, ValueError, OverflowError):
        return None


#: a month cell: ``YYYY-MM``, or an Excel date cell (read as ``YYYY-MM-DD 00:00:00``) — nothing pandas would
#: guess a year for (``"March"`` parses as March of the current year)
MONTH_TEXT = re.compile(r"^\d{4}-\d{2}(-\d{2}( 00:00:00)?)?$")


def _month_ok(v) -> bool:
    """A month written ``YYYY-MM`` (or an Excel date) that :func:`index.forecast.monthly_from_rows` reads."""
    text = str(v).strip()
    if not MONTH_TEXT.match(text):
        return False
    try:
        return isinstance(pd.Period(text, freq="M"), pd.Period)
    except (ValueError, TypeError, OverflowError):
        return False


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def monthly_schema() -> pa.DataFrameSchema:
    """The cell checks of a monthly series as a pandera schema (strict: unknown columns are failures).

    ``month`` text ``YYYY-MM``, each month once; every metered column of :data:`index.forecast.MONTHLY_UNITS`
    (``total_energy_kwh`` and ``it_energy_kwh`` required) a finite, non-negative number in its unit and at most
    the largest plausible value for one facility (``figure_max.<unit>`` of :data:`index.models.PLAUSIBILITY`, with
    its source); ``status`` and ``source`` free text. Each check fails only on its own problem (a text cell fails
    ``not_a_number``, not also ``negative``), so every cell is listed once with its reason.
    """

    def number_check(name, test):
        return pa.Check(lambda v: _blank(v) or (x := _num(v)) is None or test(x), element_wise=True, name=name)

    cols = {"month": pa.Column(None, nullable=False, unique=True, checks=[pa.Check(
        lambda v: _blank(v) or _month_ok(v), element_wise=True, name="month_format")])}
    for c, unit in MONTHLY_UNITS.items():
        checks = [pa.Check(lambda v: _blank(v) or _num(v) is not None, element_wise=True, name="not_a_number"),
                  number_check("not_finite", math.isfinite),
                  number_check("negative", lambda x: not math.isfinite(x) or x >= 0)]
        cap = PLAUSIBILITY.get(f"figure_max.{unit}")
        if cap is not None:
            checks.append(number_check("above_plausible", lambda x, cap=cap: not math.isfinite(x) or x <= cap))
        cols[c] = pa.Column(None, nullable=False, required=c in REQUIRED_MONTHLY, checks=checks)
    cols["status"] = pa.Column(None, nullable=True, required=False)
    cols["source"] = pa.Column(None, nullable=True, required=False)
    pue_min = PLAUSIBILITY["pue.min"]

    def pue_ok(df: pd.DataFrame) -> pd.Series:
        """Per row: total energy ≥ pue.min × IT energy (physics: the total includes IT; ``pue.min`` of
        :data:`index.models.PLAUSIBILITY`) and IT energy not zero; rows without two numbers are left to the cell
        checks."""
        if "total_energy_kwh" not in df or "it_energy_kwh" not in df:
            return pd.Series(True, index=df.index)
        tot, it = df["total_energy_kwh"].map(_num), df["it_energy_kwh"].map(_num)
        both = tot.notna() & it.notna()
        return ~both | ((it.astype(float) != 0) & (tot.astype(float) >= pue_min * it.astype(float)))

    return pa.DataFrameSchema(cols, strict=True, checks=[pa.Check(pue_ok, name="it_above_total")])


def _month_failures(df: pd.DataFrame, name: str) -> list[dict]:
    blanks = df.map(lambda v: None if _blank(v) else v)  # "" and whitespace cells are blank, as NaN is
    try:
        monthly_schema().validate(blanks, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return []
    rows = []
    for case in cases.to_dict(orient="records"):
        col, check = case.get("column"), str(case.get("check"))
        code = PANDERA_CODES.get(check, check.split("(")[0])
        idx = case.get("index")
        where = None
        if idx is not None and not (isinstance(idx, float) and math.isnan(idx)):
            month = df["month"].iloc[int(idx)] if "month" in df.columns else None
            line = int(idx) + FIRST_DATA_LINE
            where = f"{str(month).strip()} (line {line})" if not _blank(month) else f"line {line}"
        if code in ("unknown_column", "missing_column"):
            col = case.get("failure_case")
        if code == "it_above_total":
            col = "it_energy_kwh"
            case["failure_case"] = df["it_energy_kwh"].iloc[int(idx)]
        unit = MONTHLY_UNITS.get(str(col))
        value = None if code in ("blank", "unknown_column", "missing_column") else case.get("failure_case")
        params = _plausible_params(unit) if code == "above_plausible" else {}
        rows.append(InputError(_MONTHLY_TEXT.get(code, code), file=name, row=where, field=str(col), unit=unit,
                               value=value, code=code, params=params).as_row())
    # a frame-wide check (it_above_total) reports its failing row once per column: keep one row per problem
    seen, unique = set(), []
    for r in rows:
        k = (r["code"], r["row"], r["field"])
        if k not in seen:
            seen.add(k)
            unique.append(r)
    order = {"missing_column": 0, "unknown_column": 1}
    return sorted(unique, key=lambda r: (order.get(r["code"], 2), _line(r["row"]), r["field"] or ""))


def _line(row) -> int:
    m = re.search(r"line (\d+)", str(row or ""))
    return int(m.group(1)) if m else 0


_MONTHLY_TEXT = {
    "blank": "blank value: a month with no reading cannot be forecast; give the reading or remove the column",
    "not_a_number": "not a number", "not_finite": "must be a finite number", "negative": "must not be negative",
    "above_plausible": "above the largest plausible value for one facility",
    "month_format": "month must be written YYYY-MM", "duplicate_month": "the month appears twice",
    "unknown_column": "unknown column", "missing_column": "required column missing",
    "it_above_total": "IT energy is zero or above total energy (PUE below 1)",
}


def check_monthly(name: str, data: bytes) -> tuple[pd.DataFrame | None, list[dict]]:
    """(monthly frame or None, failure rows) of an uploaded monthly series (CSV or Excel).

    Every failing cell is listed (:func:`monthly_schema`, pandera lazy validation); when the cells are sound,
    the series checks of :func:`index.forecast.monthly_from_rows` (e.g. too few months) run and their failure
    is listed.

    Returns
    -------
    frame : DataFrame or None
        As :func:`app_support.periods_table.read_monthly`; None when any failure was found.
    rows : list of dict
        Failure rows (:meth:`common.errors.InputError.as_row`), in column-problem then line order.
    """
    try:
        df = read_table(name, data)
        if df.empty:
            raise InputError("the table has headers but no month rows", file=name, code="no_rows")
        df.columns = [str(c).strip() for c in df.columns]
        rows = _month_failures(df, name)
        if rows:
            return None, rows
        return monthly_from_frame(df, name), []
    except InputErrors as exc:
        return None, exc.table()
    except InputError as exc:
        return None, [exc.as_row()]


# ------------------------------------------------------------------------------------------ what the page shows

class _Params(dict):
    def __missing__(self, key):
        return "?"


def field_label(field: str | None, lang: str) -> str:
    """``periods[0].it_energy_kwh`` → the catalogue label of ``it_energy_kwh`` (``IT 设备能耗``); a checklist
    ``checklists.<id>`` → the checklist label and the capability id; a name not in the catalogue (e.g. a column
    the file made up) as written."""
    if not field:
        return "—"
    cat = catalogue(lang)
    names = [p.split("[")[0] for p in field.split(".") if p.split("[")[0]]
    if not names:
        return field
    if "checklists" in names:
        rest = names[names.index("checklists") + 1:]
        return f"{cat['upload.field.checklists']} {rest[0]}" if rest else cat["upload.field.checklists"]

    def label(n: str) -> str | None:
        return cat.get(f"upload.field.{n}")

    last = names[-1]
    if len(names) >= 2 and last in SUB_KEYS and names[-2] not in ("periods", "facility") and label(names[-2]):
        # a figure's value / status / source: the figure's label (and what of it)
        return label(names[-2]) if last == "value" else f"{label(names[-2])} · {label(last) or last}"
    return label(last) or last


#: keys inside a figure's table (``it_energy_kwh = {value, status, source}``)
SUB_KEYS = frozenset({"value", "status", "source", "items"})
_LINE = re.compile(r"\s*\(?line (?P<line>\d+)\)?$")


def unit_label(unit: str | None, lang: str) -> str:
    """A unit as written (kWh, m3, kW) or, for a word, its catalogue text (``upload.unit.<unit>``)."""
    if not unit or unit == "-":  # "-": dimensionless (PUE)
        return "—"
    return catalogue(lang).get(f"upload.unit.{unit}", unit)


def row_label(row, lang: str) -> str:
    """The row as the reader wrote it (``period 2024 (line 3)``, ``2024-03 (line 4)``, ``line 5``) in ``lang``."""
    if row is None or (isinstance(row, float) and math.isnan(row)):
        return "—"
    text = str(row).strip()
    cat = catalogue(lang)
    m = _LINE.search(text)
    head = text[:m.start()].strip() if m else text
    parts = []
    if head.startswith("period "):
        parts.append(cat["upload.row.period"].format(period=head.removeprefix("period ")))
    elif head:
        parts.append(head)
    if m:
        parts.append(cat["upload.row.line"].format(line=m["line"]))
    return (" " if lang != "zh" else "").join(parts)


def reason_text(row: dict, lang: str) -> tuple[str, bool]:
    """(reason in ``lang``, whether it is the translation of a code); untranslated reasons keep their English
    text in the English page and read as a general reason in the Chinese page."""
    cat = catalogue(lang)
    code = row.get("code")
    key = f"upload.reason.{code}"
    if code and code not in UNTRANSLATED and key in cat:
        return string.Formatter().vformat(cat[key], (), _Params(row.get("params") or {})), True
    return (row.get("reason") or "", False) if lang == "en" else (cat["upload.reason.other"], False)


def failure_frame(rows: list[dict], lang: str) -> tuple[pd.DataFrame, list[str]]:
    """The failure table the page draws (headers translated) and the original texts of reasons that have no
    translation (shown apart in the Chinese page; empty in the English one).

    Columns: file, row, field (label), unit, value, reason. No internal path or server path appears: the file is
    the upload's own name.
    """
    cat = catalogue(lang)
    out, originals = [], []
    for r in rows:
        reason, coded = reason_text(r, lang)
        if not coded and lang != "en" and r.get("reason"):
            originals.append(f"{field_label(r.get('field'), 'en')}: {r['reason']}")
        out.append({cat["col.file"]: r.get("file") or "—", cat["col.row"]: row_label(r.get("row"), lang),
                    cat["col.field"]: field_label(r.get("field"), lang), cat["col.unit"]: unit_label(r.get("unit"), lang),
                    cat["col.value"]: "—" if r.get("value") is None else str(r["value"]), cat["col.reason"]: reason})
    cols = [cat[f"col.{c}"] for c in ("file", "row", "field", "unit", "value", "reason")]
    return pd.DataFrame(out, columns=cols), originals


# ------------------------------------------------------------------------------------------ periods as a table

#: values a period's ``status`` may take (:attr:`index.models.PeriodData.status`), each shown by its catalogue
#: text ``upload.status.<value>``
PERIOD_STATUSES: tuple[str, ...] = get_args(PeriodData.model_fields["status"].annotation)


def status_label(value, lang: str):
    """A period status (``reported``) as its catalogue text (``已报告``); any other value as given."""
    return catalogue(lang).get(f"upload.status.{value}", value) if isinstance(value, str) else value


def column_label(col: str, lang: str, indicator_names: Mapping[str, str] | None = None) -> str:
    """A column of the periods table (:func:`app_support.periods_table.columns`) as a reader sees it: the field's
    label and unit from the catalogue (``total_energy_kwh`` → ``数据中心总能耗 [kWh]``, ``renewable_share`` →
    ``可再生能源利用比例 [比例 0–1]``; PUE has no unit), a checklist ``checklists.<id>`` as ``能力清单：<indicator
    name>`` (``indicator_names``: indicator id → name in ``lang``, the methodology's; the id when not given)."""
    cat = catalogue(lang)
    if col.startswith("checklists."):
        iid = col.removeprefix("checklists.")
        sep = "：" if lang == "zh" else ": "
        return f"{cat['upload.field.checklists']}{sep}{(indicator_names or {}).get(iid, iid)}"
    label = field_label(col, lang)
    unit = FIGURE_UNITS.get(col)
    return label if unit in (None, "-") else f"{label} [{unit_label(unit, lang)}]"


def stored_periods_frame(periods: list[dict], cols: list[str], lang: str,
                         indicator_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Stored periods as the page lists them: :func:`app_support.periods_table.periods_frame` with each column
    headed by :func:`column_label` and the status by its catalogue text (draw it with
    :func:`app_support.tables.show`, which writes a missing cell as ``—``).

    Raises
    ------
    ValueError
        If two columns would get the same heading (a catalogue label given twice).
    """
    df = periods_frame(periods, cols)
    if "status" in df.columns:
        df["status"] = df["status"].map(lambda v: status_label(v, lang))
    labels = {c: column_label(c, lang, indicator_names) for c in cols}
    if len(set(labels.values())) != len(labels):
        raise ValueError(f"two periods-table columns share a heading in the {lang} catalogue: {labels}")
    return df.rename(columns=labels)
