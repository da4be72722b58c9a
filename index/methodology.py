"""Methodology as data: the GCPI indicator tree, weights, scoring curves, grade bands and gates.

A methodology is a TOML file (default ``data/methodology/gcpi-2024.toml``). :func:`load_methodology`
checks it and refuses a file whose weights do not add up, whose curves are not monotone, that misses one of
the 19 indicators of the white paper's table 2-1, or that lacks a ``source`` for an anchor. Results carry
the methodology id and the SHA-256 of the file, so any score can be reproduced.

Curve types
-----------
``piecewise``  linear between ``anchors`` (``x`` strictly increasing, scores monotone); flat beyond the ends.
``steps``      score of the last step whose ``from`` ≤ x (monotone).
``bands``      categorical value → score.
``checklist``  100 × weighted share of the listed capabilities present.
``composite``  weighted sum of parts, each a curve on its own metric (weights add up to 1).

AHP: :func:`ahp_weights` derives weights from a pairwise comparison matrix (principal eigenvector,
Saaty's consistency ratio; refused at CR ≥ 0.10). A file with ``[[ahp]]`` groups (gcpi-2025) gets its indicator
weights and acquisition ladder from them: every pair judged with a reason, CR < 0.10, the written weights within
:data:`AHP_WEIGHT_TOLERANCE` of the derived ones.

Justification: every anchor, grade, gate and rule may carry ``basis`` (``source`` by default,
``expert_judgement`` with a ``reason``, or ``definition``; :data:`BASES`). ``[rules]`` switches engine rules
(:meth:`Methodology.rule`); a piecewise curve may have ``zero_below = "provincial_renewable_weight"``; a gate
``effect = "cap"`` caps the grade at ``cap_grade`` (``missing = "hit"``: not reported = not met).
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import InputError
from index.reference import data_dir

#: the 19 indicator ids of the white paper's table 2-1, in table order
INDICATOR_IDS: tuple[str, ...] = (
    "computing_efficiency", "scale", "security", "availability",
    "rack_utilisation", "it_load_rate", "cpu_gpu_utilisation", "site_selection",
    "pue", "wue", "renewable_share", "renewable_acquisition", "cue", "carbon_efficiency",
    "smart_energy_management", "smart_carbon_management",
    "ghg_accounting", "lifecycle_strategy", "resource_recycling",
)
#: relative tolerance on weights adding up to 1
WEIGHT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Curve:
    """A scoring curve. ``evaluate`` maps raw values (array) to scores 0–100 (nan stays nan)."""

    type: str
    xs: tuple[float, ...] = ()
    scores: tuple[float, ...] = ()
    sources: tuple[str, ...] = ()
    bands: tuple[tuple[str, float, str], ...] = ()
    items: tuple[dict, ...] = ()
    parts: tuple[tuple[str, float, Curve], ...] = ()
    #: piecewise only: a per-facility floor (e.g. ``provincial_renewable_weight``) below which the score is 0
    zero_below: str | None = None

    @property
    def direction(self) -> str:
        """``higher_better``, ``lower_better`` or ``categorical``."""
        if self.type in ("piecewise", "steps"):
            return "lower_better" if self.scores[-1] < self.scores[0] else "higher_better"
        if self.type in ("checklist", "composite"):
            return "higher_better"
        return "categorical"

    def evaluate(self, x) -> np.ndarray:
        """Score raw values ``x`` [indicator unit] → [0–100]; ``nan`` in, ``nan`` out."""
        x = np.asarray(x, dtype=float)
        if self.type == "piecewise":
            out = np.interp(x, self.xs, self.scores)
        elif self.type == "steps":
            idx = np.searchsorted(np.asarray(self.xs), x, side="right") - 1
            out = np.asarray(self.scores)[np.clip(idx, 0, len(self.scores) - 1)]
            out = np.where(idx < 0, self.scores[0], out)
        else:
            raise TypeError(f"curve type {self.type} is not evaluated on numbers")
        return np.where(np.isnan(x), np.nan, out)

    def evaluate_bands(self, values, field: str | None = None) -> np.ndarray:
        """Score categorical values; ``None``/empty → nan. Raises InputError (naming ``field``) for an
        unknown category."""
        table = {v: s for v, s, _ in self.bands}
        out = np.full(len(values), np.nan)
        for i, v in enumerate(values):
            if v is None or v == "" or (isinstance(v, float) and v != v):
                continue
            if v not in table:
                raise InputError(f"unknown category {v!r}; expected one of {', '.join(table)}", field=field,
                                 row=i + 1 if len(values) > 1 else None, value=v)
            out[i] = table[v]
        return out

    def item_ids(self) -> list[str]:
        return [it["id"] for it in self.items]


@dataclass(frozen=True)
class Indicator:
    id: str
    name_zh: str
    name_en: str
    criterion: str
    pillar: str
    addon: bool
    weight: float
    unit: str
    metric: str
    definition: str
    curve: Curve
    allow_missing: tuple[str, ...] = ()
    allow_missing_note: str | None = None


@dataclass(frozen=True)
class Node:
    id: str
    name_zh: str
    name_en: str
    parent: str | None = None
    addon: bool = False


@dataclass(frozen=True)
class Methodology:
    """A loaded, checked methodology. ``sha256`` is the hash of the file's bytes."""

    id: str
    version: str
    title_en: str
    title_zh: str
    path: str
    sha256: str
    addon_max_points: float
    pillars: tuple[Node, ...]
    criteria: tuple[Node, ...]
    indicators: dict[str, Indicator]
    constants: dict[str, Any]
    acquisition_quality: dict[str, float]
    grades: tuple[tuple[str, float], ...]  #: (grade, min_total), best first
    ungraded: str
    pue_guard: tuple[tuple[float, str], ...]  #: (max PUE, best grade allowed), ascending PUE
    pue_missing_grade: str
    gates: tuple[dict, ...] = field(default=())
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    #: scoring rules switched on by the file's ``[rules]`` table (empty for gcpi-2024: its behaviour)
    rules: dict[str, Any] = field(default_factory=dict)
    #: AHP groups: (level, parent, items, weights, consistency ratio)
    ahp: tuple[tuple[str, str, tuple[str, ...], tuple[float, ...], float], ...] = field(default=())

    def rule(self, name: str, default: Any = None) -> Any:
        """A scoring rule of the ``[rules]`` table (``default`` when the file does not set it)."""
        return self.rules.get(name, default)

    @property
    def core_ids(self) -> list[str]:
        return [i for i, ind in self.indicators.items() if not ind.addon]

    @property
    def addon_ids(self) -> list[str]:
        return [i for i, ind in self.indicators.items() if ind.addon]

    def grade_rank(self, grade: str) -> int:
        """0 for the best grade, len(grades) for ungraded."""
        names = [g for g, _ in self.grades]
        return names.index(grade) if grade in names else len(names)


