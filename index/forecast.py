"""Business-as-usual (BAU) forecasts of a facility's KPIs with statsmodels.

- **Monthly series** (PUE, WUE, average IT power) have a summer peak: they are fitted with an exponential
  smoothing state-space model, ``ETSModel`` ETS(A,Ad,A) — additive error, additive damped trend, additive
  12-month seasonality [1]_ — or, on request, a seasonal ``SARIMAX`` (1,0,0)(0,1,1)₁₂ with drift.
  Series without seasonality (average IT power) use ETS(A,Ad,N).
- **Annual series** (e.g. rack utilisation, or any KPI with only yearly figures) use an OLS linear trend
  ``y = a + b·year`` with its prediction interval (statsmodels ``OLS.get_prediction``, Student-t).

Every forecast states the model it used and why, and carries a prediction interval. With too few points for
the model (:data:`MIN_MONTHS_SEASONAL` months, :data:`MIN_YEARS_TREND` years) a :class:`InsufficientData`
error says so; nothing is extrapolated from fewer points.

Monthly input: a CSV with a ``month`` column (``YYYY-MM``) and one column per quantity, e.g.
``data/monthly/demo-zjk-hyperscale.csv``. :func:`load_monthly` refuses gaps, duplicates, blanks and negative
values, naming file, row, field and unit.

References
----------
.. [1] Hyndman, R.J. & Athanasopoulos, G. (2021) *Forecasting: principles and practice*, 3rd ed., ch. 8
   (ETS models), OTexts; statsmodels ``statsmodels.tsa.exponential_smoothing.ets.ETSModel``.
"""

from __future__ import annotations

import calendar
import csv
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from common.inputfile import limits, read_text
from index.errors import InputError
from index.models import PLAUSIBILITY

#: fewest months for a seasonal model: two full seasons (the seasonal states cannot be estimated from fewer)
MIN_MONTHS_SEASONAL = 24
#: fewest months for a non-seasonal ETS model
MIN_MONTHS_TREND = 12
#: fewest years for a linear trend with a prediction interval (n − 2 ≥ 1 degrees of freedom)
MIN_YEARS_TREND = 3
#: units of the monthly CSV columns (the column name states the unit, as in index.models.FIGURE_UNITS)
MONTHLY_UNITS = {
    "total_energy_kwh": "kWh", "it_energy_kwh": "kWh", "water_m3": "m3", "grid_kwh": "kWh",
    "onsite_renewable_kwh": "kWh", "sgls_kwh": "kWh", "direct_supply_kwh": "kWh", "green_trading_kwh": "kWh",
    "gec_mwh": "MWh", "waste_heat_reused_kwh": "kWh", "water_recycled_m3": "m3",
}
REQUIRED_MONTHLY = ("total_energy_kwh", "it_energy_kwh")


class InsufficientData(InputError):
    """Too few observations for the requested model (no forecast is made)."""


def _months(labels: list[str], file: str | None):
    out = []
    for i, lab in enumerate(labels):
        try:
            m = pd.Period(lab, freq="M")
            if m is pd.NaT or not isinstance(m, pd.Period):  # "" and "NaT" parse to NaT
                raise ValueError(lab)
            out.append(m)
        except (ValueError, TypeError, OverflowError):
            raise InputError("month must be written YYYY-MM", file=file, field="month", row=i + 1,
                             value=lab) from None
    return out


