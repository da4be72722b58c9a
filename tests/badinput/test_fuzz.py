"""Hypothesis fuzzing of the facility, deal, lever, CSV, Excel and TOML readers.

Property: whatever the input, a reader either refuses it with an :class:`InputError` naming the field (or the
file) or accepts it, and what it accepts is finite and within the bounds of ``data/validation`` (never a
traceback, never a silent ``inf`` or ``1e300``).
"""

from __future__ import annotations

import collections
import copy
import io
import math
import tomllib

import corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.errors import InputError, InputErrors
from index.models import FIGURE_UNITS, PLAUSIBILITY

FAC = tomllib.loads((corpus.DATA / "facilities" / "demo-zjk-hyperscale.toml").read_text(encoding="utf-8"))
DEAL = tomllib.loads(corpus.DEALS[0].read_text(encoding="utf-8"))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: anything a TOML file, a spreadsheet cell or a deal-book document can hold where a number is expected
ANY_VALUE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e12, max_value=1e12),
    st.integers(min_value=-(10 ** 500), max_value=10 ** 500),
    st.text(max_size=8),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.sampled_from([float("inf"), float("nan"), 1e300, -0.0, 10 ** 400, "N/A", "", "1e9", "-"]),
)


#: (property, outcome) -> examples: ``refused`` (an InputError / failure rows naming the field or file) or
#: ``accepted`` (and within bounds), or ``skipped`` (a generated cell openpyxl cannot write: no workbook exists);
#: a traceback or a silent out-of-bounds acceptance fails the property instead.
#: tests/badinput/counts.py prints it.
OUTCOMES: collections.Counter = collections.Counter()


def _seen(name: str, refused: bool) -> None:
    OUTCOMES[(name, "refused" if refused else "accepted")] += 1


def _errors(exc: InputError) -> list[InputError]:
    return exc.errors if isinstance(exc, InputErrors) else [exc]


@SETTINGS
@given(field=st.sampled_from(sorted(FIGURE_UNITS)), value=ANY_VALUE, period=st.integers(0, 2))
def test_facility_figure_fuzz(field, value, period):
    from index.models import facility_from_dict

    doc = copy.deepcopy(FAC)
    if field in ("design_it_power_kw", "standard_racks"):
        doc["facility"][field] = value
    else:
        doc["periods"][period][field] = value
    try:
        fac = facility_from_dict(doc, file="fuzz.toml")
    except InputError as exc:  # the field itself, or a cross-field rule naming its partner (supply channels)
        assert all(e.field and e.file == "fuzz.toml" for e in _errors(exc)), str(exc)
        _seen("facility", True)
        return
    _seen("facility", False)
    figs = [getattr(fac, field, None)] + [getattr(p, field, None) for p in fac.periods]
    for f in figs:
        if f is not None:
            assert math.isfinite(f.value) and f.value >= 0
            assert f.value <= PLAUSIBILITY.get(f"figure_max.{FIGURE_UNITS[field]}", math.inf)


_DEAL_FIELDS = ["loan.amount", "loan.margin_bp", "ratchet.step_down_bp", "ratchet.step_up_bp", "ratchet.cap_bp",
                "observations.0.spt.index", "observations.0.spt.pue", "verification_cost_per_year", "facility",
                "loan.maturity_date", "observations.1.date"]


@SETTINGS
@given(field=st.sampled_from(_DEAL_FIELDS), value=st.one_of(ANY_VALUE, st.dates().map(lambda d: d)))
def test_deal_field_fuzz(field, value):
    from finance.deal import deal_from_dict
    from finance.deal_checks import FACILITY_ID, limits

    doc = copy.deepcopy(DEAL)
    corpus._set(field, value)(doc)
    try:
        deal = deal_from_dict(doc, file="fuzz.toml")
    except InputError as exc:
        leaf = field.rsplit(".", 1)[-1]
        assert all(e.file == "fuzz.toml" for e in _errors(exc))
        assert any(e.field and (leaf in e.field or field.split(".")[0] in e.field) for e in _errors(exc)), str(exc)
        _seen("deal", True)
        return
    _seen("deal", False)
    L = limits()
    assert math.isfinite(deal.loan.amount) and 0 < deal.loan.amount <= L["amount.max"]
    assert 0 <= deal.loan.margin_bp <= L["margin_bp.max"]
    for o in deal.observations:
        assert all(math.isfinite(v) for v in o.spt.values() if isinstance(v, float))
        assert L["dates.min_year"] <= o.date.year <= L["dates.max_year"]
    assert deal.facility is None or isinstance(deal.facility, dict) or FACILITY_ID.match(deal.facility)


@SETTINGS
@given(kind=st.sampled_from(["cooling_retrofit", "green_trading", "onsite_pv", "waste_heat", "water_recycling",
                             "gec", "rack_growth", "nuclear", 5]),
       key=st.sampled_from(["pue_change", "mwh_per_year", "kwp", "m3_per_year", "racks_per_year", "start", "x"]),
       value=ANY_VALUE)
def test_lever_fuzz(kind, key, value):
    import datetime as dt

    from index.levers import parse_levers

    item = {"kind": kind, "start": dt.date(2026, 1, 1), key: value}
    try:
        levers = parse_levers([item], file="fuzz.toml")
    except InputError as exc:
        assert all(e.field and e.field.startswith("levers") for e in _errors(exc)), str(exc)
        _seen("levers", True)
        return
    _seen("levers", False)
    for name in ("mwh_per_year", "kwp", "m3_per_year", "racks_per_year"):
        v = getattr(levers[0], name, None)
        if v is not None:
            assert math.isfinite(v) and v <= 1e11


