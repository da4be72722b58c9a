"""``dcsll targets`` and ``dcsll simulate``: baselines, SPTs, ambition checks and Monte Carlo on a deal
(file, or ``--deal ID`` from the deal book), through :func:`workflows.targets` and :func:`workflows.simulate`.

Settings beyond the deal (monthly data, baseline periods, regulatory profile, proposed SPTs) sit in a
targets file ``data/targets/<deal id>.toml`` beside the deals folder, or the file given with ``--targets``;
with ``--deal`` in the deal book (its targets settings and the facility's monthly data).
Heavy imports happen inside the ``run`` functions so ``dcsll --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json

from dcsll.commands._sources import add_deal_args, deal_source
from dcsll.commands._text import TextOut, fmt_date, fmt_money, fmt_num, width, wrap
from workflows.settings import DEFAULTS


def register(subparsers) -> None:
    """Add ``targets`` and ``simulate``."""
    t = subparsers.add_parser(
        "targets", help="baseline, proposed SPTs and ambition checks of a deal",
        description="Baseline of the deal's facility, the deal's SPTs and dcsll's proposed SPTs, each checked "
        "against the business-as-usual forecast (fitted on data up to the baseline), binding regulation and peers.")
    add_deal_args(t)
    t.add_argument("--targets", metavar="FILE", default=None,
                   help="targets settings TOML (default data/targets/<deal id>.toml; with --deal: the deal book's)")
    t.add_argument("--paths", type=int, default=DEFAULTS.targets_paths, metavar="N",
                   help=f"BAU simulation paths (default {DEFAULTS.targets_paths})")
    t.add_argument("--seed", type=int, default=DEFAULTS.seed, metavar="S", help=f"random seed (default {DEFAULTS.seed})")
    t.add_argument("--json", action="store_true", help="print JSON")
    t.set_defaults(func=run_targets)

    s = subparsers.add_parser(
        "simulate", help="Monte Carlo of the deal's KPIs: SPT probabilities, index distribution, margin and PV",
        description="Simulate N paths of the facility's KPIs from models fitted on its monthly data, score them "
        "through the GCPI engine, and give per observation date the probability of meeting each SPT, the index "
        "distribution, the expected margin adjustment and the expected PV of the ratchet; with --levers, also "
        "against business as usual.")
    add_deal_args(s)
    s.add_argument("--levers", metavar="FILE", default=None, help="operator levers TOML (see index/levers.py)")
    s.add_argument("--lever-preset", metavar="NAME", default=None,
                   help="a named lever preset: of the deal book with --deal, else data/targets/NAME.toml")
    s.add_argument("--targets", metavar="FILE", default=None)
    s.add_argument("--paths", type=int, default=DEFAULTS.simulate_paths, metavar="N",
                   help=f"number of paths (default {DEFAULTS.simulate_paths})")
    s.add_argument("--seed", type=int, default=DEFAULTS.seed, metavar="S", help=f"random seed (default {DEFAULTS.seed})")
    s.add_argument("--model", choices=DEFAULTS.models, default=DEFAULTS.model,
                   help=f"monthly model (default {DEFAULTS.model})")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=run_simulate)


# ------------------------------------------------------------------ shared loading


def _source(args):
    """``(deal, source)``: a deal file (with ``--targets``/``--levers`` files) or ``--deal ID``."""
    if args.deal is not None and args.targets is not None:
        from common.errors import InputError

        raise InputError("--targets is for the file form; with --deal the deal book's targets settings are used",
                         field="--targets")
    return deal_source(args, targets_file=args.targets)


# ------------------------------------------------------------------ targets


def run_targets(args: argparse.Namespace) -> int:
    """Print the baseline, the deal's and the proposed SPTs, the BAU forecast and the ambition checks."""
    import workflows

    deal, source = _source(args)
    rep = workflows.targets(deal, source, paths=args.paths, seed=args.seed)
    if args.json:
        print(json.dumps(rep.to_dict(), indent=1, ensure_ascii=False))
        return 0
    facility, baseline, sim, checks, years = rep.facility, rep.baseline, rep.sim, rep.checks, rep.years
    agreed, proposed = rep.plans["deal"], rep.plans["proposed"]
    verdicts = rep.verdicts()
    b = baseline
    out = TextOut()
    out.line(f"deal {deal.id}  facility {facility.id}")
    out.line(f"baseline v{b.version}: {b.method} {', '.join(b.periods)} ({b.status}, as of {fmt_date(b.as_of)}), "
             f"grade {b.grade}")
    keys = sorted({k for plan in (agreed, proposed) for k in plan.paths})
    out.line("  " + "  ".join(f"{k} {fmt_num(b.kpis.get(k), missing='— (not in the baseline)')}" for k in keys))
    for n in b.notes:
        out.wrap(f"note: {n}", indent=2)
    out.line(f"BAU forecast fitted on monthly data up to {b.base_year}-12, {args.paths:,} paths, seed {args.seed}:")
    for d in sim.models:
        out.line(f"  {d['series']}: {d['model']} (n={d['n_obs']})")
    out.wrap(f"why these BAU figures differ from `dcsll simulate`: {rep.bau_basis()}", indent=2)
    for name, plan in (("deal", agreed), ("proposed", proposed)):
        out.line("")
        out.line(f"{name} SPTs and ambition checks (flag = not beyond BAU or already forced by regulation):")
        v, bau = verdicts[name], rep.bau[name]
        cited: dict = {}  # (kpi, binding limit) -> first year its rule was cited in full
        for kpi, path in plan.paths.items():
            for ms in path.milestones:
                bb = bau.get((kpi, ms.year))
                btxt = (f"BAU mean {fmt_num(bb['mean'])}, median {fmt_num(bb['median'])} "
                        f"[{fmt_num(bb['lower'])}, {fmt_num(bb['upper'])}]  P(BAU meets) {bb['p_meets']:.1%}"
                        if bb else "BAU: — (observed or baseline year, not forecast)")
                flag = "ok  " if v[(kpi, ms.year)] else "FLAG"
                out.line(f"  {flag} {ms.year} {kpi} {path.comparator} {fmt_num(ms.value)} ({ms.method})  {btxt}")
                for c in checks[name]:
                    if c.kpi == kpi and c.year == ms.year and c.check == "regulation" and c.reference is not None:
                        first = cited.setdefault((kpi, c.reference), ms.year)
                        if first == ms.year:
                            out.wrap(f"regulation: {c.evidence}", indent=7)
                        else:  # the same binding limit as an earlier year: cite it once
                            verdict = "goes beyond it" if c.ambitious else "is no more demanding: not ambitious"
                            out.wrap(f"regulation: the binding limit {kpi} {path.comparator} {c.reference:g} cited "
                                     f"for {first}; the SPT {fmt_num(ms.value)} {verdict}.", indent=7)
                    if c.kpi == kpi and c.year == ms.year and c.check == "bau" and c.ambitious is False:
                        out.wrap(f"bau: {c.evidence}", indent=7)
                if ms.note and ms.method not in ("deal",):
                    out.wrap(f"note: {ms.note}", indent=7)
        peers = [c for c in checks[name] if c.check == "peer" and c.year == years[-1]]
        if peers:
            out.line(f"  peers ({years[-1]} SPTs):")
            for c in peers:
                mark = {True: "better", False: "not better", None: "n/a"}[c.ambitious]
                out.wrap(f"{c.kpi}: {mark:<10} {c.evidence}", indent=4, subsequent=20)
    out.flush()
    return 0


