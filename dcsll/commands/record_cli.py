"""``dcsll prepare``, ``dcsll approve``, ``dcsll history``, ``dcsll amend``: the monitoring loop on the deal book
(issue 12; :mod:`workflows.monitoring`).

A margin change computed from the record is *prepared* by one credit officer (``dcsll prepare --as A``) and
takes effect only when a second one approves it (``dcsll approve --change N --as B``; the preparer is refused).
``dcsll history`` prints (or exports as CSV) the deal's audit trail; ``dcsll amend`` recalculates the baseline and
SPTs after an SLLP event and saves a new deal version with its reason.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

from dcsll.commands._args import iso_date


def _as(p) -> None:
    p.add_argument("--as", dest="actor", default=os.environ.get("DCSLL_USER"), metavar="USER",
                   help="acting deal-book user (default $DCSLL_USER)")


def _actor(args) -> str:
    from common.errors import InputError

    if not args.actor:
        raise InputError("give the acting user with --as USER (or set DCSLL_USER)", field="--as")
    return args.actor


def open_book():
    """The deal book of ``$DCSLL_DATABASE_URL`` (not migrated here: ``dcsll db upgrade``), with the finance
    engine's deal check injected."""
    from finance.deal_book import deal_validator
    from store import open_store
    from store.db import default_url, normalise_url

    return open_store(normalise_url(default_url()), migrate=False, deal_validator=deal_validator())


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "prepare", help="prepare the margin changes the record gives (maker; a second credit officer approves)",
        description="Compute the deal's margin changes from its recorded observations on --as-of (verified results, "
        "the 'all missed' step-up of an overdue certificate, its cure) and prepare those not yet prepared.")
    p.add_argument("--deal", action="append", metavar="ID", help="deal id (repeatable; default every deal)")
    p.add_argument("--as-of", type=iso_date, default=None, metavar="DATE", help="day of the record (default today)")
    _as(p)
    p.set_defaults(func=run_prepare)

    a = subparsers.add_parser(
        "approve", help="approve (or reject) a prepared margin change: four eyes, not the preparer",
        description="Without --change: list the deal's margin changes and their state. With --change N: approve "
        "it (or --reject REASON) as a second credit officer; the preparer is refused.")
    a.add_argument("--deal", required=True, metavar="ID")
    a.add_argument("--change", type=int, metavar="N", help="margin change id (see the list)")
    a.add_argument("--reject", metavar="REASON", help="reject instead of approving")
    a.add_argument("--note", metavar="TEXT")
    a.add_argument("--json", action="store_true")
    _as(a)
    a.set_defaults(func=run_approve)

    h = subparsers.add_parser(
        "history", help="the audit trail of a deal and its facility (who did what when), or CSV",
        description="Deal versions, statements, recorded observations, margin changes with preparer and approver, "
        "notices, baselines / SPTs and the facility's figures (reported → verified → restated).")
    g = h.add_mutually_exclusive_group(required=True)
    g.add_argument("--deal", metavar="ID")
    g.add_argument("--facility", metavar="ID", help="a facility and all its deals")
    h.add_argument("--csv", metavar="OUT", help="write the trail as CSV ('-' = standard output)")
    _as(h)
    h.set_defaults(func=run_history)

    m = subparsers.add_parser(
        "amend", help="recalculate baseline and SPTs after an SLLP event: a new deal version with its reason",
        description="Threshold test (data/targets/recalculation.toml: 5 %% of design IT power), baseline "
        "recalculated, the SPTs of observations not yet verified rebased and ambition-checked again; saved as a "
        "new deal version (the old one kept).")
    m.add_argument("--deal", required=True, metavar="ID")
    m.add_argument("--reason", required=True, metavar="TEXT")
    m.add_argument("--event", required=True, choices=["acquisition", "disposal", "methodology", "restatement"])
    m.add_argument("--date", type=iso_date, default=None, metavar="DATE", help="date of the event (default today)")
    m.add_argument("--capacity-change-kw", type=float, default=None, metavar="KW",
                   help="design IT power acquired (+) or disposed of (-) [kW]")
    m.add_argument("--facility", metavar="FILE",
                   help="the facility after the event (pro-forma TOML); default the deal book's facility")
    m.add_argument("--paths", type=int, default=None, metavar="N", help="BAU Monte Carlo paths")
    m.add_argument("--json", action="store_true")
    _as(m)
    m.set_defaults(func=run_amend)


