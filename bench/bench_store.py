"""Benchmark of the deal book on SQLite and PostgreSQL (a plain script; prints measured figures).

Targets (issue 6): save a deal with 10 years of monthly data in ≤ 100 ms; load a portfolio summary of 1,000
deals in ≤ 1 s — on both databases.

"Save a deal with 10 years of monthly data" = one deal document plus its facility with 120 monthly periods
(14 figures each, 1,680 figure rows, 121 audit rows), the facility in one transaction and the deal in a second.
The portfolio summary is :meth:`store.Store.portfolio_summary` over 1,000 deals, each with 3 observations and
2 margin changes.

Usage::

    python bench/bench_store.py [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--repeat 5]

PostgreSQL runs in a throw-away schema (dropped at the end); it is skipped with a message if unreachable.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from store import open_store  # noqa: E402
from store.schema import DealRow, FacilityRow, MarginChangeRow, ObservationRow  # noqa: E402
from store.synthetic import deal_document, monthly_facility  # noqa: E402
from store.tomlio import to_json  # noqa: E402

SAVE_TARGET_MS = 100.0
PORTFOLIO_TARGET_MS = 1000.0


def _users(st):
    st.bootstrap_admin("admin")
    st.add_user("admin", "credit", ["credit_officer"])


def bench_save(st, repeat: int) -> list[float]:
    times = []
    for i in range(repeat):
        fac = monthly_facility(f"bench-dc-{i}", years=10)
        doc = deal_document(f"bench-deal-{i}", fac.id)
        t0 = time.perf_counter()
        st.save_facility("admin", fac)
        st.save_deal("credit", doc)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def fill_portfolio(st, n: int = 1000) -> None:
    """``n`` deals on 100 facilities, written in bulk (the load is not what is measured)."""
    now = dt.datetime.now(dt.UTC)
    with st._write() as s:
        s.execute(insert(FacilityRow), [dict(id=f"pf-dc-{k}", name=f"Portfolio DC {k}", province="hebei",
                                             computing_type="general", lifecycle_stage="operation", created_at=now,
                                             updated_at=now) for k in range(100)])
        s.execute(insert(DealRow), [dict(id=f"pf-deal-{i:04d}", facility_id=f"pf-dc-{i % 100}", borrower="B",
                                         currency="CNY", amount=1e9, margin_bp=85.0, version=1, created_at=now,
                                         updated_at=now, updated_by="credit",
                                         document=to_json(deal_document(f"pf-deal-{i:04d}", f"pf-dc-{i % 100}")))
                                    for i in range(n)])
        s.execute(insert(ObservationRow), [dict(deal_id=f"pf-deal-{i:04d}", observation_date=dt.date(2026 + y, 4, 30),
                                                period_label=str(2025 + y), status="verified",
                                                methodology_id="gcpi-2024", methodology_sha256="0" * 64,
                                                total=70.0 + y, grade="3A", result={"total": 70.0 + y},
                                                created_at=now, created_by="credit")
                                           for i in range(n) for y in range(3)])
        s.execute(insert(MarginChangeRow), [dict(deal_id=f"pf-deal-{i:04d}", effective_date=dt.date(2026 + y, 6, 20),
                                                 adjustment_bp=-5.0 * (y + 1), margin_bp=85.0 - 5.0 * (y + 1),
                                                 created_at=now, created_by="credit")
                                            for i in range(n) for y in range(2)])


def bench_portfolio(st, repeat: int) -> tuple[list[float], int]:
    times, rows = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        rows = len(st.portfolio_summary("credit"))
        times.append((time.perf_counter() - t0) * 1000)
    return times, rows


def run(name: str, url: str, repeat: int) -> None:
    st = open_store(url, migrate=True)
    _users(st)
    save = bench_save(st, repeat)
    fill_portfolio(st, 1000 - repeat)  # the saved deals count towards the 1,000
    port, rows = bench_portfolio(st, repeat)
    st.close()
    med_s, med_p = statistics.median(save), statistics.median(port)
    print(f"{name:10s} save deal + 120 monthly periods: median {med_s:7.1f} ms  max {max(save):7.1f} ms  "
          f"(target ≤ {SAVE_TARGET_MS:.0f} ms: {'OK' if med_s <= SAVE_TARGET_MS else 'MISSED'})")
    print(f"{name:10s} portfolio summary of {rows} deals:   median {med_p:7.1f} ms  max {max(port):7.1f} ms  "
          f"(target ≤ {PORTFOLIO_TARGET_MS:.0f} ms: {'OK' if med_p <= PORTFOLIO_TARGET_MS else 'MISSED'})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite'}", args.repeat)
    schema = f"dcsll_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL skipped: {args.pg_url} unreachable ({type(exc).__name__}: {exc})")
        return 0
    try:
        sep = "&" if "?" in args.pg_url else "?"
        run("PostgreSQL", f"{args.pg_url}{sep}options=-csearch_path%3D{schema}", args.repeat)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
