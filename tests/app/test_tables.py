"""app_support.tables: what a reader sees in a table (issue 17), checked on hand-made frames."""

import math

import pandas as pd

from app_support.tables import display_frame, table_problems


def test_display_frame_rounds_and_marks_missing():
    df = pd.DataFrame({"index": [97.12982875953871, 95.13], "pue": [1.2, float("nan")],
                       "note": [None, "ok"], "n": [1, 2], "pv": [math.inf, 2.0]})
    out = display_frame(df, decimals={"index": 2})
    assert out["index"].tolist() == [97.13, 95.13]           # 97.1298… to 2 decimals by hand
    assert out["index"].dtype.kind == "f"                      # stays numeric: nothing missing
    assert out["pue"].tolist() == [1.2, "—"]
    assert out["note"].tolist() == ["—", "ok"]
    assert out["n"].tolist() == [1, 2]
    assert out["pv"].tolist() == ["∞", 2.0]
    assert table_problems(out) == []


def test_display_frame_reason_per_column():
    out = display_frame(pd.DataFrame({"p": [None, 0.5]}), missing={"p": "— (not simulated)"})
    assert out["p"].tolist() == ["— (not simulated)", 0.5]


def test_table_problems_finds_each_kind():
    df = pd.DataFrame({"a": [97.12982875953871, 1.5], "b": ["nan", None], "c": [float("nan"), 2.0]})
    found = table_problems(df, "page")
    assert len(found) == 4, found
    assert "page row 0 column 'a': unrounded float 97.12982875953871" in found
    assert any("column 'b'" in p and "'nan'" in p for p in found)
    assert table_problems(pd.DataFrame({"x": [1.123456]})) == []      # six decimals are allowed
    assert len(table_problems(pd.DataFrame({"x": [1.1234567]}))) == 1  # seven are not
