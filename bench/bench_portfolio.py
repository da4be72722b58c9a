"""Benchmark of the credit officer's portfolio from the record (issue 12 item 7; a plain script, prints figures).

Targets (issue 12, "Figures and tests"), on this 2-core machine:

* portfolio rows (:func:`workflows.portfolio.portfolio`) warm: ≤ 1 s for 1,000 deals, ≤ 10 s for 10,000;
* the app's portfolio page with 1,000 deals settles in ≤ 3 s in chromium (``--browser``);
* for comparison, the old per-deal path (every facility period re-scored with the index engine, the deal
  re-priced by the finance engine in "met" and "missed" scenarios: the pre-issue-12 ``app_support.portfolio
  .deal_row``) on ``--old`` deals, in ms per deal.

The synthetic book (SQLite, written in bulk: the load is not what is measured): each deal is a 10-year loan
(2024-01-15 to 2034-01-15, quarterly interest) with yearly observations (31 Dec 2024 … 2033) and 3 KPIs (GCPI
index, PUE, renewable share), on its own facility with three annual periods (2023–2025, 14 figures each, PUE
and renewable share varying by deal); SPTs vary by deal. As of 2026-03-31: three deals in four have a verified
2024 observation (an issued statement) and an approved margin change; one in four of those also has reported
2025 figures (indicative); the fourth deal has no record (certificate overdue, missed); one deal in ten has a
stored simulation (P(met) of the next observation).

Usage::

    .venv/bin/python bench/bench_portfolio.py [--sizes 1000 10000] [--repeat 3] [--old 50] [--browser]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from finance.deal import deal_from_dict, period_results, scenario_outcomes  # noqa: E402
from finance.deal_book import deal_validator  # noqa: E402
from finance.schedule import price, schedule_frame  # noqa: E402
from index.engine import score  # noqa: E402
from index.methodology import load_methodology  # noqa: E402
from index.models import Facility  # noqa: E402
from store import open_store  # noqa: E402
from store.schema import (  # noqa: E402
    DealRow,
    FacilityRow,
    FigureRow,
    MarginChangeDecisionRow,
    MarginChangeRecordRow,
    MonitoringRecordRow,
    PeriodRow,
    SimulationRow,
    StatementRow,
)
from store.tomlio import facility_specs, period_specs, to_json  # noqa: E402
from workflows.portfolio import load_status_rules, portfolio  # noqa: E402

AS_OF = dt.date(2026, 3, 31)
TARGET_S = {1000: 1.0, 10000: 10.0}
PAGE_TARGET_S = 3.0
D = dt.date


def facility(fid: str, u: float) -> Facility:
    """Three annual periods; ``u`` in [0, 1) moves PUE (1.15–1.35) and the green share (0.3–0.8)."""
    periods = []
    for k, y in enumerate((2023, 2024, 2025)):
        it = 3.0e8 * (1 + 0.05 * k)
        pue = 1.35 - 0.2 * u - 0.02 * k
        green = 0.3 + 0.5 * u + 0.03 * k
        periods.append({
            "label": str(y), "start": D(y, 1, 1), "end": D(y, 12, 31), "status": "verified" if y < 2025 else "reported",
            "source": f"bench {y}", "total_energy_kwh": it * pue, "it_energy_kwh": it, "grid_kwh": it * pue * (1 - green),
            "green_trading_kwh": it * pue * green, "water_m3": 4.0e5, "diesel_l": 3000.0,
            "racks_ready": 9800.0, "racks_occupied": 7600.0, "it_power_rated_kw": 52000.0,
            "it_power_avg_kw": it / 8760.0, "cpu_utilisation": 0.4, "gpu_utilisation": 0.55,
            "waste_heat_reused_kwh": 5e6, "compute_capacity_tflops": 2.1e6, "compute_precision": "FP32"})
    return Facility.model_validate({"id": fid, "name": f"Bench DC {fid}", "province": "hebei",
                                    "design_it_power_kw": 60000.0, "periods": periods})


def deal_document(did: str, fid: str, v: float) -> dict:
    """10-year loan, yearly observations, SPTs on the index, PUE and renewable share moved by ``v`` in [0, 1)."""
    return {
        "id": did, "name": f"Bench SLL {did}", "facility": fid, "borrower": f"Borrower {did}",
        "loan": {"currency": "CNY", "amount": 1.0e9, "start_date": D(2024, 1, 15),
                 "maturity_date": D(2034, 1, 15), "repayment": "annuity", "margin_bp": 80.0,
                 "interest_period": "quarterly", "base_rate": {"index": "LPR_5Y"}},
        "ratchet": {"design": "spt", "step_down_bp": -10.0, "step_up_bp": 10.0, "cap_bp": 15.0,
                    "timing": {"rule": "business_days", "business_days": 5},
                    "kpis": [{"kpi": "index", "weight": 0.4, "no_change_band": 1.0},
                             {"kpi": "pue", "weight": 0.3, "no_change_band": 0.01},
                             {"kpi": "renewable_share", "weight": 0.3, "no_change_band": 0.01}]},
        "observations": [{"date": D(2024 + k, 12, 31), "certificate_due": D(2025 + k, 4, 30),
                          "spt": {"index": round(50.0 + 8 * v + k, 2), "pue": round(1.34 - 0.1 * v - 0.01 * k, 3),
                                  "renewable_share": round(0.35 + 0.3 * v + 0.02 * k, 3)}}
                         for k in range(10)],
    }


def build_book(url: str, n: int, *, seed: int = 0, demo_dir: Path | None = None):
    """A deal book of ``n`` synthetic deals (bulk-written, see the module docstring); returns the open store.
    With ``demo_dir`` the demo users and deals are seeded first (the app's demo sign-in needs them)."""
    st = open_store(url, migrate=True, deal_validator=deal_validator())
    if demo_dir is not None:
        from store.demo import seed_demo  # noqa: PLC0415 - only for the browser bench

        seed_demo(st, demo_dir)
        ver = "verifier"
    else:
        st.bootstrap_admin("admin")
        st.add_user("admin", "credit", ["credit_officer"])
        st.add_user("admin", "ver", ["verifier"])
        ver = "ver"
    rng = np.random.default_rng(seed)
    u, v = rng.random(n), rng.random(n)
    m = load_methodology()
    now = dt.datetime.now(dt.UTC)
    facs, periods, figs, deals, recs, stmts, changes, decisions, sims = [], [], [], [], [], [], [], [], []
    pid = 10_000_000
    for i in range(n):
        fid, did = f"bench-dc-{i:05d}", f"bench-deal-{i:05d}"
        f = facility(fid, float(u[i]))
        facs.append(dict(id=fid, name=f.name, province="hebei", computing_type="general",
                         lifecycle_stage="operation", created_at=now, updated_at=now))
        for fld, (kind, value, text, items, status, source) in facility_specs(f).items():
            figs.append(dict(facility_id=fid, period_id=None, field=fld, kind=kind, value=value, text=text,
                             items=list(items) if items is not None else None, status=status, source=source,
                             created_at=now, created_by=ver))
        for p in f.periods:
            pid += 1
            periods.append(dict(id=pid, facility_id=fid, label=p.label, start=p.start, end=p.end, status=p.status,
                                source=p.source, compute_precision=p.compute_precision, evidence=[],
                                # a verified period names its verifier (migration 0007_verified_guard)
                                verified_by=ver if p.status == "verified" else None))
            for fld, (kind, value, text, items, status, source) in period_specs(p).items():
                figs.append(dict(facility_id=fid, period_id=pid, field=fld, kind=kind, value=value, text=text,
                                 items=list(items) if items is not None else None, status=status, source=source,
                                 created_at=now, created_by=ver))
        doc = deal_document(did, fid, float(v[i]))
        if i == 0:
            deal_from_dict(doc, file="bench template")  # the template is a valid deal
        deals.append(dict(id=did, facility_id=fid, borrower=doc["borrower"], currency=doc["loan"]["currency"],
                          amount=1.0e9, margin_bp=80.0, version=1, created_at=now, updated_at=now,
                          updated_by="credit", document=to_json(doc)))
        if i % 4 != 3:  # a verified 2024 observation, its statement and an approved change
            sid = f"BS-{i:05d}-2024"
            r2024 = score(f, "2024", m) if i < 4 else None  # values: the first deals scored, others alike
            kp = {"index": float(r2024.total) if r2024 else 55.0, "pue": 1.3, "renewable_share": 0.5}
            stmts.append(dict(id=sid, deal_id=did, facility_id=fid, period_label="2024", pdf=b"%PDF-1.7 bench",
                              sha256="0" * 64, signature_status="signed", status="issued", issued_at=now,
                              created_at=now, created_by=ver))
            recs.append(dict(deal_id=did, observation_date=D(2024, 12, 31), status="verified", kpis=kp,
                             outcomes={}, grade=None, statement_id=sid, statement_sha256="0" * 64,
                             certificate_delivered=D(2025, 4, 20), created_at=now, created_by=ver))
            changes.append(dict(deal_id=did, change_key=f"{did}/2024-12-31/result/{sid}", attempt=1,
                                observation_date=D(2024, 12, 31), kind="result", effective_date=D(2025, 4, 28),
                                adjustment_bp=-4.0, margin_before_bp=80.0, margin_after_bp=76.0,
                                change={"regime": 1, "reason_en": "obs 2024-12-31: bench", "reason_zh": "基准"},
                                prepared_at=now, prepared_by="credit"))
            if i % 4 == 0:
                recs.append(dict(deal_id=did, observation_date=D(2025, 12, 31), status="reported",
                                 kpis={"index": 60.0, "pue": 1.28, "renewable_share": 0.55}, outcomes={},
                                 reported_on=D(2026, 2, 15), created_at=now, created_by="credit"))
        if i % 10 == 0:
            sims.append(dict(facility_id=fid, deal_id=did, name="bench", inputs={}, created_at=now,
                             created_by="credit", result={"kpis": ["index", "pue", "renewable_share"],
                                                          "per_observation": [{"date": "2026-12-31",
                                                                               "index": {"p_met": 0.8},
                                                                               "pue": {"p_met": 0.6},
                                                                               "renewable_share": {"p_met": 0.7}}]}))
    with st._write() as s:
        s.execute(insert(FacilityRow), facs)
        s.execute(insert(PeriodRow), periods)
        s.execute(insert(FigureRow), figs)
        s.execute(insert(DealRow), deals)
        if stmts:
            s.execute(insert(StatementRow), stmts)
            s.execute(insert(MonitoringRecordRow), recs)
            s.execute(insert(MarginChangeRecordRow), changes)
        if sims:
            s.execute(insert(SimulationRow), sims)
    with st._write() as s:
        ids = [r[0] for r in s.execute(MarginChangeRecordRow.__table__.select()
                                       .with_only_columns(MarginChangeRecordRow.id))]
        decisions = [dict(change_id=c, decision="approved", decided_at=now, decided_by="admin") for c in ids]
        if decisions:
            s.execute(insert(MarginChangeDecisionRow), decisions)
    return st


def old_per_deal_ms(st, n: int, as_of: dt.date = AS_OF) -> float:
    """The pre-issue-12 path per deal: read the deal and its facility, score every ended period, evaluate the
    deal and price the "met" and "missed" scenarios' schedules [ms per deal, mean over ``n`` deals]."""
    import workflows  # noqa: PLC0415

    m = load_methodology()
    ids = st.deal_ids()[:n]
    t0 = time.perf_counter()
    for did in ids:
        doc = st.load_deal_document(did)
        st.targets(did)
        fac = st.load_facility(doc["facility"])
        [score(fac, p.label, m) for p in fac.periods if p.end <= as_of]
        deal = deal_from_dict(doc, file=did)
        ev = workflows.evaluate_deal(deal, facility=fac, methodology=m)
        run = ev.run(["met", "missed"])
        scenario_outcomes(deal, "met", period_results(deal, ev.results))
        priced = price(run.plan, run.regime_adj_bp)
        [schedule_frame(run.plan, priced, s_, run.notes[s_]).frame for s_ in range(2)]
    return (time.perf_counter() - t0) * 1000 / len(ids)


def bench_rows(st, n: int, repeat: int) -> tuple[float, float, pd.DataFrame]:
    """(cold [s], warm median [s], frame) of :func:`workflows.portfolio.portfolio` on the book, with the
    methodology and status rules read once (as the app holds them)."""
    m, rules = load_methodology(), load_status_rules()
    t0 = time.perf_counter()
    pf = portfolio(st, AS_OF, actor="credit", rules=rules, methodology=m)
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        pf = portfolio(st, AS_OF, actor="credit", rules=rules, methodology=m)
        warm.append(time.perf_counter() - t0)
    assert len(pf.frame) >= n and not pf.problems, pf.problems[:3]
    return cold, statistics.median(warm), pf.frame


def bench_page(url: str, n: int) -> float:
    """Seconds from opening the Portfolio page (signed in as the credit officer) to a settled page with the table
    drawn, ``streamlit run`` on the book at ``url`` and Debian's chromium."""
    sys.path.insert(0, str(ROOT / "tests" / "app"))
    from browser_util import CHROMIUM, CHROMIUM_ARGS, open_page, settled, sign_in, switch_language  # noqa: PLC0415
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    port = 8511
    env = dict(os.environ, PYTHONPATH=str(ROOT), DCSLL_DATABASE_URL=url, DCSLL_DEMO="1")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = b.new_page(viewport={"width": 1440, "height": 1000})
            times, ready = [], []
            for _ in range(2):  # the first visit warms the server (imports, caches); the second is the figure
                page.goto(base)
                sign_in(page, "credit_officer")
                switch_language(page, "en")
                t0 = time.perf_counter()
                open_page(page, "Portfolio")
                page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=120_000)
                page.wait_for_timeout(100)  # the rerun has started (counted in the figure)
                page.wait_for_function(  # the script has finished: table drawn, nothing running
                    """() => { const a = document.querySelector("[data-testid='stApp']");
                               return a && a.getAttribute("data-test-script-state") !== "running"
                                      && !document.querySelector("[data-testid='stStatusWidget']")
                                      && !document.querySelector("[data-testid='stSpinner']"); }""",
                    polling=50, timeout=120_000)
                ready.append(time.perf_counter() - t0)
                settled(page)  # + its idle window: 8 polls of 100 ms and 300 ms (tests/app/browser_util.py)
                times.append(time.perf_counter() - t0)
            page.screenshot(path=str(ROOT / "artifacts" / f"bench_portfolio_{n}.png"))
            b.close()
        print(f"  page visits, script finished: {', '.join(f'{t:.2f} s' for t in ready)}; settled (with the "
              f"1.1 s idle window of settled()): {', '.join(f'{t:.2f} s' for t in times)}")
        return ready[-1]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--old", type=int, default=50, help="deals timed on the old per-deal path")
    ap.add_argument("--browser", action="store_true", help="also time the app page with 1,000 deals in chromium")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            url = f"sqlite:///{Path(tmp) / f'book{n}.sqlite'}"
            t0 = time.perf_counter()
            st = build_book(url, n)
            print(f"{n} deals: book written in {time.perf_counter() - t0:.1f} s")
            cold, warm, frame = bench_rows(st, n, args.repeat)
            target = TARGET_S.get(n)
            verdict = "" if target is None else f" (target ≤ {target:g} s: {'OK' if warm <= target else 'MISSED'})"
            print(f"{n} deals: portfolio rows cold {cold:.2f} s, warm median {warm:.2f} s "
                  f"= {warm * 1000 / n:.2f} ms/deal{verdict}")
            print(f"  statuses: {frame['status'].value_counts().to_dict()}; margin sources: "
                  f"{frame['margin_source'].value_counts().to_dict()}")
            if args.old and n == args.sizes[0]:
                ms = old_per_deal_ms(st, args.old)
                print(f"old per-deal path on {args.old} deals: {ms:.1f} ms/deal (→ {ms * n / 1000:.1f} s for {n})")
            st.close()
        if args.browser:
            url = f"sqlite:///{Path(tmp) / 'page.sqlite'}"
            build_book(url, 1000, demo_dir=ROOT / "data").close()
            s = bench_page(url, 1000)
            print(f"app portfolio page, 1,000 deals (+3 demo): drawn and idle in {s:.2f} s "
                  f"(target ≤ {PAGE_TARGET_S:g} s: {'OK' if s <= PAGE_TARGET_S else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
