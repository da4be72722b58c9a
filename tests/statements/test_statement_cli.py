"""`dcsll statement` and `dcsll verify-statement` end to end, in process (exit codes 0 / 1 / 2)."""

from __future__ import annotations

import subprocess
import sys

import pdfplumber
import pytest

from dcsll.cli import main
from tests.statements.conftest import pem_signing, write_verifier

SAMPLE = "data/statements/sample_statement.toml"


@pytest.fixture
def ca_verifier(tmp_path, test_ca):
    return write_verifier(tmp_path, signing=pem_signing(test_ca))


def test_issue_then_verify_intact(tmp_path, ca_verifier, test_ca, capsys):
    out = tmp_path / "statement.pdf"
    rc = main(["statement", "--data", SAMPLE, "--period", "2025", "--verifier", str(ca_verifier),
               "--out", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed
    with pdfplumber.open(out) as doc:
        text = "\n".join(p.extract_text() for p in doc.pages)
    # figures from data/statements/sample_statement.toml
    for figure in ("1.23", "55.4", "5,200", "0.45", "70.23", "4A", "-2.5", "117.5", "2026-06-21"):
        assert figure in text, figure
    # the --verifier file's verifier replaces the one in the data file
    assert "Test Assurance LLP" in text and "Example Assurance Partners" not in text

    assert main(["verify-statement", str(out), "--trust", str(test_ca["ca"])]) == 0
    assert "INTACT" in capsys.readouterr().out
    assert main(["verify-statement", str(out)]) == 1
    assert "UNTRUSTED" in capsys.readouterr().out


def test_verify_json_output(tmp_path, ca_verifier, test_ca, capsys):
    import json

    out = tmp_path / "s.pdf"
    assert main(["statement", "--data", SAMPLE, "--period", "2025", "--verifier", str(ca_verifier),
                 "--out", str(out), "--lang", "en"]) == 0
    capsys.readouterr()
    assert main(["verify-statement", str(out), "--trust", str(test_ca["ca"]), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["status"] == "intact" and rep["statement_id"] == "VS-2026-0001"
    assert rep["content_sha256"] == rep["printed_sha256"]


def test_altered_file_exits_1(tmp_path, ca_verifier, test_ca, capsys):
    out = tmp_path / "s.pdf"
    main(["statement", "--data", SAMPLE, "--period", "2025", "--verifier", str(ca_verifier), "--out", str(out)])
    data = bytearray(out.read_bytes())
    data[len(data) // 3] ^= 0x01
    out.write_bytes(bytes(data))
    assert main(["verify-statement", str(out), "--trust", str(test_ca["ca"])]) == 1
    assert "ALTERED" in capsys.readouterr().out


def test_not_a_pdf_exits_2(tmp_path, capsys):
    p = tmp_path / "x.pdf"
    p.write_text("plain text")
    assert main(["verify-statement", str(p)]) == 2
    assert "not a PDF" in capsys.readouterr().err


def test_demo_identity_when_no_signing_configured(tmp_path, capsys):
    out = tmp_path / "demo.pdf"
    rc = main(["statement", "--data", SAMPLE, "--period", "2025", "--verifier",
               "data/statements/sample_verifier.toml", "--out", str(out)])
    assert rc == 0
    msg = capsys.readouterr().out
    assert "self-signed demo identity" in msg
    cert = msg.split("--trust ")[-1].strip()
    assert main(["verify-statement", str(out), "--trust", cert]) == 0


def test_period_without_data_exits_2_and_writes_nothing(tmp_path, ca_verifier, capsys):
    out = tmp_path / "s.pdf"
    rc = main(["statement", "--data", SAMPLE, "--period", "2031", "--verifier", str(ca_verifier),
               "--out", str(out)])
    assert rc == 2
    assert "no verified data for period 2031" in capsys.readouterr().err
    assert not out.exists()


def test_verifier_without_accreditation_exits_2(tmp_path, capsys):
    bad = write_verifier(tmp_path, accreditation="")
    rc = main(["statement", "--data", SAMPLE, "--period", "2025", "--verifier", str(bad),
               "--out", str(tmp_path / "s.pdf")])
    assert rc == 2
    assert "accreditation" in capsys.readouterr().err


def test_unwritable_output_exits_2_without_partial_file(tmp_path, ca_verifier, capsys):
    out = tmp_path / "no-such-folder" / "s.pdf"
    rc = main(["statement", "--data", SAMPLE, "--period", "2025", "--verifier", str(ca_verifier),
               "--out", str(out)])
    assert rc == 2
    assert "cannot write the statement here" in capsys.readouterr().err
    assert not (tmp_path / "no-such-folder").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["verifier.toml"]


def test_data_and_deal_file_together_are_refused(tmp_path, ca_verifier, capsys):
    rc = main(["statement", "deal.toml", "--data", SAMPLE, "--period", "2025", "--verifier", str(ca_verifier),
               "--out", str(tmp_path / "s.pdf")])
    assert rc == 2
    assert "leave out DEAL_FILE" in capsys.readouterr().err


def test_help_does_not_load_the_statement_libraries():
    # the start time itself (target 1 s) is measured by bench/bench_cli.py, not asserted here
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "dcsll", "--help"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and "verify-statement" in r.stdout
    assert "reportlab" not in r.stderr and "pyhanko" not in r.stderr  # -X importtime lists every module loaded
