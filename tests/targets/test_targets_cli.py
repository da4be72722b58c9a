"""dcsll targets / simulate on the sample deal."""

import json

from dcsll.cli import main
from tests.targets.conftest import DEAL


def test_targets_json(capsys):
    assert main(["targets", str(DEAL), "--json", "--paths", "400"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["baseline"]["periods"] == ["2024"] and out["baseline"]["status"] == "verified"
    assert {r["kpi"] for r in out["spts"]["deal"]} == {"index", "pue"}
    flags = {(v["kpi"], v["year"]): v["ambitious"] for v in out["verdicts"]["deal"]}
    assert set(flags) >= {("pue", 2025), ("index", 2029)}
    assert any(c["check"] == "regulation" and c["reference"] == 1.25 for c in out["ambition"]["deal"])


def test_simulate_with_levers_json(capsys):
    args = ["simulate", str(DEAL), "--levers", "data/targets/demo-levers.toml", "--paths", "400", "--seed", "3",
            "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    for run in ("bau", "levers"):
        obs = out["runs"][run]["per_observation"]
        assert len(obs) == 5
        for o in obs:
            for k in ("index", "pue"):
                s = o[k]
                assert abs(s["p_met"] + s["p_band"] + s["p_missed"] - 1) < 1e-12
        assert out["runs"][run]["expected_pv_saving"] is not None
    # the 2025 observation is the facility's reported period, the same in both runs
    assert out["runs"]["bau"]["per_observation"][0] == out["runs"]["levers"]["per_observation"][0]


def test_simulate_lever_outside_loan_exit_2(tmp_path, capsys):
    p = tmp_path / "lv.toml"
    p.write_text('[[levers]]\nkind = "waste_heat"\nstart = 2032-01-01\nmwh_per_year = 100\n', encoding="utf-8")
    assert main(["simulate", str(DEAL), "--levers", str(p), "--paths", "10"]) == 2
    assert "outside the loan" in capsys.readouterr().err