#: the methodology used when none is named (gcpi-2024 stays the default: see data/methodology/README.md)
DEFAULT_METHODOLOGY_ID = "gcpi-2024"


def default_methodology_path() -> Path:
    return data_dir() / "methodology" / f"{DEFAULT_METHODOLOGY_ID}.toml"


def methodology_path(methodology_id: str) -> Path:
    """The shipped file of a methodology id (``gcpi-2024``, ``gcpi-2025``)."""

    return data_dir() / "methodology" / f"{methodology_id}.toml"


def _err(msg: str, path: str, field: str | None = None, value: object = None) -> InputError:
    return InputError(msg, file=path, field=field, value=value)


def _need_source(obj: dict, path: str, where: str) -> str:
    src = obj.get("source")
    if not isinstance(src, str) or not src.strip():
        raise _err("every anchor, band, item and threshold needs a non-empty 'source'", path, where)
    return src


#: how an anchor, weight or threshold is justified: a cited external source, an explicit expert judgement
#: (with its reason, tied to the AHP matrices or README), or a definition (identity, zero of a ratio)
BASES = ("source", "expert_judgement", "definition")
#: per-facility floors a piecewise curve may use as ``zero_below``
ZERO_BELOW_FLOORS = ("provincial_renewable_weight",)


def _check_basis(obj: dict, path: str, where: str) -> None:
    basis = obj.get("basis", "source")
    if basis not in BASES:
        raise _err(f"basis must be one of {', '.join(BASES)}", path, f"{where}.basis", basis)
    if basis == "expert_judgement" and not str(obj.get("reason", "")).strip():
        raise _err("an expert-judgement entry needs a 'reason'", path, f"{where}.reason")


