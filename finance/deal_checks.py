"""Plausibility checks of a deal's numbers, dates and references (bounds in ``data/validation/deal_limits.toml``).

Called by :func:`finance.deal.validate_deal` after its business rules. Each failure is an
:class:`~common.errors.InputError` naming the field, row and unit:

* every number finite (``inf``, ``nan`` refused, wherever they are);
* amounts [currency units] in (0, ``amount.max``]; the margin [bp] at most ``margin_bp.max``; every other
  ``*_bp`` term (steps, caps, bands, floors) at most ``adjustment_bp.max_abs`` in absolute value; base-rate
  path rates [% p.a.] within [``rate_pct.min``, ``rate_pct.max``];
* loan and observation dates within [``dates.min_year``, ``dates.max_year``] (the years the business-day
  calendars cover) and a tenor of at most ``dates.max_tenor_years``;
* SPTs finite and plausible: ``index`` 0-110, ``core`` 0-100, ``pue`` within the PUE bounds of
  ``data/validation/plausibility.toml``, shares 0-1;
* grades (verified results, scenario outcomes, score-grid bands) from the methodology's grade list;
* ``facility`` a plain facility id (``^[a-z0-9][a-z0-9-]*$``), never a path.
"""

from __future__ import annotations

import math
import re
import tomllib
from functools import cache

from common.errors import InputError
from common.settings import data_dir
from index.methodology import DEFAULT_METHODOLOGY_ID, load_methodology, methodology_path

#: a facility id (index.models.Facility.id); anything else (a path, ``../../x.toml``) is refused
FACILITY_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_SHARE_KPIS = ("renewable_share", "rack_utilisation", "erf", "ref", "cpu_utilisation", "gpu_utilisation")


@cache
def limits() -> dict[str, float]:
    """Deal bounds by ``"<table>.<key>"`` plus the PUE bounds as ``pue.min`` / ``pue.max``."""

    out = {}
    for name, keep in (("deal_limits.toml", None), ("plausibility.toml", ("pue",))):
        with open(data_dir() / "validation" / name, "rb") as f:
            raw = tomllib.load(f)
        out.update({f"{k}.{kk}": vv["value"] for k, v in raw.items() if keep is None or k in keep
                    for kk, vv in v.items()})
    return out


@cache
def _grades(methodology_id: str | None) -> tuple[str, ...] | None:
    """Grade names of a methodology (best first, then the ungraded name); None when it cannot be loaded."""
    try:
        m = load_methodology(methodology_path(methodology_id or DEFAULT_METHODOLOGY_ID))
    except Exception:  # an unknown methodology is reported where the deal is scored
        return None
    return tuple(g for g, _ in m.grades) + (m.ungraded,)


def _walk(node, path: str):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list | tuple):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, node


def _row(path: str) -> int | None:
    m = re.search(r"\[(\d+)\][^\[]*$", path)
    return int(m.group(1)) + 1 if m else None


