"""The app's CFE helpers (app_support.cfe) without a browser: upload evaluation, heatmap and monthly frames."""

from __future__ import annotations

import tomllib

import pytest

from index.models import facility_from_dict
from tests.cfe.conftest import long_frame
from tests.cfe.test_deal_book import FACILITY


@pytest.fixture
def fac():
    return facility_from_dict(tomllib.loads(FACILITY))


def _csv(load=10.0) -> bytes:
    frame = long_frame("2025-07-01T00:00:00+08:00", {
        "load": [load] * 24, "ppa": [20.0 if 8 <= h <= 15 else 0.0 for h in range(24)]}, meter="M1")
    return frame.to_csv(index=False).encode()


def test_upload_evaluated_against_stored_bills(fac):
    from app_support.cfe import evaluate_upload, heatmap_frame, monthly_frame

    data, rep, failures = evaluate_upload("iv.csv", _csv(), fac, "2025-07-01")
    assert failures == []
    # bills: total 241 kWh vs 240 (0.41 %), PPA 160 vs 160; grid: Yunnan 2023 annual share (fallback)
    assert rep.reconciliation["ok"].all() and len(rep.reconciliation) == 2
    assert rep.result.grid_basis == "annual" and rep.result.hourly_matched_share == pytest.approx(80 / 240)
    hm = heatmap_frame(rep.result, "Asia/Shanghai")
    assert len(hm) == 24
    assert hm.set_index("hour")["matched"].to_dict() == {h: (1.0 if 8 <= h <= 15 else 0.0) for h in range(24)}
    mo = monthly_frame(rep.result, "Asia/Shanghai").set_index("kind")["kwh"]
    assert (mo["matched"], mo["unmatched"]) == (80.0, 160.0)


def test_upload_failures_listed_by_row(fac):
    from app_support.cfe import FAILURE_COLUMNS, evaluate_upload

    bad = _csv().replace(b",10.0,M1\n", b",-10.0,M1\n", 1)
    data, rep, failures = evaluate_upload("iv.csv", bad, fac, "2025-07-01")
    assert rep is None
    assert list(failures[0]) == FAILURE_COLUMNS
    assert (failures[0]["row"], failures[0]["field"]) == (1, "kwh")
    # the refused reading leaves its hour empty: reported as a gap at the start of the window, not filled
    assert [f["field"] for f in failures] == ["kwh", "gap"] and "at the start of the window" in failures[1]["reason"]
    # a bill beyond tolerance is a failure too (load 12 kWh → 288 vs 241 kWh)
    _, rep, failures = evaluate_upload("iv.csv", _csv(12.0), fac, "2025-07-01")
    assert rep is None and "beyond the 1.0% tolerance" in failures[0]["reason"]