#: curves given as points: type -> (list key, x key, fewest points, wording of that minimum)
_POINT_CURVES = {"piecewise": ("anchors", "x", 2, "at least two anchors"),
                 "steps": ("steps", "from", 1, "at least one step")}


def _parse_curve(spec: dict, path: str, where: str) -> Curve:
    if not isinstance(spec, dict) or "type" not in spec:
        raise _err("curve must be a table with a 'type'", path, where)
    t = spec["type"]
    if t in _POINT_CURVES:
        key, x_key, least, need = _POINT_CURVES[t]
        points = spec.get(key) or []
        if len(points) < least:
            raise _err(f"a {t} curve needs {need}", path, where)
        xs = [float(a[x_key]) for a in points]
        ys = [float(a["score"]) for a in points]
        srcs = [_need_source(a, path, f"{where}.{key}[{i}]") for i, a in enumerate(points)]
        for i, a in enumerate(points):
            _check_basis(a, path, f"{where}.{key}[{i}]")
        _check_monotone(xs, ys, path, where)
        zb = spec.get("zero_below")
        if zb is not None:
            if zb not in ZERO_BELOW_FLOORS:
                raise _err(f"unknown zero_below floor {zb!r}; known: {', '.join(ZERO_BELOW_FLOORS)}", path,
                           f"{where}.zero_below")
            _need_source({"source": spec.get("zero_below_source")}, path, f"{where}.zero_below_source")
        return Curve(t, tuple(xs), tuple(ys), tuple(srcs), zero_below=zb)
    if t == "bands":
        bands = spec.get("bands") or []
        if not bands:
            raise _err("a bands curve needs at least one band", path, where)
        out = []
        for i, b in enumerate(bands):
            s = float(b["score"])
            if not 0 <= s <= 100:
                raise _err("band score must be within 0–100", path, f"{where}.bands[{i}].score", s)
            out.append((str(b["value"]), s, _need_source(b, path, f"{where}.bands[{i}]")))
        return Curve("bands", bands=tuple(out))
    if t == "checklist":
        items = spec.get("items") or []
        if not items:
            raise _err("a checklist needs at least one item", path, where)
        ids = set()
        for i, it in enumerate(items):
            _need_source(it, path, f"{where}.items[{i}]")
            if it["id"] in ids:
                raise _err(f"duplicate checklist item {it['id']!r}", path, f"{where}.items[{i}]")
            ids.add(it["id"])
            if float(it.get("weight", 1)) <= 0:
                raise _err("checklist item weight must be positive", path, f"{where}.items[{i}].weight")
        return Curve("checklist", items=tuple(dict(it) for it in items))
    if t == "composite":
        parts = spec.get("parts") or []
        if not parts:
            raise _err("a composite curve needs parts", path, where)
        out = []
        for i, p in enumerate(parts):
            sub = _parse_curve(p["curve"], path, f"{where}.parts[{i}].curve")
            out.append((str(p["metric"]), float(p["weight"]), sub))
        total = sum(w for _, w, _ in out)
        if abs(total - 1) > WEIGHT_TOLERANCE:
            raise _err(f"composite part weights add up to {total:g}, not 1", path, f"{where}.parts")
        return Curve("composite", parts=tuple(out))
    raise _err(f"unknown curve type {t!r} (piecewise, steps, bands, checklist, composite)", path, where)


