"""Encodings are read, not refused; limits act before parsing; the upload failure table lists every failure.

Reference values come from the shipped UTF-8 files (the same content re-encoded must read the same), and from
the Excel specification's sheet limits (1,048,576 rows × 16,384 columns, column XFD).
"""

from __future__ import annotations

import io

import corpus
import pytest

from common.errors import InputError, InputErrors
from common.inputfile import check_tree, check_xlsx, decode_text, limits, read_bytes

TEXT = "月份,数据中心 résumé,PUE\n2024-01,张家口,1.21\n"


@pytest.mark.parametrize("enc", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "gb18030", "gbk"])
def test_chinese_text_decodes_in_every_encoding_excel_writes(enc):
    data = b"\xff\xfe" + TEXT.encode("utf-16-le") if enc == "utf-16-le-bom" else TEXT.encode(enc.replace("gbk", "gbk"))
    if enc == "gbk":
        data = TEXT.replace("résumé", "resume").encode("gbk")
        assert decode_text(data, "t.csv")[0] == TEXT.replace("résumé", "resume")
        return
    assert decode_text(data, "t.csv")[0] == TEXT


def test_latin1_is_read():
    text = "site,note\nDublin,café crème à la façade\nKöln,Straße über Äcker\n"
    assert decode_text(text.encode("latin-1"), "t.csv")[0] == text


def test_gbk_monthly_csv_reads_as_the_utf8_one(tmp_path):
    from index.forecast import load_monthly

    text = corpus.MONTHLY.read_text(encoding="utf-8").replace("dcsll constructed", "张家口 dcsll constructed")
    a, b = tmp_path / "u.csv", tmp_path / "g.csv"
    a.write_text(text, encoding="utf-8")
    b.write_bytes(text.encode("gb18030"))
    da, db = load_monthly(a), load_monthly(b)
    assert da.equals(db)
    assert db["source"].iloc[0].startswith("张家口")


def test_gbk_and_utf16_facility_files_read_as_the_utf8_one(tmp_path):
    from index.models import load_facility

    src = corpus.DATA / "facilities" / "demo-zjk-hyperscale.toml"
    text = src.read_text(encoding="utf-8")
    assert any(ord(ch) > 127 for ch in text)  # the file holds Chinese names
    ref = load_facility(src)
    for enc in ("gb18030", "utf-16"):
        p = tmp_path / f"{enc}.toml"
        p.write_bytes(text.encode(enc))
        assert load_facility(p) == ref


def test_gbk_period_table_upload_matches_utf8():
    from app_support.upload_check import validate_upload

    cols, rows = corpus._period_rows()
    cells = [["" if v is None else v for v in r] for r in rows]
    f_utf8, r1 = validate_upload("p.csv", corpus._csv_bytes(cols, cells), corpus._upload_header())
    f_gbk, r2 = validate_upload("p.csv", corpus._csv_bytes(cols, cells, "gb18030"), corpus._upload_header())
    assert r1 == [] and r2 == []
    assert f_gbk == f_utf8


def test_file_kind_checks(tmp_path):
    with pytest.raises(InputError, match="directory"):
        read_bytes(tmp_path)
    (tmp_path / "e.toml").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_bytes(tmp_path / "e.toml")
    big = tmp_path / "big.toml"
    with open(big, "wb") as f:
        f.truncate(int(limits()["file.max_bytes"]) + 1)
    with pytest.raises(InputError, match="above the limit"):
        read_bytes(big)
    with pytest.raises(FileNotFoundError):
        read_bytes(tmp_path / "nope.toml")


def test_far_cell_workbook_is_refused_before_parsing():
    data = corpus._xlsx_far_cell()
    assert len(data) < 10_000  # a few kB on disk
    with pytest.raises(InputError) as exc:
        check_xlsx(data, "far.xlsx")
    # Excel's last cell: column XFD = 16,384, row 1,048,576 (Excel specifications and limits)
    assert "XFD1048576" in str(exc.value) and "16,384" in str(exc.value) and "1,048,576" in str(exc.value)


def test_declared_dimension_alone_is_refused():
    """A sheet whose <dimension> claims A1:XFD1048576 (cells parsed lazily by other readers) is refused."""
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = "label"
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for i in src.infolist():
            body = src.read(i)
            if i.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b'<dimension ref="A1:A1"/>', b'<dimension ref="A1:XFD1048576"/>')
                assert b"XFD1048576" in body
            z.writestr(i, body)
    with pytest.raises(InputError, match="XFD1048576"):
        check_xlsx(out.getvalue(), "dim.xlsx")


def test_zip_bomb_is_refused_from_the_zip_directory():
    with pytest.raises(InputError, match="unpacks to"):
        check_xlsx(corpus._zip_bomb(), "bomb.xlsx")


def test_check_tree_names_every_bad_number():
    with pytest.raises(InputErrors) as exc:
        check_tree({"a": [1.0, float("inf")], "b": {"c": 10 ** 400, "d": float("nan")}}, file="x.toml")
    fields = {e.field for e in exc.value.errors}
    assert fields == {"a[1]", "b.c", "b.d"}
    assert [e.row for e in exc.value.errors if e.field == "a[1]"] == [2]


def test_upload_lists_every_failure_in_one_table():
    """Three bad cells in two rows: three rows in the failure table, each naming its line and column."""
    from app_support.upload_check import validate_upload

    cols, rows = corpus._period_rows()
    cells = [["" if v is None else v for v in r] for r in rows]
    cells[0][cols.index("water_m3")] = "N/A"
    cells[1][cols.index("diesel_l")] = "lots"
    cells[1][cols.index("total_energy_kwh")] = "inf"
    fac, table = validate_upload("p.csv", corpus._csv_bytes(cols, cells), corpus._upload_header())
    assert fac is None
    named = {(r["field"].split(".")[-1] if r["field"] else None) for r in table}
    assert {"water_m3", "diesel_l", "total_energy_kwh", "value"} & named >= {"water_m3", "diesel_l"}
    assert len(table) >= 3
    assert all("line" in str(r["row"]) for r in table)
    assert any(r["field"] == "water_m3" and r["value"] == "N/A" for r in table)


@pytest.mark.parametrize("rate", [float("nan"), float("inf"), [3.0, float("nan")]])
def test_valuation_refuses_a_non_finite_discount_rate(rate):
    """The engine function, not only the CLI option, refuses nan / inf discount rates."""
    import datetime as dt

    import numpy as np

    from finance.deal import load_deal, loan_plan
    from finance.valuation import discount_factors

    plan = loan_plan(load_deal(corpus.DEALS[0]))
    r = rate if np.ndim(rate) == 0 else np.resize(rate, len(plan.periods))
    with pytest.raises(InputError, match="finite") as exc:
        discount_factors(plan, dt.date(2025, 7, 21), r)
    assert exc.value.field == "discount_rate" and exc.value.unit == "% p.a."


@pytest.mark.parametrize("name", ["plausibility.toml", "deal_limits.toml", "input_limits.toml"])
def test_every_bound_has_a_value_and_a_source(name):
    import tomllib

    raw = tomllib.loads((corpus.DATA / "validation" / name).read_text(encoding="utf-8"))
    n = 0
    for table, entries in raw.items():
        for key, entry in entries.items():
            assert isinstance(entry["value"], int | float), f"{table}.{key}"
            assert len(entry["source"]) > 20, f"{table}.{key} needs a source"
            n += 1
    assert n >= 5
