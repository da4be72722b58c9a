"""The demo signer's --trust path follows one rule (issue 17): ``$DCSLL_HOME/demo-signer/demo-signer.cert.pem``
when DCSLL_HOME is set, else the same under platformdirs' per-user data folder; `dcsll statement` prints it,
`dcsll paths --demo-cert` prints it, and verify-statement trusts the statement with it."""

import re
from pathlib import Path

import platformdirs

from dcsll.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


def test_trust_path_follows_dcsll_home(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home with space"
    monkeypatch.setenv("DCSLL_HOME", str(home))
    expected = home / "demo-signer" / "demo-signer.cert.pem"   # the documented rule, written out
    assert main(["paths", "--demo-cert"]) == 0
    assert capsys.readouterr().out.strip() == str(expected)
    out_pdf = tmp_path / "st.pdf"
    assert main(["statement", str(DATA / "deals" / "demo-zjk-sll-2025.toml"), "--period", "2025",
                 "--verifier", str(DATA / "statements" / "sample_verifier.toml"),
                 "--engagement", str(DATA / "statements" / "sample_engagement.toml"), "--out", str(out_pdf)]) == 0
    printed = capsys.readouterr().out
    m = re.search(r"--trust (.+)$", printed, re.M)
    assert m is not None
    trust = m.group(1).strip().strip("'")
    assert Path(trust) == expected and expected.is_file()
    assert main(["verify-statement", str(out_pdf), "--trust", trust]) == 0
    assert "INTACT" in capsys.readouterr().out


def test_trust_path_without_dcsll_home_is_the_user_data_folder(monkeypatch, capsys):
    monkeypatch.delenv("DCSLL_HOME", raising=False)
    expected = Path(platformdirs.user_data_dir("dcsll", appauthor=False)) / "demo-signer" / "demo-signer.cert.pem"
    assert main(["paths", "--demo-cert"]) == 0
    assert capsys.readouterr().out.strip() == str(expected)


def test_default_deal_book_lives_in_dcsll_home(tmp_path, monkeypatch, capsys):
    """Without DCSLL_DATABASE_URL the embedded deal book is ``<home>/dcsll.sqlite`` (common.settings' table):
    with DCSLL_HOME set, `dcsll db seed-demo` writes there and nowhere else, and `dcsll paths` says so."""
    home = tmp_path / "dcsll-home"
    monkeypatch.setenv("DCSLL_HOME", str(home))
    monkeypatch.delenv("DCSLL_DATABASE_URL", raising=False)
    expected = home / "dcsll.sqlite"
    assert main(["paths", "--json"]) == 0
    import json

    assert json.loads(capsys.readouterr().out)["database_url"] == f"sqlite:///{expected}"
    assert main(["db", "seed-demo"]) == 0
    assert f"sqlite:///{expected}" in capsys.readouterr().out and expected.is_file()
    assert main(["portfolio", "--json", "--as-of", "2026-06-01"]) == 0
    assert {d["deal_id"] for d in json.loads(capsys.readouterr().out)["deals"]} >= {"demo-zjk-sll-2025"}
