"""Periods as CSV / Excel on the data submission page: figures from the demo file, failures by line."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from app_support.periods_table import columns, read_table, rows_to_periods, template_workbook
from app_support.tables import display_frame, table_problems
from app_support.upload_check import stored_periods_frame
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


def test_stored_periods_are_headed_by_label_and_unit_with_a_missing_figure_as_a_dash(methodology):
    """zh: the stored-periods table of the entry tab heads each column by its catalogue label and unit
    (upload.field.* / upload.unit.*), the status by its text (upload.status.*), a checklist by its indicator's
    name; the demo's 2024 period has no PUE figure (it gives both energies), shown as "—"."""
    period = load_facility(DEMO).period("2024").model_dump(mode="json", exclude_none=True)
    ids = [i for i, ind in methodology.indicators.items() if ind.curve.type in ("checklist", "composite")]
    names = {i: ind.name_zh for i, ind in methodology.indicators.items()}
    shown = display_frame(stored_periods_frame([period], columns(ids), "zh", names))
    assert shown.loc[0, "状态"] == "已核查"  # demo file: 2024 status = "verified"
    assert shown.loc[0, "用水量 [m3]"] == 294088  # demo file: water_m3 = 294088
    assert shown.loc[0, "电能利用效率 PUE"] == "—"
    assert shown.loc[0, "可再生能源利用比例 [比例 0–1]"] == "—"
    sem = f"能力清单：{methodology.indicators['smart_energy_management'].name_zh}"
    assert shown.loc[0, sem].split(";")[:2] == ["data_display", "data_analysis"]  # as in the demo file
    assert not [c for c in shown.columns if "_" in c or c.startswith("checklists.")]  # no field id as a header
    assert table_problems(shown) == []


def test_entry_table_heads_columns_by_label_and_draws_an_empty_cell_as_a_dash(run_as):
    """zh: the entry editor keeps field ids as its columns (what it returns is read by rows_to_periods) but
    shows each by its label and unit; the status is picked by its text; an empty cell is drawn as "—"."""
    import json

    at = run_as("operator", UPLOAD, "zh")
    assert not at.exception
    editor = next(d for d in at.dataframe if str(d.key or "").startswith("enter_table_"))
    assert editor.proto.placeholder == "—"
    conf = json.loads(editor.proto.columns)
    assert conf["total_energy_kwh"]["label"] == "数据中心总能耗 [kWh]"
    assert conf["pue"]["label"] == "电能利用效率 PUE"
    assert conf["status"]["label"] == "状态"
    options = conf["status"]["type_config"]["options"]
    assert [(o["value"], o["label"]) for o in options] == [("design", "设计值"), ("reported", "已报告"),
                                                          ("verified", "已核查")]
    assert editor.value.loc[0, "status"] == "reported"  # the value stays the id the facility file uses
