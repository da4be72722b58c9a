"""Which pages exist and which roles see them (``app.py`` builds ``st.navigation`` from this table)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from app_support.i18n import t

#: session-state key where ``app.py`` leaves the signed-in :class:`~app_support.identity.User`
USER_KEY = "dcsll_user"


@dataclass(frozen=True)
class PageSpec:
    """A page file, its title key in the catalogue, its icon and the roles that may open it."""

    path: str
    title_key: str
    icon: str
    roles: frozenset[str]


EVERYONE = frozenset({"credit_officer", "operator", "verifier", "admin", "reader"})
CREDIT = frozenset({"credit_officer", "admin"})
PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/portfolio.py", "nav.portfolio", ":material/dashboard:", CREDIT),
    PageSpec("app_pages/deal_designer.py", "nav.deal_designer", ":material/account_balance:", CREDIT),
    PageSpec("app_pages/facility_score.py", "nav.facility_score", ":material/analytics:", CREDIT),
    PageSpec("app_pages/simulator.py", "nav.simulator", ":material/query_stats:",
             frozenset({"operator", "credit_officer", "admin"})),
    PageSpec("app_pages/data_submission.py", "nav.data_submission", ":material/upload_file:",
             frozenset({"operator", "admin"})),
    PageSpec("app_pages/verification.py", "nav.verification", ":material/verified:", frozenset({"verifier"})),
    PageSpec("app_pages/margin_changes.py", "nav.margin_changes", ":material/approval:",
             frozenset({"credit_officer"})),
    PageSpec("app_pages/due_dates.py", "nav.mon.due_dates", ":material/event_upcoming:", CREDIT),
    PageSpec("app_pages/amendments.py", "nav.mon.amendments", ":material/published_with_changes:",
             frozenset({"credit_officer"})),
    # the store lets credit officers, verifiers and admins read the audit log (store.roles "audit.read")
    PageSpec("app_pages/history.py", "nav.mon.history", ":material/history:",
             frozenset({"credit_officer", "verifier", "admin"})),
    PageSpec("app_pages/methodology.py", "nav.methodology", ":material/menu_book:", EVERYONE),
)

def pages_for(role: str) -> list[PageSpec]:
    """The pages a role may open, in navigation order."""
    return [p for p in PAGES if role in p.roles]


def require(path: str) -> None:
    """Stop the page with an error unless the signed-in user's role may open ``path``.

    ``st.navigation`` already hides pages of other roles; this is the second lock for a page reached any
    other way.
    """
    spec = next(p for p in PAGES if p.path == path)
    user = st.session_state.get(USER_KEY)
    if user is None or user.role not in spec.roles:
        st.error(t("common.not_allowed"))
        st.stop()
