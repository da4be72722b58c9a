"""Benchmark of the Streamlit app through ``streamlit.testing.v1.AppTest`` (a plain script; prints figures).

Targets (issue 7): the first render of a page ≤ 5 s from a cold start; a rerun after a widget change on the
deal designer ≤ 0.5 s for the demo deal.

* **Cold start**: each page is rendered in a fresh Python process, as the role that opens it, on a fresh
  SQLite deal book (so the first render also migrates and seeds the demo data). Measured from the first line
  of the child process (before Streamlit is imported) to the end of the page's first run.
* **Rerun**: in one process, after the designer has rendered once, one widget is changed and the script rerun
  (the median of ``--repeat`` changes, alternating between two values so every run is a real change).

AppTest runs the script in-process without a browser, so these figures bound the Python side of a render;
the browser adds its own drawing time.

Usage::

    python bench/bench_app.py [--repeat 7] [--cold 1] [--pages portfolio,deal_designer,...]

``--cold N`` renders each page N times from a cold start (each in a fresh process and deal book) and reports
the median and the spread: on a shared, loaded machine one cold start varies by a factor of two.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_RENDER_TARGET_S = 5.0
RERUN_TARGET_S = 0.5
#: page file stem → role that opens it
PAGES = {
    "portfolio": "credit_officer",
    "deal_designer": "credit_officer",
    "facility_score": "credit_officer",
    "simulator": "operator",
    "data_submission": "operator",
    "verification": "verifier",
    "methodology": "reader",
}

_CHILD = r'''
import time
t0 = time.perf_counter()
import json, sys
sys.path.insert(0, {root!r})
from streamlit.testing.v1 import AppTest
from app_support import identity
from app_support.pages import pages_for

role, page = {role!r}, {page!r}
username = identity.DEMO_USERS[role][1] if role in identity.DEMO_USERS else "reader"
user = identity.User(name="bench", role=role, mode="demo", username=username)
identity.current_user = lambda label=None: user
at = AppTest.from_file({app!r}, default_timeout=120)
at.session_state["lang"] = "en"
at.run()
first_page = pages_for(role)[0].path
if first_page != "app_pages/" + page + ".py":
    at.switch_page("app_pages/" + page + ".py").run()
t1 = time.perf_counter()
print(json.dumps({{"first": t1 - t0, "exception": [str(e.message) for e in at.exception]}}))
'''

_RERUN = r'''
import time, json, statistics, sys
sys.path.insert(0, {root!r})
from streamlit.testing.v1 import AppTest
from app_support import identity

user = identity.User(name="bench", role="credit_officer", mode="demo", username="credit")
identity.current_user = lambda label=None: user
at = AppTest.from_file({app!r}, default_timeout=120)
at.session_state["lang"] = "en"
at.run()
at.switch_page("app_pages/deal_designer.py").run()
w = next(n for n in at.number_input if n.label.lower().startswith("margin"))  # the loan margin [bp]
base = w.value
step = w.step or 1
times = []
for k in range({repeat}):
    w = at.number_input(key=w.key)
    w.set_value(base + step if k % 2 == 0 else base)
    t = time.perf_counter()
    at.run()
    times.append(time.perf_counter() - t)
print(json.dumps({{"widget": w.label, "key": w.key, "median": statistics.median(times), "max": max(times),
                  "exception": [str(e.message) for e in at.exception]}}))
'''


def _child(code: str, db: str) -> dict:
    env = dict(os.environ, DCSLL_DATABASE_URL=f"sqlite:///{db}", PYTHONPATH=str(ROOT), DCSLL_DEMO="1")  # demo deal book
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"benchmark child failed:\n{out.stderr[-3000:]}")
    return json.loads(lines[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7, help="widget changes on the designer (median reported)")
    ap.add_argument("--cold", type=int, default=1, help="cold starts per page (median reported)")
    ap.add_argument("--pages", default=",".join(PAGES), help="comma-separated page stems")
    args = ap.parse_args(argv)
    app = str(ROOT / "app.py")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        print(f"first render from a cold start (fresh process and deal book; target ≤ {FIRST_RENDER_TARGET_S} s)")
        for page in args.pages.split(","):
            role = PAGES[page]
            runs = [_child(_CHILD.format(root=str(ROOT), role=role, page=page, app=app), f"{tmp}/{page}-{k}.sqlite")
                    for k in range(max(args.cold, 1))]
            first = statistics.median(r["first"] for r in runs)
            errors = sorted({e for r in runs for e in r["exception"]})
            flag = "ok" if first <= FIRST_RENDER_TARGET_S and not errors else "OVER"
            ok &= flag == "ok"
            spread = (f" (min {min(r['first'] for r in runs):.2f}, max {max(r['first'] for r in runs):.2f}, "
                      f"n {len(runs)})") if len(runs) > 1 else ""
            print(f"  {page:16s} as {role:15s} {first:6.2f} s{spread}  {flag}"
                  + (f"  exceptions: {errors}" if errors else ""))
        r = _child(_RERUN.format(root=str(ROOT), app=app, repeat=args.repeat), f"{tmp}/rerun.sqlite")
        flag = "ok" if r["median"] <= RERUN_TARGET_S and not r["exception"] else "OVER"
        ok &= flag == "ok"
        print(f"deal designer rerun after changing '{r['widget']}' (target ≤ {RERUN_TARGET_S} s): "
              f"median {r['median']:.3f} s, max {r['max']:.3f} s over {args.repeat} changes  {flag}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
