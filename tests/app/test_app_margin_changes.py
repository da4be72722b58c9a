"""Margin changes page (issue 12): a credit officer prepares the change the record gives, the preparer cannot
approve it (button disabled, the store refuses anyway), a second credit officer approves, the notice downloads.

Hand figures (demo deal, data/deals/demo-zjk-sll-2025.toml): no certificate for 2025 by its due date 2026-04-30 →
all SPTs missed, +10 bp (cap 10) on the contractual 30 bp = 40 bp, effective 5 business days after the due date
on the Chinese calendar (1–5 May 2026 holiday, Sat 9 May a working day → 6, 7, 8, 9, 11 May) = 2026-05-11.
"""

from __future__ import annotations

import datetime as dt

import pytest

PAGE = "app_pages/margin_changes.py"
DEMO = "demo-zjk-sll-2025"


@pytest.fixture
def own_book(tmp_path, monkeypatch):
    monkeypatch.setenv("DCSLL_DATABASE_URL", f"sqlite:///{tmp_path / 'book.sqlite'}")
    monkeypatch.setenv("DCSLL_HOME", str(tmp_path / "home"))
    return tmp_path


def test_prepare_then_second_officer_approves_and_notice(run_as, own_book, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from app_support import identity
    from app_support.store import app_store
    from tests.app.conftest import APP, TIMEOUT

    at = run_as("credit_officer", PAGE)
    at.date_input(key="mc_as_of").set_value(dt.date(2026, 6, 1)).run()
    at.selectbox(key="mc_deal").set_value(DEMO).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.button(key="mc_prepare").click().run()
    (c,) = app_store().margin_change_records(DEMO)
    assert (c.kind, c.state, c.effective_date) == ("reporting_failure", "prepared", dt.date(2026, 5, 11))
    assert (c.margin_before_bp, c.margin_after_bp) == (30.0, 40.0)
    assert at.button(key=f"mc_approve_{c.id}").disabled          # the preparer cannot approve

    # the demo book's second credit officer (store.demo.DEMO_USERS) approves
    other = identity.User(name="second officer", role="credit_officer", mode="demo", username="credit2")
    monkeypatch.setattr(identity, "current_user", lambda label=None: other)
    at2 = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at2.session_state["lang"] = "en"
    at2.run()
    at2.switch_page(PAGE).run()
    at2.date_input(key="mc_as_of").set_value(dt.date(2026, 6, 1)).run()
    at2.selectbox(key="mc_deal").set_value(DEMO).run()
    at2.button(key=f"mc_approve_{c.id}").click().run()
    assert not at2.exception and not at2.error, [e.value for e in at2.error]
    c = app_store().margin_change_record(c.id)
    assert (c.state, c.prepared_by, c.decided_by) == ("approved", "credit", "credit2")
    at2.button(key="mc_notice_2025-12-31").click().run()
    (n,) = app_store().notices(DEMO)
    assert (n.document["old_margin_bp"], n.document["new_margin_bp"]) == (30.0, 40.0)
    assert n.document["prepared_by"] == "credit" and n.document["approved_by"] == ["credit2"]
    assert at2.get("download_button")[0].proto.label.startswith("Download notice MCN-")
    # the portfolio's margin in force now comes from the record: 40 bp on 2026-06-01 (the approved step-up)
    from app_support import portfolio as P

    pf = P.load_portfolio(app_store(), "credit", dt.date(2026, 6, 1))
    row = pf.frame.set_index("deal_id").loc[DEMO]
    assert (row["margin_bp"], row["adjustment_bp"], row["margin_source"]) == (40.0, 10.0, "record")


def test_portfolio_flags_reported_figures_as_indicative(own_book):
    """The demo facility's 2025 period is *reported* (data/facilities/demo-zjk-hyperscale.toml, status =
    "reported"): on 2026-06-01 the portfolio row rests on it and says so."""
    from app_support import portfolio as P
    from app_support.store import app_store

    row = P.load_portfolio(app_store(), "credit", dt.date(2026, 6, 1)).frame.set_index("deal_id").loc[DEMO]
    assert (row["period"], row["period_status"], row["indicative"]) == ("2025", "reported", True)