def load_monthly(path: str | Path):
    """Read and check a monthly metered-data CSV.

    Parameters
    ----------
    path : str or Path
        CSV with ``month`` (``YYYY-MM``) and numeric columns named with their unit (``*_kwh`` [kWh],
        ``water_m3`` [m³], ``gec_mwh`` [MWh]); ``status`` and ``source`` columns are kept as text.

    Returns
    -------
    pandas.DataFrame
        Indexed by month (``PeriodIndex``, freq ``M``), oldest first, numeric columns as float, plus the
        derived ``hours`` [h], ``pue`` [-], ``wue`` [L/kWh] (when water is given) and ``it_kw`` (average IT
        power [kW]).

    Raises
    ------
    InputError
        A directory, empty or oversized file, an undecodable encoding (UTF-8, UTF-16 with BOM, GBK/GB18030
        and latin-1 are read), a row with more cells than headers, a missing required column, a month not
        written ``YYYY-MM``, a duplicated or missing month (gap),
        a blank, non-numeric or negative value, IT energy above total energy. Rows are numbered from 1
        (the first data row).
    """

    p = Path(path)
    text = read_text(p, "monthly CSV")  # directory / empty / too large refused; GBK, UTF-16, latin-1 read
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputError(f"cannot read the CSV: {exc}", file=str(p)) from None
    if len(rows) > limits()["csv.max_rows"]:
        raise InputError(f"{len(rows):,} rows, above the limit of {int(limits()['csv.max_rows']):,}", file=str(p))
    for i, r in enumerate(rows):
        if None in r:
            raise InputError(f"{len(r) - 1 + len(r[None])} cells but {len(r) - 1} column headers", file=str(p),
                             row=i + 1, value=None)
    return monthly_from_rows(rows, file=str(p))


def monthly_from_rows(rows: list[dict], *, file: str | None = None, contiguous: bool = True):
    """Check monthly metered data given as rows (the checks and result of :func:`load_monthly`).

    Parameters
    ----------
    rows : list of dict
        One mapping per month, oldest first: ``month`` (``YYYY-MM``), numeric columns named with their unit
        (:data:`MONTHLY_UNITS`; values as text, as read from a CSV, or as numbers), optional ``status`` and
        ``source`` text. Every row has the same keys.
    file : str, optional
        Where the rows came from, for the error messages.
    contiguous : bool
        Refuse months out of order and gaps (default). With False (a few months replacing stored ones) the
        months may come in any order and leave gaps; they are returned sorted. Duplicates are always refused.

    Returns
    -------
    pandas.DataFrame
        As :func:`load_monthly`.

    Raises
    ------
    InputError
        As :func:`load_monthly`; rows are numbered from 1.
    """

    f = file
    if not rows:
        raise InsufficientData("no monthly rows", file=f)
    cols = list(rows[0])
    if "month" not in cols:
        raise InputError("column 'month' (YYYY-MM) is required", file=f, field="month")
    for c in REQUIRED_MONTHLY:
        if c not in cols:
            raise InputError(f"column '{c}' is required", file=f, field=c, unit=MONTHLY_UNITS[c])
    months = _months([r["month"] for r in rows], f)
    numeric = [c for c in cols if c in MONTHLY_UNITS]
    unknown = [c for c in cols if c not in MONTHLY_UNITS and c not in ("month", "status", "source")]
    if unknown:
        raise InputError(f"unknown column(s) {', '.join(unknown)}; known: {', '.join(MONTHLY_UNITS)}", file=f,
                         field=unknown[0])
    data: dict[str, list[float]] = {c: [] for c in numeric}
    for i, r in enumerate(rows):
        for c in numeric:
            v = r.get(c)
            v = v.strip() if isinstance(v, str) else v
            if v is None or v is pd.NA or (isinstance(v, str) and v == "") or (isinstance(v, float) and v != v):
                raise InputError("blank value: a month with no reading cannot be forecast; give the reading or "
                                 "remove the column", file=f, field=c, row=i + 1, unit=MONTHLY_UNITS[c])
            try:
                if isinstance(v, bool):
                    raise TypeError(v)
                x = float(v)
            except (TypeError, ValueError):
                raise InputError("not a number", file=f, field=c, row=i + 1, unit=MONTHLY_UNITS[c],
                                 value=v) from None
            if not np.isfinite(x) or x < 0:
                raise InputError("must be a finite, non-negative number", file=f, field=c, row=i + 1,
                                 unit=MONTHLY_UNITS[c], value=v)
            cap = PLAUSIBILITY.get(f"figure_max.{MONTHLY_UNITS[c]}")
            if cap is not None and x > cap:
                raise InputError(f"above the largest plausible value {cap:g} {MONTHLY_UNITS[c]} for one facility "
                                 "(data/validation/plausibility.toml)", file=f, field=c, row=i + 1,
                                 unit=MONTHLY_UNITS[c], value=v)
            data[c].append(x)
    if not contiguous:
        seen: dict = {}
        for i, m in enumerate(months):
            if m in seen:
                raise InputError(f"month {m} appears twice (rows {seen[m]} and {i + 1})", file=f, field="month",
                                 row=i + 1, value=str(m))
            seen[m] = i + 1
    for i in range(1, len(months) if contiguous else 0):
        step = (months[i] - months[i - 1]).n
        if step == 0:
            raise InputError(f"month {months[i]} appears twice", file=f, field="month", row=i + 1,
                             value=str(months[i]))
        if step < 0:
            raise InputError(f"months must be in order: {months[i]} comes after {months[i - 1]}", file=f,
                             field="month", row=i + 1, value=str(months[i]))
        if step > 1:
            missing = [str(months[i - 1] + k) for k in range(1, step)]
            raise InputError(f"gap in the monthly data: {', '.join(missing[:6])}"
                             f"{' …' if len(missing) > 6 else ''} missing before {months[i]}; give every month "
                             "(a gap cannot be filled silently)", file=f, field="month", row=i + 1,
                             value=str(months[i]))
    df = pd.DataFrame(data, index=pd.PeriodIndex(months, freq="M"))
    for c in ("status", "source"):
        if any(c in r for r in rows):
            df[c] = [r.get(c) for r in rows]
    bad = np.flatnonzero(df["it_energy_kwh"].to_numpy() > df["total_energy_kwh"].to_numpy())
    if len(bad):
        raise InputError("IT energy is above total energy (PUE below 1)", file=f, field="it_energy_kwh",
                         row=int(bad[0]) + 1, unit="kWh")
    zero = np.flatnonzero(df["it_energy_kwh"].to_numpy() == 0)
    if len(zero):
        raise InputError("IT energy is zero: PUE and WUE are undefined", file=f, field="it_energy_kwh",
                         row=int(zero[0]) + 1, unit="kWh")
    return add_derived(df if contiguous else df.sort_index())


