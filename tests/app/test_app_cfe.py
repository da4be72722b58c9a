"""Interval data on Data submission (operator) and on Verification (verifier), issue 15 (AppTest).

The operator's test uses a facility of its own (``test-cfe-app``: one day, 2025-07-01, with bills of
241 kWh total and 160 kWh PPA), created in the app's deal book as the demo administrator.
"""

from __future__ import annotations

import tomllib

import pytest

from index.models import facility_from_dict
from tests.cfe.conftest import long_frame
from tests.cfe.test_deal_book import FACILITY

UPLOAD = "app_pages/data_submission.py"
VER = "app_pages/verification.py"
FID = "test-cfe-app"


def _book():
    from app_support.store import app_store

    return app_store()


def _facility() -> None:
    book = _book()
    if FID not in book.facility_ids():
        book.save_facility("admin", facility_from_dict(tomllib.loads(FACILITY.replace('"cfe-dc"', f'"{FID}"'))),
                           file="test", verified_by="verifier")
    book.assign_facility("admin", "operator", FID)


def _csv(load: float = 10.0) -> bytes:
    frame = long_frame("2025-07-01T00:00:00+08:00", {
        "load": [load] * 24, "ppa": [20.0 if 8 <= h <= 15 else 0.0 for h in range(24)]}, meter="M1")
    return frame.to_csv(index=False).encode()


def _open(run_as, data: bytes):
    _facility()
    at = run_as("operator", UPLOAD)
    at.selectbox(key="cfe_facility_en").set_value(FID).run()
    at.file_uploader(key="cfe_file").upload("iv.csv", data, "text/csv")
    return at.run()


def test_operator_uploads_sees_report_and_saves(run_as):
    at = _open(run_as, _csv())
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    # 24 h: load 10 kWh, PPA 20 kWh in 8 local hours → hourly matched 80/240 = 33.3 %, volumetric 160/240
    assert metrics["Hourly matched share"] == "33.3%"
    assert metrics["Annual volumetric share"] == "66.7%"
    assert any("Grid basis: annual" in c.value for c in at.caption)
    recon = next(d.value for d in at.dataframe if "Bill [kWh]" in d.value.columns)
    assert recon["Within tolerance"].all() and list(recon["Channel"]) == ["Facility load", "PPA / direct supply"]
    # 240 kWh of intervals vs 241 kWh billed: −1 kWh, |−1| / 241 = 0.415 % (per cent, 3 decimals), tolerance 1 %
    assert list(recon["Difference [kWh]"]) == [-1.0, 0.0]
    assert recon["Difference [%]"].iloc[0] == pytest.approx(100 / 241, abs=0.0005)
    assert list(recon["Tolerance [%]"]) == [1.0, 1.0]
    from app_support.tables import table_problems

    mine = [d.value for d in at.dataframe if {"Channel", "Bill [kWh]", "Measured [%]"} & set(d.value.columns)]
    assert len(mine) == 2  # completeness and reconciliation (no gap-fill in this file)
    for table in mine:
        assert table_problems(table) == []
    assert _book().interval_versions(FID) == []          # nothing saved before the button
    at.button(key="cfe_save").click().run()
    assert not at.exception
    assert [v.version for v in _book().interval_versions(FID, "2025-07-01")] == [1]
    per = _book().load_facility(FID).period("2025-07-01")
    assert per.hourly_matched_share.value == 80 / 240 and per.hourly_matched_share.status == "reported"
    assert any("Saved as version 1" in s.value for s in at.success)


def test_bad_interval_file_lists_failures_and_saves_nothing(run_as):
    bad = _csv().replace(b",10.0,M1\n", b",-10.0,M1\n", 1)
    before = len(_book().interval_versions(FID)) if FID in _book().facility_ids() else 0
    at = _open(run_as, bad)
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Reason" in d.value.columns and "Meter" in d.value.columns)
    assert table.loc[0, "Row"] == 1 and "negative reading" in table.loc[0, "Reason"]
    assert len(_book().interval_versions(FID)) == before


def test_verifier_sees_stored_interval_data(run_as):
    at = run_as("verifier", VER)
    fid = _book().load_deal_document(at.selectbox(key="ver_deal").value)["facility"]
    period = at.selectbox(key="ver_period").value
    frame = long_frame("2025-07-01T00:00:00+08:00", {"load": [1000.0] * 24}, meter="M1")
    from index.cfe import validate_intervals

    _book().save_intervals("admin", fid, period, validate_intervals(frame), source="day.csv")
    at.run()
    assert not at.exception
    assert any("Version 1: 24 readings" in c.value and "day.csv" in c.value for c in at.caption)
    # one day of readings against the year's bills: the reconciliation failure is shown to the verifier
    assert any("beyond the 1.0% tolerance" in e.value for e in at.error)
