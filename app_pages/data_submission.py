"""Data submission page (operator): validate an uploaded facility file or periods table, list every failure,
save nothing (the deal book is not connected yet)."""

import tomllib
from pathlib import Path

import pandas as pd
import streamlit as st

from app_support.engine import ROOT, facility, facility_files, methodology
from app_support.i18n import current_language, t
from app_support.pages import require
from app_support.periods_table import read_table, rows_to_periods, template_workbook
from index.engine import score
from index.errors import InputError, InputErrors
from index.models import facility_from_dict

TEMPLATE = ROOT / "app_support" / "templates" / "facility_template.toml"
FAILURE_COLUMNS = ["file", "row", "field", "unit", "value", "reason"]
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@st.cache_data(show_spinner=False)
def _workbook() -> bytes:
    m = methodology()
    return template_workbook([i for i, ind in m.indicators.items() if ind.curve.type in ("checklist", "composite")])


def _validate(name: str, data: bytes, attach_to: str | None) -> tuple[object, list[dict]]:
    """(facility or None, failure rows). Tables are attached to the header of the facility file ``attach_to``."""
    lines: dict[str, int] = {}
    errors: list[InputError] = []
    try:
        if name.lower().endswith(".toml"):
            raw = tomllib.loads(data.decode("utf-8"))
        else:
            periods, lines, errors = rows_to_periods(read_table(name, data), name)
            raw = tomllib.loads(Path(attach_to).read_text(encoding="utf-8"))
            raw["periods"] = periods
        try:  # cells that could not be read are left out, so the rest is still checked
            fac = facility_from_dict(raw, file=name)
        except InputErrors as exc:
            errors += exc.errors
        except InputError as exc:
            errors.append(exc)
        if errors:
            raise InputErrors(errors)
        return fac, []
    except tomllib.TOMLDecodeError as exc:
        rows = [InputError(f"not valid TOML: {exc}", file=name).as_row()]
    except UnicodeDecodeError as exc:
        rows = [InputError(f"not UTF-8 text: {exc}", file=name).as_row()]
    except InputErrors as exc:
        rows = exc.table()
    except InputError as exc:
        rows = [exc.as_row()]
    for r in rows:  # a table's rows are named by their spreadsheet line as well as their period
        if r["row"] in lines:
            r["row"] = f"{r['row']} (line {lines[r['row']]})"
    return None, rows


require("app_pages/data_submission.py")
lang = current_language()
st.title(t("upload.title"))
st.markdown(t("upload.intro"))
st.info(t("upload.not_saved"))
c1, c2 = st.columns(2)
c1.download_button(t("upload.template"), TEMPLATE.read_bytes(), file_name="facility_template.toml",
                   mime="application/toml")
c2.download_button(t("upload.template_xlsx"), _workbook(), file_name="periods_template.xlsx", mime=XLSX_MIME)

up = st.file_uploader(t("upload.file"), type=["toml", "csv", "xlsx"], key="upload_file")
attach_to = None
if up is not None and not up.name.lower().endswith(".toml"):
    files = facility_files()
    stem = st.selectbox(t("upload.attach_to"), list(files), key=f"upload_attach_{lang}",
                        format_func=lambda s: facility(files[s]).name)
    attach_to = files[stem]
if up is not None:
    fac, failures = _validate(up.name, up.getvalue(), attach_to)
    if failures:
        st.error(t("upload.failures", n=len(failures)))
        table = pd.DataFrame(failures, columns=FAILURE_COLUMNS).fillna("")
        st.dataframe(table.rename(columns={c: t(f"col.{c}") for c in table.columns}), hide_index=True,
                     key="failure_table")
    else:
        st.success(t("upload.ok", name=fac.name, n=len(fac.periods)))
        st.subheader(t("upload.preview"))
        rows = []
        for p in fac.periods:
            try:
                r = score(fac, p.label, methodology())
                rows.append({t("score.period"): p.label, t("score.total"): round(r.total, 2),
                             t("score.grade"): r.grade, t("score.completeness"): f"{r.completeness:.0%}"})
            except InputError as exc:
                rows.append({t("score.period"): p.label, t("col.reason"): str(exc)})
        st.dataframe(pd.DataFrame(rows), hide_index=True)
