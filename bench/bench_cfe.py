"""Timing of interval ingestion and hourly CFE (issue 15): run ``python bench/bench_cfe.py`` from the repo root.

1. Hourly CFE for 10, 100 and 1,000 facilities × 8,760 hours × 4 channels (load, on-site renewable, PPA,
   green-power trading) against one hourly grid share, vectorised (:func:`index.cfe.clean_supply` +
   :func:`index.cfe.cfe_arrays`): target ≤ 2 s for 1,000 facilities.
2. Read, validate, gap-fill and aggregate to hours one year of 15-minute data for 10 and 100 meters
   (100 meters = 3,504,000 rows, long CSV layout with ``+08:00`` offsets) in a child process, so that its peak
   resident memory is measured alone: target ≤ 10 s and ≤ 2 GB for 100 meters.
3. The same 3.5 million rows as Parquet (zstd): file size against CSV, and write / read time (how the deal
   book keeps interval series).
4. The hourly Monte Carlo of a deal (:mod:`index.cfe.paths`): one simulated year of 1,000 and 10,000 paths ×
   8,760 hours with a PPA, its matched sums by the sorted-ratio method against the dense (paths × hours) form,
   the battery's hour-by-hour dispatch vectorised over paths, and a whole ``index.simulate.simulate`` of the demo
   deal (10,000 paths, 3 years) without and with the PPA and battery levers. No target in issue 15; the cost
   is stated.

Prints one line per timing and exits 1 if a target is missed. Timings are the best of 3 runs (CFE) or one run
in a fresh process (ingestion, so that memory is that of one ingestion).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def best(fn, n=3):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)


def bench_cfe(n_fac: int) -> float:
    import numpy as np

    from index.cfe import cfe_arrays, clean_supply

    rng = np.random.default_rng(n_fac)
    hours = 8760
    hod = np.arange(hours) % 24
    solar_shape = np.clip(np.sin((hod - 6) / 12 * np.pi), 0, None)
    load = rng.uniform(5_000, 20_000, (n_fac, 1)) * rng.normal(1.0, 0.05, (n_fac, hours))
    onsite = rng.uniform(0, 0.2, (n_fac, 1)) * load.mean(axis=1, keepdims=True) * solar_shape * 3
    ppa = rng.uniform(0, 1.0, (n_fac, 1)) * load.mean(axis=1, keepdims=True) * solar_shape * 3
    green = rng.uniform(0, 0.3, (n_fac, 1)) * load.mean(axis=1, keepdims=True) * np.ones(hours)
    g = rng.uniform(0.1, 0.7, hours)

    def run():
        c = clean_supply(onsite, ppa, green)
        return cfe_arrays(load, c, g)

    r = run()
    assert r["cfe_score"].shape == (n_fac,)
    return best(run)


def bench_paths() -> None:
    """Section 4 of the module docstring: prints one line per timing."""
    from datetime import date

    import numpy as np
    import pandas as pd

    from index.cfe import paths as P
    from index.forecast import load_monthly
    from index.levers import parse_levers
    from index.models import load_facility
    from index.reference import data_dir
    from index.simulate import fit_bau, simulate

    months = pd.period_range("2027-01", "2027-12", freq="M")
    base = P.hourly_base("hebei")
    lv = parse_levers([{"kind": "ppa", "start": date(2027, 1, 1), "mw": 40},
                       {"kind": "storage", "start": date(2027, 1, 1), "mwh": 80, "mw": 20}])
    vol = {"green_trading_kwh": np.array([30e6])}
    for n in (1_000, 10_000):
        total_m = np.random.default_rng(0).uniform(0.9, 1.1, (n, 12)) * 20e3 * 730
        pos, moh, _ = P.year_hours(2027)
        w = base.load[pos] / np.bincount(moh - 1, weights=base.load[pos])[moh - 1]
        c = P.ppa_hourly(lv[:1], 2027, base)[0] + 30e6 / len(pos)
        g = np.full(len(pos), 0.3)
        t_sorted = best(lambda total_m=total_m, w=w, c=c, g=g, moh=moh: P._matched_sums(total_m, moh - 1, w, c, g))
        t_dense = best(lambda total_m=total_m, w=w, c=c, g=g, moh=moh: P._matched_sums_dense(total_m, moh - 1, w, c,
                                                                                              g), 1)
        t_ppa = best(lambda total_m=total_m: P.cfe_paths(base, [2027], total_m, months, vol, lv[:1]))
        t_bat = best(lambda total_m=total_m: P.cfe_paths(base, [2027], total_m, months, vol, lv), 1)
        print(f"hourly Monte Carlo, {n:>6,} paths × 8,760 h, one year: matched sums sorted {t_sorted:.3f} s vs "
              f"dense (paths × hours) {t_dense:.3f} s; with a PPA {t_ppa:.3f} s; PPA + battery {t_bat:.3f} s")
    fac = load_facility(data_dir() / "facilities" / "demo-zjk-hyperscale.toml")
    monthly = load_monthly(data_dir() / "monthly" / "demo-zjk-hyperscale.csv")
    bau = fit_bau(monthly, fac)
    lv3 = parse_levers([{"kind": "ppa", "start": date(2027, 1, 1), "mw": 100},
                        {"kind": "storage", "start": date(2027, 1, 1), "mwh": 100, "mw": 25}])
    for name, kw in (("no CFE KPIs", {}), ("CFE KPIs, no hourly lever", {"cfe": True}),
                     ("PPA + battery levers", {"levers": lv3})):
        t = best(lambda kw=kw: simulate(fac, monthly, [2026, 2027, 2028], n_paths=10_000, seed=0, bau=bau, **kw), 1)
        print(f"index.simulate.simulate, demo facility, 10,000 paths × 3 years, {name}: {t:.2f} s")


def write_csv(path: Path, meters: int) -> int:
    """One year of 15-minute readings of ``meters`` meters (alternating channels) in the long layout."""
    import numpy as np
    import pandas as pd

    idx = pd.date_range("2025-01-01", periods=35_040, freq="15min", tz="Asia/Shanghai")
    stamps = np.array([t.isoformat() for t in idx], dtype=object)
    chans = ["load", "it", "onsite_renewable", "ppa"]
    rng = np.random.default_rng(0)
    with open(path, "w", encoding="utf-8") as f:
        f.write("timestamp,channel,kwh,meter\n")
        for m in range(meters):
            vals = rng.uniform(100, 200, len(idx)).round(3)
            ch = chans[m % 4]
            block = pd.DataFrame({"timestamp": stamps, "channel": ch, "kwh": vals, "meter": f"M{m:03d}"})
            block.to_csv(f, header=False, index=False)
    return len(idx) * meters


def ingest_child(path: str) -> None:
    """Child process: read + validate + hourly; print JSON with seconds and peak RSS [MB]."""
    t = time.perf_counter()
    from index.cfe import read_intervals

    t_import = time.perf_counter() - t
    t = time.perf_counter()
    cpu = time.process_time()
    data = read_intervals(path)
    data.raise_for_errors()
    hourly = data.hourly()
    dt = time.perf_counter() - t
    cpu = time.process_time() - cpu
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB
    print(json.dumps({"seconds": dt, "cpu_seconds": cpu, "import_seconds": t_import, "rows": int(len(data.frame)),
                      "hours": int(len(hourly)), "peak_rss_mb": rss_mb}))


def _ingest(path: Path) -> dict:
    res = subprocess.run([sys.executable, __file__, "--ingest-child", str(path)], capture_output=True, text=True,
                         check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> int:
    import os

    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (timings are wall-clock; "
          "CPU seconds of the ingestion process are printed too)")
    ok = True
    for n in (10, 100, 1000):
        t = bench_cfe(n)
        target = " (target ≤ 2 s)" if n == 1000 else ""
        print(f"hourly CFE, {n:>5} facilities × 8,760 h × 4 channels: {t:.3f} s{target}")
        if n == 1000:
            ok &= t <= 2.0
    with tempfile.TemporaryDirectory() as d:
        for meters in (10, 100):
            p = Path(d) / f"iv{meters}.csv"
            rows = write_csv(p, meters)
            r = _ingest(p)
            target = " (target ≤ 10 s, ≤ 2,048 MB)" if meters == 100 else ""
            print(f"ingest + validate + hourly, {meters:>3} meters × 35,040 15-min intervals = {rows:,} rows "
                  f"({p.stat().st_size / 1e6:.0f} MB CSV): {r['seconds']:.2f} s (CPU {r['cpu_seconds']:.2f} s), peak RSS {r['peak_rss_mb']:,.0f} MB "
                  f"(imports {r['import_seconds']:.2f} s){target}")
            if meters == 100:
                ok &= r["seconds"] <= 10.0 and r["peak_rss_mb"] <= 2048
                import pandas as pd

                from index.cfe import read_interval_table

                raw = read_interval_table(p)
                pq = Path(d) / "iv.parquet"
                t = time.perf_counter()
                raw.to_parquet(pq, compression="zstd", index=False)
                t_w = time.perf_counter() - t
                t = time.perf_counter()
                pd.read_parquet(pq)
                t_r = time.perf_counter() - t
                print(f"the same rows as Parquet (zstd): {pq.stat().st_size / 1e6:.1f} MB vs "
                      f"{p.stat().st_size / 1e6:.0f} MB CSV; write {t_w:.2f} s, read {t_r:.2f} s")
                r = _ingest(pq)
                print(f"ingest + validate + hourly from that Parquet file: {r['seconds']:.2f} s "
                      f"(CPU {r['cpu_seconds']:.2f} s), peak RSS {r['peak_rss_mb']:,.0f} MB")
    bench_paths()
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--ingest-child":
        ingest_child(sys.argv[2])
        sys.exit(0)
    sys.exit(main())
