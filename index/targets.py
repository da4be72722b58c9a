"""Milestone targets (sustainability performance targets, SPTs): paths from a baseline to a target year.

Path methods, for a KPI with baseline ``b`` in year ``y0`` and target ``T`` in year ``Y``:

- ``linear``: ``v(y) = b + (T − b)·(y − y0)/(Y − y0)`` (equal steps);
- ``constant_rate``: ``v(y) = b·(T/b)^((y − y0)/(Y − y0))`` (the same relative change every year; ``b, T > 0``);
- ``trajectory``: a named policy trajectory of ``data/targets/trajectories.toml`` — target points (e.g. the
  green-procurement renewable floor 30/50/75/100 % in 2025/2027/2030/2032, 财库〔2023〕7号), interpolated
  linearly between points, or a yearly relative growth (renewable utilisation +10 %/yr, 发改环资〔2024〕970号).
  A trajectory never asks less than the baseline: where the baseline is already better the milestone is held
  at the baseline (and the ambition checks will say so).

After ``Y`` the target stays at ``T``. Every milestone can be edited (:meth:`SptPlan.edit`); edits are marked.

KPIs: ``index`` (GCPI total [points]), ``core``, any indicator id (raw value in its unit: ``pue`` [-],
``wue`` [L/kWh], ``renewable_share`` [fraction], ``cue`` [kgCO2e/kWh] ...) and ``erf`` [fraction].
"""

from __future__ import annotations

import tomllib
from functools import cache
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from index.baseline import Baseline
from index.errors import InputError
from index.methodology import load_methodology
from index.reference import data_dir

Method = Literal["linear", "constant_rate", "trajectory", "manual"]
#: KPIs scored in index points (an SPT rebase keeps the improvement in points, not as a ratio)
POINT_KPIS = ("index", "core", "addon")
_FIXED_DIRECTIONS = {"index": ">=", "core": ">=", "addon": ">=", "erf": ">=", "cue_location": "<=",
                     "scope1_t": "<=", "scope2_location_t": "<=", "scope2_market_t": "<=",
                     "cfe_score": ">=", "hourly_matched_share": ">="}


def kpi_comparator(kpi: str, methodology=None) -> str:
    """``"<="`` when lower is better (the SPT is a ceiling), ``">="`` when higher is better.

    From the methodology's scoring curve for indicators (PUE, WUE, CUE score higher when lower).

    Raises
    ------
    InputError
        Unknown KPI, or a categorical indicator (no direction).
    """
    if kpi in _FIXED_DIRECTIONS:
        return _FIXED_DIRECTIONS[kpi]

    m = methodology or load_methodology()
    if kpi not in m.indicators:
        raise InputError(f"unknown KPI {kpi!r}: use index, core, addon, erf or an indicator id "
                         f"({', '.join(m.indicators)})", field="kpi", value=kpi)
    d = m.indicators[kpi].curve.direction
    if d == "categorical":
        raise InputError(f"{kpi} is categorical and cannot carry a numeric SPT", field="kpi", value=kpi)
    return "<=" if d == "lower_better" else ">="


def better(a: float, b: float, comparator: str) -> float:
    """The better of two KPI values (the lower for ``<=``)."""
    return min(a, b) if comparator == "<=" else max(a, b)


def meets(value, target, comparator: str):
    """Whether ``value`` meets ``target`` (arrays broadcast; NaN never meets)."""

    v = np.asarray(value, dtype=float)
    with np.errstate(invalid="ignore"):
        return (v <= target) if comparator == "<=" else (v >= target)


@cache
def load_trajectories() -> dict[str, dict]:
    """Named policy trajectories (``data/targets/trajectories.toml``), each with its source(s)."""

    with open(data_dir() / "targets" / "trajectories.toml", "rb") as f:
        raw = tomllib.load(f)
    for name, t in raw.items():
        if t.get("kind") == "points":
            for p in t["points"]:
                if not p.get("source"):
                    raise InputError("trajectory point without a source", file="data/targets/trajectories.toml",
                                     field=f"{name}.points", row=p.get("year"))
        elif t.get("kind") == "growth":
            if not t.get("source"):
                raise InputError("trajectory without a source", file="data/targets/trajectories.toml", field=name)
        else:
            raise InputError("kind must be 'points' or 'growth'", file="data/targets/trajectories.toml",
                             field=f"{name}.kind", value=t.get("kind"))
    return raw