def run_prepare(args) -> int:
    import workflows

    book = open_book()
    day = args.as_of or dt.date.today()
    made = []
    for did in args.deal or book.deal_ids():
        made += workflows.prepare_changes(book, _actor(args), did, as_of=day)
    print(f"as of {day}: {len(made)} margin change(s) prepared")
    for c in made:
        print(f"  #{c.id} {c.deal_id} obs {c.observation_date} {c.kind}: {c.margin_before_bp:g} -> "
              f"{c.margin_after_bp:g} bp from {c.effective_date} (prepared by {c.prepared_by}; approve with "
              f"`dcsll approve --deal {c.deal_id} --change {c.id} --as OTHER_CREDIT_OFFICER`)")
    return 0


def _change_dict(c) -> dict:
    return {"id": c.id, "deal_id": c.deal_id, "observation_date": c.observation_date.isoformat(), "kind": c.kind,
            "effective_date": c.effective_date.isoformat(), "margin_before_bp": c.margin_before_bp,
            "margin_after_bp": c.margin_after_bp, "adjustment_bp": c.adjustment_bp, "state": c.state,
            "prepared_by": c.prepared_by, "decided_by": c.decided_by, "note": c.note, "key": c.change_key}


def run_approve(args) -> int:
    book = open_book()
    if args.change is None:
        rows = [_change_dict(c) for c in book.margin_change_records(args.deal)]
        if args.json:
            print(json.dumps(rows, indent=1, ensure_ascii=False))
            return 0
        print(f"{'id':>4} {'observation':<11} {'kind':<18} {'effective':<11} {'margin [bp]':<14} {'state':<9} by")
        for r in rows:
            who = r["prepared_by"] + (f" / {r['decided_by']}" if r["decided_by"] else "")
            print(f"{r['id']:>4} {r['observation_date']:<11} {r['kind']:<18} {r['effective_date']:<11} "
                  f"{r['margin_before_bp']:g} -> {r['margin_after_bp']:g}".ljust(64) + f" {r['state']:<9} {who}")
        return 0
    c = book.margin_change_record(args.change)
    if c.deal_id != args.deal:
        from common.errors import InputError

        raise InputError(f"margin change {args.change} belongs to deal {c.deal_id!r}, not {args.deal!r}",
                         field="--change", value=args.change)
    import workflows

    if args.reject:
        out = workflows.reject(book, _actor(args), args.change, reason=args.reject)
    else:
        out = workflows.approve(book, _actor(args), args.change, note=args.note)
    if args.json:
        print(json.dumps(_change_dict(out), indent=1, ensure_ascii=False))
    else:
        print(f"margin change #{out.id} {out.state} by {out.decided_by} (prepared by {out.prepared_by}): "
              f"{out.margin_before_bp:g} -> {out.margin_after_bp:g} bp from {out.effective_date}")
    return 0


def run_history(args) -> int:
    import workflows

    book = open_book()
    h = (workflows.deal_history(book, _actor(args), args.deal) if args.deal else
         workflows.facility_history(book, _actor(args), args.facility))
    if args.csv:
        text = h.to_csv()
        if args.csv == "-":
            sys.stdout.write(text)
        else:
            with open(args.csv, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            print(f"wrote {args.csv} ({len(h.rows)} rows)", file=sys.stderr)
        return 0
    print(f"deal(s) {h.deal_id or '-'} (facility {h.facility_id}): {len(h.rows)} audit row(s), "
          f"{len(h.versions)} version(s), {len(h.changes)} margin change(s)")
    for r in h.rows:
        print(f"{r['at'][:19]}  {r['actor']:<12} {r['action']:<28} {r['summary']}")
    return 0


def run_amend(args) -> int:
    import workflows
    from index.baseline import RecalculationEvent

    book = open_book()
    fac = None
    if args.facility:
        from index.models import load_facility

        fac = load_facility(args.facility)
    ev = RecalculationEvent(kind=args.event, date=args.date or dt.date.today(), reason=args.reason,
                            capacity_change_kw=args.capacity_change_kw)
    a = workflows.amend_deal(book, _actor(args), args.deal, ev, facility_after=fac, paths=args.paths)
    rc = a.recalculation
    out = {"deal": a.deal_id, "triggered": a.triggered, "share": rc.share, "threshold": rc.threshold,
           "note": rc.note, "old_version": a.old_version, "new_version": a.new_version,
           "spts": {d: {k: {"old": o, "new": n} for k, (o, n) in v.items()} for d, v in a.spts.items()},
           "ambition": [c.to_dict() for c in a.checks]}
    if args.json:
        print(json.dumps(out, indent=1, ensure_ascii=False, default=str))
        return 0
    print(f"{a.deal_id}: {rc.note}")
    if a.triggered:
        print(f"deal version {a.old_version} -> {a.new_version} (version {a.old_version} kept)")
        for d, v in a.spts.items():
            for k, (o, n) in v.items():
                print(f"  SPT {d} {k}: {o:g} -> {n:g}")
    return 0