def _check_monotone(xs: list[float], ys: list[float], path: str, where: str) -> None:
    if any(b <= a for a, b in zip(xs, xs[1:], strict=False)):
        raise _err("anchor x values must be strictly increasing", path, where, xs)
    if any(not 0 <= y <= 100 for y in ys):
        raise _err("scores must be within 0–100", path, where, ys)
    diffs = [b - a for a, b in zip(ys, ys[1:], strict=False)]
    if any(d > 0 for d in diffs) and any(d < 0 for d in diffs):
        raise _err("curve is not monotone: scores go both up and down", path, where, ys)
    if all(d == 0 for d in diffs):
        raise _err("curve is flat: every anchor has the same score", path, where, ys)


def parse_methodology(data: dict, *, path: str = "<memory>", sha256: str = "") -> Methodology:
    """Check and build a :class:`Methodology` from its TOML mapping.

    Raises
    ------
    InputError
        Missing or unknown indicators, weights not adding up to 1 (core and add-on separately), a
        non-monotone or flat curve, an anchor without a source, a criterion or pillar that does not exist,
        grade bands out of order.
    """
    try:
        pillars = tuple(Node(p["id"], p["name_zh"], p["name_en"], None, bool(p.get("addon", False)))
                        for p in data["pillars"])
        pmap = {p.id: p for p in pillars}
        criteria = []
        for i, c in enumerate(data["criteria"]):
            if c["pillar"] not in pmap:
                raise _err(f"criterion {c['id']!r} names unknown pillar {c['pillar']!r}", path,
                           f"criteria[{i}].pillar")
            criteria.append(Node(c["id"], c["name_zh"], c["name_en"], c["pillar"], pmap[c["pillar"]].addon))
        cmap = {c.id: c for c in criteria}
        raw_inds = data["indicators"]
    except KeyError as exc:
        raise _err(f"missing required key {exc.args[0]!r}", path) from None
    missing = [i for i in INDICATOR_IDS if i not in raw_inds]
    if missing:
        raise _err(f"methodology misses indicator(s) of the white paper's table 2-1: {', '.join(missing)}",
                   path, "indicators")
    unknown = [i for i in raw_inds if i not in INDICATOR_IDS]
    if unknown:
        raise _err(f"unknown indicator id(s): {', '.join(unknown)}", path, "indicators")
    indicators: dict[str, Indicator] = {}
    for iid in INDICATOR_IDS:
        spec = raw_inds[iid]
        where = f"indicators.{iid}"
        crit = cmap.get(spec.get("criterion"))
        if crit is None:
            raise _err(f"unknown criterion {spec.get('criterion')!r}", path, f"{where}.criterion")
        w = spec.get("weight")
        if not isinstance(w, (int, float)) or w < 0:
            raise _err("weight must be a non-negative number", path, f"{where}.weight", w)
        indicators[iid] = Indicator(
            id=iid, name_zh=spec["name_zh"], name_en=spec["name_en"], criterion=crit.id, pillar=crit.parent,
            addon=crit.addon, weight=float(w), unit=spec.get("unit", "-"), metric=spec["metric"],
            definition=spec.get("definition", ""), curve=_parse_curve(spec.get("curve"), path, f"{where}.curve"),
            allow_missing=tuple(spec.get("allow_missing", ())), allow_missing_note=spec.get("allow_missing_note"))
    if not data.get("ahp"):
        _check_weight_sums(indicators, path)
    grades = []
    for i, g in enumerate(data.get("grades", [])):
        _need_source(g, path, f"grades[{i}]")
        grades.append((g["grade"], float(g["min_total"])))
    if not grades or any(b[1] >= a[1] for a, b in zip(grades, grades[1:], strict=False)):
        raise _err("grades must be listed best first with strictly decreasing min_total", path, "grades")
    guard = data.get("pue_guard") or {}
    bands = []
    for i, b in enumerate(guard.get("bands", [])):
        _need_source(b, path, f"pue_guard.bands[{i}]")
        if b["grade"] not in [g for g, _ in grades]:
            raise _err(f"unknown grade {b['grade']!r}", path, f"pue_guard.bands[{i}].grade")
        bands.append((float(b["max"]), b["grade"]))
    if any(b[0] <= a[0] for a, b in zip(bands, bands[1:], strict=False)):
        raise _err("PUE guard bands must have increasing 'max'", path, "pue_guard.bands")
    consts = {}
    for k, v in (data.get("constants") or {}).items():
        _need_source(v, path, f"constants.{k}")
        consts[k] = v["value"]
    quality = {}
    for k, v in (data.get("acquisition_quality") or {}).items():
        _need_source(v, path, f"acquisition_quality.{k}")
        quality[k] = float(v["value"])
    for ch in ("onsite", "sgls", "direct", "trading", "gec"):
        if ch not in quality:
            raise _err(f"acquisition_quality misses channel {ch!r}", path, "acquisition_quality")
    gates = tuple(dict(g) for g in data.get("gates", []))
    grade_names = [g for g, _ in grades]
    for i, g in enumerate(gates):
        _need_source(g, path, f"gates[{i}]")
        _check_basis(g, path, f"gates[{i}]")
        if g.get("effect", "flag") not in ("flag", "cap"):
            raise _err("gate effect must be 'flag' or 'cap'", path, f"gates[{i}].effect", g.get("effect"))
        if g.get("effect") == "cap" and g.get("cap_grade") not in grade_names + [
                (data.get("ungraded") or {}).get("grade", "below 1A")]:
            raise _err(f"unknown cap_grade {g.get('cap_grade')!r}", path, f"gates[{i}].cap_grade")
    for i, g in enumerate(data.get("grades", [])):
        _check_basis(g, path, f"grades[{i}]")
    rules = {}
    for k, v in (data.get("rules") or {}).items():
        _need_source(v, path, f"rules.{k}")
        _check_basis(v, path, f"rules.{k}")
        rules[k] = v["value"]
    ahp = _derive_ahp(data, path, pillars, tuple(criteria), indicators, quality)
    if ahp:
        # the weights and ladder the AHP matrices give are the ones used (the file's values are checked to
        # agree within AHP_WEIGHT_TOLERANCE and 0.5 quality points, and shown rounded)
        indicators, quality = _ahp_values(ahp, tuple(criteria), indicators, quality)
        _check_weight_sums(indicators, path)
    return Methodology(
        id=data["id"], version=str(data.get("version", "")), title_en=data.get("title_en", ""),
        title_zh=data.get("title_zh", ""), path=path, sha256=sha256,
        addon_max_points=float(data.get("addon_max_points", 0)), pillars=pillars, criteria=tuple(criteria),
        indicators=indicators, constants=consts, acquisition_quality=quality, grades=tuple(grades),
        ungraded=(data.get("ungraded") or {}).get("grade", "below 1A"), pue_guard=tuple(bands),
        pue_missing_grade=guard.get("missing_grade", "below 1A"), gates=gates, raw=data, rules=rules, ahp=ahp)