@SETTINGS
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xlsx", ".toml"]))
def test_upload_arbitrary_bytes_never_traceback(data, suffix):
    from app_support.upload_check import validate_upload

    fac, rows = validate_upload(f"fuzz{suffix}", data, corpus._upload_header())
    assert (fac is None) == bool(rows)
    assert all(r["file"] == f"fuzz{suffix}" for r in rows)
    assert rows or fac.periods, "a file without a single period is refused, not accepted as 'nothing to save'"
    _seen(f"upload bytes {suffix}", bool(rows))


@SETTINGS
@given(cells=st.lists(st.tuples(st.sampled_from(["total_energy_kwh", "it_energy_kwh", "water_m3", "label", "start",
                                                 "gec_mwh", "year", "pue"]),
                                ANY_VALUE.filter(lambda v: not isinstance(v, list) and not
                                                 (isinstance(v, int) and abs(v) > 10 ** 15))),
                      min_size=1, max_size=6),
       as_xlsx=st.booleans())
def test_period_table_fuzz(cells, as_xlsx):
    """A one-row period table with fuzzed cells, as CSV or Excel: refused naming a column, or accepted finite."""
    from app_support.upload_check import validate_upload

    cols = ["label", "start", "end", "total_energy_kwh", "it_energy_kwh", "grid_kwh"]
    row = {"label": "2024", "start": "2024-01-01", "end": "2024-12-31", "total_energy_kwh": 3.4e8,
           "it_energy_kwh": 2.8e8, "grid_kwh": 3.4e8}
    for c, v in cells:
        if c not in cols:
            cols.append(c)
        row[c] = v
    vals = [row.get(c) for c in cols]
    if as_xlsx:
        from openpyxl import Workbook

        wb = Workbook()
        wb.active.append(cols)
        try:
            wb.active.append([v if not isinstance(v, str) else v.replace("\x00", "") for v in vals])
        except Exception:  # openpyxl refuses control characters in a cell: that workbook cannot exist
            OUTCOMES[("period table xlsx", "skipped")] += 1
            return
        buf = io.BytesIO()
        wb.save(buf)
        name, data = "fuzz.xlsx", buf.getvalue()
    else:
        name, data = "fuzz.csv", corpus._csv_bytes(cols, [["" if v is None else v for v in vals]])
    fac, rows = validate_upload(name, data, corpus._upload_header())
    kind = "period table " + ("xlsx" if as_xlsx else "csv")
    if rows:
        assert fac is None and all(r["file"] == name for r in rows)
        _seen(kind, True)
        return
    _seen(kind, False)
    for p in fac.periods:
        for f in FIGURE_UNITS:
            fig = getattr(p, f, None)
            if fig is not None:
                assert math.isfinite(fig.value)


@SETTINGS
@given(text=st.text(max_size=300))
def test_toml_text_never_traceback(text, tmp_path_factory):
    from index.models import load_facility

    p = tmp_path_factory.mktemp("fz") / "f.toml"
    p.write_text(text, encoding="utf-8")
    try:
        load_facility(p)
    except InputError as exc:
        assert all(e.file == str(p) for e in _errors(exc))
        _seen("facility TOML text", True)
        return
    _seen("facility TOML text", False)


@SETTINGS
@given(value=ANY_VALUE.map(lambda v: str(v)), col=st.sampled_from(["total_energy_kwh", "it_energy_kwh", "water_m3",
                                                                  "month"]))
def test_monthly_rows_fuzz(value, col):
    from index.forecast import monthly_from_rows

    head, rows = corpus._csv_rows()
    recs = [dict(zip(head, r, strict=True)) for r in rows]
    recs[7][col] = value
    try:
        df = monthly_from_rows(recs, file="fuzz.csv")
    except InputError as exc:
        assert exc.field and (col in exc.field or exc.field == "it_energy_kwh"), str(exc)
        _seen("monthly rows", True)
        return
    _seen("monthly rows", False)
    assert all(math.isfinite(x) for x in df[[c for c in ("total_energy_kwh", "it_energy_kwh", "water_m3")]]
               .to_numpy().ravel())


@SETTINGS
@given(cells=st.lists(st.tuples(st.integers(0, 59), st.sampled_from(["total_energy_kwh", "it_energy_kwh", "water_m3",
                                                                    "month", "grid_kwh"]),
                                ANY_VALUE.map(str)), min_size=1, max_size=5),
       as_xlsx=st.booleans())
def test_monthly_upload_fuzz(cells, as_xlsx):
    """The app's monthly upload (CSV or Excel) with fuzzed cells: every failure row names a column of the file
    (or the file), or the series is read finite and within ``figure_max``."""
    import pandas as pd

    from app_support.upload_check import check_monthly

    df = pd.read_csv(corpus.MONTHLY, dtype=str)
    for i, c, v in cells:
        df.loc[i, c] = v
    if as_xlsx:
        buf = io.BytesIO()
        try:
            df.to_excel(buf, index=False)
        except Exception:  # openpyxl refuses control characters in a cell: that workbook cannot exist
            OUTCOMES[("monthly upload xlsx", "skipped")] += 1
            return
        name, data = "fuzz.xlsx", buf.getvalue()
    else:
        name, data = "fuzz.csv", df.to_csv(index=False).encode()
    frame, rows = check_monthly(name, data)
    kind = "monthly upload " + ("xlsx" if as_xlsx else "csv")
    if rows:
        assert frame is None and all(r["file"] == name for r in rows)
        assert all(r["field"] in df.columns for r in rows if r["field"]), rows
        _seen(kind, True)
        return
    _seen(kind, False)
    vals = frame[["total_energy_kwh", "it_energy_kwh", "water_m3", "grid_kwh"]].to_numpy().ravel()
    assert all(math.isfinite(x) and 0 <= x <= 1e11 for x in vals)
