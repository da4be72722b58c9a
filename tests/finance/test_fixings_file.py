"""Published base-rate fixings given as a file (issue 16, item 10): ``dcsll cashflows/value --fixings CSV``."""

from __future__ import annotations

import json
from pathlib import Path

from dcsll.cli import main

USD = Path(__file__).parents[2] / "data" / "deals" / "sll-alibaba-usd-2026.toml"


def _rows(argv, capsys):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)["rows"]


def test_a_published_print_replaces_the_path_from_its_fixing_date(tmp_path, capsys):
    fx = tmp_path / "term_sofr.csv"
    # a hypothetical 3M Term SOFR print of 3.55 % on 2026-05-28: in force on the 2nd period's fixing date
    # (2026-05-29, two SIFMA days before 2026-06-02), not on the 1st's (2026-02-26, the deal's own 3.70 %)
    fx.write_text("date,rate_pct,source\n2026-05-28,3.55,test print\n", encoding="utf-8")
    base = _rows(["cashflows", str(USD), "--json"], capsys)
    rows = _rows(["cashflows", str(USD), "--json", "--fixings", str(fx)], capsys)
    assert rows[0]["base_rate_pct"] == base[0]["base_rate_pct"] == 3.70
    assert rows[1]["fixing_date"] == "2026-05-29" and rows[1]["base_rate_pct"] == 3.55
    # USD 500m bullet, 3M Term SOFR + 85 bp, ACT/360: 500,000,000 × (3.55 % + 0.85 %) × 92 / 360 = 5,622,222.22
    assert rows[1]["days"] == 92
    assert abs(rows[1]["interest"] - 500_000_000 * 0.044 * 92 / 360) < 0.01
    assert abs(rows[1]["interest"] - 5_622_222.22) < 0.01


def test_a_bad_fixings_file_exits_2_naming_file_row_and_field(tmp_path, capsys):
    fx = tmp_path / "bad.csv"
    fx.write_text("date,rate_pct\n2026-05-28,abc\n", encoding="utf-8")
    assert main(["value", str(USD), "--fixings", str(fx)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "rate_pct" in err