def add_derived(df):
    """Add ``hours`` [h], ``pue`` [-], ``it_kw`` [kW] and, with water, ``wue`` [L/kWh] to a monthly frame."""
    df = df.copy()
    df["hours"] = [calendar.monthrange(p.year, p.month)[1] * 24.0 for p in df.index]
    df["pue"] = df["total_energy_kwh"] / df["it_energy_kwh"]
    df["it_kw"] = df["it_energy_kwh"] / df["hours"]
    if "water_m3" in df.columns:
        df["wue"] = df["water_m3"] * 1000.0 / df["it_energy_kwh"]
    return df


# ------------------------------------------------------------------ models


@dataclass
class FittedModel:
    """A fitted statsmodels model and what it is.

    Attributes
    ----------
    kpi : str
        The series' name (e.g. ``pue``).
    model : str
        The model in words, e.g. ``ETS(A,Ad,A), 12-month seasonality``.
    reason : str
        Why this model was chosen.
    freq : {"M", "A"}
    n_obs : int
    last : pandas.Period
        Last observed period.
    results : object
        The statsmodels results object (``ETSResults``, ``SARIMAXResults`` or ``RegressionResults``).
    aic : float
    """

    kpi: str
    model: str
    reason: str
    freq: str
    n_obs: int
    last: object
    results: object = field(repr=False)
    aic: float = float("nan")
    years: np.ndarray | None = field(default=None, repr=False)
    transform: str | None = None
    offset: float = 0.0

    def _back(self, x):
        return np.exp(x) + self.offset if self.transform == "log" else x

    def simulate(self, steps: int, repetitions: int, rng: np.random.Generator) -> np.ndarray:
        """Simulated future paths from the model's own simulation, shape (steps, repetitions).

        ETS and SARIMAX use their ``simulate(anchor="end")`` (Gaussian errors with the fitted variance);
        the annual OLS trend draws from its predictive distribution (Student-t with n − 2 degrees of
        freedom around the trend, parameter uncertainty included), independently per year.
        """
        if self.freq == "M":
            if self.model.startswith("ETS"):
                out = self.results.simulate(steps, anchor="end", repetitions=repetitions, rng=rng)
            else:
                out = self.results.simulate(steps, anchor="end", repetitions=repetitions, rng=rng)
            arr = np.asarray(out, dtype=float)
            return self._back(arr.reshape(steps, repetitions))
        pred = self.results.get_prediction(_design(self.years[-1] + np.arange(1, steps + 1)))
        mean = np.asarray(pred.predicted_mean)
        se = np.sqrt(np.asarray(pred.se_mean) ** 2 + self.results.scale)
        t = rng.standard_t(max(self.n_obs - 2, 1), size=(steps, repetitions))
        return mean[:, None] + se[:, None] * t


