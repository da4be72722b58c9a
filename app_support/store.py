"""The app's connection to the deal book (:mod:`store`), opened once per process.

Database: ``$DCSLL_DATABASE_URL`` or, when unset, the embedded SQLite file of :func:`store.db.default_url`.
On first use the database is migrated. Only in demo mode (``DCSLL_DEMO=1``, :func:`app_support.identity.
demo_requested`) the deal book must have been created as a demo (:func:`store.demo.claim_demo` marks an empty
one, refuses any other with :class:`store.demo.NotADemoDealBook`) and, when it holds no deal yet, it is seeded
with the release's demo data (:func:`store.demo.seed_demo`). Without demo mode nothing is ever seeded.

Pages call :func:`app_store` and act as :func:`actor` (the signed-in user's store username); the store
enforces the roles itself (``PermissionDenied``), the navigation only hides what a role cannot use.
"""

from __future__ import annotations

import os

import streamlit as st

from app_support.pages import USER_KEY
from finance.deal_book import deal_validator
from store import db, open_store
from store.demo import claim_demo, seed_demo


def database_url() -> str:
    """``$DCSLL_DATABASE_URL`` or the per-user SQLite file (normalised, see :mod:`store.db`)."""

    return db.normalise_url(os.environ.get("DCSLL_DATABASE_URL") or db.default_url())


@st.cache_resource(show_spinner="正在打开贷款台账… / Opening the deal book…")
def _open(url: str):
    s = open_store(url, migrate=True, deal_validator=deal_validator())
    # cycle: app_support.identity imports app_store from here to look up the signed-in user's roles
    from app_support.identity import demo_requested  # noqa: PLC0415

    if demo_requested():
        try:
            claim_demo(s)  # a deal book not created as a demo is refused, whatever it holds
            if not s.deal_ids():
                seed_demo(s)  # the release's demo facilities and deals
        except Exception:
            s.close()  # not cached: the next run tries again (and shows the same error)
            raise
    return s


def app_store():
    """The deal book of this app process (:class:`store.Store`), migrated and seeded on first use.

    Raises
    ------
    store.demo.NotADemoDealBook
        Demo mode and a deal book that was not created as a demo (nothing is seeded).
    store.StoreError
        The database cannot be opened or migrated.
    index.errors.InputErrors
        A shipped demo file is invalid (first run only).
    """
    return _open(database_url())


def actor() -> str:
    """Store username of the signed-in user (session state, set by ``app.py``).

    Raises
    ------
    RuntimeError
        Nobody is signed in (``app.py`` stops before any page runs in that case).
    """

    user = st.session_state.get(USER_KEY)
    if user is None:
        raise RuntimeError("no signed-in user")
    return user.username
