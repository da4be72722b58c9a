"""Data submission page (operator): validate an uploaded facility file, list every failure, save nothing."""

import tomllib

import pandas as pd
import streamlit as st

from app_support.engine import ROOT, methodology
from app_support.i18n import t
from app_support.pages import require
from index.engine import score
from index.errors import InputError, InputErrors
from index.models import facility_from_dict

TEMPLATE = ROOT / "app_support" / "templates" / "facility_template.toml"

require("app_pages/data_submission.py")
st.title(t("upload.title"))
st.markdown(t("upload.intro"))
st.info(t("upload.not_saved"))
st.download_button(t("upload.template"), TEMPLATE.read_bytes(), file_name="facility_template.toml",
                   mime="application/toml")

up = st.file_uploader(t("upload.file"), type=["toml"], key="upload_file")
if up is not None:
    failures: list[dict] = []
    fac = None
    try:
        fac = facility_from_dict(tomllib.loads(up.getvalue().decode("utf-8")), file=up.name)
    except tomllib.TOMLDecodeError as exc:
        failures = [InputError(f"not valid TOML: {exc}", file=up.name).as_row()]
    except UnicodeDecodeError as exc:
        failures = [InputError(f"not UTF-8 text: {exc}", file=up.name).as_row()]
    except InputErrors as exc:
        failures = exc.table()
    except InputError as exc:
        failures = [exc.as_row()]
    if failures:
        st.error(t("upload.failures", n=len(failures)))
        table = pd.DataFrame(failures, columns=["file", "row", "field", "unit", "value", "reason"]).fillna("")
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