def trajectory_value(name: str, year: int, baseline_value: float, baseline_year: int) -> tuple[float, str]:
    """Value of a named trajectory in ``year`` and its source.

    Raises
    ------
    InputError
        Unknown trajectory, or a year before the trajectory's first point.
    """
    trs = load_trajectories()
    if name not in trs:
        raise InputError(f"unknown trajectory {name!r}; known: {', '.join(trs)}", field="trajectory", value=name)
    t = trs[name]
    if t["kind"] == "growth":
        rate = float(t["rate"])
        n = year - baseline_year
        if t["comparator"] == ">=":
            v = baseline_value * (1 + rate) ** n
            v = min(v, float(t.get("cap", float("inf"))))
        else:
            v = baseline_value * (1 - rate) ** n
        return v, t["source"]
    pts = sorted(t["points"], key=lambda p: p["year"])
    if year < pts[0]["year"]:
        # before the first point: move linearly from the baseline to the first point
        y1, v1 = pts[0]["year"], float(pts[0]["value"])
        frac = (year - baseline_year) / (y1 - baseline_year) if y1 > baseline_year else 1.0
        return baseline_value + (v1 - baseline_value) * frac, pts[0]["source"]
    last = pts[0]
    for p in pts:
        if p["year"] <= year:
            last = p
    nxt = next((p for p in pts if p["year"] > year), None)
    if nxt is None or not t.get("interpolate", True) or last["year"] == year:
        return float(last["value"]), last["source"]
    frac = (year - last["year"]) / (nxt["year"] - last["year"])
    v = float(last["value"]) + (float(nxt["value"]) - float(last["value"])) * frac
    return v, f"interpolated between {last['year']} ({last['source']}) and {nxt['year']} ({nxt['source']})"


@cache
def load_spt_limits() -> dict[str, dict]:
    """The most each KPI can reach (``data/targets/spt_limits.toml``), each with its source.

    Raises
    ------
    InputError
        A limit without a source or reason, a comparator other than ``<=`` / ``>=``, or neither ``value`` nor ``rule``.
    """

    f = "data/targets/spt_limits.toml"
    with open(data_dir() / "targets" / "spt_limits.toml", "rb") as fh:
        raw = tomllib.load(fh)
    for kpi, lim in raw.items():
        if not lim.get("source") or not lim.get("reason"):
            raise InputError("limit without a source or reason", file=f, field=kpi)
        if lim.get("comparator") not in ("<=", ">="):
            raise InputError("comparator must be '<=' or '>='", file=f, field=f"{kpi}.comparator",
                             value=lim.get("comparator"))
        if "value" not in lim and lim.get("rule") not in ("core_plus_reachable_addon", "reachable_addon"):
            raise InputError("give a value or rule = 'core_plus_reachable_addon' / 'reachable_addon'", file=f,
                             field=kpi, value=lim.get("rule"))
    return raw


def spt_limit(kpi: str, baseline: Baseline, methodology=None) -> tuple[float, str] | None:
    """The most ``kpi`` can reach for the facility of ``baseline`` and why, or None (no limit known).

    Index: ``core_max + addon_max_points × Σ wᵢ`` over the add-on indicators reported in the last baseline
    period (``data/targets/spt_limits.toml``; e.g. 100 + 10 × (0.4 + 0.3 + 0.3) = 110 when all three are
    reported). Shares: 1. PUE: 1 (a floor).

    Returns
    -------
    tuple of (float, str) or None
        The limit [KPI unit] and the reason with its source.
    """
    lim = load_spt_limits().get(kpi)
    if lim is None:
        return None
    src = "data/targets/spt_limits.toml"
    if "value" in lim:
        return float(lim["value"]), f"{lim['reason']}; {src}"

    m = methodology or load_methodology()
    last = baseline.per_period.get(baseline.periods[-1], {})
    reported = [i for i in m.addon_ids if last.get(i) is not None]
    reach = m.addon_max_points * sum(m.indicators[i].weight for i in reported)
    how = (f"add-on {reach:.4g} of {m.addon_max_points:g} points, from the add-on indicators reported in "
           f"{baseline.periods[-1]}: {', '.join(reported) or 'none'}")
    if lim["rule"] == "reachable_addon":
        return reach, f"{how}; {src}"
    core_max = float(lim["core_max"])
    return core_max + reach, f"core {core_max:g} + {how}; {src}"


