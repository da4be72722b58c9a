"""CLI text output reads well (issue 17): tables aligned by display width with Chinese names, full units, no
``nan`` / ``None`` in any text output of the shipped files.

Widths are measured here with ``unicodedata.east_asian_width`` (W and F = two terminal cells, UAX #11),
independently of the printer (``common.text``, which uses ``wcwidth``).
"""

import re
import unicodedata
from pathlib import Path

import pytest

from dcsll.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
FACILITIES = sorted((DATA / "facilities").glob("*.toml"))
DEALS = sorted((DATA / "deals").glob("*.toml"))


def cells(s: str) -> int:
    """Terminal cells of ``s``: East Asian Wide / Fullwidth characters take 2, combining marks 0, others 1."""
    n = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n


def _column_starts(line: str) -> list[int]:
    """Display-cell offsets where a new column starts: after a run of two or more spaces."""
    out = []
    for mt in re.finditer(r"(?<=  )\S", line):
        out.append(cells(line[:mt.start()]))
    return out


def test_score_table_aligns_by_display_width_with_chinese_names(capsys):
    assert main(["score", str(DATA / "facilities" / "hohhot-helinger-cluster.toml")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.strip().startswith("indicator") and "unit" in ln)
    header = lines[head]
    rows = [ln for ln in lines[head + 1:] if ln.startswith("    ") and not ln.strip().startswith("note:")]
    assert len(rows) >= 19 and all(any(ord(c) > 0x2E80 for c in r) for r in rows)  # every row has Chinese text
    # right edge of the "raw" column and left edges of "unit" and "status" are the same cell in every row
    h_unit = cells(header[:header.index("unit")])
    h_status = cells(header[:header.index("status")])
    h_raw_end = cells(header[:header.index("raw") + 3])
    for r in rows:
        starts = _column_starts(r)
        assert h_unit in starts, r
        assert h_status in starts, r
        raw_end = max(cells(r[:mt.end()]) for mt in re.finditer(r"\S(?=  )", r) if cells(r[:mt.end()]) <= h_raw_end)
        assert raw_end == h_raw_end, r
    # full unit names, not cut ("share of capabilit")
    assert "share of capabilities" in out and "share of capabilit " not in out


@pytest.mark.parametrize("path", FACILITIES, ids=lambda p: p.stem)
def test_score_text_has_no_nan_or_none(path, capsys):
    assert main(["score", str(path)]) == 0
    words = set(re.findall(r"[A-Za-z]+", capsys.readouterr().out))
    assert not {"nan", "NaN", "None"} & words


def test_targets_and_simulate_text_have_no_nan_or_none(capsys):
    deal = str(DATA / "deals" / "demo-zjk-sll-2025.toml")
    assert main(["targets", deal, "--paths", "300"]) == 0
    assert main(["simulate", deal, "--levers", str(DATA / "targets" / "demo-levers.toml"), "--paths", "300",
                 "--seed", "1"]) == 0
    out = capsys.readouterr().out
    words = set(re.findall(r"[A-Za-z]+", out))
    assert not {"nan", "NaN", "None"} & words


@pytest.mark.parametrize("path", DEALS, ids=lambda p: p.stem)
def test_value_and_cashflows_text_have_no_nan_or_none(path, capsys):
    main(["value", str(path)])
    main(["cashflows", str(path)])
    words = set(re.findall(r"[A-Za-z]+", capsys.readouterr().out))
    assert not {"nan", "NaN", "None"} & words
