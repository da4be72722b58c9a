"""Conventions and defaults of the finance engine, loaded from ``data/finance/``.

The data live in ``data/finance/conventions.toml`` (currencies, base rates, day counts, interest periods,
defaults, KPI directions; every entry with a ``source``) and ``data/finance/lpr.csv`` (the published LPR
history). Nothing here is a bare literal: code reads :data:`DEFAULTS` and :func:`conventions`.
Error messages are named constants, in the style of rateslib's ``defaults``.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import tomllib

from common.settings import data_dir
from index.errors import InputError

DATA_DIR = data_dir() / "finance"
CONVENTIONS_FILE = DATA_DIR / "conventions.toml"
LPR_FILE = DATA_DIR / "lpr.csv"
HOLIDAYS_FILE = DATA_DIR / "cn_statutory_holidays.csv"

# --- error messages (named so tests and the app can refer to them) ---------------------------------
ERR_OBSERVATION_AFTER_MATURITY = "observation date {obs} is after the loan's maturity {maturity}: the margin could never change"
ERR_OBSERVATIONS_NOT_ORDERED = "observation dates (and their SPTs) must be strictly increasing in time: {prev} then {this}"
ERR_TEST_PERIODS_OVERLAP = "test period {this} overlaps the previous test period {prev}: each test period must start after the previous one ends"
ERR_CERTIFICATE_BEFORE_OBSERVATION = "certificate due date {due} is before the observation date {obs}"
ERR_STEP_DOWN_SIGN = "step_down_bp must be negative (a margin reduction when the SPT is met)"
ERR_STEP_DOWN_MISSING = "give step_down_bp for the ratchet, or a step_down_bp for every KPI"
ERR_KPI_STEPS_MIXED = ("some KPIs give their own step_down_bp and some do not: give a step for every KPI "
                       "(per-KPI steps) or for none (the ratchet's step shared by weight)")
ERR_STEP_UP_SIGN = "step_up_bp must be zero (one-way ratchet) or positive (two-way ratchet)"
ERR_CAP_BELOW_STEP = "cap_bp {cap} is smaller than one step ({step} bp): the full step could never apply"
ERR_CURRENCY_BASE_RATE = "base rate {base} is not used for {ccy} loans; use one of {allowed}"
ERR_REPAYMENTS_SUM = "custom repayments sum to {repaid} but the amount drawn is {drawn}: they must repay exactly the drawn amount"
ERR_DRAWDOWNS_EXCEED = "drawdowns sum to {drawn}, more than the facility amount {amount}"
ERR_DRAWDOWN_OUTSIDE = "drawdown on {date} is outside the availability period {start} .. {end} (first repayment date)"
ERR_WEIGHTS_SUM = "KPI weights sum to {total}, they must sum to 1"
ERR_BASE_RATE_PATH = "no base-rate fixing for {index} on {date}: give base_rate.path from on or before that date"
ERR_BASE_RATE_FIXING = ("{msg} (the rate for accrual from {start} is fixed on {date}, {lag} {calendar} business days "
                        "before: base_rate.path is dated by fixing date)")
ERR_KPI_UNKNOWN = "unknown KPI '{kpi}': use 'index', 'core' or an indicator id listed in conventions.toml [kpi.*], or give its direction"
ERR_SPT_MISSING = "observation {obs} has no SPT for KPI '{kpi}' used by the ratchet"
ERR_GRACE_TOO_LONG = "the grace period ends on {grace_end}, on or after maturity {maturity}: nothing left to amortise"
ERR_SCENARIO_UNKNOWN = "unknown scenario '{name}': use one of {allowed}"
ERR_NO_OUTCOME = "observation {obs} has neither a verified result nor facility period data; choose a scenario (e.g. --scenario met) that supplies it"


class _Conventions:
    """Parsed ``conventions.toml`` (see the module docstring)."""

    def __init__(self, data: dict):
        self.raw = data
        self.currency: dict = data["currency"]
        self.base_rate: dict = data["base_rate"]
        self.day_count: dict = data["day_count"]
        self.interest_period: dict = data["interest_period"]
        self.defaults: dict = data["defaults"]
        self.kpi: dict = data["kpi"]

    def denominator(self, day_count: str) -> int:
        """Year basis of a day count [days] (360 for ACT/360, 365 for ACT/365F).

        Interest for an accrual period is outstanding × rate × actual days / basis (ISDA 2006 §4.16 (e), (d)).

        Examples
        --------
        CNY 100,000,000 at 3.40 % from 2025-03-21 to 2025-06-21 (10 + 30 + 31 + 21 = 92 actual days):
        ACT/360 gives 100,000,000 × 0.034 × 92 / 360 = 868,888.89; ACT/365F gives 856,986.30.

        >>> import datetime as dt
        >>> c = conventions()
        >>> c.denominator("ACT/360"), c.denominator("ACT/365F")
        (360, 365)
        >>> days = (dt.date(2025, 6, 21) - dt.date(2025, 3, 21)).days
        >>> days
        92
        >>> [round(100_000_000 * 0.034 * days / c.denominator(dc), 2) for dc in ("ACT/360", "ACT/365F")]
        [868888.89, 856986.3]
        """
        return int(self.day_count[day_count]["denominator"])

    def months(self, interest_period: str) -> int:
        """Length of an interest period [months]."""
        return int(self.interest_period[interest_period]["months"])


@functools.cache
def conventions() -> _Conventions:
    """Load ``data/finance/conventions.toml`` once.

    Returns
    -------
    _Conventions
        Currencies, base rates, day counts, interest periods, defaults and KPI directions.
    """
    with open(CONVENTIONS_FILE, "rb") as fh:
        return _Conventions(tomllib.load(fh))


DEFAULTS = conventions().defaults


@functools.cache
def lpr_history(tenor: str) -> tuple[tuple[dt.date, float], ...]:
    """Published LPR fixings for one tenor, oldest first.

    Parameters
    ----------
    tenor : {"1Y", "5Y"}

    Returns
    -------
    tuple of (date, rate [%])
        Effective date of each quotation and its rate in percent.

    Notes
    -----
    Source: National Interbank Funding Center quotations as listed with their sources in
    ``data/finance/lpr.csv``.
    """
    out = []
    with open(LPR_FILE, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["tenor"] == tenor:
                out.append((dt.date.fromisoformat(row["effective_date"]), float(row["rate_pct"])))
    out.sort()
    return tuple(out)


def parse_rate_fixings(text: str, name: str = "fixings.csv") -> list[dict]:
    """Published base-rate fixings (e.g. CME Term SOFR or SOFR prints) from CSV text, as ``base_rate.path`` entries.

    Parameters
    ----------
    text : str
        CSV with a header and the columns ``date`` (ISO date of the print: the fixing date) and ``rate_pct``
        [% p.a.]; other columns (``source``, ``source_link``, ...) are allowed and ignored.
    name : str
        File name used in error messages.

    Returns
    -------
    list of dict
        ``{"from": date, "rate_pct": float}`` sorted by date, ready for ``LoanTerms.base_rate.path`` (the
        schedule looks up each period's fixing date in it, e.g. two SIFMA days before a Term SOFR period).

    Raises
    ------
    index.errors.InputError
        Missing column, a date or rate that does not parse, a rate outside −5 .. 30 % p.a., or a date given twice;
        the message names the file, row (1 = first data row), field and unit.
    """

    reader = csv.DictReader(text.splitlines())
    missing = {"date", "rate_pct"} - set(reader.fieldnames or [])
    if missing:
        raise InputError(f"missing column(s) {sorted(missing)}: the file needs 'date' and 'rate_pct'", file=name)
    out: dict[dt.date, float] = {}
    lo, hi = (float(x) for x in conventions().defaults["fixing_rate_range_pct"])
    for i, row in enumerate(reader, start=1):
        try:
            d = dt.date.fromisoformat((row["date"] or "").strip())
        except ValueError:
            raise InputError("not an ISO date (YYYY-MM-DD)", file=name, row=i, field="date",
                             value=row["date"]) from None
        try:
            r = float(row["rate_pct"])
        except (TypeError, ValueError):
            raise InputError("not a number", file=name, row=i, field="rate_pct", unit="% p.a.",
                             value=row["rate_pct"]) from None
        if not lo <= r <= hi:
            raise InputError(f"rate outside {lo:g} .. {hi:g} % p.a. (a percentage is expected: 4.3, not 430 bp)",
                             file=name, row=i, field="rate_pct", unit="% p.a.", value=r)
        if d in out:
            raise InputError("date given twice", file=name, row=i, field="date", value=str(d))
        out[d] = r
    return [{"from": d, "rate_pct": out[d]} for d in sorted(out)]