def _check_weight_sums(indicators: dict, path: str) -> None:
    for group, label in ((False, "core"), (True, "add-on")):
        total = sum(ind.weight for ind in indicators.values() if ind.addon == group)
        if abs(total - 1) > WEIGHT_TOLERANCE:
            raise _err(f"{label} indicator weights add up to {total:.6g}, not 1", path, "indicators.*.weight",
                       round(total, 6))


def _ahp_values(ahp: tuple, criteria, indicators: dict, quality: dict) -> tuple[dict, dict]:
    """Indicator weights and acquisition qualities as the AHP eigenvectors give them (unrounded)."""

    local = {(lv, it): w for lv, _, items, ws, _ in ahp for it, w in zip(items, ws, strict=True)}
    cmap = {c.id: c for c in criteria}
    inds = {}
    for iid, ind in indicators.items():
        crit = cmap[ind.criterion]
        w = local[("pillar", crit.parent)] * local[("criterion", crit.id)] * local[("indicator", iid)]
        inds[iid] = replace(ind, weight=w)
    chans = {it: w for (lv, it), w in local.items() if lv == "acquisition"}
    q = dict(quality)
    if chans:
        top = max(chans.values())
        q.update({ch: 100.0 * w / top for ch, w in chans.items()})
    return inds, q


