"""No page shows a traceback for any deal or facility of a seeded deal book (issue 11): every page × every
deal (designer, simulator, verification) and every facility (score, verification, data entry) renders without
an exception element; what is missing is a guided message instead."""

from __future__ import annotations

import pytest

DEAL_PAGES = {  # page, role, selector key
    "designer": ("app_pages/deal_designer.py", "credit_officer", "dz_book_id"),
    "simulator": ("app_pages/simulator.py", "credit_officer", "sim_deal"),
    "verification": ("app_pages/verification.py", "verifier", "ver_deal"),
}


def _book():
    from app_support.store import app_store

    return app_store()


def test_seeded_book_has_the_demo_deals(seeded):
    # data/deals holds three deals; the seed loads each of them
    assert set(seeded.deal_ids()) >= {"demo-zjk-sll-2025", "sll-alibaba-usd-2026", "sll-horinger-cluster-2024"}


@pytest.mark.parametrize("page", sorted(DEAL_PAGES))
def test_no_page_raises_for_any_deal(run_as, seeded, page):
    path, role, key = DEAL_PAGES[page]
    for deal_id in seeded.deal_ids():
        at = run_as(role, path)
        assert not at.exception, (page, at.exception)
        box = at.selectbox(key=key)
        if deal_id not in box.options:  # e.g. verification lists only deals with an observation period
            assert page == "verification"
            continue
        box.set_value(deal_id).run()
        assert not at.exception, (page, deal_id, [e.message for e in at.exception])


def test_verification_of_a_deal_without_a_baseline_guides_instead_of_raising(run_as, seeded):
    """sll-horinger-cluster-2024 observes 2025 of a facility with no earlier verified period: the page says
    what to do (verify an earlier period) instead of showing build_statement's InputError as a traceback."""
    at = run_as("verifier", "app_pages/verification.py")
    at.selectbox(key="ver_deal").set_value("sll-horinger-cluster-2024").run()
    assert not at.exception
    assert any("has no verified period that ends before 2025 starts" in w.value for w in at.warning)
    assert not any(b.key == "ver_issue" for b in at.button)  # nothing to issue without a baseline


@pytest.mark.parametrize("page,role,key", [
    ("app_pages/facility_score.py", "credit_officer", "score_facility_en"),
    ("app_pages/verification.py", "verifier", "ver_facility"),
])
def test_no_page_raises_for_any_facility(run_as, seeded, page, role, key):
    for fid in seeded.facility_ids():
        at = run_as(role, page)
        if page.endswith("verification.py"):
            at.radio(key="ver_scope").set_value("facility").run()
        at.selectbox(key=key).set_value(fid).run()
        assert not at.exception, (page, fid, [e.message for e in at.exception])


def test_portfolio_and_methodology_render_over_the_whole_book(run_as, seeded):
    for page, role in (("app_pages/portfolio.py", "credit_officer"), ("app_pages/methodology.py", "admin")):
        at = run_as(role, page)
        assert not at.exception, (page, [e.message for e in at.exception])


def test_a_facility_created_in_the_book_is_on_the_score_page_and_in_the_designer(run_as, seeded):
    """A facility that exists only in the deal book (no file in data/facilities) is listed and scored."""
    from index.engine import score
    from index.methodology import load_methodology

    fac = seeded.load_facility("demo-zjk-hyperscale").model_copy(update={"id": "test-book-only", "name": "Book only"})
    seeded.save_facility("admin", fac, verified_by="verifier")  # its verified periods carry the verifier's word
    at = run_as("credit_officer", "app_pages/facility_score.py")
    at.selectbox(key="score_facility_en").set_value("test-book-only").run()
    at.selectbox(key="score_period").set_value("2024").run()
    assert not at.exception
    expected = score(seeded.load_facility("test-book-only"), "2024", load_methodology())
    assert float(next(m.value for m in at.metric if m.label == "Total")) == pytest.approx(expected.total, abs=0.005)
    at = run_as("credit_officer", "app_pages/deal_designer.py")
    at.radio(key="dz_mode").set_value("new").run()
    assert "Book only (test-book-only)" in at.selectbox(key="dz_new_facility").options
