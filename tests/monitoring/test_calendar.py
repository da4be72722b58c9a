"""Observation calendar, the due / overdue list and the .ics export (issue 12 part 1).

Report due = certificate due - 30 calendar days (conventions.toml [monitoring] report_lead_days), moved to the
preceding business day of the deal's calendar. Dates below worked by hand with a wall calendar.
"""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from finance.deal import Deal
from finance.monitoring import (
    MonitoringTerms,
    RecordedObservation,
    due_items,
    observation_calendar,
    report_due_date,
    to_ics,
)
from index.errors import InputError

D = dt.date


def cn_deal(deal_id="cn-sll", monitoring=None) -> Deal:
    raw = {
        "id": deal_id, "name": "CN hand deal",
        "loan": {"currency": "CNY", "amount": 1e8, "start_date": "2025-07-21", "maturity_date": "2029-07-20",
                 "repayment": "bullet", "margin_bp": 30, "base_rate": {"index": "LPR_1Y"}},
        "ratchet": {"design": "spt", "step_down_bp": -10, "step_up_bp": 10, "kpis": [{"kpi": "pue"}]},
        "observations": [
            # 2026-04-30 Thu - 30 d = 2026-03-31 Tue, a working day
            {"date": "2025-12-31", "certificate_due": "2026-04-30", "spt": {"pue": 1.2}},
            # 2026-10-31 - 30 d = 2026-10-01 Thu, National Day (chinese-calendar: holiday) -> preceding: Wed 09-30
            {"date": "2026-06-30", "certificate_due": "2026-10-31", "spt": {"pue": 1.19}},
            # 2027-05-30 Sun - 30 d = 2027-04-30 Fri; 2027 is beyond chinese-calendar 1.11: provisional
            {"date": "2026-12-31", "certificate_due": "2027-05-30", "spt": {"pue": 1.18}},
        ],
    }
    if monitoring is not None:
        raw["monitoring"] = monitoring
    return Deal.model_validate(raw)


def test_report_due_dates_by_hand():
    items = observation_calendar(cn_deal(), D(2025, 8, 1))
    assert [i.report_due for i in items] == [D(2026, 3, 31), D(2026, 9, 30), D(2027, 4, 30)]
    assert [i.certificate_due for i in items] == [D(2026, 4, 30), D(2026, 10, 31), D(2027, 5, 30)]
    assert [i.provisional for i in items] == [False, False, True]


def test_report_lead_is_a_deal_term():
    deal = cn_deal(monitoring={"report_lead_days": 45, "report_business_day_convention": "following"})
    # 2026-04-30 - 45 d = 2026-03-16 Mon
    assert report_due_date(deal, D(2026, 4, 30)) == D(2026, 3, 16)
    # 2026-10-31 - 45 d = 2026-09-16 Wed
    assert report_due_date(deal, D(2026, 10, 31)) == D(2026, 9, 16)
    assert MonitoringTerms().resolved().report_lead_days == 30


@pytest.mark.parametrize("as_of, status, report_status, next_kind, days_left", [
    (D(2025, 12, 30), "upcoming", "upcoming", "report", 91),          # 2026-03-31 - 2025-12-30 = 1 + 90
    (D(2025, 12, 31), "due", "due", "report", 90),
    (D(2026, 3, 31), "due", "due", "report", 0),
    (D(2026, 4, 1), "due", "overdue", "certificate", 29),             # report late, certificate due 04-30
    (D(2026, 4, 30), "due", "overdue", "certificate", 0),
    (D(2026, 5, 4), "overdue", "overdue", "certificate", -4),
])
def test_status_of_the_first_observation(as_of, status, report_status, next_kind, days_left):
    it = observation_calendar(cn_deal(), as_of)[0]
    assert (it.status, it.report_status, it.next_kind, it.days_left) == (status, report_status, next_kind, days_left)


def test_delivery_from_the_record():
    rep = RecordedObservation(deal_id="cn-sll", observation_date=D(2025, 12, 31), status="reported",
                              kpis={"pue": 1.18}, reported_on=D(2026, 3, 20))
    ver = RecordedObservation(deal_id="cn-sll", observation_date=D(2025, 12, 31), status="verified",
                              kpis={"pue": 1.18}, statement_id="VS-1", statement_sha256="cd" * 32,
                              certificate_delivered=D(2026, 4, 24))
    it = observation_calendar(cn_deal(), D(2026, 4, 10), [rep])[0]
    assert (it.status, it.report_status, it.next_kind, it.next_due) == ("due", "delivered", "certificate",
                                                                        D(2026, 4, 30))
    it = observation_calendar(cn_deal(), D(2026, 4, 24), [rep, ver])[0]
    assert (it.status, it.certificate_delivered, it.next_kind, it.days_left) == ("delivered", D(2026, 4, 24),
                                                                                 None, None)


def test_due_items_window_and_order():
    a, b = cn_deal("a-deal"), cn_deal("b-deal")
    rec = {"a-deal": [RecordedObservation(deal_id="a-deal", observation_date=D(2025, 12, 31), status="verified",
                                          kpis={"pue": 1.18}, statement_id="VS", statement_sha256="ef" * 32,
                                          certificate_delivered=D(2026, 4, 28))]}
    # on 2026-07-15: a's obs 1 delivered; b's obs 1 overdue (due 2026-04-30); obs 2 of both: report due 09-30,
    # 77 days ahead (inside 90), obs 3 (report due 2027-04-30) outside
    items = due_items([a, b], D(2026, 7, 15), days=90, recorded=rec)
    assert [(i.deal_id, i.observation, i.status, i.next_due) for i in items] == [
        ("b-deal", 1, "overdue", D(2026, 4, 30)),
        ("a-deal", 2, "due", D(2026, 9, 30)),
        ("b-deal", 2, "due", D(2026, 9, 30)),
    ]
    assert items[1].days_left == 77          # 16 (rest of July) + 31 + 30
    assert due_items([a, b], D(2026, 7, 15), days=76, recorded=rec)[1:] == []
    assert len(due_items([a], D(2026, 7, 15), recorded=rec)) == 1   # default window: 90 days (conventions.toml)
    assert len(due_items([a], D(2026, 7, 15))) == 2   # without the record, obs 1 of a is overdue too
    with pytest.raises(InputError):
        due_items([a], D(2026, 7, 15), days=-1)


def test_ics_parses_back():
    items = observation_calendar(cn_deal(), D(2026, 4, 1))
    data = to_ics(items)
    cal = icalendar.Calendar.from_ical(data)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 2 * len(items)
    by_uid = {str(e["UID"]): e for e in events}
    cert = by_uid["cn-sll/2025-12-31/certificate@dcsll"]
    assert cert.decoded("DTSTART") == D(2026, 4, 30) and cert.decoded("DTEND") == D(2026, 5, 1)
    assert "Compliance certificate due" in str(cert["SUMMARY"])
    assert "Status on 2026-04-01: due" in str(cert["DESCRIPTION"])
    rep = by_uid["cn-sll/2026-06-30/report@dcsll"]
    assert rep.decoded("DTSTART") == D(2026, 9, 30)
    prov = by_uid["cn-sll/2026-12-31/report@dcsll"]
    assert "provisional" in str(prov["DESCRIPTION"])
    # same input, same bytes (DTSTAMP is the as-of day, not the clock)
    assert to_ics(items) == data
