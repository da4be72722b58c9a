"""The README's first command starts the demo on 127.0.0.1 only; a plain ``streamlit run app.py`` (no flag) is
bound to 127.0.0.1 too (``.streamlit/config.toml``) and shows only the stop page (issue 13, Access).

The command is read from README.md itself (its first line after ``bash scripts/setup.sh &&``): the environment
assignments it makes and its arguments are used as written; only ``.venv/bin/streamlit`` becomes this Python's
``-m streamlit`` and a free port is added. ``DCSLL_DEMO`` is taken out of the test environment, so demo mode
comes from the README's command alone. Where the server listens is read from the kernel's table of listening
sockets (``/proc/net/tcp``, ``/proc/net/tcp6``) and checked by connecting to a non-loopback address of this
machine.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser_util import BROWSER_MARKS, STARTUP_TIMEOUT, UI_TIMEOUT_MS, settled, shot, sign_in
from conftest import ROOT, _free_port

pytestmark = BROWSER_MARKS
#: TCP state LISTEN in /proc/net/tcp (include/net/tcp_states.h: TCP_LISTEN = 10)
TCP_LISTEN = "0A"


def readme_command() -> tuple[dict[str, str], list[str]]:
    """(environment assignments, argv) of the README's first command, after ``bash scripts/setup.sh &&``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first = re.search(r"```bash\n(.*?)\n", text).group(1)
    setup, _, command = first.partition("&&")
    assert setup.strip() == "bash scripts/setup.sh", first
    words = shlex.split(command)
    env = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        k, _, v = words.pop(0).partition("=")
        env[k] = v
    return env, words


def _hex_to_ip(h: str) -> str:
    """An address of /proc/net/tcp{,6} (hex, host byte order per 32-bit word) as text."""
    raw = bytes.fromhex(h)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, words)


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port`` (IPv4 and IPv6)."""
    out = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        p = Path(table)
        if not p.exists():
            continue
        for line in p.read_text().splitlines()[1:]:
            cols = line.split()
            addr, hport = cols[1].split(":")
            if cols[3] == TCP_LISTEN and int(hport, 16) == port:
                out.add(_hex_to_ip(addr))
    return out


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine that is not the loopback (the source address of its default route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent (UDP connect only picks a route)
        except OSError:
            return None
        addr = s.getsockname()[0]
    return None if addr.startswith("127.") else addr


def _start(argv: list[str], env: dict[str, str], port: int):
    proc = subprocess.Popen(argv + ["--server.port", str(port), "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"streamlit did not start on {url}: {argv}")
        time.sleep(0.3)


def _env(app_database: str, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DCSLL_DEMO"}  # demo mode only from the command
    env.update(PYTHONPATH=str(ROOT), DCSLL_DATABASE_URL=app_database, **extra)
    return env


@pytest.fixture(scope="module")
def readme_server(app_database):
    """The README's first command on a free port; yields (url, port)."""
    assignments, words = readme_command()
    assert words[0] == ".venv/bin/streamlit", words
    port = _free_port()
    proc, url = _start([sys.executable, "-m", "streamlit", *words[1:]], _env(app_database, assignments), port)
    yield url, port
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def plain_server(app_database):
    """``streamlit run app.py`` with no flag and no DCSLL_DEMO: the defaults of .streamlit/config.toml."""
    port = _free_port()
    proc, url = _start([sys.executable, "-m", "streamlit", "run", "app.py"], _env(app_database, {}), port)
    yield url, port
    proc.terminate()
    proc.wait(timeout=10)


def test_readme_first_command_asks_for_demo_mode_on_the_loopback():
    assignments, words = readme_command()
    assert assignments == {"DCSLL_DEMO": "1"}
    assert words[words.index("--server.address") + 1] == "127.0.0.1"


@pytest.mark.parametrize("which", ["readme_server", "plain_server"])
def test_server_listens_on_127_0_0_1_only(request, which):
    url, port = request.getfixturevalue(which)
    assert listening_addresses(port) == {"127.0.0.1"}
    other = non_loopback_address()
    if other is not None:  # this machine's own non-loopback address cannot reach the app
        with pytest.raises(OSError):
            socket.create_connection((other, port), timeout=3).close()


def test_readme_command_shows_the_demo_picker_and_banner(readme_server, browser):
    url, _ = readme_server
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(url)
        sign_in(page, "admin")  # the picker offers the demo administrator
        page.get_by_text("本地演示登录").first.wait_for(timeout=UI_TIMEOUT_MS)
        assert page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").count() == 1
        # the administrator's pages (docs/app.md, Pages and roles): portfolio and data submission among them
        nav = page.locator("[data-testid='stSidebarNav']").inner_text()
        assert "贷款组合" in nav and "数据报送" in nav
        shot(page, "access-readme-demo", whole=False)
    finally:
        page.close()


def test_plain_start_shows_only_the_stop_page(plain_server, browser):
    url, _ = plain_server
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(url)
        settled(page)
        page.get_by_text("尚未配置登录").first.wait_for(timeout=UI_TIMEOUT_MS)
        assert page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").count() == 0
        assert page.locator("[data-testid='stSidebarNav']").count() == 0
        assert page.get_by_text("本地演示登录").count() == 0
        shot(page, "access-stop-page", whole=False)
    finally:
        page.close()
