"""Observation calendar of a sustainability-linked loan: report and certificate due dates and their status.

Part of :mod:`finance.monitoring` (split by concern; import the public names from there). The report is due
``report_lead_days`` calendar days before the certificate, moved to a business day of the deal's calendar
(:class:`MonitoringTerms`; defaults in ``data/finance/conventions.toml`` ``[monitoring]``); status words in the
docstring of :mod:`finance.monitoring`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

from pydantic import Field

from finance.calendars import get_calendar
from finance.conventions import conventions
from finance.monitoring_records import DueStatus, RecordedObservation, _Model
from finance.terms import BusinessDayConvention
from index.errors import InputError


def _monitoring_defaults() -> dict:
    return conventions().raw["monitoring"]



class MonitoringTerms(_Model):
    """Monitoring terms of a deal (the ``[monitoring]`` table of a deal file).

    Empty fields take the defaults of ``data/finance/conventions.toml`` ``[monitoring]`` (with their sources).
    """

    report_lead_days: int | None = Field(
        None, ge=0, description="The borrower's KPI report is due this many calendar days before the compliance "
        "certificate [days].")
    report_business_day_convention: BusinessDayConvention | None = Field(
        None, description="How a report due date on a non-business day moves (default: preceding).")

    def resolved(self) -> MonitoringTerms:
        """A copy with every empty field filled in from conventions.toml ``[monitoring]``."""
        d = _monitoring_defaults()
        return MonitoringTerms(
            report_lead_days=int(d["report_lead_days"]) if self.report_lead_days is None else self.report_lead_days,
            report_business_day_convention=self.report_business_day_convention or d["report_business_day_convention"])


def _terms(deal) -> MonitoringTerms:
    return (getattr(deal, "monitoring", None) or MonitoringTerms()).resolved()


def report_due_date(deal, certificate_due: dt.date) -> dt.date:
    """Due date of the borrower's KPI report for a certificate due on ``certificate_due``.

    report due = certificate due − ``report_lead_days`` [days], adjusted on the deal's calendar with
    ``report_business_day_convention`` (:class:`MonitoringTerms`; sources in conventions.toml ``[monitoring]``).
    """
    t = _terms(deal)
    cal = get_calendar(deal.loan.resolved().calendar)
    return cal.adjust(certificate_due - dt.timedelta(days=t.report_lead_days), t.report_business_day_convention)



@dataclasses.dataclass(frozen=True)
class DueItem:
    """One observation date of a deal and where its report and certificate stand on ``as_of``.

    Attributes
    ----------
    deal_id, deal_name : str
    observation : int
        1-based row of the observation in the deal.
    observation_date, report_due, certificate_due : datetime.date
    certificate_delivered : datetime.date or None
        Delivery date, when on or before ``as_of``.
    status : {"upcoming", "due", "overdue", "delivered"}
        Of the certificate (see the module docstring).
    report_status : {"upcoming", "due", "overdue", "delivered"}
    next_kind : {"report", "certificate"} or None
        The next deadline not yet met (None once the certificate is delivered).
    next_due : datetime.date or None
    days_left : int or None
        ``next_due − as_of`` [days]; negative = overdue by that many days.
    provisional : bool
        A due date lies in a year the official calendar does not cover yet (fallback calendar).
    as_of : datetime.date
    """

    deal_id: str
    deal_name: str
    observation: int
    observation_date: dt.date
    report_due: dt.date
    certificate_due: dt.date
    certificate_delivered: dt.date | None
    status: DueStatus
    report_status: DueStatus
    next_kind: Literal["report", "certificate"] | None
    next_due: dt.date | None
    days_left: int | None
    provisional: bool
    as_of: dt.date

    @property
    def overdue(self) -> bool:
        """The report or the certificate is overdue (shown in red)."""
        return "overdue" in (self.status, self.report_status)

    def as_dict(self) -> dict:
        """Plain dict with ISO dates and the ``overdue`` flag (for JSON output)."""
        out = dataclasses.asdict(self)
        out["overdue"] = self.overdue
        return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in out.items()}


def _status(as_of: dt.date, start: dt.date, due: dt.date, delivered: dt.date | None) -> DueStatus:
    if delivered is not None and delivered <= as_of:
        return "delivered"
    if as_of > due:
        return "overdue"
    if as_of >= start:
        return "due"
    return "upcoming"


def _latest(records, status: str) -> dict[dt.date, RecordedObservation]:
    out = {}
    for r in records or []:
        if r.status == status:
            out[r.observation_date] = r
    return out


def observation_calendar(deal, as_of: dt.date, recorded: list[RecordedObservation] | None = None) -> list[DueItem]:
    """Observation dates of a deal with their report and certificate due dates and status on ``as_of``.

    Parameters
    ----------
    deal : finance.deal.Deal
    as_of : datetime.date
        The day the statuses are taken on.
    recorded : list of RecordedObservation, optional
        What the deal book holds: a verified record's ``certificate_delivered`` marks the certificate delivered;
        a reported or verified record marks the report delivered (on ``reported_on`` if given). Without records the
        deal's own ``certificate_delivered`` dates are used.

    Returns
    -------
    list of DueItem, one per observation, in date order.

    Notes
    -----
    Report due date: :func:`report_due_date` (conventions.toml ``[monitoring]``, overridable per deal). The
    certificate due date is the deal's (a contractual date, shown as agreed, not moved).
    """
    loan = deal.loan.resolved()
    cal = get_calendar(loan.calendar)
    ver = _latest(recorded, "verified")
    out = []
    for i, o in enumerate(deal.observations):
        rdue = report_due_date(deal, o.certificate_due)
        v = ver.get(o.date)
        delivered = v.certificate_delivered if v is not None else o.certificate_delivered
        if delivered is not None and delivered > as_of:
            delivered = None
        # the report arrived with the earliest record of figures (a delivered certificate covers a report)
        seen = [(r.reported_on or r.certificate_delivered or as_of) for r in recorded or []
                if r.observation_date == o.date]
        if delivered is not None:
            seen.append(delivered)
        r_on = min(seen) if seen else None
        status = _status(as_of, o.date, o.certificate_due, delivered)
        rstatus = _status(as_of, o.date, rdue, r_on)
        if status == "delivered":
            nxt, nxt_due = None, None
        elif rstatus in ("upcoming", "due"):
            nxt, nxt_due = "report", rdue
        else:
            nxt, nxt_due = "certificate", o.certificate_due
        out.append(DueItem(
            deal_id=deal.id, deal_name=deal.name, observation=i + 1, observation_date=o.date, report_due=rdue,
            certificate_due=o.certificate_due, certificate_delivered=delivered, status=status, report_status=rstatus,
            next_kind=nxt, next_due=nxt_due, days_left=None if nxt_due is None else (nxt_due - as_of).days,
            provisional=cal.is_provisional(rdue) or cal.is_provisional(o.certificate_due), as_of=as_of))
    return out


def due_items(deals, as_of: dt.date, days: int | None = None,
              recorded: dict[str, list[RecordedObservation]] | None = None) -> list[DueItem]:
    """The credit officer's "due and overdue" list across deals.

    Parameters
    ----------
    deals : iterable of finance.deal.Deal
    as_of : datetime.date
    days : int, optional
        Look-ahead window [calendar days]; default ``due_view_days`` of conventions.toml ``[monitoring]`` (90).
    recorded : dict, optional
        Recorded observations per deal id (see :func:`observation_calendar`).

    Returns
    -------
    list of DueItem
        Every observation whose report or certificate is overdue, and every one whose next deadline falls within
        ``[as_of, as_of + days]``; overdue first, then by next deadline.

    Raises
    ------
    InputError
        A negative window.
    """
    if days is None:
        days = int(_monitoring_defaults()["due_view_days"])
    if days < 0:
        raise InputError("the look-ahead window must be zero or more days", field="days", unit="days", value=days)
    horizon = as_of + dt.timedelta(days=days)
    out = []
    for deal in deals:
        for it in observation_calendar(deal, as_of, (recorded or {}).get(deal.id)):
            if it.status == "delivered":
                continue
            if it.status == "overdue" or it.report_status == "overdue" or it.next_due <= horizon:
                out.append(it)
    out.sort(key=lambda it: (it.status != "overdue", it.next_due, it.deal_id, it.observation))
    return out


def to_ics(items: list[DueItem], *, prodid: str = "-//dcsll//SLL monitoring calendar//EN") -> bytes:
    """iCalendar (RFC 5545) export of the due dates, built with the ``icalendar`` package.

    Two all-day events per item (the KPI report due date and the certificate due date), each with a stable UID
    (``<deal>/<observation date>/<kind>@dcsll``) so a calendar client updates rather than duplicates them on a
    re-import. ``DTSTAMP`` is the items' ``as_of`` day (00:00 UTC), so the bytes depend only on the input.

    Returns
    -------
    bytes
        The ``.ics`` file (UTF-8, CRLF line ends).
    """
    import icalendar  # noqa: PLC0415 - heavy library, only this path needs it; finance is imported by every deal workflow

    cal = icalendar.Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "dcsll SLL due dates")
    for it in items:
        stamp = dt.datetime.combine(it.as_of, dt.time(0, 0), tzinfo=dt.UTC)
        for kind, day, status in (("report", it.report_due, it.report_status),
                                  ("certificate", it.certificate_due, it.status)):
            what = "KPI report due" if kind == "report" else "Compliance certificate due"
            ev = icalendar.Event()
            ev.add("uid", f"{it.deal_id}/{it.observation_date.isoformat()}/{kind}@dcsll")
            ev.add("dtstamp", stamp)
            ev.add("dtstart", day)
            ev.add("dtend", day + dt.timedelta(days=1))
            ev.add("summary", f"{what}: {it.deal_id} (observation {it.observation_date.isoformat()})")
            desc = (f"Deal {it.deal_id} {it.deal_name}\nObservation {it.observation} on "
                    f"{it.observation_date.isoformat()}\n{what} {day.isoformat()}\nStatus on {it.as_of.isoformat()}: "
                    f"{status}")
            if it.provisional:
                desc += "\nDate on the provisional (fallback) calendar"
            ev.add("description", desc)
            ev.add("categories", ["SLL", kind])
            ev.add("transp", "TRANSPARENT")
            cal.add_component(ev)
    return cal.to_ical()

