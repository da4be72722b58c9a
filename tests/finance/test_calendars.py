"""Chinese and weekend calendars: holidays, make-up working days (调休), adjustment, fallback years.

Expected values come from the State Council holiday notices (国办发明电〔2024〕12号 for 2025, 〔2025〕7号 for 2026)
and from QuantLib's China.IB (interbank) calendar, which agrees with them day by day for 2019-2026.
"""

import datetime as dt

import pytest

from finance.calendars import cn_statutory_holidays, get_calendar

D = dt.date.fromisoformat
CN = get_calendar("CN")
WK = get_calendar("WEEKEND")


@pytest.mark.parametrize("day, business, why", [
    ("2024-10-01", False, "National Day 2024 (Tue), holiday 1-7 Oct"),
    ("2024-10-07", False, "National Day week 2024"),
    ("2024-10-08", True, "first working day after National Day 2024"),
    ("2024-09-29", True, "make-up working Sunday before National Day 2024"),
    ("2024-10-12", True, "make-up working Saturday after National Day 2024"),
    ("2025-01-28", False, "Lunar New Year's Eve 2025, statutory from 2025"),
    ("2025-02-04", False, "Spring Festival 2025 holiday 28 Jan - 4 Feb"),
    ("2025-01-26", True, "make-up working Sunday before Spring Festival 2025"),
    ("2025-02-08", True, "make-up working Saturday after Spring Festival 2025"),
    ("2025-05-02", False, "Labour Day 2025, 2 May statutory from 2025"),
    ("2025-04-27", True, "make-up working Sunday before Labour Day 2025"),
    ("2025-10-08", False, "National Day + Mid-Autumn 2025, 1-8 Oct"),
    ("2025-09-28", True, "make-up working Sunday 2025"),
    ("2025-10-11", True, "make-up working Saturday 2025"),
    ("2026-02-16", False, "Lunar New Year's Eve 2026"),
    ("2026-02-14", True, "make-up working Saturday before Spring Festival 2026"),
    ("2025-10-13", True, "ordinary Monday"),
    ("2025-10-12", False, "ordinary Sunday"),
])
def test_cn_business_days(day, business, why):
    assert CN.is_business_day(D(day)) is business, why
    assert CN.is_provisional(D(day)) is False


@pytest.mark.parametrize("day, convention, expected", [
    # 20 Sep 2025 is a Saturday: following -> Mon 22 Sep
    ("2025-09-20", "following", "2025-09-22"),
    # 20 Dec 2025 Saturday -> Mon 22 Dec
    ("2025-12-20", "modified_following", "2025-12-22"),
    # 1 Oct 2025 holiday to 8 Oct: following 9 Oct (Thu)
    ("2025-10-01", "following", "2025-10-09"),
    ("2025-10-01", "preceding", "2025-09-30"),
    # 30 Sep 2024 Mon is a working day: unchanged
    ("2024-09-30", "modified_following", "2024-09-30"),
    # 31 Jan 2025 (Fri) is a Spring Festival... no: holiday ends 4 Feb; 31 Jan is a holiday (28 Jan - 4 Feb)
    # following -> 5 Feb leaves the month, modified following goes back to 27 Jan (Mon)
    ("2025-01-31", "modified_following", "2025-01-27"),
    ("2025-01-31", "following", "2025-02-05"),
    # make-up Saturday 11 Oct 2025 is a business day: unchanged
    ("2025-10-11", "modified_following", "2025-10-11"),
    ("2025-06-21", "unadjusted", "2025-06-21"),
])
def test_cn_adjust(day, convention, expected):
    assert CN.adjust(D(day), convention) == D(expected)


@pytest.mark.parametrize("start, n, expected", [
    ("2026-04-24", 5, "2026-05-06"),   # Fri; 27-30 Apr, then Labour Day 1-5 May 2026, so 6 May
    ("2025-09-26", 3, "2025-09-30"),   # Fri; Sun 28 Sep is a make-up working day: 28, 29, 30
    ("2025-12-31", 1, "2026-01-04"),   # New Year 2026: 1-3 Jan holiday, Sun 4 Jan a make-up working day
    ("2025-01-24", 2, "2025-01-27"),   # Fri; Sun 26 Jan make-up day, Mon 27 Jan
])
def test_cn_add_business_days(start, n, expected):
    assert CN.add_business_days(D(start), n) == D(expected)


def test_cn_agrees_with_quantlib_interbank_2019_2026():
    ql = pytest.importorskip("QuantLib")
    ib = ql.China(ql.China.IB)
    d = D("2019-01-01")
    while d <= D("2026-12-31"):
        assert CN.is_business_day(d) == ib.isBusinessDay(ql.Date(d.day, d.month, d.year)), d
        d += dt.timedelta(1)


def test_quantlib_sse_differs_on_makeup_saturdays():
    ql = pytest.importorskip("QuantLib")
    sse = ql.China(ql.China.SSE)
    # 11 Oct 2025 is a make-up working Saturday: a working day for loans, not an exchange trading day
    assert CN.is_business_day(D("2025-10-11"))
    assert not sse.isBusinessDay(ql.Date(11, 10, 2025))


@pytest.mark.parametrize("day, business", [
    ("2027-01-01", False),  # New Year
    ("2027-02-05", False),  # Lunar New Year's Eve 2027 (Chinese New Year 6 Feb 2027)
    ("2027-02-08", False),  # third day of Spring Festival
    ("2027-02-09", True),   # no notice yet: bridging days unknown, weekday counts as working
    ("2027-04-05", False),  # Qingming 2027
    ("2027-05-03", True),   # Labour Day is 1-2 May; 3 May only if a future notice bridges it
    ("2027-06-09", False),  # Dragon Boat 2027 (5th day of 5th lunar month)
    ("2027-09-15", False),  # Mid-Autumn 2027
    ("2027-10-01", False),
    ("2027-10-04", True),
    ("2028-10-03", False),  # National Day and Mid-Autumn coincide in 2028
])
def test_fallback_years_are_provisional(day, business):
    assert CN.is_business_day(D(day)) is business
    assert CN.is_provisional(D(day)) is True


def test_statutory_holidays_13_days_a_year():
    # 2024 regulation: 1 + 4 + 1 + 2 + 1 + 1 + 3 = 13 days; in 2028 Mid-Autumn falls on 3 Oct (12 distinct dates)
    assert len(cn_statutory_holidays(2027)) == 13
    assert len(cn_statutory_holidays(2028)) == 12


@pytest.mark.parametrize("day, business", [("2025-10-01", True), ("2025-10-11", False), ("2027-10-02", False)])
def test_weekend_calendar(day, business):
    assert WK.is_business_day(D(day)) is business
    assert WK.is_provisional(D(day)) is False