@dataclass
class Forecast:
    """A forecast with its prediction interval.

    Attributes
    ----------
    kpi : str
    model, reason : str
        Model used and why (see :class:`FittedModel`).
    periods : list of str
        Forecast periods (``YYYY-MM`` or ``YYYY``).
    mean, lower, upper : numpy.ndarray
        Point forecast and the ``1 − alpha`` prediction interval [KPI unit].
    alpha : float
    n_obs : int
    """

    kpi: str
    model: str
    reason: str
    periods: list[str]
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    alpha: float
    n_obs: int

    def frame(self):
        """As a DataFrame indexed by period: ``mean``, ``lower``, ``upper``."""

        return pd.DataFrame({"mean": self.mean, "lower": self.lower, "upper": self.upper},
                            index=pd.Index(self.periods, name="period"))

    def to_dict(self) -> dict:
        return {"kpi": self.kpi, "model": self.model, "reason": self.reason, "alpha": self.alpha,
                "n_obs": self.n_obs,
                "forecast": [{"period": p, "mean": float(m), "lower": float(lo), "upper": float(hi)}
                             for p, m, lo, hi in zip(self.periods, self.mean, self.lower, self.upper, strict=True)]}


def _as_monthly_series(series, kpi: str):
    s = pd.Series(series).astype(float)
    if not isinstance(s.index, pd.PeriodIndex):
        try:
            s.index = pd.PeriodIndex(s.index, freq="M")
        except (ValueError, TypeError):
            raise InputError("a monthly series needs a month index (YYYY-MM)", field=kpi) from None
    if s.isna().any():
        bad = s.index[s.isna()][0]
        raise InputError(f"missing value in {bad}: fill the month or shorten the series", field=kpi,
                         row=str(bad))
    if len(s) > 1:
        steps = np.diff(s.index.asi8)
        if (steps != 1).any():
            i = int(np.flatnonzero(steps != 1)[0])
            raise InputError(f"gap in the monthly series after {s.index[i]} (next month given: "
                             f"{s.index[i + 1]})", field=kpi, row=str(s.index[i + 1]))
    return s


