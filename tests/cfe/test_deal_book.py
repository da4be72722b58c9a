"""Interval data in the deal book (migration 0004_intervals) and ``dcsll cfe --facility ID --period P``."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from dcsll.cli import main
from index.cfe import validate_intervals
from tests.cfe.conftest import em_grid, long_frame

FACILITY = """[facility]
id = "cfe-dc"
name = "CFE test data centre"
province = "yunnan"
computing_type = "general"
lifecycle_stage = "operation"
[[periods]]
label = "2025-07-01"
start = 2025-07-01
end = 2025-07-01
total_energy_kwh = 241
direct_supply_kwh = 160
"""


def _frame(load=10.0):
    # 24 h in CST: load 10 kWh, PPA 20 kWh in local hours 8–15 (Σ load 240, Σ PPA 160)
    return long_frame("2025-07-01T00:00:00+08:00", {
        "load": [load] * 24, "ppa": [20.0 if 8 <= h <= 15 else 0.0 for h in range(24)]}, meter="M1")


@pytest.fixture
def book(tmp_path, monkeypatch):
    from index.models import load_facility
    from store import open_store

    url = f"sqlite:///{tmp_path / 'book.sqlite'}"
    monkeypatch.setenv("DCSLL_DATABASE_URL", url)
    st = open_store(url, migrate=True)
    st.bootstrap_admin("admin")
    st.add_user("admin", "op", ["operator"])
    st.add_user("admin", "op2", ["operator"])
    st.add_user("admin", "verifier", ["verifier"])
    fac = tmp_path / "fac.toml"
    fac.write_text(FACILITY)
    st.save_facility("admin", load_facility(fac), verified_by="verifier")
    st.assign_facility("admin", "op", "cfe-dc")
    yield st
    st.close()


def test_save_versions_and_read_back(book):
    frame = _frame()
    gap = frame.drop(index=[3]).reset_index(drop=True)        # one missing hour: filled on reading, not stored
    v1 = book.save_intervals("op", "cfe-dc", "2025-07-01", validate_intervals(gap), source="iv.csv")
    assert v1 == 1
    assert book.save_intervals("op", "cfe-dc", "2025-07-01", validate_intervals(gap)) == 1   # same readings
    back = book.intervals("cfe-dc", "2025-07-01")
    assert back.frame["filled"].sum() == 1 and back.utc_offsets == ("+08:00",)
    h = back.hourly()
    assert h["load"].sum() == 240.0 and h["ppa"].sum() == 160.0
    assert book.save_intervals("op", "cfe-dc", "2025-07-01", validate_intervals(frame)) == 2
    vs = book.interval_versions("cfe-dc")
    assert [(v.version, v.rows) for v in vs] == [(1, 47), (2, 48)]
    assert vs[0].source == "iv.csv" and vs[0].completeness["load"]["filled"] == 1.0
    assert book.intervals("cfe-dc", "2025-07-01", version=1).frame["filled"].sum() == 1
    assert book.intervals("cfe-dc", "2024") is None


def test_refusals(book):
    from store.errors import ImmutableRecordError, PermissionDenied

    with pytest.raises(PermissionDenied):
        book.save_intervals("op2", "cfe-dc", "2025-07-01", validate_intervals(_frame()))
    bad = _frame()
    bad.loc[5, "kwh"] = -1.0
    with pytest.raises(Exception, match="negative reading"):
        book.save_intervals("op", "cfe-dc", "2025-07-01", validate_intervals(bad))
    assert book.interval_versions("cfe-dc") == []
    book.save_intervals("op", "cfe-dc", "2025-07-01", validate_intervals(_frame()))
    with pytest.raises((ImmutableRecordError, Exception), match="immutable|versioned"):
        with book.engine.begin() as conn:
            conn.execute(text("UPDATE interval_series SET rows = 0"))


def test_cli_deal_book_form_matches_file_form(book, tmp_path, capsys):
    iv = tmp_path / "iv.csv"
    _frame().to_csv(iv, index=False)
    grid = tmp_path / "grid.csv"
    em_grid("2025-06-30 16:00:00", [40.0] * 24).to_csv(grid, index=False)
    fac = tmp_path / "fac.toml"
    assert main(["cfe", str(iv), "--grid", str(grid), "--bills", str(fac), "--bill-period", "2025-07-01",
                 "--json"]) == 0
    file_form = json.loads(capsys.readouterr().out)
    assert main(["cfe", "--facility", "cfe-dc", "--period", "2025-07-01", "--grid", str(grid), "--json"]) == 2
    assert "no interval data in the deal book" in capsys.readouterr().err
    assert main(["cfe", str(iv), "--facility", "cfe-dc", "--period", "2025-07-01", "--save", "--as", "op",
                 "--grid", str(grid), "--json"]) == 0
    book_form = json.loads(capsys.readouterr().out)
    for k in ("cfe_score", "hourly_matched_share", "annual_volumetric_share", "hours", "reconciliation",
              "completeness", "loan_grade"):
        assert book_form[k] == file_form[k], k
    # CFE = (80 + 0.4 · 160) / 240 = 0.6 (as in test_cli)
    assert book_form["cfe_score"] == pytest.approx(0.6)
    # without a grid option, a Chinese facility falls back to its province's annual share (Yunnan)
    assert main(["cfe", "--facility", "cfe-dc", "--period", "2025-07-01"]) == 0
    out = capsys.readouterr().out
    assert "grid basis: annual" in out and "yunnan" in out


def test_schema_head_is_0004(book):
    from sqlalchemy import inspect

    from store import db

    assert db.head_revision() == db.HEAD_REVISION  # issue 13: 0007_verified_guard; issue 14: 0008_gec_lots
    assert "interval_series" in inspect(book.engine).get_table_names()
