"""A process killed in the middle of a multi-row write leaves the database as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from store.synthetic import deal_document, monthly_facility

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def _run_and_kill(url: str, what: str) -> tuple[int, int]:
    """Run the child until it is about to commit, kill it; returns the (figure, audit) row counts it saw."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(HERE / "killed_writer.py"), url, what], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("READY"), f"child did not reach the write: {line!r} {proc.stderr.read()}"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        _, figs, audits = line.split()
        return int(figs), int(audits)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_killed_facility_import_leaves_nothing(store):
    n = store.audit_count()
    figs, audits = _run_and_kill(str(store.engine.url.render_as_string(hide_password=False)), "facility")
    # inside the killed transaction: 120 periods x 14 figures + design IT power; facility + 2 + 120 audit rows
    assert (figs, audits - n) == (120 * 14 + 1, 1 + 1 + 120)
    assert "killed-dc" not in store.facility_ids()
    assert store.audit_count() == n
    with store._read() as s:
        from sqlalchemy import func, select

        from store.schema import PeriodRow

        assert s.scalar(select(func.count()).select_from(PeriodRow)) == 0
    # and the database is still writable (no lock left behind)
    store.save_facility("admin", monthly_facility("after-kill", years=1))
    assert "after-kill" in store.facility_ids()


def test_killed_deal_update_leaves_the_old_version(store):
    store.save_facility("admin", monthly_facility("base-dc", years=1))
    store.save_deal("credit", deal_document("kill-deal", "base-dc", amount=1.0e9))
    n = store.audit_count()
    _, audits = _run_and_kill(str(store.engine.url.render_as_string(hide_password=False)), "deal")
    assert audits == n + 1
    info = store.deal("kill-deal")
    assert (info.amount, info.version) == (1.0e9, 1)
    assert store.audit_count() == n
    store.save_deal("credit", deal_document("kill-deal", "base-dc", amount=2.0e9), expected_version=1)
    assert store.deal("kill-deal").version == 2