def fit_monthly(series, kpi: str, *, seasonal: bool = True, model: str = "ets", log: bool = False,
                offset: float = 0.0, max_damping: float | None = None) -> FittedModel:
    """Fit a monthly BAU model.

    Parameters
    ----------
    series : pandas.Series
        Monthly values indexed by month (``PeriodIndex`` or ``YYYY-MM`` labels), consecutive, no blanks
        [KPI unit, e.g. PUE [-], WUE [L/kWh], average IT power [kW]].
    kpi : str
        Name used in messages and results.
    seasonal : bool
        12-month seasonality (PUE and WUE have a summer peak); False for e.g. average IT power.
    model : {"ets", "sarimax"}
        ``ets``: ``ETSModel`` ETS(A,Ad,A) (seasonal) or ETS(A,Ad,N); ``sarimax``: SARIMAX (1,0,0)(0,1,1)₁₂
        with drift (seasonal) or (1,1,0) with drift.
    log : bool
        Fit on the natural logarithm (for positive series whose seasonal swing is proportional to the level,
        e.g. WUE, which is near zero in a free-cooled winter): forecasts and simulations are transformed back
        with ``exp``, so they stay positive; the point forecast is then the median.
    offset : float
        With ``log``: model ``log(y − offset)`` (e.g. ``offset=1`` for PUE: the log of the overhead
        PUE − 1, so simulated PUEs stay above 1 and the seasonal swing scales with the overhead).
    max_damping : float, optional
        Upper bound of the ETS damping parameter φ (statsmodels' default bound 0.98 when None). A BAU
        forecast uses 0.90: the remaining effect of the recent trend is then at most φ/(1 − φ) = 9 monthly
        slopes, i.e. the trend flattens within about a year unless new measures are taken.

    Returns
    -------
    FittedModel

    Raises
    ------
    InsufficientData
        Fewer than :data:`MIN_MONTHS_SEASONAL` (seasonal) or :data:`MIN_MONTHS_TREND` months.
    InputError
        A gap or a blank in the series, an unknown model.
    """

    s = _as_monthly_series(series, kpi)
    need = MIN_MONTHS_SEASONAL if seasonal else MIN_MONTHS_TREND
    if len(s) < need:
        raise InsufficientData(
            f"{len(s)} monthly values of {kpi} are too few for a {'seasonal ' if seasonal else ''}model: at least "
            f"{need} months are needed ({'two full seasons to estimate the 12 seasonal states' if seasonal else 'one year'}); "
            "no forecast is made", field=kpi, value=len(s))
    y = s.copy()
    if log:
        if (y <= offset).any():
            raise InputError(f"a log model needs values of {kpi} above {offset:g}", field=kpi,
                             row=str(y.index[(y <= offset).to_numpy()][0]))
        y = np.log(y - offset)
    y.index = y.index.to_timestamp()
    y.index.freq = "MS"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if model == "ets":
            from statsmodels.tsa.exponential_smoothing.ets import ETSModel  # noqa: PLC0415 - statsmodels is heavy (~1 s), only fitting paths

            bounds = {"damping_trend": (0.8, max_damping)} if max_damping is not None else None
            res = ETSModel(y, error="add", trend="add", damped_trend=True,
                           seasonal="add" if seasonal else None, seasonal_periods=12 if seasonal else None,
                           bounds=bounds).fit(disp=False)
            name = "ETS(A,Ad,A), 12-month additive seasonality" if seasonal else "ETS(A,Ad,N)"
            reason = ("monthly series with a trend" + (" and a summer peak" if seasonal else "") +
                      ": exponential smoothing with a damped trend, so the trend flattens instead of "
                      "extrapolating linearly for years")
        elif model == "sarimax":
            from statsmodels.tsa.statespace.sarimax import SARIMAX  # noqa: PLC0415 - statsmodels is heavy (~1 s), only fitting paths

            if seasonal:
                res = SARIMAX(y, order=(1, 0, 0), seasonal_order=(0, 1, 1, 12), trend="c").fit(disp=False)
                name = "SARIMAX(1,0,0)(0,1,1)12 with drift"
            else:
                res = SARIMAX(y, order=(1, 1, 0), trend="c").fit(disp=False)
                name = "SARIMAX(1,1,0) with drift"
            reason = "requested: seasonal ARIMA state-space model" if seasonal else "requested: ARIMA with drift"
        else:
            raise InputError(f"unknown model {model!r}: use 'ets' or 'sarimax'", field="model", value=model)
    if max_damping is not None and model == "ets":
        name += f", damping φ ≤ {max_damping:g}"
        reason += f"; damping bounded at {max_damping:g} so the recent trend fades (BAU: no new measures)"
    if log:
        name = f"log(y{f' − {offset:g}' if offset else ''})-{name}"
        reason += ("; fitted on the logarithm" + (f" of {kpi} − {offset:g}" if offset else "") +
                   " so the seasonal swing scales with the level and values stay in range")
    return FittedModel(kpi=kpi, model=name, reason=reason, freq="M", n_obs=len(s), last=s.index[-1],
                       results=res, aic=float(res.aic), transform="log" if log else None, offset=offset)


def _design(years):
    x = np.asarray(years, dtype=float)
    return np.column_stack([np.ones_like(x), x - 2000.0])


