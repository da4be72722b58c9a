"""``dcsll portfolio`` on a deal book imported from data/ (issue 12 item 7).

Hand figures (data/deals/demo-zjk-sll-2025.toml, no monitoring record in a freshly imported book): contractual
margin 30 bp is the margin in force; on 2026-11-21 the 2025 certificate (due 2026-04-30) has no verified record:
missed, overdue; next observation 2026-12-31 (SPTs index 88, PUE 1.19); the facility's 2025 period has all 19
indicators (completeness 1.0) and is reported: indicative.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dcsll.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
DEMO = "demo-zjk-sll-2025"


@pytest.fixture(scope="module")
def book_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('pfcli') / 'book.sqlite'}"
    assert main(["db", "--url", url, "upgrade"]) == 0
    assert main(["db", "--url", url, "add-user", "ver", "--role", "verifier", "--as", "admin"]) == 0
    files = [DATA / "methodology" / "gcpi-2024.toml", *sorted((DATA / "facilities").glob("*.toml")),
             DATA / "deals" / f"{DEMO}.toml"]
    assert main(["db", "--url", url, "import", "--verified-by", "ver", *map(str, files)]) == 0
    assert main(["db", "--url", url, "add-user", "op", "--role", "operator", "--as", "admin"]) == 0
    return url


def test_portfolio_json(book_url, monkeypatch, capsys):
    monkeypatch.setenv("DCSLL_DATABASE_URL", book_url)
    capsys.readouterr()
    assert main(["portfolio", "--json", "--as-of", "2026-11-21", "--as", "admin"]) == 0
    out = json.loads(capsys.readouterr().out)
    (row,) = [d for d in out["deals"] if d["deal_id"] == DEMO]
    assert (row["margin_bp"], row["margin_source"], row["last_record"]) == (30.0, "contractual", None)
    assert (row["status"], row["status_reason"], row["status_date"]) == ("missed", "overdue", "2026-04-30")
    assert (row["next_observation"], row["next_spt"]) == ("2026-12-31", {"index": 88.0, "pue": 1.19})
    assert (row["completeness"], row["indicative"]) == (1.0, True)
    assert out["as_of"] == "2026-11-21" and out["problems"] == []


def test_portfolio_text_and_refusal(book_url, monkeypatch, capsys):
    monkeypatch.setenv("DCSLL_DATABASE_URL", book_url)
    capsys.readouterr()
    assert main(["portfolio", "--as-of", "2026-11-21", "--as", "admin"]) == 0
    text = capsys.readouterr().out
    line = next(x for x in text.splitlines() if x.startswith(DEMO))
    assert "missed (indicative)" in line and "30.0" in line and "100 %" in line and "pue +0.02" in line
    assert main(["portfolio", "--as", "op"]) == 2
    assert "may not portfolio.read" in capsys.readouterr().err