def _limited(path: KpiPath, limit: tuple[float, str] | None, core_max: float | None) -> KpiPath:
    """``path`` with milestones beyond ``limit`` held at it, and a note on every milestone at the limit or (for
    the index) above the core maximum, so the reader sees why a target like 104 or 1.0 is possible."""
    if limit is None:
        return path
    cap, why = limit
    comp = path.comparator
    ms = []
    for m in path.milestones:
        note, v = m.note, m.value
        if better(v, cap, comp) == v and v != cap:
            note = _join(note, f"asked {v:.4g}, beyond the most {path.kpi} can reach: held at {cap:.4g} ({why})")
            v = cap
        elif v == cap:
            note = _join(note, f"at the most {path.kpi} can reach, {cap:.4g} ({why})")
        elif core_max is not None and comp == ">=" and v > core_max:
            note = _join(note, f"above the {core_max:g}-point core maximum: needs at least {v - core_max:.2f} "
                               f"add-on points even with a perfect core; the index can reach {cap:.4g} ({why})")
        ms.append(m if (note, v) == (m.note, m.value) else m.model_copy(update={"value": v, "note": note}))
    return path.model_copy(update={"milestones": tuple(ms), "target_value": ms[-1].value if ms else None})


def _join(a: str | None, b: str) -> str:
    return f"{a}; {b}" if a else b


class Milestone(BaseModel):
    """One SPT: the KPI value to reach in a year.

    Attributes
    ----------
    year : int
    value : float
        Target [KPI unit].
    method : str
        How it was set (``linear``, ``constant_rate``, ``trajectory``, ``manual``).
    source : str, optional
        Source of a trajectory value.
    edited : bool
        Edited by hand after the proposal.
    previous : float, optional
        The value before the last edit or rebase.
    note : str, optional
    """

    model_config = ConfigDict(frozen=True)

    year: int
    value: float
    method: str
    source: str | None = None
    edited: bool = False
    previous: float | None = None
    note: str | None = None


class KpiPath(BaseModel):
    """The milestones of one KPI from its baseline.

    Attributes
    ----------
    kpi : str
    comparator : {"<=", ">="}
        ``<=``: the KPI must be at or below the SPT (lower is better).
    baseline_value : float
    baseline_year : int
    method : str
    target_year, target_value : int, float or None
        End point (linear / constant-rate).
    trajectory : str or None
    milestones : tuple of Milestone
    """

    model_config = ConfigDict(frozen=True)

    kpi: str
    comparator: Literal["<=", ">="]
    baseline_value: float
    baseline_year: int
    method: Method
    target_year: int | None = None
    target_value: float | None = None
    trajectory: str | None = None
    milestones: tuple[Milestone, ...]

    def spt(self, year: int) -> float:
        """The SPT for an observation year.

        Raises
        ------
        InputError
            No milestone in that year.
        """
        for ms in self.milestones:
            if ms.year == year:
                return ms.value
        raise InputError(f"no {self.kpi} milestone in {year}; milestones: "
                         f"{', '.join(str(m.year) for m in self.milestones)}", field=f"spt.{self.kpi}", row=year)


def _check_years(years, baseline_year: int, kpi: str, file=None) -> list[int]:
    ys = sorted({int(y) for y in years})
    if not ys:
        raise InputError("no observation years given", file=file, field="years")
    early = [y for y in ys if y <= baseline_year]
    if early:
        raise InputError(f"SPT year {early[0]} for {kpi} is not after the baseline year {baseline_year}: a "
                         "milestone must come after the baseline", file=file, field=f"spt.{kpi}", row=early[0],
                         value=early[0])
    return ys


