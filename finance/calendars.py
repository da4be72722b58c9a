"""Business-day calendars and date adjustment.

Two calendars:

``CN``
    Chinese working days as published by the State Council each year, holidays *and* make-up working days
    (调休), from the maintained `chinese-calendar` library [1]_. For years that library does not cover yet
    (1.11 covers 2004-2026 and raises ``NotImplementedError`` from 2027), the fallback is weekends plus the
    statutory public holidays of the National Holidays and Memorial Days Regulations (2024 revision) [2]_,
    listed in ``data/finance/cn_statutory_holidays.csv``; the lunar ones (Spring Festival, Dragon Boat,
    Mid-Autumn) and the Qingming solar term are converted to Gregorian dates by the maintained `holidays`
    library [3]_, with the substitute days of art. 4 of the Regulations: a holiday of all citizens that falls on a
    Saturday or Sunday is made up on the following working day(s) (适逢星期六、星期日，应当在工作日补假), as
    ``holidays.China(observed=True)`` applies it. The fallback cannot know the make-up working days nor the bridging
    days a future notice will set, so every date in a fallback year is **provisional** (:meth:`Calendar.is_provisional`).
``US_FED``
    New York banking days: weekdays that are not Federal Reserve holidays (Federal Reserve Board holiday
    schedule, ``holidays.financial_holidays("XFED")`` [4]_). USD payment dates and business-day counts.
``US_SIFMA``
    U.S. Government Securities Business Days: weekdays SIFMA does not recommend as a full close of the U.S.
    bond market (``holidays.financial_holidays("SIFMA")`` [4]_; early closes are business days). The Term SOFR
    fixing calendar (ARRC).
``WEEKEND``
    Saturdays and Sundays only (kept for deals written before the US calendars; not a market calendar).

References
----------
.. [1] LKI, *chinese-calendar* 1.11, https://github.com/LKI/chinese-calendar
.. [2] State Council Decree No. 795, 全国年节及纪念日放假办法 (revised 2024-11-12, effective 2025-01-01).
.. [3] vacanza, *holidays* (Open World Holidays Framework), ``holidays.China(observed=True)``.
.. [4] vacanza, *holidays* financial calendars ``XFED`` (Federal Reserve Board, "Holidays Observed by the Federal
   Reserve System") and ``SIFMA`` (SIFMA holiday recommendations). QuantLib's ``UnitedStates(FederalReserve)`` and
   ``UnitedStates(GovernmentBond)`` agree day by day for 2024-2032 (tests/finance/test_calendars.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools

from finance.conventions import HOLIDAYS_FILE

BUSINESS_DAY_CONVENTIONS = ("following", "modified_following", "preceding", "unadjusted")
CALENDARS = ("CN", "US_FED", "US_SIFMA", "WEEKEND")
_US_MARKETS = {"US_FED": "XFED", "US_SIFMA": "SIFMA"}


@functools.cache
def _statutory_days_per_year() -> int:
    """Number of statutory holiday days per year from 2025 on (13), from the data file."""
    with open(HOLIDAYS_FILE, newline="", encoding="utf-8") as fh:
        return sum(int(r["days"]) for r in csv.DictReader(fh))


@functools.cache
def cn_statutory_holidays(year: int) -> frozenset[dt.date]:
    """Statutory public holidays of one year (no make-up days, no bridging days).

    Parameters
    ----------
    year : int
        Calendar year, 2025 or later (the regulation revised in 2024 applies from 2025).

    Returns
    -------
    frozenset of datetime.date
        The holiday dates and their substitute days (a statutory holiday on a Saturday or Sunday is made up on
        the following working day, Regulations art. 4); a date may carry two holidays (Mid-Autumn on 1-3 October).

    Raises
    ------
    RuntimeError
        If the `holidays` library's count of holiday days differs from the 13 days per year of
        ``data/finance/cn_statutory_holidays.csv`` (the regulation would have changed again).
    """
    import holidays  # noqa: PLC0415 - heavy library, only this path needs it; finance is imported by every deal workflow

    h = holidays.China(years=year, observed=True)
    n_named = sum(1 for name in h.values() for part in name.split("; ") if "(observed)" not in part)
    if year >= 2025 and n_named != _statutory_days_per_year():
        raise RuntimeError(
            f"holidays.China({year}) lists {n_named} statutory holiday days, data/finance/cn_statutory_holidays.csv "
            f"says {_statutory_days_per_year()}: update the data file or the library")
    return frozenset(h.keys())


@functools.cache
def us_holidays(market: str, year: int) -> frozenset[dt.date]:
    """Full-day closes of a US market calendar in one year.

    Parameters
    ----------
    market : {"XFED", "SIFMA"}
        Federal Reserve holidays (New York banking days) or SIFMA full-close recommendations.
    year : int

    Returns
    -------
    frozenset of datetime.date
    """
    import holidays  # noqa: PLC0415 - heavy library, only this path needs it; finance is imported by every deal workflow

    return frozenset(holidays.financial_holidays(market, years=year).keys())


class Calendar:
    """A business-day calendar.

    Parameters
    ----------
    name : {"CN", "US_FED", "US_SIFMA", "WEEKEND"}
        Calendar code (see the module docstring).

    Raises
    ------
    ValueError
        For an unknown code.
    """

    def __init__(self, name: str):
        if name not in CALENDARS:
            raise ValueError(f"unknown calendar {name!r}: use one of {CALENDARS}")
        self.name = name
        self._cache: dict[dt.date, tuple[bool, bool]] = {}

    def _lookup(self, d: dt.date) -> tuple[bool, bool]:
        hit = self._cache.get(d)
        if hit is not None:
            return hit
        if self.name == "WEEKEND":
            out = (d.weekday() < 5, False)
        elif self.name in _US_MARKETS:
            out = (d.weekday() < 5 and d not in us_holidays(_US_MARKETS[self.name], d.year), False)
        else:
            import chinese_calendar  # noqa: PLC0415 - heavy library, only this path needs it; finance is imported by every deal workflow

            try:
                out = (bool(chinese_calendar.is_workday(d)), False)
            except NotImplementedError:
                out = (d.weekday() < 5 and d not in cn_statutory_holidays(d.year), True)
        self._cache[d] = out
        return out

    def is_business_day(self, d: dt.date) -> bool:
        """True on a working day (make-up Saturdays included for ``CN``)."""
        return self._lookup(d)[0]

    def is_provisional(self, d: dt.date) -> bool:
        """True when ``d`` lies in a year the official calendar does not cover yet (fallback used)."""
        return self._lookup(d)[1]

    def adjust(self, d: dt.date, convention: str = "modified_following") -> dt.date:
        """Move a date to a business day.

        Parameters
        ----------
        d : datetime.date
        convention : {"following", "modified_following", "preceding", "unadjusted"}
            ISDA 2006 §4.12 business-day conventions. Modified following rolls forward unless that
            leaves the month, then backward.

        Returns
        -------
        datetime.date

        Examples
        --------
        In 2025 (State Council notice 国办发明电〔2024〕12号) National Day and Mid-Autumn are off from 1 to
        8 October, so 1 October rolls to Thursday 9 October; the Dragon Boat Festival is off from Saturday
        31 May to Monday 2 June, so modified following leaves May and rolls back to Friday 30 May.

        >>> import datetime as dt
        >>> cn = get_calendar("CN")
        >>> cn.adjust(dt.date(2025, 10, 1), "following"), cn.adjust(dt.date(2025, 10, 1), "preceding")
        (datetime.date(2025, 10, 9), datetime.date(2025, 9, 30))
        >>> cn.adjust(dt.date(2025, 5, 31), "following"), cn.adjust(dt.date(2025, 5, 31), "modified_following")
        (datetime.date(2025, 6, 3), datetime.date(2025, 5, 30))
        """
        if convention == "unadjusted":
            return d
        one = dt.timedelta(days=1)
        if convention == "preceding":
            while not self.is_business_day(d):
                d -= one
            return d
        out = d
        while not self.is_business_day(out):
            out += one
        if convention == "modified_following" and out.month != d.month:
            out = d
            while not self.is_business_day(out):
                out -= one
        if convention not in ("following", "modified_following"):
            raise ValueError(f"unknown business-day convention {convention!r}: use one of {BUSINESS_DAY_CONVENTIONS}")
        return out

    def add_business_days(self, d: dt.date, n: int) -> dt.date:
        """The date ``n`` business days after ``d`` (``n`` ≥ 0; ``n = 0`` adjusts forward)."""
        one = dt.timedelta(days=1)
        while not self.is_business_day(d):
            d += one
        for _ in range(n):
            d += one
            while not self.is_business_day(d):
                d += one
        return d

    def sub_business_days(self, d: dt.date, n: int) -> dt.date:
        """The date ``n`` business days before ``d`` (``n`` ≥ 0; ``n = 0`` adjusts backward).

        A fixing "two U.S. Government Securities Business Days before the first day of the interest period"
        is ``get_calendar("US_SIFMA").sub_business_days(start, 2)``.
        """
        one = dt.timedelta(days=1)
        while not self.is_business_day(d):
            d -= one
        for _ in range(n):
            d -= one
            while not self.is_business_day(d):
                d -= one
        return d


@functools.cache
def get_calendar(name: str) -> Calendar:
    """Shared :class:`Calendar` instance for a code (see :data:`CALENDARS`)."""
    return Calendar(name)
