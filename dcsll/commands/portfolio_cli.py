"""``dcsll portfolio``: the credit officer's portfolio of the deal book (issue 12 item 7).

One row per deal from :func:`workflows.portfolio_of`: the margin in force from the approved margin changes, the
last observation as recorded (verified, or reported = indicative), the status, the GCPI of the facility's latest
period with its completeness, the next observation and the headroom of the tightest KPI. ``--json`` prints every
column. Heavy imports happen inside :func:`run` so ``dcsll --help`` stays fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os

from dcsll.commands._args import iso_date


def register(subparsers) -> None:
    """Add ``portfolio``."""
    p = subparsers.add_parser(
        "portfolio", help="every deal of the deal book: margin in force, status, GCPI and completeness, headroom",
        description="The portfolio of the deal book ($DCSLL_DATABASE_URL) on --as-of: margins in force from the "
        "approved margin changes, last observations as recorded (reported-only figures are indicative), status "
        "(data/finance/portfolio_status.toml), GCPI and completeness of each facility's latest period, headroom "
        "to the next SPT.")
    p.add_argument("--as-of", type=iso_date, default=None, metavar="DATE", help="day of the view (default: today)")
    p.add_argument("--as", dest="actor", default=None, metavar="USER",
                   help="deal-book user reading the portfolio: credit officer, verifier or admin "
                   "(default $DCSLL_USER, else admin)")
    p.add_argument("--json", action="store_true", help="print every column as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import workflows
    from common.text import MISSING, fmt_num, fmt_pct, table
    from dcsll.commands.record_cli import open_book

    as_of = args.as_of or dt.date.today()
    pf = workflows.portfolio_of(open_book(), as_of, actor=args.actor or os.environ.get("DCSLL_USER") or "admin")
    if args.json:
        print(json.dumps(pf.to_dict(), indent=1, ensure_ascii=False))
        return 0
    rows = []
    for r in pf.frame.to_dict("records"):
        head = MISSING
        if isinstance(r["headroom_kpi"], str) and r["headroom"] == r["headroom"]:
            head = f"{r['headroom_kpi']} {'+' if r['headroom'] >= 0 else '-'}{fmt_num(abs(r['headroom']), 3)}"
        rows.append([r["deal_id"], r["status"] + (" (indicative)" if r["indicative"] else ""),
                     f"{r['margin_bp']:.1f}", fmt_num(r["index"], 4), fmt_pct(r["completeness"], 0),
                     r["last_record"] or "not recorded", str(r["next_observation"] or MISSING), head])
    print(f"portfolio as of {as_of}: {len(rows)} deal(s)")
    for line in table(rows, ["deal", "status", "margin [bp]", "GCPI", "complete", "last record", "next obs.",
                             "headroom"], align="<<>>><<<"):
        print(line)
    for deal, exc in pf.problems:
        print(f"left out {deal}: {exc}")
    return 0
