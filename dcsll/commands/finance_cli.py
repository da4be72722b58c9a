"""``dcsll cashflows``, ``dcsll value`` and ``dcsll schema deal``: the finance engine on a deal (file or
``--deal ID`` from the deal book), through :func:`workflows.evaluate_deal`.

Heavy imports (pandas, numpy, the engines) happen inside the ``run`` functions so ``dcsll --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys

from dcsll.commands._sources import add_deal_args, deal_source

#: ``dcsll schema deal`` (collected by dcsll.commands.score_cli)
SCHEMAS = {"deal": "finance.deal:deal_json_schema"}


def discount_rate(text: str) -> float:
    """``--discount-rate``: a finite rate [% p.a.] within the base-rate bounds of
    ``data/validation/deal_limits.toml`` (``rate_pct``); argparse exits 2 naming the option otherwise."""
    import math

    from finance.deal_checks import limits

    try:
        r = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r} [% p.a.]") from None
    lo, hi = limits()["rate_pct.min"], limits()["rate_pct.max"]
    if not math.isfinite(r) or not lo <= r <= hi:
        raise argparse.ArgumentTypeError(f"must be a finite rate from {lo:g} to {hi:g} [% p.a.], got {text!r}")
    return r


def add_fixings_arg(p) -> None:
    """``--fixings FILE``: published base-rate prints merged into the deal's rate path."""
    p.add_argument("--fixings", metavar="CSV", default=None,
                   help="published base-rate fixings (CSV: date, rate_pct [%% p.a.], e.g. CME Term SOFR prints by "
                   "fixing date) merged into the deal's base-rate path; a print replaces the path's rate on its date")


def _with_fixings(deal, args):
    """The deal with ``--fixings`` merged in (unchanged without the option)."""
    if not getattr(args, "fixings", None):
        return deal
    from common.inputfile import decode_text, read_bytes
    from finance.conventions import parse_rate_fixings
    from finance.deal import with_fixings

    text = decode_text(read_bytes(args.fixings), args.fixings)[0]
    return with_fixings(deal, parse_rate_fixings(text, args.fixings))


def register(subparsers) -> None:
    """Add the finance sub-commands."""
    p = subparsers.add_parser(
        "cashflows", help="interest and principal schedule of a deal under one scenario",
        description="Schedule per interest period (split where the margin changes or money is drawn): dates, days, "
        "outstanding, base rate, margin, ratchet adjustment and why, all-in rate, interest, principal.")
    add_deal_args(p)
    p.add_argument("--scenario", default=None,
                   help="actual | met | missed | a scenario named in the deal (default: the deal's default_scenario)")
    p.add_argument("--csv", metavar="OUT", default=None, help="write the schedule as CSV to OUT")
    add_fixings_arg(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run_cashflows)

    v = subparsers.add_parser(
        "value", help="PV of the margin ratchet per scenario, expected PV and the borrower's break-even",
        description="PV of debt service saved (+) or paid (-) against the same loan without ratchet, per scenario; "
        "expected PV over the deal's scenarios; break-even yearly verification cost.")
    add_deal_args(v)
    v.add_argument("--discount-rate", type=discount_rate, default=None, metavar="R",
                   help="flat discount rate [%% p.a., annual compounding, ACT/365F]; default: the loan's own rate")
    add_fixings_arg(v)
    v.add_argument("--json", action="store_true", help="print JSON")
    v.set_defaults(func=run_value)


def run_cashflows(args: argparse.Namespace) -> int:
    """Print (and optionally write) a deal's schedule."""
    import workflows

    deal, source = deal_source(args)
    deal = _with_fixings(deal, args)
    ev = workflows.evaluate_deal(deal, source)
    sched = ev.schedule(args.scenario)
    df = sched.frame
    if args.csv:
        sched.to_csv(args.csv)
    if args.json:
        out = {"deal": deal.id, "scenario": args.scenario or deal.default_scenario, "currency": sched.currency,
               "convention": sched.convention,
               "rows": json.loads(df.to_json(orient="records", date_format="iso", double_precision=10))}
        for r in out["rows"]:
            for k in ("start", "end", "payment_date", "fixing_date"):
                r[k] = r[k][:10]
        if ev.on_record:  # the deal book's record (issue 12): what each observation's margin rests on
            out["margin_basis"] = {d.isoformat(): b for d, b in ev.basis().items()}
            out["indicative"] = [c.model_dump(mode="json") for c in ev.indicative]
        print(json.dumps(out, indent=1, ensure_ascii=False))
        return 0
    import pandas as pd

    print(f"deal {deal.id}  scenario {args.scenario or deal.default_scenario}  [{sched.currency}]")
    print(f"convention: {sched.convention}")
    cols = ["period", "start", "end", "days", "outstanding", "base_rate_pct", "margin_bp", "ratchet_bp",
            "all_in_rate_pct", "interest", "principal", "provisional_date"]
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:,.2f}".format):
        print(df[cols].to_string(index=False))
    print(f"total interest {df.interest.sum():,.2f}  total principal {df.principal.sum():,.2f}")
    if df.provisional_date.any():
        first = df.loc[df.provisional_date, "payment_date"].min().date()
        print(f"provisional: payment dates from {first} use weekends + statutory holidays (no official calendar yet)")
    changes = df.loc[df.reason != df.reason.shift(), ["start", "reason"]]
    print("margin changes:")
    for _, r in changes.iterrows():
        print(f"  from {r.start.date()}: {r.reason}")
    basis = {d: b for d, b in ev.basis().items() if ev.on_record or b != "future"}
    if basis:
        print("margin basis (deal book record; only approved changes are in force):" if ev.on_record else
              "margin basis (scored from the facility file; only verified results move the contractual margin):")
        for d, b in basis.items():
            print(f"  observation {d}: {b}")
        for c in ev.indicative:
            print(f"  INDICATIVE (reported, not verified) {c.observation_date}: {c.margin_after_bp:g} bp from "
                  f"{c.effective_date} if verified as reported; not in force")
    if args.csv:
        print(f"wrote {args.csv}", file=sys.stderr)
    return 0


def run_value(args: argparse.Namespace) -> int:
    """Print a deal's valuation."""
    import workflows

    deal, source = deal_source(args)
    deal = _with_fixings(deal, args)
    val = workflows.evaluate_deal(deal, source).valuation(args.discount_rate)
    d = val.to_dict()
    if args.json:
        print(json.dumps({"deal": deal.id, **d}, indent=1, ensure_ascii=False))
        return 0
    ccy = d["currency"]
    print(f"deal {deal.id}  valuation date {d['valuation_date']}  [{ccy}]")
    print(f"discounting: {d['discount']}")
    print("PV saving (+) / extra cost (-) against the same loan without ratchet:")
    for s in d["scenarios"]:
        p = "" if s["probability"] is None else f"  p={s['probability']:.2f}"
        print(f"  {s['name']:<20} {s['pv_saving']:>16,.2f}{p}")

    def line(label, key, unit=ccy):
        if d[key] is not None:
            print(f"{label:<42} {d[key]:>16,.2f} [{unit}]")
    line("expected PV saving", "expected_pv_saving")
    line("verification cost per year", "verification_cost_per_year", f"{ccy}/yr")
    line("PV of verification costs", "pv_verification_cost")
    line("break-even verification cost per year", "break_even_cost_per_year", f"{ccy}/yr")
    line("net PV to the borrower", "net_pv")
    return 0
