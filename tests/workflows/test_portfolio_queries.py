"""The portfolio reads the deal book in a fixed number of queries, whatever the number of deals (no N+1).

Counted with SQLAlchemy's ``before_cursor_execute`` event on the store's engine: a book of 2 deals and one of 12
deals (same facility and terms, data/deals/demo-zjk-sll-2025.toml) must take the same number of statements, and
a second call (deal versions and scored periods already known) must not read documents or figures again.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

from sqlalchemy import event

import workflows
from index.models import load_facility
from store.bookview import book_view

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 11, 21)


def _book(path, n: int):
    from finance.deal_book import deal_validator
    from store import open_store

    st = open_store(f"sqlite:///{path}", migrate=True, deal_validator=deal_validator())
    st.bootstrap_admin("admin")
    st.add_user("admin", "credit", ["credit_officer"])
    st.add_user("admin", "ver", ["verifier"])
    st.save_facility("admin", load_facility(ROOT / "data/facilities/demo-zjk-hyperscale.toml"), verified_by="ver")
    doc = tomllib.loads((ROOT / "data/deals/demo-zjk-sll-2025.toml").read_text(encoding="utf-8"))
    for i in range(n):
        st.save_deal("credit", {**doc, "id": f"q-{i:02d}"})
    return st


def _count(st, fn) -> list[str]:
    seen: list[str] = []

    def on(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(st.engine, "before_cursor_execute", on)
    try:
        fn()
    finally:
        event.remove(st.engine, "before_cursor_execute", on)
    return [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def test_same_queries_for_2_and_12_deals(tmp_path):
    small, large = _book(tmp_path / "s.sqlite", 2), _book(tmp_path / "l.sqlite", 12)
    q_small = _count(small, lambda: book_view(small, "credit", AS_OF))
    q_large = _count(large, lambda: book_view(large, "credit", AS_OF))
    assert len(q_small) == len(q_large) <= 15  # users and roles, deals, documents, SPTs, records, changes, ...
    view = book_view(large, "credit", AS_OF)
    assert len(view.deals) == 12 and set(view.facilities) == {"demo-zjk-hyperscale"}


def test_known_versions_and_periods_are_not_read_again(tmp_path):
    st = _book(tmp_path / "b.sqlite", 3)
    workflows.portfolio.clear_cache()
    first = _count(st, lambda: workflows.portfolio_of(st, AS_OF, actor="credit"))
    again = _count(st, lambda: workflows.portfolio_of(st, AS_OF, actor="credit"))
    assert any("figures" in q and "restates_id" in q for q in first)       # figures read once...
    assert not any("figures.field" in q for q in again)                      # ...not on the second call
    assert sum("deals.document" in q for q in again) == 0 < sum("deals.document" in q for q in first)