def propose_path(kpi: str, baseline_value: float, baseline_year: int, years, *, method: Method = "linear",
                 target_value: float | None = None, target_year: int | None = None,
                 trajectory: str | None = None, comparator: str | None = None, methodology=None,
                 file: str | None = None) -> KpiPath:
    """Propose the milestones of one KPI.

    Parameters
    ----------
    kpi : str
    baseline_value : float
        [KPI unit]
    baseline_year : int
    years : iterable of int
        Observation years (each after the baseline year).
    method : {"linear", "constant_rate", "trajectory"}
    target_value, target_year : float, int
        End point (linear / constant-rate). ``target_year`` defaults to the last observation year.
    trajectory : str
        Name in ``data/targets/trajectories.toml`` (method ``trajectory``).
    comparator : {"<=", ">="}, optional
        Default from :func:`kpi_comparator`.

    Returns
    -------
    KpiPath

    Raises
    ------
    InputError
        An observation or target year not after the baseline year, a missing target, a target that is
        worse than the baseline, a non-positive value for ``constant_rate``, an unknown trajectory or one
        for another KPI.

    Examples
    --------
    PUE 1.21 in 2024 to 1.15 in 2027, linear: 1.19, 1.17, 1.15.

    >>> p = propose_path("pue", 1.21, 2024, [2025, 2026, 2027], target_value=1.15)
    >>> [round(m.value, 4) for m in p.milestones]
    [1.19, 1.17, 1.15]
    """
    comp = comparator or kpi_comparator(kpi, methodology)
    ys = _check_years(years, baseline_year, kpi, file)
    ms: list[Milestone] = []
    if method in ("linear", "constant_rate"):
        if target_value is None:
            raise InputError(f"method {method} needs a target value for {kpi}", file=file,
                             field=f"targets.{kpi}.target_value")
        ty = target_year if target_year is not None else ys[-1]
        if ty <= baseline_year:
            raise InputError(f"target year {ty} for {kpi} is not after the baseline year {baseline_year}", file=file,
                             field=f"targets.{kpi}.target_year", value=ty)
        if better(target_value, baseline_value, comp) != target_value:
            raise InputError(f"target {target_value:g} for {kpi} is worse than the baseline {baseline_value:g} "
                             f"(SPT must improve: {kpi} {comp} target)", file=file,
                             field=f"targets.{kpi}.target_value", value=target_value)
        if method == "constant_rate" and (baseline_value <= 0 or target_value <= 0):
            raise InputError(f"constant-rate path needs positive baseline and target for {kpi}", file=file,
                             field=f"targets.{kpi}.target_value", value=target_value)
        for y in ys:
            f = min((y - baseline_year) / (ty - baseline_year), 1.0)
            if method == "linear":
                v = baseline_value + (target_value - baseline_value) * f
            else:
                v = baseline_value * (target_value / baseline_value) ** f
            ms.append(Milestone(year=y, value=v, method=method))
        return KpiPath(kpi=kpi, comparator=comp, baseline_value=baseline_value, baseline_year=baseline_year,
                       method=method, target_year=ty, target_value=target_value, milestones=tuple(ms))
    if method == "trajectory":
        if not trajectory:
            raise InputError(f"method trajectory needs a trajectory name for {kpi}", file=file,
                             field=f"targets.{kpi}.trajectory")
        trs = load_trajectories()
        if trajectory in trs and trs[trajectory]["kpi"] != kpi:
            raise InputError(f"trajectory {trajectory!r} is for {trs[trajectory]['kpi']}, not {kpi}", file=file,
                             field=f"targets.{kpi}.trajectory", value=trajectory)
        for y in ys:
            v, src = trajectory_value(trajectory, y, baseline_value, baseline_year)
            note = None
            if better(v, baseline_value, comp) != v:
                note = (f"trajectory asks {v:.4g}, already bettered by the baseline {baseline_value:.4g}: "
                        "milestone held at the baseline")
                v = baseline_value
            ms.append(Milestone(year=y, value=v, method="trajectory", source=src, note=note))
        return KpiPath(kpi=kpi, comparator=comp, baseline_value=baseline_value, baseline_year=baseline_year,
                       method="trajectory", trajectory=trajectory, target_year=ys[-1], target_value=ms[-1].value,
                       milestones=tuple(ms))
    raise InputError(f"unknown method {method!r}: linear, constant_rate or trajectory", file=file,
                     field=f"targets.{kpi}.method", value=method)


