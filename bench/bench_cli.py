"""Start-up time of the command line (issue 11). Run: ``python bench/bench_cli.py [--runs 5]``.

Target on the 2-core reference machine: ``dcsll --help`` and ``dcsll score data/facilities/demo-zjk-hyperscale.toml``
each ≤ 1 s wall clock, cold process, median of the runs (CPU time and the load average printed beside it: on a
machine shared with other work the wall time includes waiting for a core). Also prints ``dcsll score --facility
ID`` (the deal-book form: opening the deal book adds SQLAlchemy and Alembic) for information, on a demo deal book
seeded in a temporary folder. Then one ``python -X importtime`` run of the score command lists where the start-up
goes: the slowest modules by cumulative import time, and the self time summed per top-level package. Prints the
figures; exit code 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import collections
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
COMMANDS = {
    "dcsll --help": ["--help"],
    f"dcsll score {FACILITY}.toml": ["score", str(ROOT / "data" / "facilities" / f"{FACILITY}.toml")],
}
#: measured for information (no target): the same score from the deal book
BOOK_COMMAND = (f"dcsll score --facility {FACILITY} (deal book)", ["score", "--facility", FACILITY])


def _line(label: str, times: list[float], cpu: list[float], target: float | None) -> str:
    med = statistics.median(times)
    spread = ", ".join(f"{t * 1000:.0f}" for t in sorted(times))
    verdict = "(information)" if target is None else \
        f"target ≤ {target * 1000:.0f} ms  {'ok' if med <= target else 'MISSED'}"
    return (f"{label:<56} median {med * 1000:6.0f} ms  (runs: {spread} ms; CPU median "
            f"{statistics.median(cpu) * 1000:.0f} ms)  {verdict}")


def _env(home: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), DCSLL_HOME=home)
    env["DCSLL_DATABASE_URL"] = f"sqlite:///{home}/dcsll.sqlite"
    return env


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def wall_clock(args: list[str], runs: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (user + system) seconds of ``python -m dcsll ARGS`` in a new process, ``runs`` times.

    The CPU time tells a slow machine from a slow program: on a loaded machine the wall clock grows, the CPU time
    hardly does.
    """
    wall, cpu = [], []
    for _ in range(runs):
        c0, t0 = _children_cpu(), time.perf_counter()
        subprocess.run([sys.executable, "-m", "dcsll", *args], cwd=ROOT, env=env, check=True, capture_output=True)
        wall.append(time.perf_counter() - t0)
        cpu.append(_children_cpu() - c0)
    return wall, cpu


def import_profile(args: list[str], env: dict[str, str]) -> list[tuple[str, int, int]]:
    """(module, self µs, cumulative µs) of every import of one ``python -X importtime -m dcsll ARGS`` run."""
    res = subprocess.run([sys.executable, "-X", "importtime", "-m", "dcsll", *args], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True)
    rows = []
    for line in res.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, name = line.removeprefix("import time:").split("|")
        rows.append((name.strip(), int(self_us), int(cum_us)))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per command (median reported)")
    ns = ap.parse_args()
    ok = True
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="dcsll-bench-cli-") as home:
        env = _env(home)
        for label, args in COMMANDS.items():
            times, cpu = wall_clock(args, ns.runs, env)
            ok &= statistics.median(times) <= TARGET_S
            print(_line(label, times, cpu, TARGET_S))
        subprocess.run([sys.executable, "-m", "dcsll", "db", "seed-demo"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        print(_line(BOOK_COMMAND[0], *wall_clock(BOOK_COMMAND[1], ns.runs, env), None))
        rows = import_profile(COMMANDS[f"dcsll score {FACILITY}.toml"], env)
    total = sum(s for _, s, _ in rows)
    print(f"\nimports of `dcsll score`: {len(rows)} modules, {total / 1000:.0f} ms in total (one run, -X importtime)")
    print("slowest modules, cumulative (includes what they import):")
    for name, _, cum in sorted(rows, key=lambda r: -r[2])[:12]:
        print(f"  {cum / 1000:7.1f} ms  {name}")
    per_pkg: collections.Counter[str] = collections.Counter()
    for name, self_us, _ in rows:
        per_pkg[name.split(".")[0]] += self_us
    print("self time per top-level package:")
    for pkg, us in per_pkg.most_common(10):
        print(f"  {us / 1000:7.1f} ms  {pkg}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
