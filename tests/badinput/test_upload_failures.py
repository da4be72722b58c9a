"""All upload failures in one table (issue 13), reasons as codes with zh/en texts and fields by label (issue 17).

Each bad file below carries several problems written out by hand; the failure table must list each one (not the
first only), name its row (spreadsheet line or period), field and unit, and, in Chinese, show no English
validator sentence and no internal path such as ``periods[0].it_energy_kwh``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest

from app_support.i18n import catalogue
from app_support.upload_check import check_monthly, failure_frame, validate_upload
from index.forecast import load_monthly

ROOT = Path(__file__).resolve().parents[2]
MONTHLY = ROOT / "data/monthly/demo-zjk-hyperscale.csv"
TEMPLATE = ROOT / "app_support/templates/facility_template.toml"
HEADER = {"id": "x-1", "name": "X", "province": "hebei", "computing_type": "general", "lifecycle_stage": "operation"}
ASCII_SENTENCE = re.compile(r"^[\x00-\x7f]*[A-Za-z]{3,}[\x00-\x7f]* [A-Za-z]+")


def _bad_monthly() -> pd.DataFrame:
    """The shipped monthly series with five problems (spreadsheet lines: header = 1, 2021-01 = 2)."""
    df = pd.read_csv(MONTHLY, dtype=str)
    df.loc[4, "it_energy_kwh"] = "99999999999"   # 2021-05, line 6: IT above total (total is 17,797,060 kWh)
    df.loc[6, "total_energy_kwh"] = "N/A"        # 2021-07, line 8: not a number
    df.loc[7, "water_m3"] = "-5"                 # 2021-08, line 9: negative
    df.loc[9, "month"] = "2021-09"               # line 11 repeats line 10's month
    df.loc[11, "grid_kwh"] = "1e300"             # 2021-12, line 13: above 1e11 kWh (plausibility.toml)
    df["meter_note"] = "x"                       # a column the monthly file does not have
    return df


EXPECTED_MONTHLY = {  # (row, field, code), by hand from _bad_monthly
    (None, "meter_note", "unknown_column"),
    ("2021-05 (line 6)", "it_energy_kwh", "it_above_total"),
    ("2021-07 (line 8)", "total_energy_kwh", "not_a_number"),
    ("2021-08 (line 9)", "water_m3", "negative"),
    ("2021-09 (line 10)", "month", "duplicate_month"),
    ("2021-09 (line 11)", "month", "duplicate_month"),
    ("2021-12 (line 13)", "grid_kwh", "above_plausible"),
}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_monthly_upload_lists_every_failure(fmt):
    df = _bad_monthly()
    if fmt == "xlsx":
        buf = io.BytesIO()
        df.to_excel(buf, index=False)
        data = buf.getvalue()
    else:
        data = df.to_csv(index=False).encode()
    frame, rows = check_monthly(f"bad.{fmt}", data)
    assert frame is None
    assert {(r["row"], r["field"], r["code"]) for r in rows} == EXPECTED_MONTHLY
    assert all(r["file"] == f"bad.{fmt}" for r in rows)
    units = {r["field"]: r["unit"] for r in rows}
    assert units["grid_kwh"] == units["it_energy_kwh"] == "kWh" and units["water_m3"] == "m3"


def test_valid_monthly_upload_reads_as_the_engine_reads_the_file():
    frame, rows = check_monthly("m.csv", MONTHLY.read_bytes())
    assert rows == []
    pd.testing.assert_frame_equal(frame, load_monthly(MONTHLY), check_dtype=False)  # index.forecast's own reader


def test_monthly_series_check_runs_once_the_cells_are_sound():
    """A headers-only file is refused as having no rows; a month of zero IT energy (every cell a valid number)
    is refused by the frame-wide check, naming its row."""
    frame, rows = check_monthly("h.csv", b"month,total_energy_kwh,it_energy_kwh\n")
    assert frame is None and [(r["file"], r["code"]) for r in rows] == [("h.csv", "no_rows")]
    text = MONTHLY.read_text(encoding="utf-8").splitlines()
    head = text[0].split(",")
    cells = text[3].split(",")
    cells[head.index("it_energy_kwh")] = "0"  # 2021-03, line 4: PUE undefined
    frame, rows = check_monthly("z.csv", "\n".join([text[0], *text[1:3], ",".join(cells), *text[4:]]).encode())
    assert frame is None
    assert [(r["row"], r["field"], r["code"]) for r in rows] == [("2021-03 (line 4)", "it_energy_kwh",
                                                                   "it_above_total")]


def _bad_facility_toml() -> bytes:
    text = TEMPLATE.read_text(encoding="utf-8")
    for old, new in (('province = "hebei"', "province = 5"),             # a number where text is expected
                     ("it_energy_kwh = 56000000", 'it_energy_kwh = "lots"'),  # text where a number is expected
                     ("cpu_utilisation = 0.35", "cpu_utilisation = [0.35]"),  # a list where a number is expected
                     ("[[periods]]", "[[periods]]\nmeter_note = 1")):       # a key the period does not have
        assert old in text
        text = text.replace(old, new, 1)
    return text.encode()


def test_facility_file_lists_every_failure_with_codes():
    fac, rows = validate_upload("bad.toml", _bad_facility_toml())
    assert fac is None
    got = {(r["field"], r["code"]) for r in rows}
    assert got == {("province", "string_type"), ("periods[0].it_energy_kwh", "not_a_number"),
                   ("periods[0].cpu_utilisation", "not_a_number"), ("periods[0].meter_note", "extra_forbidden")}


def test_period_table_lists_every_failure():
    csv = (b"label,start,end,status,source,total_energy_kwh,it_energy_kwh,refrigerants,meter_note\n"
           b"2024,2024-01-01,2024-12-31,reported,m,N/A,3.0e8,R134a:x,1\n"
           b"2025,2025-01-01,2025-12-31,reported,m,4.0e8,-,,\n")
    fac, rows = validate_upload("p.csv", csv, HEADER)
    assert fac is None
    got = {(r["row"], r["field"], r["code"]) for r in rows}
    assert {("period 2024 (line 2)", "total_energy_kwh", "not_a_number"),
            ("period 2024 (line 2)", "refrigerants", "refrigerant_pair"),
            ("period 2024 (line 2)", "meter_note", "unknown_column"),
            ("period 2025 (line 3)", "it_energy_kwh", "not_a_number")} <= got


@pytest.mark.parametrize("case", ["monthly", "facility", "table"])
def test_chinese_failure_table_has_no_english_reason_and_no_internal_path(case):
    if case == "monthly":
        _, rows = check_monthly("bad.csv", _bad_monthly().to_csv(index=False).encode())
    elif case == "facility":
        _, rows = validate_upload("bad.toml", _bad_facility_toml())
    else:
        _, rows = validate_upload("p.csv", b"label,start,end,it_energy_kwh,meter_note\n2024,2024-01-01,2024-12-31,"
                                  b"N/A,1\n", HEADER)
    zh = catalogue("zh")
    table, originals = failure_frame(rows, "zh")
    assert len(table) == len(rows) >= 1
    reasons = table["原因"].tolist()
    assert not any(ASCII_SENTENCE.match(r) for r in reasons), reasons
    assert not any("[" in f and "]" in f for f in table["字段"]), "no internal path like periods[0].x"
    assert not any(x in " ".join(reasons) for x in ("Input should", "Field required", "unknown column"))
    assert originals == []  # every reason of these files has a code with a Chinese text
    assert all(re.search(r"[\u4e00-\u9fff]", r) for r in reasons)
    # labels come from the catalogue (e.g. it_energy_kwh -> IT 设备能耗)
    assert set(table["字段"]) - {"meter_note"} <= {v for k, v in zh.items() if k.startswith("upload.field.")}


def test_every_code_has_a_text_in_both_languages():
    codes = set()
    codes |= {r["code"] for r in check_monthly("bad.csv", _bad_monthly().to_csv(index=False).encode())[1]}
    codes |= {r["code"] for r in validate_upload("bad.toml", _bad_facility_toml())[1]}
    zh, en = catalogue("zh"), catalogue("en")
    assert {k for k in zh if k.startswith("upload.reason.")} == {k for k in en if k.startswith("upload.reason.")}
    assert all(f"upload.reason.{c}" in zh and f"upload.reason.{c}" in en for c in codes), codes


def test_reason_without_a_code_stays_english_in_en_and_is_listed_apart_in_zh():
    """A cross-field rule of the model (IT energy above total) has no code: English text in the English table,
    a general Chinese reason plus the original listed apart in the Chinese one."""
    text = TEMPLATE.read_text(encoding="utf-8").replace("it_energy_kwh = 56000000", "it_energy_kwh = 90000000")
    _, rows = validate_upload("bad.toml", text.encode())
    en, _ = failure_frame(rows, "en")
    zh, originals = failure_frame(rows, "zh")
    assert len(rows) == 1 and rows[0]["code"] is None
    assert en["Reason"].iloc[0] == rows[0]["reason"]
    assert zh["原因"].iloc[0] == catalogue("zh")["upload.reason.other"]
    assert originals == [f"IT equipment energy: {rows[0]['reason']}"]


def test_impossible_figures_are_listed_with_their_values_and_the_rest_still_checked():
    """Per-figure bounds (definition 0–1 for fractions, 0 ≤ x, figure_max of plausibility.toml: 1e11 kWh) are
    listed with the value; the cross-field rule of the model still runs on what is left (IT above total)."""
    text = TEMPLATE.read_text(encoding="utf-8")
    for old, new in (("cpu_utilisation = 0.35", "cpu_utilisation = 35"), ("water_m3 = ", "water_m3 = -3 #"),
                     ("grid_kwh = ", "grid_kwh = 1e300 #"), ("it_energy_kwh = 56000000", "it_energy_kwh = 90000000")):
        assert old in text
        text = text.replace(old, new, 1)
    fac, rows = validate_upload("bad.toml", text.encode())
    got = {(r["field"], r["code"], r["value"]) for r in rows}
    assert {("periods[0].cpu_utilisation", "fraction_above_one", "35"), ("periods[0].water_m3", "negative", "-3"),
            ("periods[0].grid_kwh", "above_plausible", "1e+300")} <= got
    assert any(r["field"].endswith("it_energy_kwh") and r["code"] is None for r in rows)  # the model's own rule
    zh, _ = failure_frame(rows, "zh")
    assert "超过单个设施的最大合理值（1e+11 kWh" in " ".join(zh["原因"])
    # the bound's source (plausibility.toml [figure_max] kWh: IEA, Energy and AI 2025), not a server file name
    reasons = " ".join(zh["原因"])
    assert "依据：IEA, Energy and AI (2025)" in reasons and "plausibility.toml" not in reasons
