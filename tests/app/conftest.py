"""AppTest helpers: run ``app.py`` as a given role with the identity helper replaced."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
#: AppTest's per-run timeout [s]; the first run scores every shipped facility-period
TIMEOUT = 30


@pytest.fixture(scope="module", autouse=True)
def app_database(tmp_path_factory):
    """A deal book of its own for each app test module (SQLite in a temp folder, seeded with the demo data on
    the app's first use: demo mode, ``DCSLL_DEMO=1``); yields its URL. Modules do not see each other's writes;
    tests within a module that write use their own ids."""
    url = f"sqlite:///{tmp_path_factory.mktemp('appdb') / 'dcsll.sqlite'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DCSLL_DATABASE_URL", url)
        mp.setenv("DCSLL_DEMO", "1")  # demo mode: local demo sign-in and the demo deal book (app_support.identity)
        yield url


@pytest.fixture(scope="module")
def seeded(app_database):
    """The module's deal book, seeded with the demo data as on the app's first use in demo mode."""
    from common.settings import data_dir
    from store import open_store
    from store.demo import seed_demo

    s = open_store(app_database, migrate=True)
    if not s.deal_ids():
        seed_demo(s, data_dir())
    return s


def user_for(role: str):
    """The test user of ``role``: the demo user of the deal book for that role ('reader' has none)."""
    from app_support import identity

    username = identity.DEMO_USERS[role][1] if role in identity.DEMO_USERS else f"test-{role}"
    return identity.User(name=f"test {role}", role=role, mode="demo", username=username)


@pytest.fixture
def run_as(monkeypatch):
    """``run_as(role, page=None, lang="en")`` → an AppTest that has run once as that role (on that page)."""
    from app_support import identity

    def _run(role: str, page: str | None = None, lang: str = "en") -> AppTest:
        user = user_for(role)
        monkeypatch.setattr(identity, "current_user", lambda label=None: user)
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.session_state["lang"] = lang
        at.run()
        if page is not None:
            at.switch_page(page).run()
        return at

    return _run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(app_database):
    """``streamlit run app.py`` on a free localhost port (one per test module), on the test deal book; yields
    its URL."""
    from browser_util import STARTUP_TIMEOUT

    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), DCSLL_DATABASE_URL=app_database, DCSLL_DEMO="1")  # demo sign-in
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"streamlit did not start on {url}")
        time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through Playwright (module-scoped)."""
    from browser_util import CHROMIUM, CHROMIUM_ARGS

    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()
