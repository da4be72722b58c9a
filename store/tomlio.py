"""TOML documents in and out of the store.

Two conversions:

* :func:`to_json` / :func:`from_json` — a TOML document (``dict`` from :mod:`tomllib`) to JSON and back
  without loss: TOML dates, datetimes, times and non-finite floats become tagged objects
  (``{"$date": "2025-06-30"}``), ints stay ints and key order is kept (plain ``json``, not ``jsonb``, on
  PostgreSQL). Deal files are stored this way, so ``tomli_w.dumps(from_json(to_json(doc)))`` equals
  ``tomli_w.dumps(doc)`` byte for byte.
* :func:`facility_to_toml` — a :class:`index.models.Facility` to the canonical facility file: the
  ``[facility]`` table and ``[[periods]]`` in model field order; a figure whose status and source equal its
  period's defaults is written as a bare number, any other as ``{value, status, source}``. Loading the
  result with :func:`index.models.load_facility` gives back an equal ``Facility``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any

from index.errors import InputError
from index.models import FIGURE_UNITS, Category, Facility, PeriodData

FACILITY_FIGURES = tuple(f for f in FIGURE_UNITS if f in Facility.model_fields)
PERIOD_FIGURES = tuple(f for f in FIGURE_UNITS if f in PeriodData.model_fields)
#: categorical period fields (e.g. GB 50174 availability class), found from the model
CATEGORIES = tuple(n for n, f in PeriodData.model_fields.items() if Category in getattr(f.annotation, "__args__", ()))

# ----------------------------------------------------------------------------------- tagged JSON


def to_json(obj: Any) -> Any:
    """A TOML value (nested dicts/lists) as JSON-safe data with TOML-only types tagged.

    Raises
    ------
    InputError
        For a key starting with ``$`` (reserved for the tags) or a value TOML cannot hold.
    """
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str) or k.startswith("$"):
                raise InputError("keys starting with '$' are reserved by the deal book", field=str(k))
            out[k] = to_json(v)
        return out
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, (int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"$float": repr(obj)}
    if isinstance(obj, dt.datetime):
        return {"$datetime": obj.isoformat()}
    if isinstance(obj, dt.date):
        return {"$date": obj.isoformat()}
    if isinstance(obj, dt.time):
        return {"$time": obj.isoformat()}
    raise InputError(f"value of type {type(obj).__name__} cannot be stored in a TOML document", value=repr(obj))


def from_json(obj: Any) -> Any:
    """Inverse of :func:`to_json`."""
    if isinstance(obj, dict):
        if len(obj) == 1:
            (k, v), = obj.items()
            if k == "$date":
                return dt.date.fromisoformat(v)
            if k == "$datetime":
                return dt.datetime.fromisoformat(v)
            if k == "$time":
                return dt.time.fromisoformat(v)
            if k == "$float":
                return float(v)
        return {k: from_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [from_json(v) for v in obj]
    return obj


def jsonable(obj: Any) -> Any:
    """Best-effort JSON-safe copy for audit rows (dates as ISO strings, tuples as lists)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (dt.date, dt.time)):
        return obj.isoformat()
    if isinstance(obj, float) and not math.isfinite(obj):
        return repr(obj)
    if isinstance(obj, bytes):
        return f"<{len(obj)} bytes>"
    return obj


# ----------------------------------------------------------------------------------- figures as rows

#: (kind, value, text, items, status, source) — one stored figure
Spec = tuple[str, float | None, str | None, tuple | None, str, str | None]


def period_specs(p: PeriodData) -> dict[str, Spec]:
    """The figures of one period, keyed by field (``checklists.<id>``, ``refrigerants[i]`` for the lists).

    GEC lot evidence (``gec_certificates`` and the certificate id lists) is not a figure: it is stored in its
    own table (:mod:`store.gec`).
    """
    out: dict[str, Spec] = {}
    for name in PERIOD_FIGURES:
        f = getattr(p, name)
        if f is not None:
            out[name] = number_spec(f)
    for name in CATEGORIES:
        c = getattr(p, name)
        if c is not None:
            out[name] = ("category", None, c.value, None, c.status, c.source)
    for cid, cl in p.checklists.items():
        out[f"checklists.{cid}"] = ("checklist", None, None, tuple(cl.items), cl.status, cl.source)
    for i, r in enumerate(p.refrigerants or ()):
        out[f"refrigerants[{i}]"] = ("refrigerant", r.kg, r.gas, None, r.status, r.source)
    return out


def facility_specs(f: Facility) -> dict[str, Spec]:
    """The facility-level figures (design IT power, standard racks)."""
    out: dict[str, Spec] = {}
    for name in FACILITY_FIGURES:
        fig = getattr(f, name)
        if fig is not None:
            out[name] = number_spec(fig)
    return out


#: a number figure's ``text`` (unused by numbers) holds this tag when the figure is a proxy (Figure.proxy: a
#: region's mix or a company-wide total standing in for the facility's own value, never used in a loan test)
PROXY_TAG = "proxy"


def number_spec(fig) -> Spec:
    """The stored row of a number :class:`~index.models.Figure` (its proxy tag in ``text``)."""
    return ("number", fig.value, PROXY_TAG if fig.proxy else None, None, fig.status, fig.source)