class SptPlan(BaseModel):
    """The SPTs of a facility: one :class:`KpiPath` per KPI, from one :class:`~index.baseline.Baseline`."""

    model_config = ConfigDict(frozen=True)

    facility_id: str
    baseline: Baseline
    years: tuple[int, ...]
    paths: dict[str, KpiPath]
    history: tuple[str, ...] = ()

    def spt(self, kpi: str, year: int) -> float:
        """SPT of a KPI in an observation year [KPI unit].

        Raises
        ------
        InputError
            Unknown KPI or year.
        """
        if kpi not in self.paths:
            raise InputError(f"no SPT for {kpi!r}; the plan has {', '.join(self.paths)}", field="kpi", value=kpi)
        return self.paths[kpi].spt(year)

    def edit(self, kpi: str, year: int, value: float, note: str | None = None) -> SptPlan:
        """A copy with one milestone changed by hand (marked ``edited``, the old value kept).

        Raises
        ------
        InputError
            Unknown KPI or year.
        """
        path = self.paths.get(kpi)
        if path is None:
            raise InputError(f"no SPT for {kpi!r}", field="kpi", value=kpi)
        old = path.spt(year)
        ms = tuple(m.model_copy(update={"value": float(value), "edited": True, "previous": old,
                                        "method": "manual", "note": note or m.note})
                   if m.year == year else m for m in path.milestones)
        paths = dict(self.paths)
        paths[kpi] = path.model_copy(update={"milestones": ms})
        return self.model_copy(update={"paths": paths,
                                       "history": self.history + (f"edited {kpi} {year}: {old:.6g} → {value:.6g}"
                                                                  + (f" ({note})" if note else ""),)})

    def rebase(self, new_baseline: Baseline, reason: str | None = None) -> SptPlan:
        """SPTs recomputed on a recalculated baseline, keeping the agreed ambition.

        Trajectory milestones are recomputed from the policy trajectory. Other milestones (proposed or
        edited) keep their improvement over the baseline: in points for index KPIs
        (``v' = b' + (v − b)``), as a ratio otherwise (``v' = v·b'/b``). The old values are kept in
        ``Milestone.previous``.
        """
        paths = {}
        for kpi, p in self.paths.items():
            nb = new_baseline.value(kpi)
            ms = []
            for m in p.milestones:
                if m.method == "trajectory" and p.trajectory:
                    v, src = trajectory_value(p.trajectory, m.year, nb, new_baseline.base_year)
                    v = better(v, nb, p.comparator)
                elif kpi in POINT_KPIS:
                    v = nb + (m.value - p.baseline_value)
                else:
                    v = m.value * nb / p.baseline_value if p.baseline_value else m.value
                ms.append(m.model_copy(update={"value": v, "previous": m.value}))
            paths[kpi] = p.model_copy(update={
                "baseline_value": nb, "baseline_year": new_baseline.base_year, "milestones": tuple(ms),
                "target_value": ms[-1].value if ms else p.target_value})
        return self.model_copy(update={"baseline": new_baseline, "paths": paths,
                                       "history": self.history + (f"rebased: {reason or 'recalculation'}",)})

    def to_rows(self) -> list[dict]:
        """One row per KPI and year: kpi, year, comparator, spt, baseline, method, edited, source, note."""
        rows = []
        for kpi, p in self.paths.items():
            for m in p.milestones:
                rows.append({"kpi": kpi, "year": m.year, "comparator": p.comparator, "spt": m.value,
                             "baseline": p.baseline_value, "method": m.method, "edited": m.edited,
                             "previous": m.previous, "source": m.source, "note": m.note})
        return rows


def propose_plan(baseline: Baseline, years, spec: dict[str, dict], *, methodology=None,
                 file: str | None = None) -> SptPlan:
    """Propose SPTs for several KPIs from one baseline.

    Parameters
    ----------
    baseline : Baseline
    years : iterable of int
        Observation years.
    spec : dict
        KPI → keyword arguments of :func:`propose_path` (``method``, ``target_value``, ``target_year``,
        ``trajectory``), e.g. ``{"index": {"method": "linear", "target_value": 95},
        "pue": {"method": "trajectory", "trajectory": "pue_hub_east"}}``. A KPI may also give
        ``milestones = {2027 = 1.18}`` to override proposed values (marked edited).

    Milestones beyond the most a KPI can reach (:func:`spt_limit`, ``data/targets/spt_limits.toml``) are held at
    it with a note; milestones at the limit, and index milestones above the core maximum, get a note saying why.

    Returns
    -------
    SptPlan
    """
    paths: dict[str, KpiPath] = {}
    edits: list[tuple[str, int, float]] = []
    for kpi, kw in spec.items():
        kw = dict(kw)
        manual = kw.pop("milestones", None) or {}
        unknown = set(kw) - {"method", "target_value", "target_year", "trajectory", "comparator"}
        if unknown:
            raise InputError(f"unknown key(s) {', '.join(sorted(unknown))} for {kpi}", file=file,
                             field=f"targets.{kpi}")
        paths[kpi] = propose_path(kpi, baseline.value(kpi), baseline.base_year, years, methodology=methodology,
                                  file=file, **kw)
        edits += [(kpi, int(y), float(v)) for y, v in manual.items()]
    plan = SptPlan(facility_id=baseline.facility_id, baseline=baseline, years=tuple(sorted({int(y) for y in years})),
                   paths=paths)
    for kpi, y, v in edits:
        plan = plan.edit(kpi, y, v, note="set in the targets file")
    lims = load_spt_limits()
    paths = {kpi: _limited(p, spt_limit(kpi, baseline, methodology),
                           float(lims[kpi]["core_max"]) if "core_max" in lims.get(kpi, {}) else None)
             for kpi, p in plan.paths.items()}
    return plan.model_copy(update={"paths": paths})
