"""AppTest helpers: run ``app.py`` as a given role with the identity helper replaced."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
#: AppTest's per-run timeout [s]; the first run scores every shipped facility-period
TIMEOUT = 30


@pytest.fixture
def run_as(monkeypatch):
    """``run_as(role, page=None, lang="en")`` → an AppTest that has run once as that role (on that page)."""
    from app_support import identity

    def _run(role: str, page: str | None = None, lang: str = "en") -> AppTest:
        user = identity.User(name=f"test {role}", role=role, mode="demo")
        monkeypatch.setattr(identity, "current_user", lambda label=None: user)
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.session_state["lang"] = lang
        at.run()
        if page is not None:
            at.switch_page(page).run()
        return at

    return _run
