"""Benchmark: issue signed statements (render + attach + certify) and check them.

Targets (issue 5): one signed statement in <= 1 s; 100 statements in <= 60 s.

Run from the repository root:

    DCSLL_HOME=$(mktemp -d) python bench/bench_statements.py [--n 100]

The first statement includes importing reportlab/pyHanko and parsing the CJK font (what a CLI call
pays); the demo signing identity is created beforehand and not timed.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100)
    args = ap.parse_args()
    os.environ.setdefault("DCSLL_HOME", tempfile.mkdtemp(prefix="dcsll-bench-"))

    from finance.statement import load_statement_data
    from finance.statement_sign import load_identity

    identity = load_identity(None)  # creates the demo key once, not timed
    base = load_statement_data("data/statements/sample_statement.toml")

    t0 = time.perf_counter()
    from finance.statement_sign import issue_statement, verify_statement

    _, pdf = issue_statement(base, identity)
    first = time.perf_counter() - t0
    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)

    t0 = time.perf_counter()
    _, pdf = issue_statement(base, identity)
    one = time.perf_counter() - t0

    out = Path(tempfile.mkdtemp(prefix="dcsll-bench-out-"))
    t0 = time.perf_counter()
    for i in range(args.n):
        st = base.model_copy(update={"statement_id": f"VS-BENCH-{i:04d}"})
        _, pdf = issue_statement(st, identity)
        (out / f"s{i:04d}.pdf").write_bytes(pdf)
    many = time.perf_counter() - t0

    t0 = time.perf_counter()
    rep = verify_statement(out / "s0000.pdf")
    check = time.perf_counter() - t0

    print(f"pages per statement: {pages}, size {len(pdf):,} bytes")
    print(f"first signed statement (imports + font load): {first:.3f} s   target <= 1 s")
    print(f"one signed statement (warm):                   {one:.3f} s   target <= 1 s")
    print(f"{args.n} signed statements:                       {many:.2f} s   target <= 60 s")
    print(f"verify one statement:                          {check:.3f} s   ({rep.status})")
    ok = first <= 1.0 and one <= 1.0 and (args.n != 100 or many <= 60.0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
