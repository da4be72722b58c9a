"""``dcsll due`` and ``dcsll notice``: the annual monitoring loop on deal files or the deal book (issue 12).

Deal-book form (no DEAL_FILE): ``dcsll due [--deal ID] [--days 90] [--json] [--ics OUT]`` over the deal book's deals
and their recorded observations (``--record-late --as USER`` first prepares the "all missed" step-up of every
overdue certificate); ``dcsll notice --deal ID --observation DATE [--as USER]`` prints the notice(s) of the
**approved** change(s), preparer and approver taken from the deal book (kept there with ``--as``).

File form: deal TOML files, plus an optional *records* TOML file with what was recorded per observation (the deal
book holds the same in its observation records)::

    [[recorded]]
    deal_id = "demo-zjk-sll-2025"
    observation_date = 2025-12-31
    status = "verified"                 # or "reported"
    kpis = { index = 95.13, pue = 1.17 }
    outcomes = { index = "met", pue = "met" }
    statement_id = "VS-DEMO-ZJK-2025"
    statement_sha256 = "…64 hex…"
    certificate_delivered = 2026-04-24

Heavy imports happen inside the ``run`` functions so ``dcsll --help`` stays fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from dcsll.commands._args import iso_date


def register(subparsers) -> None:
    """Add ``due`` and ``notice``."""
    p = subparsers.add_parser(
        "due", help="due and overdue KPI reports and compliance certificates (next 90 days)",
        description="Per observation date: KPI report due, compliance certificate due and their status "
        "(upcoming / due / overdue / delivered) on --as-of; lists what is overdue or falls due within --days.")
    p.add_argument("deal_files", nargs="*", metavar="DEAL_FILE",
                   help="deal TOML files (see data/deals/); none = the deal book")
    p.add_argument("--deal", action="append", metavar="ID", help="deal-book deal (repeatable; default every deal)")
    p.add_argument("--record-late", action="store_true",
                   help="deal book: prepare the 'all missed' step-up of overdue certificates (and cures) first")
    p.add_argument("--as", dest="actor", default=None, metavar="USER", help="credit officer for --record-late / "
                   "--as for notice (default $DCSLL_USER)")
    p.add_argument("--records", metavar="FILE", help="recorded observations TOML ([[recorded]] tables)")
    p.add_argument("--as-of", type=iso_date, default=None, metavar="DATE", help="day of the view (default: today)")
    p.add_argument("--days", type=int, default=None, metavar="N",
                   help="look-ahead window [days] (default: conventions.toml [monitoring] due_view_days = 90)")
    p.add_argument("--all", action="store_true", help="every observation date, not only what is due or overdue")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--ics", metavar="OUT", help="write the due dates as an iCalendar (.ics) file")
    p.set_defaults(func=run_due)

    n = subparsers.add_parser(
        "notice", help="margin-change notice(s) of one observation (bilingual PDF, CSV, JSON)",
        description="The recorded margin change(s) of one observation date for loan operations / the core "
        "banking system: old and new margin [bp], effective date, reason, statement id and hash, approvers. "
        "A certificate delivered late gives two notices (reporting failure, then cure).")
    n.add_argument("deal_file", nargs="?", metavar="DEAL_FILE")
    n.add_argument("--deal", metavar="ID", help="deal-book deal (instead of DEAL_FILE): the approved changes")
    n.add_argument("--as", dest="actor", default=None, metavar="USER",
                   help="deal book: credit officer keeping the notice in the deal book (default $DCSLL_USER)")
    n.add_argument("--records", metavar="FILE", help="file form: recorded observations TOML")
    n.add_argument("--observation", required=True, type=iso_date, metavar="DATE", help="observation date")
    n.add_argument("--as-of", type=iso_date, default=None, metavar="DATE", help="day of the record (default: today)")
    n.add_argument("--prepared-by", metavar="USER", help="file form (the deal book knows its preparer)")
    n.add_argument("--approved-by", action="append", metavar="USER", help="file form; repeatable")
    n.add_argument("--issue-date", type=iso_date, default=None, metavar="DATE", help="default: --as-of")
    n.add_argument("--pdf", metavar="OUT", help="write the bilingual PDF (several notices: OUT-1.pdf, OUT-2.pdf)")
    n.add_argument("--csv", metavar="OUT", help="write the CSV record")
    n.add_argument("--json", action="store_true", help="print the notices as JSON")
    n.add_argument("--lang", choices=["zh", "en", "both"], default="both")
    n.set_defaults(func=run_notice)


def load_records(path) -> list:
    """Recorded observations from a TOML file (``[[recorded]]`` tables, fields of RecordedObservation).

    Raises
    ------
    InputError
        A record that does not validate, naming the file, field and row.
    """
    from pydantic import ValidationError

    from finance.monitoring import RecordedObservation
    from index.errors import InputError
    from index.tomlfile import read_toml

    raw = read_toml(path)
    out = []
    for i, rec in enumerate(raw.get("recorded", [])):
        try:
            out.append(RecordedObservation.model_validate(rec))
        except ValidationError as exc:
            e = exc.errors()[0]
            field = ".".join(str(p) for p in e["loc"]) or "recorded"
            raise InputError(e["msg"].removeprefix("Value error, "), file=str(path), field=f"recorded[{i}].{field}",
                             row=i + 1) from None
    return out


def run_due(args: argparse.Namespace) -> int:
    from finance.deal import load_deal
    from finance.monitoring import due_items, observation_calendar, to_ics
    from index.errors import InputError

    as_of = args.as_of or dt.date.today()
    if not args.deal_files:
        if args.records:
            raise InputError("--records goes with DEAL_FILE; the deal book holds its own records", field="--records")
        import os

        import workflows
        from dcsll.commands.record_cli import open_book

        book = open_book()
        if args.record_late:
            actor = args.actor or os.environ.get("DCSLL_USER")
            if not actor:
                raise InputError("--record-late needs the credit officer: --as USER", field="--as")
            made = workflows.record_late_certificates(book, actor, as_of, args.deal)
            for c in made:
                print(f"prepared #{c.id} {c.deal_id} obs {c.observation_date} {c.kind}: {c.margin_before_bp:g} -> "
                      f"{c.margin_after_bp:g} bp from {c.effective_date}", file=sys.stderr)
        items = workflows.due(book, as_of, args.days, deal_ids=args.deal, all_dates=args.all)
    else:
        if args.deal or args.record_late:
            raise InputError("--deal / --record-late work on the deal book: leave out DEAL_FILE", field="--deal")
        deals = [load_deal(f) for f in args.deal_files]
        records = load_records(args.records) if args.records else []
        by_deal: dict[str, list] = {}
        for r in records:
            by_deal.setdefault(r.deal_id, []).append(r)
        if args.all:
            items = [it for d in deals for it in observation_calendar(d, as_of, by_deal.get(d.id))]
        else:
            items = due_items(deals, as_of, args.days, by_deal)
    if args.ics:
        with open(args.ics, "wb") as fh:
            fh.write(to_ics(items))
        print(f"wrote {args.ics}", file=sys.stderr)
    if args.json:
        print(json.dumps({"as_of": as_of.isoformat(), "items": [it.as_dict() for it in items]}, indent=1,
                         ensure_ascii=False))
        return 0
    red, end = ("\033[31m", "\033[0m") if sys.stdout.isatty() else ("", "")
    print(f"as of {as_of}: {len(items)} item(s)")
    print(f"{'deal':<28} {'obs':>3} {'observation':<11} {'report due':<11} {'cert. due':<11} "
          f"{'status':<9} {'report':<9} next")
    for it in items:
        nxt = "—" if it.next_due is None else f"{it.next_kind} {it.next_due} ({it.days_left:+d} d)"
        line = (f"{it.deal_id:<28} {it.observation:>3} {it.observation_date!s:<11} {it.report_due!s:<11} "
                f"{it.certificate_due!s:<11} {it.status:<9} {it.report_status:<9} {nxt}"
                + (" provisional" if it.provisional else ""))
        print(f"{red}{line}{end}" if it.overdue else line)
    return 0


def run_notice(args: argparse.Namespace) -> int:
    from finance.deal import load_deal
    from finance.monitoring import margin_events_from_record
    from finance.notice import notice_to_csv, notice_to_json, notices_for_observation
    from finance.notice_pdf import render_notice_pdf
    from index.errors import InputError

    as_of = args.as_of or dt.date.today()
    if (args.deal_file is None) == (args.deal is None):
        raise InputError("give a DEAL_FILE (with --records) or --deal ID (one of them)", field="DEAL_FILE")
    if args.deal is not None:
        import os

        import workflows
        from dcsll.commands.record_cli import open_book

        if args.records or args.prepared_by or args.approved_by:
            raise InputError("the deal book knows its records, preparer and approver: leave out --records, "
                             "--prepared-by and --approved-by with --deal", field="--deal")
        actor = args.actor or os.environ.get("DCSLL_USER")
        issued = workflows.notice(open_book(), actor or "", args.deal, args.observation, as_of=as_of,
                                  issue_date=args.issue_date, lang=args.lang, save=bool(actor))
        notices = [i.notice for i in issued]
    else:
        missing = [o for o, v in (("--records", args.records), ("--prepared-by", args.prepared_by),
                                  ("--approved-by", args.approved_by)) if not v]
        if missing:
            raise InputError(f"the file form needs {', '.join(missing)}", field=missing[0])
        deal = load_deal(args.deal_file)
        records = [r for r in load_records(args.records) if r.deal_id == deal.id]
        changes = margin_events_from_record(deal, records, as_of)
        notices = notices_for_observation(deal, changes, args.observation, prepared_by=args.prepared_by,
                                          approved_by=args.approved_by, issue_date=args.issue_date or as_of)
    if args.pdf:
        paths = [args.pdf] if len(notices) == 1 else [
            args.pdf.removesuffix(".pdf") + f"-{k}.pdf" for k in range(1, len(notices) + 1)]
        for n, path in zip(notices, paths, strict=True):
            with open(path, "wb") as fh:
                fh.write(render_notice_pdf(n, args.lang))
            print(f"wrote {path}", file=sys.stderr)
    if args.csv:
        with open(args.csv, "w", encoding="utf-8", newline="") as fh:
            fh.write(notice_to_csv(notices))
        print(f"wrote {args.csv}", file=sys.stderr)
    if args.json:
        print(notice_to_json(notices), end="")
        return 0
    for n in notices:
        print(f"{n.notice_id}: {n.old_margin_bp:g} -> {n.new_margin_bp:g} bp ({n.change_bp:+g}) from "
              f"{n.effective_date}; {n.reason_en}")
    return 0
