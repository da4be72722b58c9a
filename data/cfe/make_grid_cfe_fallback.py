"""Write ``grid_cfe_fallback.csv``: an annual carbon-free share of the Chinese grids, for hourly CFE matching
where no public hourly grid data exists (every Chinese province).

Method: the MEE/NBS average factor of a grid ``EF_avg`` mixes fossil power at the national fossil-power factor
``EF_fossil`` with carbon-free power at ≈ 0, so the carbon-free share is ``g = 1 − EF_avg / EF_fossil``.
For the nation this is the non-fossil share of the notices' own accounting (2023: 1 − 0.5306 / 0.8273 = 35.9 %).
For a region or province it is an approximation (its factor includes imported power; its own fossil fleet may
be cleaner or dirtier than the national one); the CSV says so in ``method``.

Run from the project root: ``python data/cfe/make_grid_cfe_fallback.py``.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: national fossil-power CO2 factor [kgCO2/kWh] (全国化石能源电力二氧化碳排放因子) of each MEE/NBS notice
FOSSIL = {
    2021: (0.8426, "生态环境部 国家统计局 公告2024年第12号 (2021 factors): 全国化石能源电力二氧化碳排放因子 0.8426"),
    2022: (0.8325, "生态环境部 国家统计局 公告2024年第33号 (2022 factors): 全国化石能源电力二氧化碳排放因子 0.8325"),
    2023: (0.8273, "生态环境部 国家统计局 公告2025年第47号 (2023 factors): 全国化石能源电力二氧化碳排放因子 0.8273"),
}


def main() -> None:
    src = HERE.parent / "reference" / "grid_emission_factors.csv"
    with open(src, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["basis"] == "location"]
    out = []
    for r in rows:
        year = int(r["year"])
        fossil, fossil_src = FOSSIL[year]
        ef = float(r["factor_kgco2_per_kwh"])
        g = 1.0 - ef / fossil
        if not 0.0 <= g <= 1.0:
            raise SystemExit(f"{r['region_code']} {year}: factor {ef} gives a carbon-free share {g:.3f} outside [0, 1]")
        method = ("national non-fossil share implied by the notice" if r["level"] == "national" else
                  f"approximation: {r['level']} average factor over the national fossil-power factor")
        out.append({
            "year": year, "level": r["level"], "region_code": r["region_code"], "name_en": r["name_en"],
            "cfe_share": f"{g:.4f}", "factor_kgco2_per_kwh": r["factor_kgco2_per_kwh"],
            "fossil_factor_kgco2_per_kwh": f"{fossil}", "method": f"1 - factor / fossil factor; {method}",
            "source": f"data/reference/grid_emission_factors.csv ({r['source'].split(';')[0]}); {fossil_src}",
            "source_link": r["source_link"], "year_released": r["year_released"], "date_accessed": "2026-12-01",
        })
    with open(HERE / "grid_cfe_fallback.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(out[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(out)
    print(f"wrote {len(out)} rows")


if __name__ == "__main__":
    main()
