"""CLI start-up (issue 11). Run: ``python bench/bench_cli.py [--runs N]``.

Target on the 2-core reference machine: ``dcsll --help`` and ``dcsll score FILE`` (a shipped facility, every
period) each ≤ 1 s wall time, median of N runs in a fresh interpreter (the CPU time is printed too: on a machine shared with other work the
wall time includes waiting for a core). Also prints ``dcsll score --facility ID``
(the deal-book form: opening the deal book adds SQLAlchemy and Alembic) for information, on a demo deal book
seeded in a temporary folder. Exit code 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 1.0
FACILITY = "demo-zjk-hyperscale"


def wall(argv: list[str], env: dict, runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of the command [s]."""
    times, cpus = [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dcsll", *argv], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return statistics.median(times), statistics.median(cpus)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    n = ap.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DCSLL_HOME": tmp,
               "DCSLL_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite"}
        checks = {"dcsll --help": wall(["--help"], env, n),
                  f"dcsll score data/facilities/{FACILITY}.toml": wall(["score", f"data/facilities/{FACILITY}.toml"],
                                                                       env, n)}
        subprocess.run([sys.executable, "-m", "dcsll", "db", "seed-demo"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        book = wall(["score", "--facility", FACILITY], env, n)
    ok = True
    for what, (s, cpu) in checks.items():
        good = s <= TARGET_S
        ok &= good
        print(f"{what:<55} {s:6.3f} s wall, {cpu:6.3f} s CPU  (target ≤ {TARGET_S:g} s wall) "
              f"{'ok' if good else 'MISSED'}")
    print(f"{'dcsll score --facility ' + FACILITY + ' (deal book)':<55} {book[0]:6.3f} s wall, {book[1]:6.3f} s CPU  "
          "(information)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