#: largest difference accepted between a weight written in the file and the one its AHP matrices give
AHP_WEIGHT_TOLERANCE = 5e-4


def _derive_ahp(data: dict, path: str, pillars, criteria, indicators: dict, quality: dict) -> tuple:
    """Check the ``[[ahp]]`` groups and that the file's weights equal the products of their eigenvectors.

    Each group compares the children of one parent: ``level = "pillar"`` (parent ``core`` or ``addon``),
    ``"criterion"`` (parent a pillar id), ``"indicator"`` (parent a criterion id) or ``"acquisition"``
    (parent ``channels``: the renewable acquisition ladder, quality = 100 × weight / largest weight).
    ``judgements`` list ``{a, b, value, reason}`` (a is ``value`` times as important as b, Saaty 1–9); every
    pair of items needs one. A file without ``[[ahp]]`` is not checked (gcpi-2024).
    """
    groups = data.get("ahp") or []
    if not groups:
        return ()
    out = []
    local: dict[tuple[str, str], float] = {}
    for gi, g in enumerate(groups):
        where = f"ahp[{gi}]"
        items = tuple(g.get("items") or ())
        if not items:
            raise _err("an AHP group needs items", path, f"{where}.items")
        idx = {it: k for k, it in enumerate(items)}
        n = len(items)
        a = np.ones((n, n))
        seen = set()
        for ji, j in enumerate(g.get("judgements") or []):
            jw = f"{where}.judgements[{ji}]"
            if j.get("a") not in idx or j.get("b") not in idx or j["a"] == j["b"]:
                raise _err("judgement must compare two different items of the group", path, jw)
            if not str(j.get("reason", "")).strip():
                raise _err("every AHP judgement needs a 'reason'", path, f"{jw}.reason")
            v = float(j["value"])
            if not 1 / 9 <= v <= 9:
                raise _err("judgement value must be on Saaty's 1/9–9 scale", path, f"{jw}.value", v)
            p, q = idx[j["a"]], idx[j["b"]]
            a[p, q], a[q, p] = v, 1 / v
            seen.add(frozenset((p, q)))
        if len(seen) != n * (n - 1) // 2:
            raise _err(f"AHP group needs a judgement for each of the {n * (n - 1) // 2} pairs, has {len(seen)}",
                       path, f"{where}.judgements")
        try:
            w, cr = ahp_weights(a) if n > 1 else (np.ones(1), 0.0)
        except InputError as exc:
            raise _err(exc.message, path, where, exc.value) from None
        for it, wk in zip(items, w, strict=True):
            local[(g.get("level", ""), it)] = float(wk)
        out.append((str(g.get("level")), str(g.get("parent")), items, tuple(float(x) for x in w), max(float(cr), 0.0)))
    cmap = {c.id: c for c in criteria}
    for iid, ind in indicators.items():
        crit = cmap[ind.criterion]
        try:
            derived = local[("pillar", crit.parent)] * local[("criterion", crit.id)] * local[("indicator", iid)]
        except KeyError as exc:
            raise _err(f"no AHP group gives the weight of {exc.args[0][1]!r} ({exc.args[0][0]})", path,
                       "ahp") from None
        if abs(derived - ind.weight) > AHP_WEIGHT_TOLERANCE:
            raise _err(f"weight {ind.weight:g} differs from the AHP-derived {derived:.4f}", path,
                       f"indicators.{iid}.weight", ind.weight)
    chans = [(lv, it) for (lv, it) in local if lv == "acquisition"]
    if chans:
        top = max(local[c] for c in chans)
        for _, ch in chans:
            derived = 100.0 * local[("acquisition", ch)] / top
            if ch in quality and abs(derived - quality[ch]) > 0.5:
                raise _err(f"acquisition quality {quality[ch]:g} differs from the AHP-derived {derived:.1f}", path,
                           f"acquisition_quality.{ch}", quality[ch])
    return tuple(out)


