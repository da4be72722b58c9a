"""Construct the 5-year monthly demo series of the demo facility (2021-01 … 2025-12).

CONSTRUCTED DEMO DATA, NOT MEASUREMENTS. Run from the repository root::

    python data/monthly/make_demo_monthly.py            # writes data/monthly/demo-zjk-hyperscale.csv

How the numbers are made (seeded, numpy ``default_rng(20251231)``, so the file is reproducible):

1. Annual totals. 2023, 2024, 2025 are the facility file's figures
   (``data/facilities/demo-zjk-hyperscale.toml``): total and IT energy [kWh], water [m³], grid, on-site
   renewable, source-grid-load-storage and green-trading supply [kWh], GECs [MWh]. 2021 and 2022 are not in
   the facility file; they are constructed below (``CONSTRUCTED``) to continue the facility's trend
   (PUE 1.34 → 1.29, WUE 1.35 → 1.25 L/kWh, IT load ramping up after the first hall's pilot operation).
2. IT energy: average IT power [kW] grows linearly within each year (±1 % noise), scaled so that the
   months add up to the annual IT energy.
3. PUE: the annual level plus a cosine with its peak in July and trough in January, amplitude 0.04
   (July − January ≈ +0.08, the Zhangjiakou range of +0.06–0.10 asked by the issue: a dry continental
   climate with free cooling most of the year and evaporative assist in summer), plus N(0, 0.004) noise.
   Monthly total energy = IT energy × PUE, scaled so the months add up to the annual total energy.
4. Water: WUE [L/kWh] peaks in summer (evaporative cooling; factor 1 + 0.6·cos, so winter months use
   about a quarter of July's water per kWh), scaled to the annual water.
5. Supply: on-site PV and the source-grid-load-storage (wind + PV) contract follow a solar / wind
   monthly profile; bundled green trading is flat per day; GECs are allocated evenly (whole MWh); grid
   = total − the physical renewable channels.
6. Rounding: every column is rounded to whole kWh / m³ / MWh and the rounding residual of each year is put
   on the largest month, so monthly sums equal the annual totals exactly (tested in
   ``tests/targets/test_monthly_data.py``).

The facility file gives commissioning on 2021-06-30; the months 2021-01 … 2021-06 stand for the first
hall's pilot operation before the campus was formally commissioned (low load, higher PUE).
"""

from __future__ import annotations

import calendar
import csv
from pathlib import Path

import numpy as np

SEED = 20251231
OUT = Path(__file__).resolve().parent / "demo-zjk-hyperscale.csv"

#: annual totals; 2023–2025 copied from data/facilities/demo-zjk-hyperscale.toml, 2021–2022 CONSTRUCTED
ANNUAL = {
    2021: dict(total_energy_kwh=225_120_000, it_energy_kwh=168_000_000, water_m3=226_800,
               grid_kwh=180_120_000, onsite_renewable_kwh=5_000_000, sgls_kwh=0, green_trading_kwh=40_000_000,
               gec_mwh=5_000, status="verified", growth=0.60, pue_note="CONSTRUCTED"),
    2022: dict(total_energy_kwh=316_411_200, it_energy_kwh=245_280_000, water_m3=306_600,
               grid_kwh=209_411_200, onsite_renewable_kwh=7_000_000, sgls_kwh=0, green_trading_kwh=100_000_000,
               gec_mwh=10_000, status="verified", growth=0.20, pue_note="CONSTRUCTED"),
    2023: dict(total_energy_kwh=361_350_000, it_energy_kwh=289_080_000, water_m3=317_988,
               grid_kwh=213_350_000, onsite_renewable_kwh=8_000_000, sgls_kwh=0, green_trading_kwh=140_000_000,
               gec_mwh=20_000, status="verified", growth=0.12, pue_note="facility file"),
    2024: dict(total_energy_kwh=395_385_408, it_energy_kwh=326_764_800, water_m3=294_088,
               grid_kwh=145_885_408, onsite_renewable_kwh=9_500_000, sgls_kwh=80_000_000,
               green_trading_kwh=160_000_000, gec_mwh=30_000, status="verified", growth=0.10,
               pue_note="facility file"),
    2025: dict(total_energy_kwh=418_167_360, it_energy_kwh=357_408_000, water_m3=214_445,
               grid_kwh=86_167_360, onsite_renewable_kwh=12_000_000, sgls_kwh=160_000_000,
               green_trading_kwh=160_000_000, gec_mwh=40_000, status="reported", growth=0.08,
               pue_note="facility file"),
}
#: monthly shares of a year's PV output at ~41°N (spring/summer high, December low); dcsll demo profile
PV_PROFILE = np.array([5.8, 7.0, 9.0, 10.0, 11.0, 10.5, 9.5, 9.0, 8.5, 7.5, 6.5, 5.7])
#: wind + PV source-grid-load-storage profile (windy spring and winter in Zhangjiakou); dcsll demo profile
SGLS_PROFILE = np.array([9.0, 8.8, 9.6, 9.8, 9.0, 7.6, 6.8, 6.6, 7.4, 8.2, 8.6, 8.6])
PUE_AMPLITUDE = 0.04
WUE_SEASONAL = 0.6
COLUMNS = ["month", "total_energy_kwh", "it_energy_kwh", "water_m3", "grid_kwh", "onsite_renewable_kwh",
           "sgls_kwh", "green_trading_kwh", "gec_mwh", "status", "source"]


