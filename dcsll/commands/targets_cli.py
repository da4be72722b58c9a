"""``dcsll targets`` and ``dcsll simulate``: baselines, SPTs, ambition checks and Monte Carlo on a deal file.

Settings beyond the deal (monthly data, baseline periods, regulatory profile, proposed SPTs) sit in a
targets file ``data/targets/<deal id>.toml`` beside the deals folder, or the file given with ``--targets``.
Heavy imports happen inside the ``run`` functions so ``dcsll --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from finance.simulated import deal_plan, jsonable, observation_values, price_paths, ratchet_kpis


def register(subparsers) -> None:
    """Add ``targets`` and ``simulate``."""
    t = subparsers.add_parser(
        "targets", help="baseline, proposed SPTs and ambition checks of a deal",
        description="Baseline of the deal's facility, the deal's SPTs and dcsll's proposed SPTs, each checked "
        "against the business-as-usual forecast (fitted on data up to the baseline), binding regulation and peers.")
    t.add_argument("deal_file", metavar="DEAL_FILE", help="deal TOML file (see data/deals/)")
    t.add_argument("--targets", metavar="FILE", default=None,
                   help="targets settings TOML (default data/targets/<deal id>.toml)")
    t.add_argument("--paths", type=int, default=5000, metavar="N", help="BAU simulation paths (default 5000)")
    t.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    t.add_argument("--json", action="store_true", help="print JSON")
    t.set_defaults(func=run_targets)

    s = subparsers.add_parser(
        "simulate", help="Monte Carlo of the deal's KPIs: SPT probabilities, index distribution, margin and PV",
        description="Simulate N paths of the facility's KPIs from models fitted on its monthly data, score them "
        "through the GCPI engine, and give per observation date the probability of meeting each SPT, the index "
        "distribution, the expected margin adjustment and the expected PV of the ratchet; with --levers, also "
        "against business as usual.")
    s.add_argument("deal_file", metavar="DEAL_FILE")
    s.add_argument("--levers", metavar="FILE", default=None, help="operator levers TOML (see index/levers.py)")
    s.add_argument("--targets", metavar="FILE", default=None)
    s.add_argument("--paths", type=int, default=10000, metavar="N", help="number of paths (default 10000)")
    s.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    s.add_argument("--model", choices=("ets", "sarimax"), default="ets", help="monthly model (default ets)")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=run_simulate)


# ------------------------------------------------------------------ shared loading


def _load(args):
    """Deal, facility, targets settings (dict with resolved paths), monthly frame."""
    from finance.deal import load_deal
    from index.errors import InputError
    from index.forecast import load_monthly
    from index.models import facility_from_dict, load_facility
    from index.tomlfile import read_toml

    deal_path = Path(args.deal_file)
    deal = load_deal(deal_path)
    tpath = Path(args.targets) if args.targets else deal_path.resolve().parent.parent / "targets" / f"{deal.id}.toml"
    if not tpath.exists():
        from index.reference import data_dir

        alt = data_dir() / "targets" / f"{deal.id}.toml"
        if args.targets or not alt.exists():
            raise InputError(f"no targets settings for deal {deal.id!r}: write {tpath} (see data/targets/"
                             "demo-zjk-sll-2025.toml) or pass --targets", file=str(tpath))
        tpath = alt
    cfg = read_toml(tpath)
    unknown = set(cfg) - {"deal", "monthly", "baseline", "regulatory_profile", "proposal", "facility"}
    if unknown:
        raise InputError(f"unknown key(s) {', '.join(sorted(unknown))}", file=str(tpath), field=sorted(unknown)[0])
    if cfg.get("deal", deal.id) != deal.id:
        raise InputError(f"targets file is for deal {cfg['deal']!r}, not {deal.id!r}", file=str(tpath), field="deal")
    if isinstance(deal.facility, dict):
        facility = facility_from_dict(deal.facility, file=str(deal_path))
    else:
        fpath = deal_path.resolve().parent.parent / "facilities" / f"{deal.facility}.toml"
        if not fpath.exists():
            from index.reference import data_dir

            fpath = data_dir() / "facilities" / f"{deal.facility}.toml"
        facility = load_facility(fpath)
    if "monthly" not in cfg:
        raise InputError("give the monthly metered data file", file=str(tpath), field="monthly")
    monthly = load_monthly((tpath.parent / cfg["monthly"]).resolve())
    cfg["_file"] = str(tpath)
    return deal, facility, cfg, monthly











# ------------------------------------------------------------------ targets


def run_targets(args: argparse.Namespace) -> int:
    """Print the baseline, the deal's and the proposed SPTs, the BAU forecast and the ambition checks."""
    from index.ambition import ambition_report, verdicts
    from index.baseline import compute_baseline
    from index.methodology import load_methodology
    from index.simulate import fit_bau, simulate
    from index.targets import meets, propose_plan

    deal, facility, cfg, monthly = _load(args)
    m = load_methodology()
    bcfg = cfg.get("baseline", {})
    baseline = compute_baseline(facility, bcfg.get("periods"), methodology=m,
                                allow_reported=bool(bcfg.get("allow_reported", False)), file=cfg["_file"])
    agreed = deal_plan(deal, baseline, m)
    years = sorted({o.date.year for o in deal.observations})
    proposed = propose_plan(baseline, years, cfg.get("proposal", {}), methodology=m, file=cfg["_file"])
    bau_models = fit_bau(monthly, facility, until_year=baseline.base_year)
    sim_years = [y for y in years if y > baseline.base_year]
    sim = simulate(facility, monthly, sim_years, n_paths=args.paths, seed=args.seed, methodology=m, bau=bau_models,
                   base_period=baseline.periods[-1])
    model_of = {d["series"]: d["model"] for d in sim.models}
    bau = {}
    for plan in (agreed, proposed):
        for kpi, path in plan.paths.items():
            for ms in path.milestones:
                if ms.year in sim.years and kpi in sim.values:
                    b = sim.bau_band(kpi, ms.year, alpha=0.10)
                    b["p_meets"] = float(meets(sim.kpi(kpi)[:, sim.years.index(ms.year)], ms.value,
                                               path.comparator).mean())
                    b["model"] = (f"Monte Carlo of {args.paths} BAU paths scored through the index "
                                  f"(PUE: {model_of.get('pue', '?')})")
                    bau[(kpi, ms.year)] = b
    profile = cfg.get("regulatory_profile", {})
    checks = {name: ambition_report(plan, facility, bau, **profile)
              for name, plan in (("deal", agreed), ("proposed", proposed))}
    out = {
        "deal": deal.id, "facility": facility.id,
        "baseline": baseline.model_dump(mode="json", exclude={"per_period"}),
        "bau": {"fitted_on": f"monthly data up to {baseline.base_year}-12", "paths": args.paths, "seed": args.seed,
                "models": sim.models, "notes": sim.notes,
                "forecast": [{"kpi": k, "year": y, **v} for (k, y), v in sorted(bau.items())]},
        "spts": {name: plan.to_rows() for name, plan in (("deal", agreed), ("proposed", proposed))},
        "ambition": {name: [c.to_dict() for c in cs] for name, cs in checks.items()},
        "verdicts": {name: [{"kpi": k, "year": y, "ambitious": v} for (k, y), v in verdicts(cs).items()]
                     for name, cs in checks.items()},
    }
    if args.json:
        print(json.dumps(jsonable(out), indent=1, ensure_ascii=False))
        return 0
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
        v = verdicts(checks[name])
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
    from index.levers import check_dates, load_levers
    from index.methodology import load_methodology
    from index.simulate import fit_bau, simulate

    deal, facility, cfg, monthly = _load(args)
    m = load_methodology()
    kpis = ratchet_kpis(deal)
    levers = []
    if args.levers:
        levers = load_levers(args.levers)
        check_dates(levers, deal.loan.start_date, deal.loan.maturity_date, file=args.levers)
    bau_models = fit_bau(monthly, facility, model=args.model)
    years = sorted({o.date.year for o in deal.observations if o.verified is None and o.period is None})
    runs = {}
    for name, lv in (("bau", []), ("levers", levers)) if levers else (("bau", []),):
        sim = simulate(facility, monthly, years, n_paths=args.paths, seed=args.seed, levers=lv, methodology=m,
                       bau=bau_models)
        vals, source = observation_values(deal, facility, sim, kpis, m)
        fin = price_paths(deal, args.deal_file, vals)
        runs[name] = {"index": sim.distribution("index"), "grades": sim.grade_shares(), "notes": sim.notes,
                      "observation_source": source, **fin}
    out = {"deal": deal.id, "facility": facility.id, "paths": args.paths, "seed": args.seed,
           "models": bau_models.describe(), "levers": [lv.model_dump(mode="json") for lv in levers], "runs": runs}
    if levers:
        out["levers_value"] = {"expected_pv_saving_gain": runs["levers"]["expected_pv_saving"]
                               - runs["bau"]["expected_pv_saving"]}
    if args.json:
        print(json.dumps(jsonable(out), indent=1, ensure_ascii=False))
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