def load_methodology(path: str | Path | None = None) -> Methodology:
    """Load and check a methodology file (default ``data/methodology/gcpi-2024.toml``).

    ``path`` may also be the id of a shipped methodology (``"gcpi-2024"``, ``"gcpi-2025"``).

    Returns
    -------
    Methodology
        With ``sha256`` = SHA-256 of the file's bytes (hex).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    InputError
        If the file is not valid TOML or fails a check of :func:`parse_methodology`.
    """
    p = Path(path) if path is not None else default_methodology_path()
    if not p.exists() and p.suffix == "" and methodology_path(str(path)).exists():
        p = methodology_path(str(path))  # a shipped methodology named by id, e.g. "gcpi-2025"
    return _load_cached(str(p.resolve()), p.stat().st_mtime_ns)


@cache
def _load_cached(path: str, _mtime: int) -> Methodology:
    raw = Path(path).read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise _err(f"not valid TOML: {exc}", path) from None
    return parse_methodology(data, path=path, sha256=hashlib.sha256(raw).hexdigest())


#: Saaty's random consistency index RI by matrix order n (Saaty 1980, The Analytic Hierarchy Process)
SAATY_RI = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}
#: largest acceptable consistency ratio (Saaty)
MAX_CONSISTENCY_RATIO = 0.10


def ahp_weights(matrix, *, max_cr: float = MAX_CONSISTENCY_RATIO) -> tuple[np.ndarray, float]:
    """Weights from an AHP pairwise comparison matrix.

    Parameters
    ----------
    matrix : array of shape (n, n)
        Positive reciprocal matrix: ``a[i, j]`` is how much more important i is than j (Saaty's 1–9
        scale), ``a[j, i] = 1 / a[i, j]``, ones on the diagonal.
    max_cr : float
        Largest consistency ratio accepted (0.10, Saaty).

    Returns
    -------
    weights : ndarray of shape (n,)
        Principal right eigenvector normalised to add up to 1.
    cr : float
        Consistency ratio CI / RI with CI = (λmax − n) / (n − 1).

    Raises
    ------
    InputError
        If the matrix is not square, not positive, not reciprocal, larger than 10×10, or CR ≥ max_cr.

    References
    ----------
    .. [1] Saaty, T. L. (1980). The Analytic Hierarchy Process. McGraw-Hill.
    """
    a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise InputError("AHP matrix must be square", field="matrix", value=a.shape)
    n = a.shape[0]
    if n not in SAATY_RI:
        raise InputError("AHP matrix order must be between 1 and 10", field="matrix", value=n)
    if np.any(a <= 0):
        raise InputError("AHP matrix entries must be positive", field="matrix")
    if not np.allclose(a * a.T, 1.0, rtol=1e-3):
        raise InputError("AHP matrix must be reciprocal: a[j,i] = 1/a[i,j]", field="matrix")
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    lam = float(vals[k].real)
    if n <= 2:
        return w, 0.0
    ci = (lam - n) / (n - 1)
    cr = ci / SAATY_RI[n]
    if cr >= max_cr:
        raise InputError(f"AHP consistency ratio {cr:.3f} is not below {max_cr:.2f}: revise the comparisons",
                         field="matrix", value=round(cr, 4))
    return w, float(cr)
