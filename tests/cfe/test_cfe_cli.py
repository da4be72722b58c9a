"""``dcsll cfe`` file form: output, exit codes, failure table, bills."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from dcsll.cli import main
from tests.cfe.conftest import em_grid, long_frame


def _files(tmp_path, load=None):
    # 24 h in CST: load 10 kWh, PPA 20 kWh in local hours 8–15, grid 40 % → m = 80, Σ L = 240
    # CFE = (80 + 0.4 · 160) / 240 = 0.6; matched = 1/3; volumetric = min(160, 240)/240 = 2/3
    hod = list(range(24))
    frame = long_frame("2025-07-01T00:00:00+08:00", {"load": load or [10.0] * 24,
                                                      "ppa": [20.0 if 8 <= h <= 15 else 0.0 for h in hod]}, meter="M1")
    iv = tmp_path / "iv.csv"
    frame.to_csv(iv, index=False)
    grid = tmp_path / "grid.csv"
    em_grid("2025-06-30 16:00:00", [40.0] * 24).to_csv(grid, index=False)
    return iv, grid


def test_text_and_json(tmp_path, capsys):
    iv, grid = _files(tmp_path)
    assert main(["cfe", str(iv), "--grid", str(grid)]) == 0
    out = capsys.readouterr().out
    assert "CFE score                   60.00%" in out
    assert "hourly matched share        33.33%" in out
    assert "annual volumetric share     66.67%" in out
    assert "no bills given" in out
    assert main(["cfe", str(iv), "--grid", str(grid), "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert js["hours"] == 24 and js["completeness"][0]["channel"] == "load"
    assert js["loan_grade"] is False


def test_bad_rows_exit_2_with_failure_table(tmp_path, capsys):
    iv, grid = _files(tmp_path, load=[10.0] * 23 + [-1.0])
    fails = tmp_path / "fails.csv"
    assert main(["cfe", str(iv), "--grid", str(grid), "--failures", str(fails)]) == 2
    err = capsys.readouterr().err
    assert "row 24, field 'kwh', unit [kWh]: negative reading" in err
    table = pd.read_csv(fails)
    assert table.loc[0, ["row", "field", "reason"]].tolist()[:2] == [24, "kwh"]


def test_bills_from_facility_file(tmp_path, capsys):
    iv, grid = _files(tmp_path)
    fac = tmp_path / "fac.toml"
    fac.write_text('[facility]\nid = "f"\nname = "f"\nprovince = "hebei"\ncomputing_type = "general"\n'
                   'lifecycle_stage = "operation"\n[[periods]]\nlabel = "2025-07-01"\nstart = 2025-07-01\n'
                   'end = 2025-07-01\ntotal_energy_kwh = 241\ndirect_supply_kwh = 160\n')
    assert main(["cfe", str(iv), "--grid", str(grid), "--bills", str(fac), "--bill-period", "2025-07-01"]) == 0
    out = capsys.readouterr().out
    assert "0.415%  ok" in out  # |240 − 241| / 241
    fac.write_text(fac.read_text().replace("241", "250"))
    assert main(["cfe", str(iv), "--grid", str(grid), "--bills", str(fac), "--bill-period", "2025-07-01"]) == 2
    assert "beyond the 1.0% tolerance" in capsys.readouterr().err


def test_china_fallback_and_argument_errors(tmp_path, capsys):
    iv, _ = _files(tmp_path)
    assert main(["cfe", str(iv), "--grid-region", "yunnan"]) == 0
    out = capsys.readouterr().out
    assert "grid basis: annual" in out and "no public hourly grid data" in out
    assert main(["cfe", str(iv)]) == 2
    assert "exactly one of --grid" in capsys.readouterr().err
    assert main(["cfe", str(iv), "--grid-share", "0.3"]) == 2
    assert "--grid-source" in capsys.readouterr().err


def test_storage_lever_in_the_report(tmp_path, capsys):
    # battery 100 kWh / 20 kW, 85 % round trip: hours 8–15 each draw the 10 kWh clean surplus (80 kWh) and store
    # 68 kWh, given back in the night hours 16–22 (10 × 6 + 8); starts empty so hours 0–7 stay unmatched.
    # matched = 80 + 68 = 148 → 148/240 = 61.67 %; CFE = (148 + 0.4 × 92)/240 = 77.00 %
    iv, grid = _files(tmp_path)
    assert main(["cfe", str(iv), "--grid", str(grid), "--lever-storage", "100:20", "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    case = {c["case"]: c for c in js["levers"]}
    assert case["as metered"]["hourly_matched_share"] == pytest.approx(80 / 240)
    bat = case["+ battery 100 kWh / 20 kW"]
    assert bat["hourly_matched_share"] == pytest.approx(148 / 240)
    assert bat["cfe_score"] == pytest.approx((148 + 0.4 * 92) / 240)
    assert main(["cfe", str(iv), "--grid", str(grid), "--lever-storage", "100"]) == 2
    assert "KWH:KW" in capsys.readouterr().err


def test_meter_register(tmp_path, capsys):
    iv, grid = _files(tmp_path)
    reg = tmp_path / "meters.toml"
    reg.write_text('[[meter]]\nid = "M1"\ncalibration_ref = "CNAS-L0001-2025-117"\naccuracy_class = "0.5S"\n')
    assert main(["cfe", str(iv), "--grid", str(grid), "--meters", str(reg), "--json"]) == 0
    series = json.loads(capsys.readouterr().out)["series"]
    assert {(r["meter"], r["channel"], r["calibration_ref"]) for r in series} == {
        ("M1", "load", "CNAS-L0001-2025-117"), ("M1", "ppa", "CNAS-L0001-2025-117")}
    reg.write_text('[[meter]]\nid = "M2"\ncalibration_ref = "CNAS-L0001-2025-118"\n')
    assert main(["cfe", str(iv), "--grid", str(grid), "--meters", str(reg)]) == 2
    assert "meter not in the meter register" in capsys.readouterr().err