def plausibility_errors(deal, file: str | None = None, unit=None) -> list[InputError]:
    """Every plausibility failure of a validated :class:`finance.deal.Deal` (empty list = plausible).

    Parameters
    ----------
    deal : finance.deal.Deal
    file : str, optional
        Named in the errors.
    unit : callable, optional
        Unit of a dotted field (``finance.deal._unit``).

    Returns
    -------
    list of InputError
    """
    L = limits()
    errs: list[InputError] = []

    def err(msg, field, value=None, u=None):
        errs.append(InputError(msg, file=file, field=field, row=_row(field),
                               unit=u or (unit(field) if unit else None), value=value))

    doc = deal.model_dump(mode="python", by_alias=False)
    for path, v in _walk(doc, ""):
        if isinstance(v, bool) or not isinstance(v, int | float):
            continue
        leaf = path.rsplit(".", 1)[-1].split("[")[0]
        if not math.isfinite(v):
            err("must be a finite number", path, v)
            continue
        if leaf == "amount" or leaf == "verification_cost_per_year":
            if v > L["amount.max"]:
                err(f"{v:g} is above the largest plausible amount {L['amount.max']:g} (data/validation/"
                    "deal_limits.toml): a unit or exponent slip?", path, v)
        elif leaf == "margin_bp":
            if v > L["margin_bp.max"]:
                err(f"margin {v:g} bp is above {L['margin_bp.max']:g} bp (20 % p.a.): was a per-cent figure "
                    "written in bp, or bp in hundredths?", path, v, "bp")
        elif leaf.endswith("_bp"):
            if abs(v) > L["adjustment_bp.max_abs"]:
                err(f"{v:g} bp is beyond ±{L['adjustment_bp.max_abs']:g} bp, far larger than any margin "
                    "ratchet", path, v, "bp")
        elif leaf in ("rate_pct", "floor_pct"):
            if not L["rate_pct.min"] <= v <= L["rate_pct.max"]:
                err(f"rate {v:g} % p.a. is outside {L['rate_pct.min']:g} to {L['rate_pct.max']:g} % p.a.", path, v,
                    "% p.a.")

    loan = deal.loan
    lo, hi = int(L["dates.min_year"]), int(L["dates.max_year"])
    dates = [("loan.start_date", loan.start_date), ("loan.maturity_date", loan.maturity_date)]
    dates += [(f"observations[{i}].date", o.date) for i, o in enumerate(deal.observations)]
    dates += [(f"observations[{i}].certificate_due", o.certificate_due) for i, o in enumerate(deal.observations)]
    for field, d in dates:
        if not lo <= d.year <= hi:
            err(f"{d} is outside the years {lo}-{hi} the business-day calendars cover (data/validation/"
                "deal_limits.toml)", field, str(d), "date YYYY-MM-DD")
    tenor = (loan.maturity_date - loan.start_date).days / 365.25
    if tenor > L["dates.max_tenor_years"]:
        err(f"the loan runs {tenor:.0f} years, above {L['dates.max_tenor_years']:g}", "loan.maturity_date",
            str(loan.maturity_date), "date YYYY-MM-DD")

    bounds = {"index": (L["spt.index_min"], L["spt.index_max"], "score 0-110"),
              "core": (L["spt.core_min"], L["spt.core_max"], "score 0-100"),
              "pue": (L["pue.min"], L["pue.max"], "-")}
    bounds.update({k: (0.0, L["spt.share_max"], "fraction") for k in _SHARE_KPIS})
    for i, o in enumerate(deal.observations):
        for k, v in o.spt.items():
            field = f"observations[{i}].spt.{k}"
            if isinstance(v, bool) or not isinstance(v, int | float):
                continue  # the ratchet's own check names a non-number
            if not math.isfinite(v):
                continue  # reported by the walk above
            if k in bounds:
                a, b, u = bounds[k]
                if not a <= v <= b:
                    err(f"SPT {v:g} for '{k}' is outside the plausible range {a:g} to {b:g}", field, v, u)
            elif v < 0:
                err(f"SPT {v:g} for '{k}' is negative", field, v)

    grades = _grades(deal.methodology)
    if grades is not None:
        results = [(f"observations[{i}].verified", o.verified) for i, o in enumerate(deal.observations)]
        results += [(f"scenarios[{i}].outcomes[{j}]", r) for i, s in enumerate(deal.scenarios)
                    for j, r in enumerate(s.outcomes) if not isinstance(r, str)]
        for field, r in results:
            if r is not None and r.grade is not None and r.grade not in grades:
                err(f"grade {r.grade!r} is not a grade of methodology {deal.methodology or 'gcpi-2024'} "
                    f"({', '.join(grades)})", field + ".grade", r.grade)
        for j, b in enumerate(getattr(deal.ratchet, "bands", None) or ()):
            if getattr(b, "grade", None) is not None and b.grade not in grades:
                err(f"grade {b.grade!r} is not a grade of methodology {deal.methodology or 'gcpi-2024'} "
                    f"({', '.join(grades)})", f"ratchet.bands[{j}].grade", b.grade)

    if isinstance(deal.facility, str) and not FACILITY_ID.match(deal.facility):
        err("facility must be a facility id (lower-case letters, digits and dashes, e.g. 'demo-zjk-hyperscale'), "
            "not a path or file name", "facility", deal.facility)
    return errs


def require_loan_test_usable(result, kpis, *, field: str, row: int | None = None, file: str | None = None) -> None:
    """Refuse a loan test (observation, SPT test, statement) on an index result that cannot serve one.

    Parameters
    ----------
    result : index.result.IndexResult
        The scored facility period; its ``loan_test_usable`` is False under methodologies with the rules
        ``proxy_not_for_loan_test`` (a figure tagged ``proxy``: a region's supply mix, a company-wide total) or
        ``operation_min_days`` (fewer than 12 months of measured operation data; gcpi-2025, N279 (一)).
    kpis : iterable of str
        The KPIs the test reads (``index``, ``core`` or indicator ids), named in the message.
    field, row, file : str, int, str
        Where the test comes from (the deal's observation), named in the error.

    Raises
    ------
    InputError
        The result is not usable: the message names the facility, the period, the KPIs tested and why
        (proxy figures and the indicators scored from them / the short period).
    """

    if getattr(result, "loan_test_usable", True):
        return
    tested = ", ".join(dict.fromkeys(kpis)) or "index"
    raise InputError(f"facility '{result.facility_id}' period '{result.period}': indicator(s) {tested} cannot "
                     f"serve a loan test under {result.methodology_id} — {'; '.join(result.loan_test_reasons())}. "
                     "Give the facility's own measured figures for a full 12-month operation period",
                     file=file, field=field, row=row, value=result.period)
