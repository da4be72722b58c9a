"""Render budget of issue 7: first render ≤ 5 s (cold caches), rerun ≤ 0.5 s, per page, through AppTest.

AppTest runs the script in-process without a browser, so this bounds the Python side of a render.
"""

from __future__ import annotations

import time

import pytest
import streamlit as st

#: issue 7 budgets [s]
FIRST_RENDER_S = 5.0
RERUN_S = 0.5
PAGES = {
    "app_pages/facility_score.py": "credit_officer",
    "app_pages/deal.py": "credit_officer",
    "app_pages/data_submission.py": "operator",
    "app_pages/methodology.py": "verifier",
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_first_render_and_rerun_within_budget(run_as, page):
    st.cache_data.clear()
    t0 = time.perf_counter()
    at = run_as(PAGES[page], page)
    first = time.perf_counter() - t0
    assert not at.exception
    t0 = time.perf_counter()
    at.run()
    rerun = time.perf_counter() - t0
    print(f"{page}: first {first:.2f} s, rerun {rerun:.3f} s")
    assert first <= FIRST_RENDER_S
    assert rerun <= RERUN_S