def fit_annual(values, kpi: str) -> FittedModel:
    """Fit an OLS linear trend to an annual series.

    Parameters
    ----------
    values : mapping of int to float, or pandas.Series indexed by year
        Annual KPI values [KPI unit], consecutive years.

    Returns
    -------
    FittedModel

    Raises
    ------
    InsufficientData
        Fewer than :data:`MIN_YEARS_TREND` years (a trend through two points has no prediction interval).
    InputError
        Missing years in between, or a blank value.
    """
    import statsmodels.api as sm  # noqa: PLC0415 - statsmodels is heavy (~1 s), only fitting paths

    items = sorted((int(k), v) for k, v in dict(values).items())
    if len(items) < MIN_YEARS_TREND:
        raise InsufficientData(
            f"{len(items)} annual value(s) of {kpi} are too few for a trend with a prediction interval: at least "
            f"{MIN_YEARS_TREND} years are needed; no forecast is made", field=kpi, value=len(items))
    years = np.array([k for k, _ in items])
    if (np.diff(years) != 1).any():
        raise InputError(f"annual series of {kpi} has missing years between {years[0]} and {years[-1]}",
                         field=kpi, value=years.tolist())
    y = np.array([np.nan if v is None else float(v) for _, v in items])
    if np.isnan(y).any():
        raise InputError(f"blank value of {kpi} in {int(years[np.isnan(y)][0])}", field=kpi,
                         row=str(int(years[np.isnan(y)][0])))
    res = sm.OLS(y, _design(years)).fit()
    return FittedModel(kpi=kpi, model="OLS linear trend y = a + b·year", freq="A", n_obs=len(y), last=int(years[-1]),
                       reason="annual series: a linear trend is the simplest model the few points support; "
                              "Student-t prediction interval", results=res, aic=float(res.aic), years=years)


def forecast(fitted: FittedModel, steps: int, alpha: float = 0.05) -> Forecast:
    """Point forecast and ``1 − alpha`` prediction interval for ``steps`` periods after the data.

    Raises
    ------
    InputError
        ``steps`` < 1 or ``alpha`` outside (0, 1).
    """
    if steps < 1:
        raise InputError("forecast horizon must be at least 1 period", field="steps", value=steps)
    if not 0 < alpha < 1:
        raise InputError("alpha must be between 0 and 1", field="alpha", value=alpha)
    if fitted.freq == "A":
        yrs = fitted.years[-1] + np.arange(1, steps + 1)
        sf = fitted.results.get_prediction(_design(yrs)).summary_frame(alpha=alpha)
        return Forecast(fitted.kpi, fitted.model, fitted.reason, [str(int(y)) for y in yrs],
                        sf["mean"].to_numpy(), sf["obs_ci_lower"].to_numpy(), sf["obs_ci_upper"].to_numpy(),
                        alpha, fitted.n_obs)
    res = fitted.results
    n = fitted.n_obs
    pred = res.get_prediction(start=n, end=n + steps - 1)
    sf = pred.summary_frame(alpha=alpha)
    if "pi_lower" in sf.columns:
        lo, hi = sf["pi_lower"].to_numpy(), sf["pi_upper"].to_numpy()
    else:
        lo, hi = sf["mean_ci_lower"].to_numpy(), sf["mean_ci_upper"].to_numpy()
    periods = [str(fitted.last + k) for k in range(1, steps + 1)]
    b = fitted._back
    return Forecast(fitted.kpi, fitted.model, fitted.reason, periods, b(sf["mean"].to_numpy()), b(lo), b(hi),
                    alpha, n)


def seasonal_amplitude(fitted: FittedModel) -> np.ndarray:
    """The 12 fitted seasonal effects of an ETS model, by calendar month (January first) [KPI unit]."""
    if "ETS" not in fitted.model or "seasonal" not in fitted.model:
        raise InputError("the model has no ETS seasonal component", field="model", value=fitted.model)
    season = np.asarray(fitted.results.season)
    last12 = season[-12:]
    months = [(fitted.last - 11 + k).month for k in range(12)]
    out = np.empty(12)
    for m, v in zip(months, last12, strict=True):
        out[m - 1] = v
    return out
