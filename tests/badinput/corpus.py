"""A corpus of bad inputs made by mutating the shipped files (each mutation named).

Readers exercised (the engine functions, not the CLI): ``facility`` (:func:`index.models.load_facility`),
``deal`` (:func:`finance.deal.load_deal`), ``levers`` (:func:`index.levers.load_levers`), ``monthly``
(:func:`index.forecast.load_monthly`) and ``upload`` (:func:`app_support.upload_check.validate_upload`, CSV
and Excel period tables and TOML facility uploads).

Every case is bad: the reader must refuse it with an :class:`~common.errors.InputError` (for uploads: a
non-empty failure table) that names the expected field (``field`` = a substring of one error's field), or,
for a file-level problem (``field`` None), names the file. :func:`run` classifies the outcome:

* ``clear``: refused, the expected field (or the file) named;
* ``vague``: refused, but the field is not named;
* ``traceback``: any other exception;
* ``silent``: accepted.
"""

from __future__ import annotations

import copy
import inspect
import io
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tomli_w

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
FACILITIES = sorted((DATA / "facilities").glob("*.toml"))
DEALS = sorted((DATA / "deals").glob("*.toml"))
LEVERS = DATA / "targets" / "demo-levers.toml"
MONTHLY = DATA / "monthly" / "demo-zjk-hyperscale.csv"


@dataclass
class Case:
    """One bad input: ``make(tmp_dir)`` writes it and returns what the reader takes."""

    reader: str
    name: str
    make: Callable[[Path], object]
    field: str | None  # a substring of the field the error must name; None = file-level (the file is named)


