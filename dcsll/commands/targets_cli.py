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
    facility, baseline, sim, bau, checks, years = rep.facility, rep.baseline, rep.sim, rep.bau, rep.checks, rep.years
    agreed, proposed = rep.plans["deal"], rep.plans["proposed"]
    verdicts = rep.verdicts()
    b = baseline
    print(f"deal {deal.id}  facility {facility.id}")
    print(f"baseline v{b.version}: {b.method} {', '.join(b.periods)} ({b.status}, as of {b.as_of}), grade {b.grade}")
    keys = sorted({k for plan in (agreed, proposed) for k in plan.paths})
    print("  " + "  ".join(f"{k} {b.kpis[k]:.4g}" for k in keys if b.kpis.get(k) is not None))
    for n in b.notes:
        print(f"  note: {n}")
    print(f"BAU forecast fitted on monthly data up to {b.base_year}-12, {args.paths} paths, seed {args.seed}:")
    for d in sim.models:
        print(f"  {d['series']}: {d['model']} (n={d['n_obs']})")
    for name, plan in (("deal", agreed), ("proposed", proposed)):
        print(f"\n{name} SPTs and ambition checks (flag = not beyond BAU or already forced by regulation):")
        v = verdicts[name]
        for kpi, path in plan.paths.items():
            for ms in path.milestones:
                bb = bau.get((kpi, ms.year))
                btxt = (f"BAU {bb['mean']:.4g} [{bb['lower']:.4g}, {bb['upper']:.4g}] P(BAU meets)={bb['p_meets']:.0%}"
                        if bb else "BAU: observed/baseline year")
                flag = "ok  " if v[(kpi, ms.year)] else "FLAG"
                print(f"  {flag} {ms.year} {kpi} {path.comparator} {ms.value:.4g} ({ms.method})  {btxt}")
                for c in checks[name]:
                    if c.kpi == kpi and c.year == ms.year and c.check == "regulation" and c.reference is not None:
                        print(f"       regulation: {c.evidence[:160]}")
                    if c.kpi == kpi and c.year == ms.year and c.check == "bau" and c.ambitious is False:
                        print(f"       bau: {c.evidence[-90:]}")
                if ms.note and ms.method not in ("deal",):
                    print(f"       note: {ms.note}")
        peers = [c for c in checks[name] if c.check == "peer" and c.year == years[-1]]
        if peers:
            print(f"  peers ({years[-1]} SPTs):")
            for c in peers:
                mark = {True: "better", False: "not better", None: "n/a"}[c.ambitious]
                print(f"    {c.kpi}: {mark:<10} {c.evidence[:130]}")
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
        print(f"  expected PV of interest saved {r['expected_pv_saving']:,.0f} {r['currency']} "
              f"(5–95 %: {r['pv_saving_p05']:,.0f} to {r['pv_saving_p95']:,.0f}); net of verification "
              f"{r['net_pv']:,.0f}" if r["net_pv"] is not None else "")
        for n in r["notes"]:
            print(f"  note: {n}")
    if levers:
        print(f"\nlevers add {out['levers_value']['expected_pv_saving_gain']:,.0f} {runs['bau']['currency']} of "
              "expected PV saving")
    return 0
