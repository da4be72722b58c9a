"""The rendered PDF: figures read back in both languages, page split, fonts, reproducibility, PNG."""

from __future__ import annotations

import io
import subprocess

import pdfplumber
import pytest
from pypdf import PdfReader

from finance.statement import content_sha256, statement_from_mapping
from finance.statement_pdf import render_pdf, select_cjk_font
from index.errors import InputError
from tests.statements.conftest import MANY_INDICATORS, need_tool, statement_dict


def _text(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [p.extract_text() or "" for p in doc.pages]


def _words(pdf: bytes) -> set[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return {w["text"] for p in doc.pages for w in p.extract_words()}


@pytest.fixture(scope="module")
def both_pdf():
    st = statement_from_mapping(statement_dict())
    return st, render_pdf(st, lang="both", invariant=True)


# Verified figures of conftest.STATEMENT, as they must print (decimals given in the data).
VERIFIED = {"pue": "1.22", "renewable_share": "60.0", "rack_utilisation": "77.0", "ghg_accounting": "100.0"}
REPORTED = {"pue": "1.19", "renewable_share": "63.0", "rack_utilisation": "84.0"}


def test_every_verified_figure_grade_margin_and_hash_are_printed(both_pdf):
    st, pdf = both_pdf
    words = _words(pdf)
    text = "\n".join(_text(pdf))
    for figure in [*VERIFIED.values(), *REPORTED.values()]:
        assert figure in words, figure
    assert "69.75" in words  # index total
    assert "64.75" in text and "5.00" in text  # core + add-on
    assert "3A" in words  # grade
    assert "-2.5" in text and "92.5" in text and "2026-07-01" in text  # margin change, new margin, date
    assert "≤ 1.25" in text and "≥ 72" in text  # SPT targets
    assert content_sha256(st) in text
    assert "ab" * 32 in text  # methodology hash


def test_both_languages_are_printed(both_pdf):
    _, pdf = both_pdf
    text = "\n".join(_text(pdf))
    for zh, en in [("独立核查声明", "Independent Verification Statement"), ("有限保证", "Limited assurance"),
                   ("电能利用效率", "Power usage effectiveness"), ("已核查", "verified"), ("缺失", "missing"),
                   ("达成", "Met"), ("未达成", "Missed"), ("结论", "Conclusion"), ("利差调整", "Margin adjustment"),
                   ("测试园区", "Test Campus"), ("PUE由1.19重述为1.22", "PUE restated from 1.19 to 1.22")]:
        assert zh in text, zh
        assert en in text, en
    flat = text.replace("\n", "")
    assert "我们没有注意到任何事项使我们相信" in flat
    assert "nothing has come to our attention" in text.replace("\n", " ")


@pytest.mark.parametrize("lang, present, absent", [
    ("en", "Independent Verification Statement", "独立核查声明"),
    ("zh", "独立核查声明", "Independent Verification Statement"),
])
def test_single_language(statement, lang, present, absent):
    text = "\n".join(_text(render_pdf(statement, lang=lang, invariant=True)))
    assert present in text and absent not in text
    assert "1.22" in text and "69.75" in text


def test_unknown_language_is_refused(statement):
    with pytest.raises(InputError, match="language"):
        render_pdf(statement, lang="fr")


def test_hash_and_page_number_in_every_footer(both_pdf):
    st, pdf = both_pdf
    pages = _text(pdf)
    assert len(pages) >= 2
    for i, page in enumerate(pages, 1):
        assert f"sha256:{content_sha256(st)}" in page
        assert f"Page {i} of {len(pages)}" in page
        assert f"第 {i} 页 / 共 {len(pages)} 页" in page


def test_indicator_table_splits_with_repeated_header():
    d = statement_dict()
    rows = [{"id": f"ind{i:02d}", "name": {"en": f"Indicator number {i:02d}", "zh": f"第{i:02d}号指标"},
             "unit": "%", "reported_value": 10 + i, "verified_value": 20 + i, "decimals": 1, "score": 50.0,
             "weight": 1 / MANY_INDICATORS, "contribution": 50.0 / MANY_INDICATORS, "status": "verified"}
            for i in range(MANY_INDICATORS)]
    d["indicators"] = rows
    d["index"] = {"total": 50.0, "core": 50.0, "addon": 0.0, "grade": "2A", "completeness_pct": 100.0}
    d["spts"][0].update(verified_value=50.0)
    pages = _text(render_pdf(statement_from_mapping(d), invariant=True))
    with_rows = [i for i, p in enumerate(pages) if "Indicator number" in p]
    assert len(with_rows) >= 2, "the table should run over at least two pages"
    for i in with_rows:  # the header row repeats on every page the table is on
        assert "核查值" in pages[i] and "Verified" in pages[i] and "Contrib." in pages[i]
    everything = "\n".join(pages)
    for i in range(MANY_INDICATORS):  # no row lost at the split
        assert f"Indicator number {i:02d}" in everything
        assert f"{20 + i:.1f}" in everything


def test_byte_reproducible_with_invariant(statement):
    assert render_pdf(statement, invariant=True) == render_pdf(statement, invariant=True)


def _fonts(pdf: bytes) -> dict[str, bool]:
    """BaseFont name -> embedded?"""
    out = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for f in page["/Resources"]["/Font"].values():
            f = f.get_object()
            desc = f.get("/FontDescriptor")
            if "/DescendantFonts" in f:
                desc = f["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            desc = desc.get_object() if desc is not None else {}
            out[str(f["/BaseFont"])] = any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return out


def test_truetype_cjk_font_is_embedded(statement):
    font = select_cjk_font("auto")
    if not font.embedded:
        pytest.skip("no TrueType CJK font installed (Debian package fonts-wqy-microhei)")
    pdf = render_pdf(statement, cjk_font="auto", invariant=True)
    fonts = _fonts(pdf)
    assert any(embedded for name, embedded in fonts.items() if "STSong" not in name)
    assert not any("STSong" in name for name in fonts)
    assert "Font note" not in "\n".join(_text(pdf))


def test_cid_fallback_is_noted_and_still_readable(statement):
    pdf = render_pdf(statement, cjk_font="cid", invariant=True)
    fonts = _fonts(pdf)
    assert fonts.get("/STSong-Light") is False  # used, and not embedded
    text = "\n".join(_text(pdf))
    assert "STSong-Light" in text  # the visible note, both languages
    assert "字体说明" in text and "Font note" in text
    assert "独立核查声明" in text and "1.22" in text


def test_missing_font_file_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="CJK font file not found"):
        select_cjk_font(str(tmp_path / "nope.ttf"))


def test_page_one_renders_to_a_non_blank_png(both_pdf, tmp_path):
    pdftoppm = need_tool("pdftoppm")
    from PIL import Image

    _, pdf = both_pdf
    src = tmp_path / "s.pdf"
    src.write_bytes(pdf)
    subprocess.run([pdftoppm, "-r", "60", "-f", "1", "-l", "1", "-png", str(src), str(tmp_path / "p")],
                   check=True, timeout=60)
    png = next(tmp_path.glob("p*.png"))
    img = Image.open(png).convert("L")
    w, h = img.size
    # A4 at 60 dpi: 595.28 x 841.89 pt x 60/72 -> 496.1 x 701.6 px (pdftoppm rounds up or down)
    assert abs(w - 496) <= 1 and abs(h - 702) <= 1
    hist = img.histogram()
    dark = sum(hist[:200]) / (w * h)
    assert dark > 0.03, f"page 1 looks blank ({dark:.1%} non-white pixels)"
    # the accent band at the top of the page is dark, the margin below it white
    assert img.getpixel((w // 2, 2)) < 120 and img.getpixel((2, h // 2)) > 240
