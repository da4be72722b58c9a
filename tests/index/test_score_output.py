"""`dcsll score` shows what a result was computed with (methodology version and SHA-256, reference-data bundle
SHA-256) and its loan-test flags (issue 14). Hashes are recomputed here with hashlib from the files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from dcsll.cli import main
from index.reference import default_bundle

ROOT = Path(__file__).resolve().parents[2]
M25 = ROOT / "data" / "methodology" / "gcpi-2025.toml"
HOR = str(ROOT / "data" / "facilities" / "hohhot-helinger-cluster.toml")


def test_text_shows_version_hashes_and_why_not_usable(capsys):
    assert main(["score", HOR, "--methodology", str(M25), "--period", "2025"]) == 0
    out = capsys.readouterr().out
    sha = hashlib.sha256(M25.read_bytes()).hexdigest()
    assert f"methodology gcpi-2025 version 2025.1 sha256 {sha}" in out
    assert f"reference-data bundle sha256 {default_bundle().sha256}" in out
    # H1 2025: 2025-01-01 .. 2025-06-30 = 181 days; the 86 % renewable share is the region's supply (proxy)
    assert "loan test: NOT usable" in out and "short period: 181 days" in out
    assert "proxy figures (not the facility's own): renewable_share" in out
    row = next(line for line in out.splitlines() if "Renewable share" in line)
    assert row.rstrip().endswith("proxy")


def test_json_carries_version_hashes_and_flags(capsys):
    assert main(["score", HOR, "--methodology", str(M25), "--period", "2025", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["methodology_version"] == "2025.1"
    assert d["methodology_sha256"] == hashlib.sha256(M25.read_bytes()).hexdigest()
    assert d["reference_sha256"] == default_bundle().sha256 and len(d["reference_sha256"]) == 64
    assert d["period_short"] is True and d["proxy_indicators"] == ["renewable_share"]
    assert d["loan_test_usable"] is False and len(d["loan_test_reasons"]) == 2
    assert d["indicators"]["renewable_share"]["status"] == "proxy"


def test_gcpi_2024_result_is_usable_and_says_so(capsys):
    assert main(["score", HOR, "--period", "2025"]) == 0
    out = capsys.readouterr().out
    assert "loan test: usable" in out and "methodology gcpi-2024 version" in out