def _fig_dict(spec: Spec) -> dict:
    kind, value, text, items, status, source = spec
    d = {"value": value, "status": status, "source": source}
    if text == PROXY_TAG:
        d["proxy"] = True
    return d


def period_dict(meta: dict, specs: dict[str, Spec]) -> dict:
    """Explicit mapping (every figure with its status and source) for :class:`PeriodData` validation."""
    d = dict(meta)
    d["evidence"] = tuple(d.get("evidence") or ())
    checklists, refr = {}, []
    for field, spec in specs.items():
        kind, value, text, items, status, source = spec
        if kind == "removed":
            continue
        if kind == "number":
            d[field] = _fig_dict(spec)
        elif kind == "category":
            d[field] = {"value": text, "status": status, "source": source}
        elif kind == "checklist":
            checklists[field.split(".", 1)[1]] = {"items": tuple(items or ()), "status": status, "source": source}
        elif kind == "refrigerant":
            refr.append((int(field[field.index("[") + 1:-1]),
                         {"gas": text, "kg": value, "status": status, "source": source}))
    if checklists:
        d["checklists"] = checklists
    if refr:
        d["refrigerants"] = tuple(r for _, r in sorted(refr, key=lambda x: x[0]))
    return d


# ----------------------------------------------------------------------------------- canonical TOML

def _compact(status: str, source: str | None, dstatus: str, dsource: str | None, where: str) -> dict | None:
    """Extra keys a figure needs beyond its value ({} when it takes the defaults)."""
    extra: dict = {}
    if status != dstatus:
        extra["status"] = status
    if source != dsource:
        if source is None:
            raise InputError(f"{where}: a figure without a source inside a period with source {dsource!r} "
                             "cannot be written as TOML without changing it; give the figure a source")
        extra["source"] = source
    return extra


def _figure_out(fig, dstatus, dsource, where):
    extra = _compact(fig.status, fig.source, dstatus, dsource, where)
    if fig.proxy:
        extra["proxy"] = True
    return fig.value if not extra else {"value": fig.value, **extra}


def facility_to_toml(f: Facility) -> dict:
    """The canonical TOML mapping of a facility (see module docstring); dump it with ``tomli_w``.

    Raises
    ------
    InputError
        If a figure cannot be written without changing it (no source inside a period that has one).
    """
    fac: dict[str, Any] = {}
    for name in Facility.model_fields:
        if name == "periods":
            continue
        v = getattr(f, name)
        if v is None:
            continue
        if name in FACILITY_FIGURES:
            v = _figure_out(v, "design", f.source, f"facility.{name}")
        fac[name] = v
    periods = []
    for p in f.periods:
        d: dict[str, Any] = {}
        where = f"period {p.label}"
        for name in PeriodData.model_fields:
            v = getattr(p, name)
            if v is None:
                continue
            if name in PERIOD_FIGURES:
                v = _figure_out(v, p.status, p.source, f"{where}.{name}")
            elif name in CATEGORIES:
                extra = _compact(v.status, v.source, p.status, p.source, f"{where}.{name}")
                v = v.value if not extra else {"value": v.value, **extra}
            elif name == "checklists":
                if not v:
                    continue
                out = {}
                for cid, cl in sorted(v.items()):
                    extra = _compact(cl.status, cl.source, p.status, p.source, f"{where}.checklists.{cid}")
                    out[cid] = list(cl.items) if not extra else {"items": list(cl.items), **extra}
                v = out
            elif name == "refrigerants":
                v = [{"gas": r.gas, "kg": r.kg,
                      **_compact(r.status, r.source, p.status, p.source, f"{where}.refrigerants")} for r in v]
            elif name == "evidence":
                if not v:
                    continue
                v = list(v)
            elif name == "gec_certificates":
                # a lot does not take its period's status/source (GecCertificate defaults: reported, none)
                v = [{k: x for k, x in lot.model_dump().items() if x is not None
                      and not (k == "status" and x == "reported")} for lot in v]
            elif name in ("green_trading_certificate_ids", "onsite_certificate_ids_sold"):
                v = list(v)
            d[name] = v
        periods.append(d)
    doc: dict[str, Any] = {"facility": fac}
    if periods:
        doc["periods"] = periods
    return doc


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE_KEY.match(k) else json.dumps(k, ensure_ascii=False)


def toml_value(v: Any) -> str:
    """One TOML value on one line (dicts as inline tables, lists inline)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[ " + ", ".join(toml_value(x) for x in v) + " ]" if v else "[]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }" if v else "{}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def dumps_facility(f: Facility) -> str:
    """The canonical facility file text (UTF-8, LF): ``[facility]`` then one ``[[periods]]`` per period,
    keys in model field order, one key per line, figures with their own status/source as inline tables."""
    doc = facility_to_toml(f)
    lines = ["[facility]"] + [f"{_key(k)} = {toml_value(v)}" for k, v in doc["facility"].items()]
    for p in doc.get("periods", []):
        lines += ["", "[[periods]]"] + [f"{_key(k)} = {toml_value(v)}" for k, v in p.items()]
    return "\n".join(lines) + "\n"
