"""Ambition checks of SPTs, each with its evidence.

The Sustainability-Linked Loan Principles [1]_ ask that SPTs be ambitious: beyond business as usual, beyond
what regulation already requires, and set against peers. For every SPT (KPI, year) three checks are made:

``bau``
    Flagged (not ambitious) when the business-as-usual forecast already reaches the SPT: its point forecast
    (mean of the BAU simulation or forecast) meets the SPT. The evidence gives the BAU mean and interval; an
    SPT beyond the interval's favourable bound is marked a stretch.
``regulation``
    Flagged when a binding rule for that year and place already forces the SPT: the SPT is no better than
    the strictest applicable threshold of ``data/reference/policy_thresholds.csv`` (which rules bind which
    facilities: ``data/targets/regulatory_scope.csv``). The evidence names the rule and its document.
``peer``
    Where the SPT stands against peers (informational, never a flag on its own): national average PUE 1.46
    (2024) and national green data centres ≈1.2 (``data/reference/benchmarks.csv``), the facility's cluster
    and grid region when benchmarked, and the other facilities in ``data/facilities/`` (latest period scored).

References
----------
.. [1] LMA / APLMA / LSTA (2023) *Sustainability-Linked Loan Principles*, §2 Calibration of SPTs: "beyond
   a 'Business as Usual' trajectory", "beyond any regulatory required target", benchmarked against peers.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from functools import cache

from index.baseline import kpi_from_result
from index.engine import score
from index.errors import InputError
from index.models import load_facility
from index.reference import data_dir, province_info, read_table
from index.targets import better, meets


@dataclass(frozen=True)
class AmbitionCheck:
    """One check of one SPT.

    Attributes
    ----------
    kpi : str
    year : int
    spt : float
        [KPI unit]
    check : {"bau", "regulation", "peer"}
    ambitious : bool or None
        False = flagged not ambitious; None = no evidence to judge (e.g. no applicable rule).
    reference : float or None
        The value compared with (BAU mean, binding threshold, peer value) [KPI unit].
    evidence : str
        What was compared, in words (English), with the source.
    code : str
        The evidence as a code, for a reader's language (the app's catalogue ``designer.code.<code>``):
        ``bau.no_forecast``, ``bau.reached``, ``bau.stretch``, ``bau.inside``, ``regulation.none``,
        ``regulation.forced``, ``regulation.beyond``, ``peer.benchmark``, ``peer.no_cluster_benchmark``,
        ``peer.facility``.
    params : dict
        The figures, dates, ids and source citations ``evidence`` is worded from (numbers unrounded, in the
        KPI unit; see each check for its keys).
    """

    kpi: str
    year: int
    spt: float
    check: str
    ambitious: bool | None
    reference: float | None
    evidence: str
    code: str = ""
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def check_bau(kpi: str, year: int, spt: float, comparator: str, bau: dict) -> AmbitionCheck:
    """BAU check.

    Parameters
    ----------
    bau : dict
        ``mean``, ``lower``, ``upper`` of the BAU forecast in ``year`` [KPI unit], optional ``model``,
        ``alpha``, ``p_meets`` (probability BAU meets the SPT).

    Examples
    --------
    BAU PUE 1.15 (1.12–1.18): an SPT of 1.15 is what BAU reaches, so it is flagged.

    >>> check_bau("pue", 2027, 1.15, "<=", {"mean": 1.15, "lower": 1.12, "upper": 1.18}).ambitious
    False
    """
    mean, lo, hi = float(bau["mean"]), float(bau["lower"]), float(bau["upper"])
    reached = bool(meets(mean, spt, comparator))
    fav = lo if comparator == "<=" else hi
    stretch = not bool(meets(fav, spt, comparator))
    level = f"{1 - float(bau.get('alpha', 0.1)):.0%}"
    ev = (f"BAU forecast {year}: {mean:.4g} ({level} interval {lo:.4g}–{hi:.4g})"
          + (f", {bau['model']}" if bau.get("model") else "")
          + (f"; P(BAU meets SPT) = {bau['p_meets']:.1%}" if bau.get("p_meets") is not None else "") + ". ")
    if reached:
        ev += f"The BAU forecast already reaches the SPT {spt:.4g}: not beyond business as usual."
    elif stretch:
        ev += f"The SPT {spt:.4g} is beyond the interval's favourable bound {fav:.4g}: a stretch target."
    else:
        ev += f"The SPT {spt:.4g} is better than the BAU forecast but inside its interval."
    params = {"year": year, "mean": mean, "level": 1 - float(bau.get("alpha", 0.1)), "lower": lo, "upper": hi,
              "model": bau.get("model") or None,
              "p_meets": None if bau.get("p_meets") is None else float(bau["p_meets"]), "spt": spt, "bound": fav}
    code = "bau.reached" if reached else "bau.stretch" if stretch else "bau.inside"
    return AmbitionCheck(kpi, year, spt, "bau", not reached, mean, ev, code, params)


@cache
def _policies() -> tuple[dict, ...]:
    return tuple(read_table("policy_thresholds.csv"))


@cache
def _scope_table() -> dict[str, dict]:
    with open(data_dir() / "targets" / "regulatory_scope.csv", encoding="utf-8", newline="") as f:
        rows = {r["policy_id"]: r for r in csv.DictReader(f)}
    missing = [p["policy_id"] for p in _policies() if p["policy_id"] not in rows]
    if missing:
        raise InputError(f"policy thresholds without a binding / scope entry: {', '.join(missing)}",
                         file="data/targets/regulatory_scope.csv", field="policy_id")
    return rows


def applicable_rules(metric: str, year: int, facility, *, new_build: bool | None = None,
                     government_procurement: bool = False, city: str | None = None) -> list[dict]:
    """Binding policy thresholds on ``metric`` in force in ``year`` for a facility.

    Parameters
    ----------
    metric : str
        ``pue``, ``wue``, ``renewable_share``, ``rack_utilisation``, ``erf`` …
    facility : Facility
        Province and hub zone decide the place-bound rules.
    new_build : bool, optional
        Whether rules for new (and expanded) data centres apply. Default: the facility was commissioned in
        or after the rule's effective year.
    government_procurement : bool
        The facility serves government buyers (green-procurement rules, 财库〔2023〕7号).
    city : str, optional
        City-level rules (``shenzhen``).

    Returns
    -------
    list of dict
        Rows of ``policy_thresholds.csv`` (value as float), plus ``reason`` from the scope table.
    """

    info = province_info(facility.province)
    scopes = _scope_table()
    out = []
    for p in _policies():
        if p["metric"] != metric or int(p["effective_year"]) > year:
            continue
        sc = scopes[p["policy_id"]]
        if sc["binding"] != "yes":
            continue
        scope = p["scope"]
        if scope.startswith("province:") and scope.split(":", 1)[1] != facility.province:
            continue
        if scope in ("hub_east", "hub_west") and info.hub_zone != scope.split("_")[1]:
            continue
        if scope == "hub_new_build" and not info.hub_node:
            continue
        if scope == "green_procurement" and not government_procurement:
            continue
        if p["policy_id"] == "shenzhen_new_build_2025" and city != "shenzhen":
            continue
        nb = new_build
        if nb is None:
            cd = facility.commissioning_date
            nb = cd is not None and cd.year >= int(p["effective_year"])
        applies = sc["applies_to"]
        if applies in ("new_build", "hub_new_build") and not nb:
            continue
        if applies == "existing" and nb:
            continue
        out.append({**p, "value": float(p["value"]), "reason": sc["reason"]})
    return out


def check_regulation(kpi: str, year: int, spt: float, comparator: str, facility, **profile) -> AmbitionCheck:
    """Regulation check: flagged when the strictest binding rule already forces the SPT.

    ``profile`` is passed to :func:`applicable_rules` (``new_build``, ``government_procurement``, ``city``).
    """
    rules = [r for r in applicable_rules(kpi, year, facility, **profile) if r["comparator"] == comparator]
    info = province_info(facility.province)
    if not rules:
        return AmbitionCheck(kpi, year, spt, "regulation", None, None,
                             f"no binding rule on {kpi} found for this facility in {year} "
                             f"(province {facility.province}; data/reference/policy_thresholds.csv)",
                             "regulation.none", {"kpi": kpi, "year": year, "province": facility.province,
                                                 "province_zh": info.name_zh, "province_en": info.name_en})
    strict = rules[0]
    for r in rules[1:]:
        if better(r["value"], strict["value"], comparator) == r["value"]:
            strict = r
    # forced: the rule's limit is at least as demanding as the SPT
    forced = better(strict["value"], spt, comparator) == strict["value"]
    ev = (f"strictest binding rule in {year}: {kpi} {comparator} {strict['value']:g} ({strict['policy_id']}: "
          f"{strict['document']}; {strict['reason']}). ")
    ev += (f"The SPT {spt:.4g} is no more demanding than the regulation: not ambitious." if forced else
           f"The SPT {spt:.4g} goes beyond it.")
    params = {"year": year, "kpi": kpi, "comparator": comparator, "limit": strict["value"],
              "policy_id": strict["policy_id"], "document": strict["document"], "reason": strict["reason"],
              "applies_to": _scope_table()[strict["policy_id"]]["applies_to"], "spt": spt}
    return AmbitionCheck(kpi, year, spt, "regulation", not forced, strict["value"], ev,
                         "regulation.forced" if forced else "regulation.beyond", params)


@cache
def _benchmarks() -> tuple[dict, ...]:
    return tuple(read_table("benchmarks.csv"))


@cache
def _other_facilities(exclude: str) -> tuple:
    out = []
    for path in sorted((data_dir() / "facilities").glob("*.toml")):
        try:
            f = load_facility(path)
        except InputError:
            continue
        if f.id == exclude or not f.periods:
            continue
        per = f.periods[-1]
        out.append((f, per, score(f, per)))
    return tuple(out)


#: least share of the core weight with data for another facility's index to count as a peer value
PEER_MIN_COMPLETENESS = 0.9
#: benchmark scope of a cluster named in a facility file (benchmarks.csv scope names)
CLUSTER_SCOPES = {"和林格尔": "cluster:helinger", "helinger": "cluster:helinger"}


def peer_checks(kpi: str, year: int, spt: float, comparator: str, facility) -> list[AmbitionCheck]:
    """The SPT against peers (national average, green DCs, cluster, grid region, other facilities).

    ``ambitious`` is True when the SPT is better than the peer value; these checks inform, they do not flag.
    """

    out = []
    wanted = {"china_national_average": "national average", "china_green_dc": "national green data centres",
              f"china_region:{facility.grid_region}": f"{facility.grid_region} grid region average"}
    #: the peer group as a code (``national_average``, ``green_dc``, ``grid_region``, ``cluster``)
    group = {"china_national_average": "national_average", "china_green_dc": "green_dc",
             f"china_region:{facility.grid_region}": "grid_region"}
    cluster_scope = None
    for key, sc in CLUSTER_SCOPES.items():
        if facility.cluster and key in facility.cluster.lower():
            cluster_scope = sc
    if cluster_scope:
        wanted[cluster_scope] = f"cluster {facility.cluster}"
        group[cluster_scope] = "cluster"
    for scope, label in wanted.items():
        rows = [r for r in _benchmarks() if r["metric"] == kpi and r["scope"] == scope]
        if not rows:
            continue
        r = max(rows, key=lambda x: int(x["year"]))
        v = float(r["value"])
        ok = better(spt, v, comparator) == spt and spt != v
        out.append(AmbitionCheck(kpi, year, spt, "peer", ok, v,
                                 f"{label} {r['year']}: {v:g} ({r['source']}); SPT {spt:.4g} is "
                                 f"{'better' if ok else 'not better'}", "peer.benchmark",
                                 {"group": group[scope], "region": facility.grid_region, "cluster": facility.cluster,
                                  "year": r["year"], "value": v, "source": r["source"], "spt": spt, "better": ok}))
    if facility.cluster and not cluster_scope:
        out.append(AmbitionCheck(kpi, year, spt, "peer", None, None,
                                 f"no benchmark found for the facility's cluster {facility.cluster}",
                                 "peer.no_cluster_benchmark", {"cluster": facility.cluster}))
    for f, per, res in _other_facilities(facility.id):
        if kpi in ("index", "core", "addon") and res.completeness_weighted < PEER_MIN_COMPLETENESS:
            continue  # an index with most data missing is not a peer level
        v = kpi_from_result(res, per, kpi)
        if v is None:
            continue
        ok = better(spt, v, comparator) == spt and spt != v
        out.append(AmbitionCheck(kpi, year, spt, "peer", ok, v,
                                 f"{f.name} ({per.label}, {per.status}): {v:.4g}; SPT {spt:.4g} is "
                                 f"{'better' if ok else 'not better'}", "peer.facility",
                                 {"facility_id": f.id, "name": f.name, "name_zh": f.name_zh or f.name,
                                  "period": per.label, "status": per.status, "value": v, "spt": spt, "better": ok}))
    return out


def ambition_report(plan, facility, bau: dict | None = None, **profile) -> list[AmbitionCheck]:
    """All checks for every SPT of a plan.

    Parameters
    ----------
    plan : index.targets.SptPlan
    facility : Facility
    bau : dict, optional
        ``(kpi, year)`` → BAU forecast dict (see :func:`check_bau`). SPTs without one get a BAU check with
        ``ambitious=None`` and the reason.
    profile
        ``new_build``, ``government_procurement``, ``city`` (see :func:`applicable_rules`).
    """
    out = []
    for kpi, path in plan.paths.items():
        for ms in path.milestones:
            b = (bau or {}).get((kpi, ms.year))
            if b is None:
                out.append(AmbitionCheck(kpi, ms.year, ms.value, "bau", None, None,
                                         "no BAU forecast for this KPI and year", "bau.no_forecast",
                                         {"kpi": kpi, "year": ms.year}))
            else:
                out.append(check_bau(kpi, ms.year, ms.value, path.comparator, b))
            out.append(check_regulation(kpi, ms.year, ms.value, path.comparator, facility, **profile))
            out.extend(peer_checks(kpi, ms.year, ms.value, path.comparator, facility))
    return out


def verdicts(checks: list[AmbitionCheck]) -> dict[tuple[str, int], bool]:
    """Per (KPI, year): ambitious unless the BAU or the regulation check flagged it."""
    out: dict[tuple[str, int], bool] = {}
    for c in checks:
        key = (c.kpi, c.year)
        out.setdefault(key, True)
        if c.check in ("bau", "regulation") and c.ambitious is False:
            out[key] = False
    return out
