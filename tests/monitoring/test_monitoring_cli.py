"""``dcsll due`` and ``dcsll notice`` on the shipped demo deal and a records file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import icalendar
import pytest

from dcsll.cli import main

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "data" / "deals" / "demo-zjk-sll-2025.toml")
SHA = "0123456789abcdef" * 4

RECORDS = f"""
[[recorded]]
deal_id = "demo-zjk-sll-2025"
observation_date = 2025-12-31
status = "reported"
kpis = {{ index = 98.69, pue = 1.17 }}
reported_on = 2026-03-30

[[recorded]]
deal_id = "demo-zjk-sll-2025"
observation_date = 2025-12-31
status = "verified"
kpis = {{ index = 95.13, pue = 1.17 }}
outcomes = {{ index = "met", pue = "met" }}
statement_id = "VS-DEMO-ZJK-2025"
statement_sha256 = "{SHA}"
certificate_delivered = 2026-04-24
"""


@pytest.fixture
def records(tmp_path):
    p = tmp_path / "records.toml"
    p.write_text(RECORDS, encoding="utf-8")
    return str(p)


def test_due_json_and_ics(tmp_path, records, capsys):
    ics = tmp_path / "due.ics"
    assert main(["due", DEMO, "--records", records, "--as-of", "2026-04-10", "--json", "--ics", str(ics)]) == 0
    out = json.loads(capsys.readouterr().out)
    # 2026-04-10: report delivered 2026-03-30, certificate due 2026-04-30 (20 days); next observation's report is
    # due 2027-03-31, outside 90 days
    assert [(i["observation_date"], i["status"], i["report_status"], i["next_due"], i["days_left"])
            for i in out["items"]] == [("2025-12-31", "due", "delivered", "2026-04-30", 20)]
    assert out["items"][0]["overdue"] is False
    cal = icalendar.Calendar.from_ical(ics.read_bytes())
    assert {e.decoded("DTSTART") for e in cal.walk("VEVENT")} == {dt.date(2026, 3, 31), dt.date(2026, 4, 30)}


def test_due_overdue_table(capsys):
    # without records the deal file's own delivery date (2026-04-24) counts: on 2026-05-04 nothing is due within
    # 90 days (next report due 2027-03-31); on 2027-05-04 the second certificate (due 2027-04-30) is overdue
    assert main(["due", DEMO, "--as-of", "2026-05-04"]) == 0
    assert "0 item(s)" in capsys.readouterr().out
    assert main(["due", DEMO, "--as-of", "2027-05-04"]) == 0
    text = capsys.readouterr().out
    assert "overdue" in text and "2027-04-30" in text


def test_notice_follows_verified(tmp_path, records, capsys):
    import QuantLib as ql

    csv_path, pdf_path = tmp_path / "n.csv", tmp_path / "n.pdf"
    rc = main(["notice", DEMO, "--records", records, "--observation", "2025-12-31", "--as-of", "2026-05-20",
               "--prepared-by", "co.wang", "--approved-by", "co.li", "--csv", str(csv_path), "--pdf", str(pdf_path),
               "--json"])
    assert rc == 0
    (n,) = json.loads(capsys.readouterr().out)
    # verified 95.13 >= SPT 86 met: 0.6 x -10 = -6; PUE 1.17 <= 1.20 met: 0.4 x -10 = -4; margin 30 -> 20 bp
    assert (n["old_margin_bp"], n["new_margin_bp"], n["change_bp"]) == (30.0, 20.0, -10.0)
    assert n["spts"][0]["value"] == 95.13          # the verified figure, not the reported 98.69
    # 5 business days after delivery on the Chinese interbank calendar (QuantLib China.IB as oracle)
    d = ql.China(ql.China.IB).advance(ql.Date(24, 4, 2026), 5, ql.Days)
    assert n["effective_date"] == dt.date(d.year(), d.month(), d.dayOfMonth()).isoformat()
    assert n["statement_sha256"] == SHA and n["approved_by"] == ["co.li"]
    row = next(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    assert row["new_margin_bp"] == "20.0" and row["statement_id"] == "VS-DEMO-ZJK-2025"
    assert pdf_path.read_bytes().startswith(b"%PDF-")


def test_notice_errors_exit_2(records, capsys):
    base = ["notice", DEMO, "--records", records, "--as-of", "2026-05-20", "--prepared-by", "co.wang"]
    assert main(base + ["--observation", "2026-12-31", "--approved-by", "co.li"]) == 2
    assert "no recorded margin change for observation 2026-12-31" in capsys.readouterr().err
    assert main(base + ["--observation", "2025-12-31", "--approved-by", "co.wang"]) == 2
    assert "four-eyes" in capsys.readouterr().err


def test_bad_records_file_names_field_and_row(tmp_path, capsys):
    p = tmp_path / "bad.toml"
    p.write_text('[[recorded]]\ndeal_id = "x"\nobservation_date = 2025-12-31\nstatus = "verified"\n'
                 'kpis = { index = 90.0 }\n', encoding="utf-8")
    assert main(["due", DEMO, "--records", str(p), "--as-of", "2026-01-01"]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "recorded[0]" in err and "statement_id" in err


def test_due_without_files_reads_the_deal_book(capsys, tmp_path, monkeypatch):
    # no DEAL_FILE: the deal book; an empty (not migrated) one is refused with the advice to upgrade
    monkeypatch.setenv("DCSLL_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    assert main(["due", "--as-of", "2026-01-01"]) == 2
    assert "dcsll db upgrade" in capsys.readouterr().err
