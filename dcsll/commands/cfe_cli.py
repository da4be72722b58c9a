"""``dcsll cfe``: hourly 24/7 carbon-free-energy matching of interval meter data."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "cfe", help="hourly 24/7 CFE score, hourly matched and annual volumetric share of interval data",
        description="Validate interval meter data (long layout: timestamp with UTC offset, channel, kwh[, meter]; "
        "CSV, Parquet or Excel), reconcile it to the bills, and score it hour by hour against the grid's "
        "carbon-free share (Google 2021 24/7 CFE). Exit 2 on bad data or a reconciliation beyond tolerance.")
    p.add_argument("file", nargs="?", help="interval file (.csv, .parquet, .xlsx)")
    g = p.add_argument_group("grid carbon-free share (one of)")
    g.add_argument("--grid", help="hourly grid file: Electricity Maps CSV or EIA-930 fuel-mix CSV")
    g.add_argument("--grid-region", help="Chinese province / regional grid / cn: annual fallback share "
                   "(data/cfe/grid_cfe_fallback.csv)")
    g.add_argument("--grid-share", type=float, help="a stated annual carbon-free share 0–1 (needs --grid-source)")
    g.add_argument("--grid-source", help="source of --grid-share")
    p.add_argument("--meters", help="meter register TOML ([[meter]] id, calibration_ref, channel, …)")
    p.add_argument("--tz", help="IANA time zone for timestamps without offset and for bill months "
                   "(e.g. Asia/Shanghai, America/Chicago)")
    p.add_argument("--bills", help="period totals: a facility TOML (with --bill-period) or a monthly CSV "
                   "(data/monthly format)")
    p.add_argument("--bill-period", help="period label in the facility TOML given by --bills")
    p.add_argument("--allow-gaps", action="store_true",
                   help="accept unfilled gaps in channels other than the hours used (completeness is reported)")
    p.add_argument("--failures", help="write the failure table (every issue) to this CSV")
    lv = p.add_argument_group("levers, simulated hour by hour (index.cfe.levers)")
    lv.add_argument("--lever-ppa", type=float, metavar="KWH", help="add a PPA of KWH per year shaped like the "
                    "grid's EIA-930 solar (SUN), else like the file's onsite_renewable or ppa channel")
    lv.add_argument("--lever-storage", metavar="KWH:KW", help="add a battery of KWH usable energy and KW power "
                    "(greedy dispatch from clean surplus)")
    p.add_argument("--facility", help="deal-book form: facility id (interval data stored in the deal book)")
    p.add_argument("--period", help="deal-book form: period label")
    p.add_argument("--save", action="store_true", help="with FILE and --facility/--period: save FILE to the deal "
                   "book as a new version, then report on it")
    p.add_argument("--as", dest="actor", default=None, help="acting deal-book user for --save (default $DCSLL_USER)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run_cfe)


def _grid(args):
    from common.errors import InputError
    from index.cfe import annual_grid, read_grid

    given = [x for x in (args.grid, args.grid_region, args.grid_share) if x is not None]
    if len(given) != 1:
        raise InputError("give exactly one of --grid FILE, --grid-region REGION, --grid-share X", field="--grid")
    if args.grid:
        return read_grid(args.grid)
    if args.grid_share is not None:
        if not args.grid_source:
            raise InputError("--grid-share needs --grid-source (where the figure comes from)", field="--grid-source")
        return annual_grid(args.grid_share, source=args.grid_source)
    return None  # region: needs the data's year, resolved later


def _bills(args):
    from pathlib import Path

    from common.errors import InputError

    if not args.bills:
        return None, None, "period"
    p = Path(args.bills)
    if p.suffix.lower() == ".toml":
        from index.models import load_facility

        if not args.bill_period:
            raise InputError("--bills with a facility file needs --bill-period LABEL", file=args.bills,
                             field="--bill-period")
        per = load_facility(p).period(args.bill_period)
        totals = {name: getattr(per, name).value for name in type(per).model_fields
                  if name.endswith("_kwh") and getattr(per, name) is not None}
        return totals, None, str(args.bill_period)
    from index.forecast import load_monthly

    return None, load_monthly(p), "month"


def run_cfe(args: argparse.Namespace) -> int:
    from common.errors import InputError
    from index.cfe import annual_fallback, read_intervals, read_meters
    from index.cfe.report import evaluate

    if args.facility or args.period:
        return _run_deal_book(args)
    if not args.file:
        raise InputError("give an interval file, or --facility ID --period P for the deal book", field="file")
    grid = _grid(args)
    meters = read_meters(args.meters) if args.meters else None
    data = read_intervals(args.file, tz=args.tz, meters=meters)
    if args.failures:
        data.issues.to_csv(args.failures, index=False)
    if grid is None:
        w0, w1 = data.window
        grid = annual_fallback(args.grid_region, (w0 + (w1 - w0) / 2).year)
    totals, monthly, label = _bills(args)
    rep = evaluate(data, grid, totals=totals, period_label=label, monthly=monthly, tz=args.tz,
                   allow_gaps=args.allow_gaps)
    _print(rep, args.json, _levers(args, rep, grid))
    return 0


def _levers(args, rep, grid) -> dict | None:
    """CFE without and with the levers of ``--lever-ppa`` / ``--lever-storage`` (None when none given)."""
    from index.cfe.levers import PPALever, StorageLever, simulate_levers
    from index.errors import InputError

    levers = []
    hourly = rep.data.hourly()
    if args.lever_ppa is not None:
        if grid.solar is not None and grid.solar.reindex(hourly.index).fillna(0).sum() > 0:
            shape, how = grid.solar.reindex(hourly.index).fillna(0.0).to_numpy(), "grid EIA-930 SUN"
        else:
            ch = next((c for c in ("onsite_renewable", "ppa") if c in hourly.columns and hourly[c].sum() > 0), None)
            if ch is None:
                raise InputError("--lever-ppa needs a solar shape: an EIA-930 grid file or an onsite_renewable / "
                                 "ppa channel in the interval data", field="--lever-ppa")
            shape, how = hourly[ch].to_numpy(), f"interval channel {ch}"
        levers.append(PPALever(f"+ PPA {args.lever_ppa:,.0f} kWh/yr ({how})", args.lever_ppa, shape))
    if args.lever_storage:
        try:
            e, p = (float(x) for x in args.lever_storage.split(":"))
        except ValueError:
            raise InputError("write --lever-storage as KWH:KW, e.g. 40000:10000", field="--lever-storage",
                             value=args.lever_storage) from None
        levers.append(StorageLever(f"+ battery {e:,.0f} kWh / {p:,.0f} kW", e, p))
    if not levers:
        return None
    return simulate_levers(hourly, grid, levers)


def _print(rep, as_json: bool, levers: dict | None = None) -> None:
    from index.cfe.report import format_report

    if as_json:
        d = rep.as_dict()
        if levers:
            d["levers"] = [{"case": k, "cfe_score": r.cfe_score, "hourly_matched_share": r.hourly_matched_share,
                            "annual_volumetric_share": r.annual_volumetric_share} for k, r in levers.items()]
        json.dump(d, sys.stdout, indent=2, ensure_ascii=False, default=str)
        print()
    else:
        print(format_report(rep))
        if levers:
            print("\nLevers, simulated hour by hour (cumulative)")
            for k, r in levers.items():
                print(f"  {k:<52} CFE {r.cfe_score:7.2%}   hourly matched {r.hourly_matched_share:7.2%}   "
                      f"volumetric {r.annual_volumetric_share:7.2%}")


def _run_deal_book(args: argparse.Namespace) -> int:
    """``--facility ID --period P``: interval data from the deal book (saved first with ``FILE --save``)."""
    import os

    from common.errors import InputError
    from index.cfe import annual_fallback, read_intervals, read_meters
    from index.cfe.report import evaluate
    from store import open_store
    from store.db import default_url, normalise_url

    if not (args.facility and args.period):
        raise InputError("the deal-book form needs both --facility ID and --period P", field="--facility")
    st = open_store(normalise_url(default_url()), migrate=True)
    try:
        if args.file:
            if not args.save:
                raise InputError("a FILE with --facility/--period is saved to the deal book only with --save "
                                 "(as --as USER, default $DCSLL_USER)", field="--save")
            meters = read_meters(args.meters) if args.meters else None
            data = read_intervals(args.file, tz=args.tz, meters=meters)
            if args.failures:
                data.issues.to_csv(args.failures, index=False)
            actor = args.actor or os.environ.get("DCSLL_USER", "admin")
            v = st.save_intervals(actor, args.facility, args.period, data, source=os.path.basename(args.file))
            print(f"saved interval data of {args.facility} for {args.period} as version {v}", file=sys.stderr)
        data = st.intervals(args.facility, args.period)
        if data is None:
            raise InputError(f"no interval data in the deal book for facility {args.facility}, period "
                             f"{args.period}; upload it with: dcsll cfe FILE --facility {args.facility} --period "
                             f"{args.period} --save", field="--period", value=args.period)
        fac = st.load_facility(args.facility)
        totals, label = None, str(args.period)
        per = next((p for p in fac.periods if str(p.label) == str(args.period)), None)
        if per is not None:
            totals = {name: getattr(per, name).value for name in type(per).model_fields
                      if name.endswith("_kwh") and getattr(per, name) is not None}
        monthly = st.monthly(args.facility)
        if monthly is not None:
            covered = set(data.totals(by="month", tz=args.tz).index)
            if not covered & set(monthly.index):
                monthly = None
        grid = _grid(args) if any(x is not None for x in (args.grid, args.grid_region, args.grid_share)) else None
        if grid is None:
            w0, w1 = data.window
            grid = annual_fallback(args.grid_region or fac.province, (w0 + (w1 - w0) / 2).year)
        rep = evaluate(data, grid, totals=totals, period_label=label, monthly=monthly, tz=args.tz,
                       allow_gaps=args.allow_gaps)
    finally:
        st.close()
    _print(rep, args.json, _levers(args, rep, grid))
    return 0
