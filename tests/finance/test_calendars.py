"""Chinese, US and weekend calendars: holidays, make-up working days (调休), substitute days, adjustment,
fallback years, SIFMA fixing dates.

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


# Fallback years: statutory holidays of the 2024 Regulations plus the substitute days of art. 4 (a holiday falling on
# a Saturday or Sunday is made up on the following working day). Worked from a perpetual calendar:
# 2027: Spring Festival eve Fri 5 Feb, 6 Sat, 7 Sun, 8 Mon -> 9, 10 Feb made up; Labour Day Sat 1, Sun 2 May -> 3, 4 May;
#       National Day Fri 1, Sat 2, Sun 3 Oct -> 4, 5 Oct.
# 2028: New Year Sat 1 Jan -> Mon 3 Jan; Dragon Boat Sun 28 May -> Mon 29 May; National Day Sun 1 Oct -> Wed 4 Oct
#       (Mid-Autumn coincides with 3 Oct, a weekday: no substitute for the overlap).
# 2029: Dragon Boat Sat 16 Jun -> Mon 18 Jun; Mid-Autumn Sat 22 Sep -> Mon 24 Sep.
@pytest.mark.parametrize("day, business, why", [
    ("2027-01-01", False, "New Year"),
    ("2027-02-05", False, "Lunar New Year's Eve 2027"),
    ("2027-02-08", False, "third day of Spring Festival"),
    ("2027-02-09", False, "substitute for Sat 6 Feb"),
    ("2027-02-10", False, "substitute for Sun 7 Feb"),
    ("2027-02-11", True, "ordinary Thursday (a future notice may bridge it: provisional)"),
    ("2027-04-05", False, "Qingming 2027"),
    ("2027-05-03", False, "substitute for Labour Day Sat 1 May"),
    ("2027-05-04", False, "substitute for Labour Day Sun 2 May"),
    ("2027-05-05", True, "ordinary Wednesday"),
    ("2027-06-09", False, "Dragon Boat 2027"),
    ("2027-09-15", False, "Mid-Autumn 2027"),
    ("2027-10-01", False, "National Day"),
    ("2027-10-04", False, "substitute for Sat 2 Oct"),
    ("2027-10-05", False, "substitute for Sun 3 Oct"),
    ("2027-10-06", True, "ordinary Wednesday"),
    ("2028-01-03", False, "substitute for New Year Sat 1 Jan 2028"),
    ("2028-05-29", False, "substitute for Dragon Boat Sun 28 May 2028"),
    ("2028-10-03", False, "National Day and Mid-Autumn coincide in 2028"),
    ("2028-10-04", False, "substitute for National Day Sun 1 Oct 2028"),
    ("2028-10-05", True, "ordinary Thursday"),
    ("2029-06-18", False, "substitute for Dragon Boat Sat 16 Jun 2029"),
    ("2029-09-24", False, "substitute for Mid-Autumn Sat 22 Sep 2029"),
    ("2030-02-06", False, "Spring Festival 2030: eve Sat 2 Feb, Sun 3 Feb -> Wed 6 Feb made up"),
    ("2030-02-07", False, "Spring Festival 2030: second substitute, Thu 7 Feb"),
    ("2030-02-08", True, "ordinary Friday"),
    ("2031-01-27", False, "Spring Festival 2031: third day Sat 25 Jan -> Mon 27 Jan"),
    ("2031-04-07", False, "Qingming Sat 5 Apr 2031 -> Mon 7 Apr"),
    ("2032-01-01", False, "New Year 2032"),
    ("2032-04-05", False, "Qingming Sun 4 Apr 2032 -> Mon 5 Apr"),
    ("2032-05-04", False, "Labour Day Sat 1, Sun 2 May 2032 -> 3, 4 May"),
    ("2032-06-14", False, "Dragon Boat Sun 13 Jun 2032 -> Mon 14 Jun"),
    ("2032-09-20", False, "Mid-Autumn Sun 19 Sep 2032 -> Mon 20 Sep"),
    ("2032-10-05", False, "National Day Fri 1, Sat 2, Sun 3 Oct 2032 -> 4, 5 Oct"),
    ("2032-10-06", True, "ordinary Wednesday"),
])
def test_fallback_years_are_provisional(day, business, why):
    assert CN.is_business_day(D(day)) is business, why
    assert CN.is_provisional(D(day)) is True


def test_statutory_holidays_with_substitutes():
    # 2027: 13 statutory days, 6 of them on a weekend -> 6 substitute days, 19 dates in all
    assert len(cn_statutory_holidays(2027)) == 19
    # 2028: 13 days on 12 dates (3 Oct double), 3 on a weekend (1 Jan, 28 May, 1 Oct) -> 15 dates
    assert len(cn_statutory_holidays(2028)) == 15


# ------------------------------------------------------------------------------------------ US calendars
# Federal Reserve holiday schedule: a holiday on a Sunday is observed on Monday; on a Saturday the Fed stays open on
# the Friday before. SIFMA recommends a full close on that Friday (U.S. Government Securities market).
FED = get_calendar("US_FED")
SIFMA = get_calendar("US_SIFMA")


@pytest.mark.parametrize("day, fed, sifma, why", [
    ("2024-06-19", False, False, "Juneteenth (Wed)"),
    ("2024-11-28", False, False, "Thanksgiving 2024"),
    ("2024-11-11", False, False, "Veterans Day (Fed and SIFMA)"),
    ("2024-03-29", True, False, "Good Friday: banks open, SIFMA full close"),
    ("2025-05-26", False, False, "Memorial Day 2025"),
    ("2026-06-19", False, False, "Juneteenth 2026 (Fri)"),
    ("2026-07-03", True, False, "4 Jul 2026 is a Saturday: the Fed stays open on Friday, SIFMA closes"),
    ("2026-11-26", False, False, "Thanksgiving 2026"),
    ("2026-11-27", True, True, "day after Thanksgiving: early close only"),
    ("2027-05-31", False, False, "Memorial Day 2027"),
    ("2027-06-18", True, False, "Juneteenth 2027 on a Saturday: Fed open Fri 18 Jun, SIFMA closed"),
    ("2027-12-24", True, False, "Christmas 2027 on a Saturday: Fed open Fri 24 Dec, SIFMA closed"),
    ("2027-10-11", False, False, "Columbus Day 2027"),
    ("2028-01-17", False, False, "Martin Luther King Jr. Day 2028"),
    ("2028-02-21", False, False, "Washington's Birthday 2028"),
    ("2028-09-04", False, False, "Labor Day 2028"),
    ("2029-03-30", True, False, "Good Friday 2029"),
    ("2030-11-28", False, False, "Thanksgiving 2030"),
    ("2031-01-01", False, False, "New Year's Day 2031"),
    ("2032-06-18", True, False, "Juneteenth 2032 on a Saturday: Fed open Fri 18 Jun, SIFMA closed"),
    ("2027-06-21", True, True, "Juneteenth on a Saturday is not moved to Monday"),
])
def test_us_business_days(day, fed, sifma, why):
    assert FED.is_business_day(D(day)) is fed, why
    assert SIFMA.is_business_day(D(day)) is sifma, why
    assert FED.is_provisional(D(day)) is False


def test_us_calendars_agree_with_quantlib_2024_2032():
    ql = pytest.importorskip("QuantLib")
    fed = ql.UnitedStates(ql.UnitedStates.FederalReserve)
    gov = ql.UnitedStates(ql.UnitedStates.GovernmentBond)
    d, diff = D("2024-01-01"), []
    while d <= D("2032-12-31"):
        q = ql.Date(d.day, d.month, d.year)
        if FED.is_business_day(d) != fed.isBusinessDay(q) or SIFMA.is_business_day(d) != gov.isBusinessDay(q):
            diff.append(d)
        d += dt.timedelta(days=1)
    assert diff == []


@pytest.mark.parametrize("period_start, fixing", [
    # two U.S. Government Securities Business Days before the period start (ARRC), on the SIFMA calendar
    ("2026-03-02", "2026-02-26"),   # Mon -> Thu
    ("2026-06-02", "2026-05-29"),   # Tue -> Fri (weekend skipped)
    ("2027-06-01", "2027-05-27"),   # Tue after Memorial Day 31 May -> Thu 27 May
    ("2029-04-02", "2029-03-28"),   # Mon after Good Friday 30 Mar (SIFMA close) -> Wed 28 Mar
    ("2030-12-02", "2030-11-27"),   # Mon: Fri 29 Nov (open), Thanksgiving Thu 28 Nov skipped -> Wed 27 Nov
    ("2032-01-02", "2031-12-30"),   # Fri after New Year -> Tue 30 Dec
])
def test_sifma_fixing_dates(period_start, fixing):
    assert SIFMA.sub_business_days(D(period_start), 2) == D(fixing)


@pytest.mark.parametrize("day, business", [("2025-10-01", True), ("2025-10-11", False), ("2027-10-02", False)])
def test_weekend_calendar(day, business):
    assert WK.is_business_day(D(day)) is business
    assert WK.is_provisional(D(day)) is False
