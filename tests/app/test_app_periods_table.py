"""Periods as CSV / Excel on the data submission page: figures from the demo file, failures by line."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from app_support.periods_table import read_table, rows_to_periods, template_workbook
from index.engine import score
from index.models import facility_from_dict, load_facility

ROOT = Path(__file__).resolve().parents[2]
UPLOAD = "app_pages/data_submission.py"
DEMO = ROOT / "data/facilities/demo-zjk-hyperscale.toml"


def _demo_2024_row() -> dict:
    """The demo file's 2024 period as one CSV row (lists joined with ';', refrigerants as gas:kg)."""
    p = next(p for p in tomllib.loads(DEMO.read_text(encoding="utf-8"))["periods"] if p["label"] == "2024")
    row = {}
    for k, v in p.items():
        if k == "checklists":
            row.update({f"checklists.{c}": ";".join(items) for c, items in v.items()})
        elif k == "refrigerants":
            row[k] = ";".join(f"{r['gas']}:{r['kg']}" for r in v)
        elif isinstance(v, list):
            row[k] = ";".join(v)
        else:
            row[k] = v
    return row


def _upload(at, name, data, mime):
    at.file_uploader(key="upload_file").upload(name, data, mime)
    at.run()
    at.selectbox(key="upload_attach_en").set_value("demo-zjk-hyperscale").run()
    return at


def test_csv_of_demo_2024_scores_like_the_file(run_as, methodology):
    csv = pd.DataFrame([_demo_2024_row()]).to_csv(index=False).encode()
    at = _upload(run_as("operator", UPLOAD), "demo-2024.csv", csv, "text/csv")
    assert not at.exception and not at.error
    expected = score(load_facility(DEMO), "2024", methodology)
    preview = next(d.value for d in at.dataframe if "Total" in d.value.columns)
    assert list(preview["Period"]) == ["2024"]
    assert preview["Total"][0] == pytest.approx(round(expected.total, 2))
    assert preview["Grade"][0] == expected.grade


def test_bad_csv_rows_are_named_by_line(run_as):
    good = _demo_2024_row()
    bad = dict(good, label="2025", cpu_utilisation=35, refrigerants="R134a-50")
    csv = pd.DataFrame([good, bad]).to_csv(index=False).encode()
    at = _upload(run_as("operator", UPLOAD), "bad.csv", csv, "text/csv")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Reason" in d.value.columns)
    # header is line 1, the good row line 2; both problems of line 3 are listed
    assert list(table["Row"]) == ["period 2025 (line 3)"] * 2
    assert list(table["Field"]) == ["Refrigerant top-ups", "CPU utilisation"]  # labels, not periods[1].…
    assert table["Value"][0] == "R134a-50"


def test_percent_in_csv_is_refused_with_line(run_as):
    good = _demo_2024_row()
    bad = dict(good, label="2025", cpu_utilisation=35)
    csv = pd.DataFrame([good, bad]).to_csv(index=False).encode()
    at = _upload(run_as("operator", UPLOAD), "bad.csv", csv, "text/csv")
    table = next(d.value for d in at.dataframe if "Reason" in d.value.columns)
    assert list(table["Row"]) == ["period 2025 (line 3)"]
    assert list(table["Field"]) == ["CPU utilisation"]


def test_excel_template_round_trips_to_the_toml_template(methodology):
    ids = [i for i, ind in methodology.indicators.items() if ind.curve.type in ("checklist", "composite")]
    xlsx = template_workbook(ids)
    assert pd.ExcelFile(io.BytesIO(xlsx)).sheet_names == ["periods", "fields"]
    periods, lines, errors = rows_to_periods(read_table("t.xlsx", xlsx), "t.xlsx")
    assert errors == [] and lines["period 2024"] == 2
    toml = tomllib.loads((ROOT / "app_support/templates/facility_template.toml").read_text(encoding="utf-8"))
    from_toml = score(facility_from_dict(toml), "2024", methodology)
    from_xlsx = score(facility_from_dict(dict(toml, periods=periods)), "2024", methodology)
    assert from_xlsx.total == from_toml.total