def _integerise(x: np.ndarray, total: int) -> np.ndarray:
    """Round to whole units and put the residual on the largest month so the sum is exactly ``total``."""
    out = np.rint(x).astype(np.int64)
    out[int(np.argmax(out))] += int(total) - int(out.sum())
    return out


def _scaled(weights: np.ndarray, total: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return _integerise(w / w.sum() * total, total) if total else np.zeros(12, dtype=np.int64)


def build(seed: int = SEED) -> list[dict]:
    """The monthly rows, oldest first (see the module docstring)."""
    rng = np.random.default_rng(seed)
    months = np.arange(1, 13)
    season = np.cos(2 * np.pi * (months - 7) / 12)  # +1 in July, -1 in January
    rows: list[dict] = []
    for year, a in ANNUAL.items():
        hours = np.array([calendar.monthrange(year, m)[1] * 24 for m in months], dtype=float)
        kw = 1 + a["growth"] * (months - 6.5) / 12 + rng.normal(0, 0.01, 12)
        it = _scaled(kw * hours, a["it_energy_kwh"])
        pue_level = a["total_energy_kwh"] / a["it_energy_kwh"]
        pue_m = pue_level + PUE_AMPLITUDE * season + rng.normal(0, 0.004, 12)
        total = _scaled(it * pue_m, a["total_energy_kwh"])
        water = _scaled(it * (1 + WUE_SEASONAL * season) * (1 + rng.normal(0, 0.03, 12)), a["water_m3"])
        pv = _scaled(PV_PROFILE * (1 + rng.normal(0, 0.05, 12)), a["onsite_renewable_kwh"])
        sgls = _scaled(SGLS_PROFILE * (1 + rng.normal(0, 0.05, 12)), a["sgls_kwh"])
        trade = _scaled(hours, a["green_trading_kwh"])
        gec = _scaled(np.ones(12), a["gec_mwh"])
        grid = total - pv - sgls - trade
        if (grid < 0).any():
            raise ValueError(f"{year}: negative grid purchase in a month")
        assert grid.sum() == a["grid_kwh"], (year, grid.sum(), a["grid_kwh"])
        src = ("dcsll constructed demo data (not measured); annual totals from "
               + ("data/facilities/demo-zjk-hyperscale.toml" if a["pue_note"] == "facility file"
                  else "constructed trend (not in the facility file)"))
        for i, m in enumerate(months):
            rows.append(dict(month=f"{year}-{m:02d}", total_energy_kwh=int(total[i]), it_energy_kwh=int(it[i]),
                             water_m3=int(water[i]), grid_kwh=int(grid[i]), onsite_renewable_kwh=int(pv[i]),
                             sgls_kwh=int(sgls[i]), green_trading_kwh=int(trade[i]), gec_mwh=int(gec[i]),
                             status=a["status"], source=src))
    return rows


def main(path: Path = OUT) -> Path:
    rows = build()
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


if __name__ == "__main__":
    print(main())
