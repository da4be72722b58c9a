"""Timing of the targets module (issue 4 targets): run ``python bench/bench_targets.py`` from the repo root.

1. Fit the monthly PUE model (ETS(A,Ad,A)) on 60 monthly points: target ≤ 1 s (statsmodels import excluded,
   it is paid once per process).
2. 10,000 paths × 10 years (2026–2035) scored through the index engine (``score_frame`` on 100,000 rows):
   target ≤ 2 s; the full simulation (model simulation + levers + scoring) is timed too.

Prints one line per timing and exits 1 if a target is missed. Timings are the best of 3 runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def best(fn, n=3):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)


def main() -> int:
    import numpy as np
    import pandas as pd
    import statsmodels.tsa.exponential_smoothing.ets  # noqa: F401  (import cost paid once)

    from index.engine import inputs_frame, score_frame
    from index.forecast import fit_monthly, load_monthly
    from index.methodology import load_methodology
    from index.models import load_facility
    from index.simulate import fit_bau, simulate

    root = Path(__file__).resolve().parent.parent
    fac = load_facility(root / "data" / "facilities" / "demo-zjk-hyperscale.toml")
    monthly = load_monthly(root / "data" / "monthly" / "demo-zjk-hyperscale.csv")
    m = load_methodology()
    ok = True

    t_fit = best(lambda: fit_monthly(monthly["pue"], "pue"))
    print(f"fit ETS(A,Ad,A) on {len(monthly)} monthly points: {t_fit:.3f} s (target ≤ 1 s)")
    ok &= t_fit <= 1.0
    t_bau = best(lambda: fit_bau(monthly, fac), 1)
    print(f"fit all BAU models (PUE, IT power, WUE, racks): {t_bau:.3f} s")

    base = inputs_frame([(fac, fac.periods[-1])], m)
    rows = 10_000 * 10
    df = pd.DataFrame(np.repeat(base.to_numpy(), rows, axis=0), columns=base.columns)
    for c in base.columns:
        if c not in ("facility_id", "period", "availability") and not c.startswith("checklist."):
            df[c] = df[c].astype(float)
    rng = np.random.default_rng(0)
    df["total_energy_kwh"] = df["it_energy_kwh"] * rng.normal(1.15, 0.02, rows)
    t_score = best(lambda: score_frame(df, m))
    print(f"score 10,000 paths × 10 years ({rows:,} rows) through the index: {t_score:.3f} s (target ≤ 2 s)")
    ok &= t_score <= 2.0

    bau = fit_bau(monthly, fac)
    t_sim = best(lambda: simulate(fac, monthly, range(2026, 2036), n_paths=10_000, seed=0, methodology=m, bau=bau))
    print(f"full simulation, 10,000 paths × 10 years (simulate + aggregate + score): {t_sim:.3f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