def _load(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _toml_writer(doc: dict, stem: str):
    def make(tmp: Path) -> Path:
        p = tmp / f"{stem}.toml"
        p.write_text(tomli_w.dumps(doc), encoding="utf-8")
        return p
    return make


def _bytes_writer(data: bytes, name: str):
    def make(tmp: Path) -> Path:
        p = tmp / name
        p.write_bytes(data)
        return p
    return make


def _file_level(reader: str, stem: str, suffix: str, base_text: str) -> list[Case]:
    """Cases on the file itself: directory, empty, oversized (sparse), binary, undecodable, truncated."""
    out = []

    def directory(tmp: Path) -> Path:
        p = tmp / f"{stem}{suffix}"
        p.mkdir()
        return p

    def oversized(tmp: Path) -> Path:
        p = tmp / f"{stem}{suffix}"
        with open(p, "wb") as f:
            f.write(base_text.encode())
            f.truncate(25_000_000)  # sparse: no 25 MB written
        return p

    out.append(Case(reader, "directory given as the file", directory, None))
    out.append(Case(reader, "empty file", _bytes_writer(b"", f"{stem}{suffix}"), None))
    out.append(Case(reader, "whitespace only", _bytes_writer(b"   \n\n", f"{stem}{suffix}"), None))
    out.append(Case(reader, "25 MB file", oversized, None))
    out.append(Case(reader, "binary (NUL bytes)", _bytes_writer(b"\x00\x01\x02PK\x03\x04" * 50, f"{stem}{suffix}"),
                    None))
    out.append(Case(reader, "random bytes", _bytes_writer(bytes(range(128, 256)) * 8, f"{stem}{suffix}"), None))
    out.append(Case(reader, "UTF-16 BOM then odd bytes", _bytes_writer(b"\xff\xfe" + b"a\x00b", f"{stem}{suffix}"),
                    None))
    cut = base_text.index("=" if suffix == ".toml" else ",", len(base_text) // 2) + 1  # mid-value
    out.append(Case(reader, "truncated in the middle of a value", _bytes_writer(base_text[:cut].encode(),
                                                                                 f"{stem}{suffix}"), None))
    return out


# --------------------------------------------------------------------------------------------------- facility

#: value mutations applied to numeric figures: (name, value)
BAD_NUMBERS = [("inf", float("inf")), ("-inf", float("-inf")), ("nan", float("nan")), ("negative", -1.0),
               ("1e300", 1e300), ("10**400", 10 ** 400), ("text N/A", "N/A"), ("boolean", True),
               ("array", [1, 2]), ("unknown unit", {"value": 1, "unit": "furlong"})]
FIGURES = ("total_energy_kwh", "it_energy_kwh", "grid_kwh", "water_m3", "gec_mwh", "renewable_share",
           "racks_ready", "diesel_l")


def _period0(doc: dict) -> dict:
    return doc["periods"][0]


def _fac_mutations(doc: dict) -> list[tuple[str, Callable[[dict], None], str | None]]:
    """(name, mutate(doc) in place, expected field) for one facility document."""
    p0 = _period0(doc)
    muts: list = []
    for f in FIGURES:
        if f in p0 or f in ("total_energy_kwh", "it_energy_kwh"):
            for vname, v in BAD_NUMBERS:
                muts.append((f"periods[0].{f} = {vname}", lambda d, f=f, v=v: _period0(d).__setitem__(f, v), f))
    tot = p0.get("total_energy_kwh")
    tot = tot["value"] if isinstance(tot, dict) else tot
    grid = p0.get("grid_kwh")
    grid = grid["value"] if isinstance(grid, dict) else grid

    if tot is None and grid is None:  # a published-PUE-only period: nothing to compare GECs or heat with
        return muts + _fac_common()

    def gec_over(d):
        base = grid if grid is not None else (tot or 1e8)
        _period0(d)["gec_mwh"] = base / 1000 * 1.5
    muts.append(("GECs above the grid purchase", gec_over, "gec_mwh"))
    muts.append(("GECs given in kWh", lambda d: _period0(d).__setitem__("gec_mwh", (grid or tot or 1e8) * 0.3), "gec_mwh"))
    muts.append(("waste heat above total energy",
                 lambda d: _period0(d).__setitem__("waste_heat_reused_kwh", (tot or 1e8) * 2), "waste_heat_reused_kwh"))

    return muts + _fac_common()


def _fac_common() -> list:
    """Mutations that apply to any facility file."""
    muts: list = []

    def recycled(d):
        _period0(d)["water_m3"] = 1000
        _period0(d)["water_recycled_m3"] = 5000
    muts.append(("recycled water above water use", recycled, "water_recycled_m3"))

    def avg_rated(d):
        _period0(d)["it_power_rated_kw"] = 1000
        _period0(d)["it_power_avg_kw"] = 1500
    muts.append(("average IT power above rated", avg_rated, "it_power_avg_kw"))
    muts.append(("PUE 0.5", lambda d: _period0(d).__setitem__("pue", 0.5), "pue"))

    def it_over(d):
        tot = _figure(_period0(d).get("total_energy_kwh"))
        _period0(d)["it_energy_kwh"] = (tot or 1e8) * 1.5
        _period0(d)["total_energy_kwh"] = tot or 1e8
    muts.append(("IT energy above total", it_over, "it_energy_kwh"))

    def dup(d):
        d["periods"].append(copy.deepcopy(_period0(d)))
    muts.append(("duplicate period", dup, "periods"))

    def overlap(d):
        q = copy.deepcopy(_period0(d))
        q["label"] = "overlap-copy"
        d["periods"].append(q)
    muts.append(("overlapping period (same dates, new label)", overlap, "periods"))

    def _dates(d, start, end, label=None):
        p = _period0(d)
        p.pop("year", None)
        p["start"], p["end"] = start, end
        if label is not None:
            p["label"] = label
    import datetime as dt
    muts.append(("label 2024 with 2019 dates",
                 lambda d: _dates(d, dt.date(2019, 1, 1), dt.date(2019, 12, 31), "2024"), "label"))
    muts.append(("10-year period with one year of energy",
                 lambda d: _dates(d, dt.date(2014, 1, 1), dt.date(2023, 12, 31), "2014-2023"), "end"))
    muts.append(("period in 1800", lambda d: _dates(d, dt.date(1800, 1, 1), dt.date(1800, 12, 31), "old"), "start"))
    muts.append(("period in 2200", lambda d: _dates(d, dt.date(2200, 1, 1), dt.date(2200, 12, 31), "far"), "start"))
    muts.append(("end before start", lambda d: _dates(d, dt.date(2024, 12, 31), dt.date(2024, 1, 1), "x"), "periods"))
    muts.append(("year 1800", lambda d: (_period0(d).pop("label", None), _period0(d).pop("start", None),
                                         _period0(d).pop("end", None), _period0(d).__setitem__("year", 1800)), "periods"))
    muts.append(("facility = 5", lambda d: d.__setitem__("facility", 5), "facility"))
    muts.append(("facility is an array", lambda d: d.__setitem__("facility", [1, 2]), "facility"))
    muts.append(("periods is a table", lambda d: d.__setitem__("periods", {"a": 1}), "periods"))
    muts.append(("period is a number", lambda d: d["periods"].__setitem__(0, 7), "periods"))
    muts.append(("id is a path", lambda d: d["facility"].__setitem__("id", "../../x"), "id"))
    muts.append(("unknown province", lambda d: d["facility"].__setitem__("province", "atlantis"), "province"))
    muts.append(("design IT power 1e300", lambda d: d["facility"].__setitem__("design_it_power_kw", 1e300),
                 "design_it_power_kw"))
    muts.append(("unknown period field", lambda d: _period0(d).__setitem__("it_energy_mwh", 5), "it_energy_mwh"))
    muts.append(("share above 1", lambda d: _period0(d).__setitem__("renewable_share", 45), "renewable_share"))
    muts.append(("deeply nested evidence", lambda d: _period0(d).__setitem__("evidence", _nested(40)), "evidence"))
    muts.append(("unknown top-level table", lambda d: d.__setitem__("extras", {"a": 1}), None))
    return muts


def _figure(v):
    return v["value"] if isinstance(v, dict) else v


def _nested(n: int):
    x: list = ["x"]
    for _ in range(n):
        x = [x]
    return x


def facility_cases() -> list[Case]:
    out = []
    for path in FACILITIES:
        base = _load(path)
        for name, mut, field in _fac_mutations(copy.deepcopy(base)):
            doc = copy.deepcopy(base)
            mut(doc)
            out.append(Case("facility", f"{path.stem}: {name}", _toml_writer(doc, path.stem), field))
    text = FACILITIES[0].read_text(encoding="utf-8")
    out += _file_level("facility", "fac", ".toml", text)
    # re-encoded copies of a bad file: GBK, UTF-16 with BOM and latin-1 are read, so the bad value is named
    bad = text.replace("province = ", "province = \"atlantis\"\nx_province = ", 1)
    for enc in ("gb18030", "utf-16", "utf-8-sig"):
        out.append(Case("facility", f"{enc} file with an unknown province", _bytes_writer(bad.encode(enc), f"e-{enc}.toml"),
                        "province"))
    out.append(Case("facility", "TOML syntax error", _bytes_writer(b"[facility\nid = 1", "syntax.toml"), None))
    out.append(Case("facility", "20,000-deep array", _bytes_writer(b"a = " + b"[" * 20000 + b"]" * 20000, "deep.toml"),
                    None))
    out.append(Case("facility", "5000-digit integer", _bytes_writer(b"[facility]\nid = " + b"9" * 5000, "long.toml"), None))
    return out


# ------------------------------------------------------------------------------------------------------- deal

def deal_cases() -> list[Case]:
    out = []
    for path in DEALS:
        base = _load(path)
        for name, mut, field in _deal_mutations(base):
            doc = copy.deepcopy(base)
            mut(doc)
            out.append(Case("deal", f"{path.stem}: {name}", _toml_writer(doc, path.stem), field))
    out += _file_level("deal", "deal", ".toml", DEALS[0].read_text(encoding="utf-8"))
    return out


def _set(path: str, value):
    def mut(d):
        keys = path.split(".")
        node = d
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
        last = keys[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return mut


def _deal_mutations(base: dict) -> list:
    import datetime as dt

    muts = []
    for f, unit_field in (("loan.amount", "amount"), ("loan.margin_bp", "margin_bp")):
        for vname, v in (("inf", float("inf")), ("nan", float("nan")), ("1e15", 1e15 if "amount" in f else 1e9),
                         ("negative", -5.0), ("10**400", 10 ** 400), ("text", "N/A")):
            muts.append((f"{f} = {vname}", _set(f, v), unit_field))
    r = base["ratchet"]
    for k in ("step_down_bp", "step_up_bp", "cap_bp"):
        if k in r:
            muts.append((f"ratchet.{k} = inf", _set(f"ratchet.{k}", float("inf")), k))
            muts.append((f"ratchet.{k} = 1e9", _set(f"ratchet.{k}", 1e9 if k != "step_down_bp" else -1e9), k))
    spt = base["observations"][0].get("spt", {})
    for k in spt:
        for vname, v in (("nan", float("nan")), ("inf", float("inf")), ("negative", -3.0), ("1e9", 1e9)):
            muts.append((f"SPT {k} = {vname}", _set(f"observations.0.spt.{k}", v), "spt"))
    if "pue" in spt:
        muts.append(("SPT pue = 0.5", _set("observations.0.spt.pue", 0.5), "spt.pue"))

    def grade9z(d):
        o = d["observations"][-1]
        o.pop("period", None)
        o["verified"] = {"index_total": 80.0, "grade": "9Z"}
    muts.append(("verified grade 9Z", grade9z, "grade"))

    def vinf(d):
        o = d["observations"][-1]
        o.pop("period", None)
        o["verified"] = {"index_total": float("inf"), "grade": "4A"}
    muts.append(("verified index inf", vinf, "index_total"))
    for v in ("../../x.toml", "/etc/passwd", "demo-zjk-hyperscale.toml", "Demo ZJK"):
        muts.append((f"facility = {v!r}", _set("facility", v), "facility"))
    muts.append(("facility = 5", _set("facility", 5), "facility"))
    muts.append(("maturity in 2200", _set("loan.maturity_date", dt.date(2200, 1, 1)), "maturity_date"))
    muts.append(("start in 1800", _set("loan.start_date", dt.date(1800, 1, 1)), "start_date"))

    def last_obs_2150(d):
        d["loan"]["maturity_date"] = dt.date(2151, 1, 1)
        d["observations"][-1]["date"] = dt.date(2150, 12, 31)
    muts.append(("observation in 2150", last_obs_2150, "date"))
    muts.append(("currency XYZ", _set("loan.currency", "XYZ"), "currency"))
    muts.append(("no observations", _set("observations", []), "observations"))
    muts.append(("observations is a table", _set("observations", {"a": 1}), "observations"))
    muts.append(("loan missing", lambda d: d.pop("loan"), "loan"))
    muts.append(("unknown top-level key", _set("colour", "red"), "colour"))
    muts.append(("deeply nested scenarios", _set("scenarios", _nested(30)), "scenarios"))
    muts.append(("default scenario unknown", _set("default_scenario", "nope"), "default_scenario"))
    muts.append(("verification cost inf", _set("verification_cost_per_year", float("inf")),
                 "verification_cost_per_year"))
    muts.append(("base-rate path rate 1e9", _set("loan.base_rate.path", [{"from": base["loan"]["start_date"],
                                                                          "rate_pct": 1e9}]), "rate_pct"))
    return muts


# ----------------------------------------------------------------------------------------------------- levers

def lever_cases() -> list[Case]:
    import datetime as dt

    base = _load(LEVERS)
    out = []
    fields = {"cooling_retrofit": "pue_change", "green_trading": "mwh_per_year", "onsite_pv": "kwp",
              "waste_heat": "mwh_per_year", "water_recycling": "m3_per_year"}
    for i, lv in enumerate(base["levers"]):
        f = fields.get(lv["kind"])
        if f is None:
            continue
        for vname, v in (("inf", float("inf")), ("nan", float("nan")), ("1e300", 1e300), ("10**400", 10 ** 400),
                         ("text", "N/A"), ("zero", 0), ("boolean", True)):
            if f == "pue_change" and vname == "zero":
                continue
            doc = copy.deepcopy(base)
            doc["levers"][i][f] = v if not (f == "pue_change" and vname == "1e300") else -1e300
            out.append(Case("levers", f"levers[{i}] {lv['kind']}.{f} = {vname}", _toml_writer(doc, "levers"), f))
        for name, mut, field in (
                ("start in 1800", lambda d, i=i: d["levers"][i].__setitem__("start", dt.date(1800, 1, 1)), "start"),
                ("end before start", lambda d, i=i: d["levers"][i].__setitem__("end", dt.date(2000, 1, 1)), "end"),
                ("unknown field", lambda d, i=i: d["levers"][i].__setitem__("mw", 3), "mw"),
                ("kind unknown", lambda d, i=i: d["levers"][i].__setitem__("kind", "fusion"), "kind")):
            doc = copy.deepcopy(base)
            mut(doc)
            out.append(Case("levers", f"levers[{i}] {lv['kind']}: {name}", _toml_writer(doc, "levers"), field))
    for name, doc, field in (("levers is a table", {"levers": {"a": 1}}, "levers"),
                             ("unknown top-level key", {**base, "lever": []}, "lever"),
                             ("lever is a number", {"levers": [5]}, "kind")):
        out.append(Case("levers", name, _toml_writer(doc, "levers"), field))
    out += _file_level("levers", "levers", ".toml", LEVERS.read_text(encoding="utf-8"))
    return out


# ---------------------------------------------------------------------------------------------------- monthly

def _csv_rows() -> tuple[list[str], list[list[str]]]:
    import csv

    rows = list(csv.reader(io.StringIO(MONTHLY.read_text(encoding="utf-8"))))
    return rows[0], rows[1:]


def _csv_bytes(head, rows, enc="utf-8") -> bytes:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(head)
    w.writerows(rows)
    return buf.getvalue().encode(enc)


def monthly_cases() -> list[Case]:
    head, rows = _csv_rows()
    out = []
    for col in ("total_energy_kwh", "it_energy_kwh", "water_m3", "gec_mwh"):
        j = head.index(col)
        for vname, v in (("inf", "inf"), ("nan", "nan"), ("1e300", "1e300"), ("negative", "-5"), ("N/A", "N/A"),
                         ("blank", ""), ("comma decimal", "1,5"), ("10**400", "1" + "0" * 400)):
            rr = [list(r) for r in rows]
            rr[3][j] = v
            out.append(Case("monthly", f"row 4 {col} = {vname}", _bytes_writer(_csv_bytes(head, rr), "m.csv"), col))
    rr = [list(r) for r in rows]
    rr[5][head.index("it_energy_kwh")] = str(float(rr[5][head.index("total_energy_kwh")]) * 2)
    out.append(Case("monthly", "IT above total", _bytes_writer(_csv_bytes(head, rr), "m.csv"), "it_energy_kwh"))
    for name, mut in (("duplicate month", lambda rr: rr.insert(3, list(rr[3]))),
                      ("gap", lambda rr: rr.pop(4)),
                      ("out of order", lambda rr: rr.insert(1, rr.pop(5))),
                      ("month 2024-13", lambda rr: rr[2].__setitem__(0, "2024-13")),
                      ("month text", lambda rr: rr[2].__setitem__(0, "March"))):
        rr = [list(r) for r in rows]
        mut(rr)
        out.append(Case("monthly", name, _bytes_writer(_csv_bytes(head, rr), "m.csv"), "month"))
    for name, h2, field in (("unknown column", head + ["colour"], "colour"),
                            ("total column missing", [h if h != "total_energy_kwh" else "total_kwh" for h in head],
                             "total")):
        rr = [list(r) + (["x"] if len(h2) > len(head) else []) for r in rows]
        out.append(Case("monthly", name, _bytes_writer(_csv_bytes(h2, rr), "m.csv"), field))
    rr = [list(r) for r in rows]
    rr[2] = rr[2] + ["extra", "cells"]
    out.append(Case("monthly", "row with more cells than headers", _bytes_writer(_csv_bytes(head, rr), "m.csv"), None))
    # GBK / UTF-16 / latin-1 copies with a bad value: read, and the value named
    rr = [list(r) for r in rows]
    rr[3][head.index("water_m3")] = "-5"
    rr[0][head.index("source")] = "数据中心 résumé"
    for enc in ("gb18030", "utf-16", "latin-1"):
        data = _csv_bytes(head, rr if enc != "latin-1" else [[c.replace("数据中心 ", "") for c in r] for r in rr], enc)
        out.append(Case("monthly", f"{enc} CSV with a negative water value", _bytes_writer(data, f"m-{enc}.csv"),
                        "water_m3"))
    out += _file_level("monthly", "m", ".csv", MONTHLY.read_text(encoding="utf-8"))
    return out


#: monthly cases the app's upload accepts by design: a few months may replace stored ones in any order, with gaps
#: (the deal book checks the stored series when it is saved, ``Store.save_monthly``)
UPLOAD_MONTHLY_ALLOWED = ("gap", "out of order")


def monthly_upload_cases() -> list[Case]:
    """The monthly value cases through the app's monthly upload (:func:`app_support.upload_check.check_monthly`),
    as the uploaded bytes, and each as an Excel workbook too."""
    import pandas as pd

    out = []
    for c in monthly_cases():
        if c.name in UPLOAD_MONTHLY_ALLOWED or c.make.__qualname__.split(".")[0] != "_bytes_writer":
            continue
        written = inspect.getclosurevars(c.make).nonlocals  # what _bytes_writer writes
        data, name = written["data"], written["name"]
        out.append(Case("monthly_upload", f"CSV {c.name}", lambda tmp, d=data, n=name: (n, d), c.field))
        if c.field is None or c.name.startswith(("gb18030", "utf-16", "latin-1")):
            continue  # file-level and encoding cases: CSV only
        df = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
        buf = io.BytesIO()
        df.to_excel(buf, index=False)
        xlsx = buf.getvalue()
        out.append(Case("monthly_upload", f"xlsx {c.name}", lambda tmp, d=xlsx: ("m.xlsx", d), c.field))
    return out


# ----------------------------------------------------------------------------------------------------- upload

def _upload_header() -> dict:
    doc = _load(DATA / "facilities" / "demo-zjk-hyperscale.toml")
    return doc["facility"]


def _period_rows() -> tuple[list[str], list[list]]:
    from app_support.periods_table import columns, period_row

    doc = _load(DATA / "facilities" / "demo-zjk-hyperscale.toml")
    cols = [c for c in columns([]) if c not in ("refrigerants",)]
    return cols, [period_row(p, cols) for p in doc["periods"]]


def _xlsx(cols, rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(cols)
    for r in rows:
        ws.append([None if v is None else v for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_far_cell() -> bytes:
    """A ~5 kB workbook whose only cell is XFD1048576 (the last cell Excel allows)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["XFD1048576"] = 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _zip_bomb() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet>" + " " * 60_000_000 + "</worksheet>")
    return buf.getvalue()


def upload_cases() -> list[Case]:
    cols, rows = _period_rows()
    header = _upload_header()
    out = []

    def up(name: str, data: bytes):
        return lambda tmp: (name, data, header)

    muts = []
    for col in ("total_energy_kwh", "it_energy_kwh", "grid_kwh", "water_m3", "gec_mwh"):
        for vname, v in (("N/A", "N/A"), ("inf", "inf"), ("nan", "nan"), ("1e300", 1e300), ("negative", -1),
                         ("text", "lots"), ("comma", "1,5")):
            muts.append((f"{col} = {vname}", col, v, col))
    muts.append(("GECs in kWh", "gec_mwh", 5e8, "gec_mwh"))
    muts.append(("waste heat above total", "waste_heat_reused_kwh", 5e9, "waste_heat_reused_kwh"))
    muts.append(("label 2024 with 2019 dates", "label", "2019", "label"))
    muts.append(("start in 1800", "start", "1800-01-01", "start"))
    for name, col, v, field in muts:
        rr = [list(r) for r in rows]
        j = cols.index(col)
        rr[0][j] = v
        if col == "label":  # a 2019-labelled period keeping the 2022 dates of row 1
            rr[0][cols.index("start")], rr[0][cols.index("end")] = "2022-01-01", "2022-12-31"
        text_rows = [["" if x is None else x for x in r] for r in rr]
        out.append(Case("upload", f"CSV {name}", up("p.csv", _csv_bytes(cols, text_rows)), field))
        out.append(Case("upload", f"xlsx {name}", up("p.xlsx", _xlsx(cols, rr)), field))
        out.append(Case("upload", f"GBK CSV {name}", up("p.csv", _csv_bytes(cols, text_rows, "gb18030")), field))
    dup = [list(r) for r in rows] + [list(rows[0])]
    out.append(Case("upload", "CSV duplicate period", up("p.csv", _csv_bytes(cols, [["" if x is None else x for x in r]
                                                                                    for r in dup])), "periods"))
    out.append(Case("upload", "xlsx duplicate period", up("p.xlsx", _xlsx(cols, dup)), "periods"))
    out.append(Case("upload", "xlsx one cell at XFD1048576", up("p.xlsx", _xlsx_far_cell()), None))
    out.append(Case("upload", "xlsx zip bomb (60 MB sheet)", up("p.xlsx", _zip_bomb()), None))
    out.append(Case("upload", "xlsx that is not a zip", up("p.xlsx", b"not a workbook at all"), None))
    out.append(Case("upload", "empty CSV", up("p.csv", b""), None))
    out.append(Case("upload", "binary CSV", up("p.csv", b"\x00\x01\x02" * 100), None))
    out.append(Case("upload", "old .xls", up("p.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100), None))
    out.append(Case("upload", "TOML GBK facility = 5", up("f.toml", "facility = 5\n# 数据中心\n".encode("gb18030")),
                    "facility"))
    out.append(Case("upload", "TOML 20,000-deep", up("f.toml", b"a = " + b"[" * 20000 + b"]" * 20000), None))
    out.append(Case("upload", "TOML inf energy",
                    up("f.toml", (DATA / "facilities" / "demo-zjk-hyperscale.toml").read_bytes().replace(
                        b"total_energy_kwh = ", b"total_energy_kwh = inf\nx_total = ", 1)), "total_energy_kwh"))
    return out


def all_cases() -> list[Case]:
    return (facility_cases() + deal_cases() + lever_cases() + monthly_cases() + upload_cases()
            + monthly_upload_cases())


# ---------------------------------------------------------------------------------------------------- running

READERS = {
    "facility": lambda arg: __import__("index.models", fromlist=["x"]).load_facility(arg),
    "deal": lambda arg: __import__("finance.deal", fromlist=["x"]).load_deal(arg),
    "levers": lambda arg: __import__("index.levers", fromlist=["x"]).load_levers(arg),
    "monthly": lambda arg: __import__("index.forecast", fromlist=["x"]).load_monthly(arg),
}


def run(case: Case, tmp: Path) -> tuple[str, str]:
    """(outcome, detail) of one case: ``clear``, ``vague``, ``traceback`` or ``silent``."""
    from common.errors import InputError, InputErrors

    arg = case.make(tmp)
    try:
        if case.reader == "upload":
            from app_support.upload_check import validate_upload

            fac, rows = validate_upload(*arg)
            if not rows:
                return "silent", "accepted"
        elif case.reader == "monthly_upload":
            from app_support.upload_check import check_monthly

            frame, rows = check_monthly(*arg)
            if not rows:
                return "silent", "accepted"
        else:
            READERS[case.reader](arg)
            return "silent", "accepted"
    except InputError as exc:
        errs = exc.errors if isinstance(exc, InputErrors) else [exc]
        rows = [e.as_row() for e in errs]
    except FileNotFoundError as exc:  # not a bad-input outcome here: every case writes its file
        return "traceback", f"FileNotFoundError: {exc}"
    except Exception as exc:  # noqa: BLE001 - the corpus counts tracebacks
        import traceback

        return "traceback", "".join(traceback.format_exception_only(exc)).strip()[:300]
    detail = "; ".join(f"{r['field']}: {r['reason']}" for r in rows)[:300]
    if case.field is None:
        return ("clear" if all(r["file"] for r in rows) else "vague"), detail
    return ("clear" if any(r["field"] and case.field in r["field"] for r in rows) else "vague"), detail
