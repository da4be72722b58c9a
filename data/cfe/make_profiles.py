"""Write ``profiles_eia930.csv``: hourly solar and wind output shapes of a typical year, for the PPA lever of the
hourly Monte Carlo (index.cfe.paths).

Source: the shared EIA-930 hourly net generation by fuel, 2022 (``shared/data/real/eia930-hourly-mix``, columns
``SUN`` and ``WND`` [MWh], UTC hours; see its SOURCE.md). Each column is shifted to the balancing authority's
local *standard* time (no DST; offsets in :data:`UTC_OFFSET`) and divided by its own annual mean, so a value is
the hour's output relative to the year's average hour (mean 1 over the 8,760 hours). Row ``hour_of_year`` 0 is
1 January 00:00–01:00 local standard time. A PPA of ``P`` MW at annual capacity factor ``CF`` then delivers
``P × CF × value`` MWh in that hour.

Run from the project root: ``python data/cfe/make_profiles.py [SHARED_REAL_DIR]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
#: balancing authority → UTC offset of its local standard time [h] (EIA-930 reference tables, "Time Zone"
#: column: Eastern −5, Central −6, Arizona −7, Pacific −8); BAs spanning two zones (MISO, SOCO) are left out
UTC_OFFSET = {"AZPS": -7, "BPAT": -8, "CISO": -8, "ERCO": -6, "NYIS": -5, "PJM": -5}


def main(real: Path) -> None:
    out = pd.DataFrame({"hour_of_year": range(8760)})
    for ba, off in UTC_OFFSET.items():
        df = pd.read_csv(real / "eia930-hourly-mix" / f"{ba}_NG_&_avgCI.csv")
        ts = pd.to_datetime(df["timestamp"], utc=True) + pd.Timedelta(hours=off)
        for col in ("SUN", "WND"):
            s = pd.Series(pd.to_numeric(df[col], errors="coerce").to_numpy(), index=ts.dt.tz_localize(None))
            s = s.reindex(pd.date_range("2022-01-01", periods=8760, freq="h"))
            # the first |offset| local hours fall in 2021 (not in the file): take the same hours one day later
            s = s.fillna(s.shift(-24)).interpolate(limit_area="inside").fillna(0.0).clip(lower=0.0)
            if s.mean() > 0:  # NYIS reports no utility solar in 2022: no SUN profile
                out[f"{ba}_{col}"] = (s / s.mean()).round(4).to_numpy()
    out.to_csv(HERE / "profiles_eia930.csv", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared" / "data" / "real")
