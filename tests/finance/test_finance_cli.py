"""`dcsll cashflows`, `dcsll value` and `dcsll schema deal` on the sample deal."""

import json
from pathlib import Path

import pandas as pd

from dcsll.cli import main

SAMPLE = str(Path(__file__).resolve().parents[2] / "data" / "deals" / "demo-zjk-sll-2025.toml")


def test_cashflows_csv(tmp_path, capsys):
    out = tmp_path / "cf.csv"
    assert main(["cashflows", SAMPLE, "--scenario", "missed", "--csv", str(out)]) == 0
    df = pd.read_csv(out)
    for col in ("start", "end", "payment_date", "days", "outstanding", "base_rate_pct", "margin_bp", "ratchet_bp",
                "all_in_rate_pct", "interest", "principal", "reason", "provisional_date", "interest_basis"):
        assert col in df.columns
    # the sample draws 800m and repays it all: 300 + 300 + 200 (CNY m)
    assert abs(df.principal.sum() - 800_000_000) < 0.01
    assert abs(df.drawdown.sum() - 800_000_000) < 0.01
    text = capsys.readouterr().out
    assert "margin changes:" in text and "provisional" in text


def test_cashflows_json(capsys):
    assert main(["cashflows", SAMPLE, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["currency"] == "CNY" and data["rows"][0]["start"] == "2025-07-21"


def test_value_json(capsys):
    assert main(["value", SAMPLE, "--json", "--discount-rate", "3.5"]) == 0
    data = json.loads(capsys.readouterr().out)
    sc = data["scenarios"]
    exp = sum(s["probability"] * s["pv_saving"] for s in sc)
    assert abs(data["expected_pv_saving"] - exp) < 0.02
    assert abs(data["net_pv"] - (data["expected_pv_saving"] - data["pv_verification_cost"])) < 0.02
    # all met must save more than all missed
    by = {s["name"]: s["pv_saving"] for s in sc}
    assert by["on_track"] > by["pue_slips"] > 0 > by["stalls"]


def test_unknown_scenario_exits_2(capsys):
    assert main(["cashflows", SAMPLE, "--scenario", "nope"]) == 2
    assert "unknown scenario 'nope'" in capsys.readouterr().err


def test_bad_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(Path(SAMPLE).read_text().replace("step_down_bp = -10", "step_down_bp = 10"))
    assert main(["value", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "ratchet.step_down_bp" in err and "[bp]" in err


def test_schema_deal(capsys):
    assert main(["schema", "deal"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "loan" in schema["properties"] and "observations" in schema["properties"]