# ------------------------------------------------------------------ simulate








def run_simulate(args: argparse.Namespace) -> int:
    """Print SPT probabilities, index distribution, margin and PV per observation date (BAU and with levers)."""
    import workflows
    from finance.simulated import ratchet_kpis

    deal, source = _source(args)
    levers = []
    if args.levers and args.lever_preset:
        from common.errors import InputError

        raise InputError("give --levers FILE or --lever-preset NAME, not both", field="--levers")
    if args.levers:
        from index.levers import load_levers

        levers = load_levers(args.levers)
    elif args.lever_preset:
        levers = source.levers(args.lever_preset, deal.facility if isinstance(deal.facility, str) else None)
    rep = workflows.simulate(deal, source, levers=levers, paths=args.paths, seed=args.seed, model=args.model,
                             levers_origin=args.levers or (args.lever_preset and
                                                           source.origin("lever preset", args.lever_preset)))
    out = rep.to_dict()
    facility, bau_models, kpis, runs = rep.facility, rep.bau, ratchet_kpis(deal), out["runs"]
    if args.json:
        print(json.dumps(out, indent=1, ensure_ascii=False))
        return 0
    print(f"deal {deal.id}  facility {facility.id}  {args.paths} paths, seed {args.seed}")
    for d in bau_models.describe():
        print(f"  {d['series']}: {d['model']} (n={d['n_obs']})")
    base = facility.periods[-1]
    base_index = workflows.score(facility, source.methodology(), base.label)[0].total
    for ln in wrap(f"why these figures differ from `dcsll targets`: forecast from the latest data (monthly data up "
                   f"to {bau_models.last_month}, inputs held at the latest period {base.label} ({base.status}, "
                   f"index {base_index:.2f})); `dcsll targets` forecasts business as usual as of the baseline "
                   "instead (monthly data up to the baseline year, the baseline period's inputs held, its own "
                   "paths and seed), so its BAU medians differ", width(), 2):
        print(ln)
    for name, r in runs.items():
        print(f"\n{'business as usual' if name == 'bau' else 'with levers'}:")
        idx = {row["year"]: row for row in r["index"]}
        for o, src in zip(r["per_observation"], r["observation_source"], strict=True):
            y = int(o["date"][:4])
            it = idx.get(y)
            itxt = (f"index median {it['p50']:.1f} [{it['p05']:.1f}, {it['p95']:.1f}]" if it else src)
            print(f"  {o['date']}  {itxt}")
            for k in kpis:
                s = o[k.kpi]
                print(f"      {k.kpi:<6} SPT {s['spt']:<7g} P(met) {s['p_met']:6.1%}  P(no change) {s['p_band']:6.1%}  "
                      f"P(missed) {s['p_missed']:6.1%}")
            print(f"      expected margin {o['margin_bp_expected']:.2f} bp (adjustment {o['expected_adjustment_bp']:+.2f} bp)")
        cur = r["currency"]
        net = (fmt_money(r["net_pv"], cur) if r["net_pv"] is not None
               else "— (no verification cost in the deal)")
        print(f"  expected PV of interest saved {fmt_money(r['expected_pv_saving'], cur)} (5–95 %: "
              f"{fmt_money(r['pv_saving_p05'], cur)} to {fmt_money(r['pv_saving_p95'], cur)}); net of "
              f"verification {net}")
        for n in r["notes"]:
            print(f"  note: {n}")
    if levers:
        print(f"\nlevers add {fmt_money(out['levers_value']['expected_pv_saving_gain'], runs['bau']['currency'])} "
              "of expected PV saving")
    return 0
