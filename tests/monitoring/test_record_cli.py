"""The monitoring loop through the CLI on a deal book (issue 12): ``statement --deal --as`` records and prepares,
``approve`` refuses the preparer (exit 2) and takes a second credit officer, ``notice --deal`` follows the
approved change, ``cashflows --deal`` prices it, ``history --csv``, ``due`` on the deal book.

Hand figures as in test_record_loop.py: verified index 95.13 (reported 98.69), both SPTs met, 30 → 20 bp from
2026-05-06 (5 China.IB business days after delivery on 2026-04-24).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from dcsll.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
DEMO = "demo-zjk-sll-2025"
IMPORTS = [DATA / "methodology" / "gcpi-2024.toml", DATA / "facilities" / "demo-zjk-hyperscale.toml",
           DATA / "deals" / f"{DEMO}.toml", DATA / "targets" / f"{DEMO}.toml",
           DATA / "statements" / "sample_verifier.toml", DATA / "statements" / "sample_engagement.toml"]
VERIFIER = str(DATA / "statements" / "sample_verifier.toml")


@pytest.fixture()
def book(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'book.sqlite'}"
    assert main(["db", "--url", url, "upgrade"]) == 0
    # only a verifier makes a figure verified: the shipped verified figures are imported on its word
    assert main(["db", "--url", url, "add-user", "ver", "--role", "verifier", "--as", "admin"]) == 0
    assert main(["db", "--url", url, "import", "--verified-by", "ver", *map(str, IMPORTS)]) == 0
    from store import open_store

    st = open_store(url)
    for name, roles in (("co.wang", ["credit_officer"]), ("co.li", ["credit_officer"])):
        st.add_user("admin", name, roles)
    st.close()
    monkeypatch.setenv("DCSLL_DATABASE_URL", url)
    monkeypatch.setenv("DCSLL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DCSLL_USER", raising=False)
    return url


def test_cli_loop(book, tmp_path, capsys):
    pdf = tmp_path / "vs.pdf"
    assert main(["statement", "--deal", DEMO, "--period", "2025", "--verifier", VERIFIER, "--out", str(pdf),
                 "--as", "ver", "--prepared-by", "co.wang"]) == 0
    out = capsys.readouterr().out
    assert "index 95.13" in out and "98.69" not in out
    assert "prepared margin change #1 result: 30 -> 20 bp from 2026-05-06" in out

    assert main(["approve", "--deal", DEMO, "--change", "1", "--as", "co.wang"]) == 2
    assert "four-eyes" in capsys.readouterr().err
    assert main(["notice", "--deal", DEMO, "--observation", "2025-12-31", "--as-of", "2026-05-20"]) == 2
    assert "no approved margin change" in capsys.readouterr().err
    assert main(["approve", "--deal", DEMO, "--change", "1", "--as", "co.li", "--json"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert (a["state"], a["prepared_by"], a["decided_by"]) == ("approved", "co.wang", "co.li")

    assert main(["notice", "--deal", DEMO, "--observation", "2025-12-31", "--as-of", "2026-05-20", "--as",
                 "co.wang", "--json"]) == 0
    (n,) = json.loads(capsys.readouterr().out)
    assert (n["old_margin_bp"], n["new_margin_bp"], n["effective_date"]) == (30.0, 20.0, "2026-05-06")
    assert n["prepared_by"] == "co.wang" and n["approved_by"] == ["co.li"]
    assert n["spts"][0]["value"] == pytest.approx(95.13, abs=0.005)

    assert main(["cashflows", "--deal", DEMO, "--json"]) == 0
    cf = json.loads(capsys.readouterr().out)
    assert cf["margin_basis"]["2025-12-31"] == "verified, approved"
    row = next(r for r in cf["rows"] if r["start"] == "2026-05-06")
    assert row["margin_bp"] + row["ratchet_bp"] == 20.0

    assert main(["history", "--deal", DEMO, "--csv", "-", "--as", "admin"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    acts = [(r["actor"], r["action"]) for r in rows]
    for want in (("ver", "statement.issue"), ("ver", "observation.record_verified"), ("co.wang", "margin.prepare"),
                 ("co.li", "margin.approve"), ("co.wang", "notice.issue")):
        assert want in acts
    # per facility: the same trail (its only deal) with the facility's periods
    assert main(["history", "--facility", "demo-zjk-hyperscale", "--csv", "-", "--as", "admin"]) == 0
    frows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(frows) == len(rows) and ("co.li", "margin.approve") in [(r["actor"], r["action"]) for r in frows]


def test_due_on_the_deal_book(book, capsys):
    """No record yet: on 2026-06-01 the 2025 certificate (due 2026-04-30) is overdue; --record-late prepares the
    +10 bp step-up (30 → 40 bp) from 2026-05-11 (5 China.IB business days after the due date)."""
    assert main(["due", "--as-of", "2026-06-01", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)["items"]
    (it,) = [i for i in items if i["observation_date"] == "2025-12-31"]
    assert it["status"] == "overdue" and it["certificate_due"] == "2026-04-30"
    assert main(["due", "--as-of", "2026-06-01", "--record-late", "--as", "co.wang"]) == 0
    err = capsys.readouterr().err
    assert "reporting_failure: 30 -> 40 bp from 2026-05-11" in err
    assert main(["approve", "--deal", DEMO, "--json"]) == 0
    (c,) = json.loads(capsys.readouterr().out)
    assert (c["kind"], c["state"]) == ("reporting_failure", "prepared")
