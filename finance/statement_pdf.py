"""Render a :class:`~finance.statement.VerificationStatement` as a bilingual PDF (reportlab platypus).

Layout (A4, portrait): title block, summary box (index, grade, SPTs met, margin change), indicator
table (splits across pages, header row repeated), SPT table, chart of the index against the SPT
path, notes, conclusion, signature block; every page has a footer with the statement id, the
SHA-256 of the statement's canonical content and "page x of y".

Chinese text needs a CJK font. A TrueType-outline font is embedded when one is installed
(Debian ``fonts-wqy-microhei`` or ``fonts-wqy-zenhei``; reportlab cannot embed CFF-outline fonts
such as Noto CJK). Otherwise reportlab's built-in CID font ``STSong-Light`` is used; it is not
embedded, so the document prints a note saying so (DESIGN.md §5).

With ``invariant=True`` (reportlab's ``rl_config.invariant``) the output is byte-reproducible:
no creation date, fixed document id.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

from reportlab.graphics.charts.legends import LineLegend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import HRFlowable

from common.errors import InputError
from finance.statement import VerificationStatement, content_sha256, load_catalogue

#: TrueType CJK fonts tried in order ("auto"); the first one found is embedded.
CJK_TTF_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc", 0),
)
CID_FALLBACK = "STSong-Light"
LANGS = ("zh", "en", "both")

INK = colors.HexColor("#1b2a3a")
ACCENT = colors.HexColor("#0f5c4d")
PALE = colors.HexColor("#eef5f2")
RULE = colors.HexColor("#b8c7c1")
GREY = colors.HexColor("#5d6b75")
WARN = colors.HexColor("#9c2a1c")
WARN_BG = colors.HexColor("#fbefe9")


@dataclass(frozen=True)
class CjkFont:
    """The CJK font used: reportlab name, whether it is embedded, and its file (if any)."""

    name: str
    embedded: bool
    path: str | None = None


_REGISTERED: dict[tuple[str, int], str] = {}


def select_cjk_font(cjk_font: str = "auto") -> CjkFont:
    """Pick and register the CJK font.

    Parameters
    ----------
    cjk_font : str
        ``"auto"``: ``$DCSLL_CJK_FONT`` if set, else the first installed file of
        :data:`CJK_TTF_CANDIDATES`, else the CID fallback; ``"cid"``: force reportlab's
        non-embedded ``STSong-Light``; any other value: the path of a TrueType (.ttf/.ttc) font.

    Raises
    ------
    InputError
        When an explicit font file is missing or is not a TrueType-outline font.
    """
    if cjk_font == "cid":
        if CID_FALLBACK not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
        return CjkFont(CID_FALLBACK, embedded=False)
    if cjk_font == "auto":
        env = os.environ.get("DCSLL_CJK_FONT")
        candidates = [(env, 0)] if env else [c for c in CJK_TTF_CANDIDATES if Path(c[0]).is_file()]
        if not candidates:
            return select_cjk_font("cid")
        path, index = candidates[0]
    else:
        path, index = cjk_font, 0
    key = (str(path), index)
    if key not in _REGISTERED:
        if not Path(path).is_file():
            raise InputError("CJK font file not found", file=str(path), field="cjk_font")
        name = f"DcsllCJK{len(_REGISTERED)}"
        try:
            pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=index))
        except Exception as exc:  # reportlab raises TTFError and others for CFF/odd fonts
            raise InputError(f"cannot embed this font (TrueType outlines needed, not CFF): {exc}",
                             file=str(path), field="cjk_font") from exc
        _REGISTERED[key] = name
    return CjkFont(_REGISTERED[key], embedded=True, path=str(path))


def fmt_number(value: float | str | None, decimals: int | None = None) -> str:
    """Format a figure for print: thousands separators, ``decimals`` places, ASCII minus.

    ``None`` → an em dash; strings are printed as given. Without ``decimals`` the shortest
    exact form is used, capped at 4 places.
    """
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if decimals is None:
        text = repr(float(value))
        decimals = 0 if "e" in text or text.endswith(".0") else min(4, len(text.split(".")[1]))
    return f"{value:,.{decimals}f}"


def fmt_bp(value: float) -> str:
    """Basis points with an explicit sign: ``-2.5``, ``+2.5``, ``0``."""
    text = fmt_number(value)
    return text if value < 0 else ("0" if value == 0 else f"+{text}")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Builder:
    """Builds the flowables of one statement."""

    def __init__(self, st: VerificationStatement, lang: str, font: CjkFont, digest: str):
        self.st, self.lang, self.font, self.digest = st, lang, font, digest
        self.cat = load_catalogue()
        f = font.name
        self.s_title_zh = ParagraphStyle("tz", fontName=f, fontSize=19, leading=24, textColor=INK)
        self.s_title_en = ParagraphStyle("te", fontName="Helvetica-Bold", fontSize=15, leading=19,
                                         textColor=INK)
        self.s_sub = ParagraphStyle("sub", fontName=f, fontSize=8.5, leading=11.5, textColor=GREY)
        self.s_h = ParagraphStyle("h", fontName=f, fontSize=11.5, leading=15, textColor=ACCENT,
                                  spaceBefore=9, spaceAfter=4)
        self.s_body = ParagraphStyle("b", fontName=f, fontSize=8.6, leading=12, textColor=INK)
        self.s_body_en = ParagraphStyle("be", parent=self.s_body, fontName="Helvetica")
        self.s_small = ParagraphStyle("s", fontName=f, fontSize=7.4, leading=9.6, textColor=INK)
        self.s_small_grey = ParagraphStyle("sg", parent=self.s_small, textColor=GREY)
        self.s_num = ParagraphStyle("n", parent=self.s_small, alignment=TA_RIGHT)
        self.s_key = ParagraphStyle("k", fontName=f, fontSize=7.6, leading=9.8, textColor=GREY)
        self.s_big = ParagraphStyle("big", fontName=f, fontSize=17, leading=21, textColor=INK)
        self.s_warn = ParagraphStyle("w", fontName=f, fontSize=8, leading=11, textColor=WARN)

    # -- text helpers -------------------------------------------------------------------------
    def t(self, group: str, key: str, sep: str = "<br/>", **fmt) -> str:
        """Catalogue text in the chosen language(s), escaped for Paragraph markup."""
        entry = self.cat[group][key]
        zh, en = _esc(entry["zh"].format(**fmt)), _esc(entry["en"].format(**fmt))
        return {"zh": zh, "en": en}.get(self.lang, f"{zh}{sep}{en}")

    def label(self, key: str, sep: str = "<br/>") -> str:
        return self.t("labels", key, sep)

    def head(self, key: str) -> str:
        """Column header: Chinese over grey English."""
        entry = self.cat["labels"][key]
        if self.lang == "both":
            return f"{_esc(entry['zh'])}<br/><font color='#5d6b75' size='6.6'>{_esc(entry['en'])}</font>"
        return _esc(entry[self.lang])

    def bi(self, name, sep: str = "<br/>") -> str:
        """A :class:`Bilingual` value in the chosen language(s)."""
        zh, en = _esc(name.zh), _esc(name.en)
        if self.lang == "both":
            return zh if zh == en else f"{zh}{sep}{en}"
        return zh if self.lang == "zh" else en

    def paras(self, group: str, key: str, style: ParagraphStyle | None = None, **fmt) -> list:
        entry = self.cat[group][key]
        langs = ["zh", "en"] if self.lang == "both" else [self.lang]
        return [Paragraph(_esc(entry[lg].format(**fmt)), style or self.s_body) for lg in langs]

    # -- sections -----------------------------------------------------------------------------
    def title_block(self) -> list:
        st = self.st
        out = []
        titles = []
        if self.lang in ("zh", "both"):
            titles.append(Paragraph(_esc(self.cat["labels"]["title"]["zh"]), self.s_title_zh))
        if self.lang in ("en", "both"):
            titles.append(Paragraph(_esc(self.cat["labels"]["title"]["en"]), self.s_title_en))
        titles.append(Spacer(1, 2))
        titles.append(Paragraph(self.label("subtitle"), self.s_sub))
        # label above value, one column: a statement id of up to ~30 characters fits on one line
        s_id = ParagraphStyle("id", parent=self.s_body, fontName="Helvetica-Bold", fontSize=8.2)
        ident = Table(
            [[Paragraph(self.label("statement_id", " / "), self.s_key)], [Paragraph(_esc(st.statement_id), s_id)],
             [Paragraph(self.label("issue_date", " / "), self.s_key)],
             [Paragraph(st.issue_date.isoformat(), self.s_body)]],
            colWidths=[56 * mm])
        ident.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 2),
                                   ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                                   ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5)]))
        top = Table([[titles, ident]], colWidths=[118 * mm, 56 * mm])
        top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        out += [top, Spacer(1, 3),
                HRFlowable(width="100%", thickness=1.6, color=ACCENT, spaceBefore=2, spaceAfter=6)]
        if not self.font.embedded:
            out += [Table([[self.paras("sentences", "font_fallback", self.s_small_grey)]],
                          colWidths=[174 * mm],
                          style=[("BOX", (0, 0), (-1, -1), 0.5, RULE)]), Spacer(1, 4)]
        return out

    def facts(self) -> list:
        st = self.st
        cat_std = self.cat["standards"]
        std = "<br/>".join(self.bi(type("B", (), {"zh": cat_std[s]["zh"], "en": cat_std[s]["en"]}), "<br/>")
                           for s in st.standards)
        level = self.t("levels", st.assurance_level, " / ")
        v = st.verifier
        accred = _esc(v.accreditation + (f" ({v.accreditation_body})" if v.accreditation_body else ""))
        period = f"{_esc(st.reporting_period.label)} ({st.reporting_period.start} – {st.reporting_period.end})"
        facility = self.bi(st.facility.name, " · ") + (
            f" <font color='#5d6b75'>[{_esc(st.facility.id)}]</font>")
        if st.facility.location:
            facility += "<br/>" + self.bi(st.facility.location, " · ")
        mref = st.methodology
        meth = (f"{_esc(mref.id)}" + (f" {self.label('methodology_version', ' / ')} {_esc(mref.version)}"
                                      if mref.version else "")
                + f"<br/><font name='Courier' size='6.8'>{mref.sha256}</font>")
        if mref.reference_sha256:
            meth += (f"<br/>{self.label('reference_hash', ' / ')}<br/>"
                     f"<font name='Courier' size='6.8'>{mref.reference_sha256}</font>")
        rows = [
            ("verifier", self.bi(v.name, " · ")), ("accreditation", accred),
            ("borrower", self.bi(st.borrower, " · ")), ("facility", facility),
            ("loan_reference", _esc(st.loan_reference)), ("reporting_period", period),
            ("observation_date", st.observation_date.isoformat()), ("assurance_level", level),
            ("standard", std), ("methodology", meth),
        ]
        data = [[Paragraph(self.label(k, " / "), self.s_key), Paragraph(val, self.s_small)] for k, val in rows]
        tbl = Table(data, colWidths=[34 * mm, 140 * mm])
        tbl.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -2), 0.3, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 2.2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ]))
        return [tbl, Spacer(1, 8)]

    def summary_box(self) -> list:
        st = self.st
        idx, m = st.index, st.margin
        bp = self.cat["labels"]["bp"]["zh" if self.lang == "zh" else "en"]

        def cell(key: str, big: str, small: str) -> list:
            return [Paragraph(self.label(key, " / "), self.s_key), Spacer(1, 2),
                    Paragraph(big, self.s_big), Paragraph(small, self.s_small_grey)]

        c1 = cell("index_total", fmt_number(idx.total, 2),
                  f"{fmt_number(idx.core, 2)} + {fmt_number(idx.addon, 2)} · "
                  f"{self.label('completeness', ' / ')} {fmt_number(idx.completeness_pct, 1)}%")
        c2 = cell("grade", _esc(idx.grade),
                  f"{self.label('baseline', ' / ')} {_esc(st.baseline.period)}: "
                  f"{fmt_number(st.baseline.total, 2)} ({_esc(st.baseline.grade)})")
        lines = []
        for outcome in ("met", "missed"):
            kpis = [_esc(s.kpi) for s in st.spts if not s.within_band and s.met == (outcome == "met")]
            if kpis:
                lines.append(f"{self.t('outcomes', outcome, '/')}: {', '.join(kpis)}")
        c3 = cell("spts_met", f"{st.spts_met} / {len(st.spts)}", "<br/>".join(lines))
        c4 = cell("margin_change", f"{fmt_bp(m.adjustment_bp)} {bp}",
                  f"{self.label('new_margin', ' / ')} {fmt_number(m.margin_after_bp)} {bp}<br/>"
                  f"{self.label('effective_date', ' / ')} {m.effective_date.isoformat()}")
        tbl = Table([[c1, c2, c3, c4]], colWidths=[46 * mm, 38 * mm, 42 * mm, 48 * mm])
        tbl.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, -1), PALE), ("BOX", (0, 0), (-1, -1), 1.0, ACCENT),
            ("LINEAFTER", (0, 0), (-2, -1), 0.4, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ]))
        return [KeepTogether([Paragraph(self.label("summary", " / "), self.s_h), tbl])]

    def indicator_table(self) -> list:
        st = self.st
        cols = ["col_indicator", "col_unit", "col_reported", "col_verified", "col_score", "col_weight",
                "col_contribution", "col_status"]
        header = [Paragraph(self.head(c), self.s_small) for c in cols]
        data = [header]
        styles = []
        for part in ("core", "addon"):
            rows = [r for r in st.indicators if r.part == part]
            if not rows:
                continue
            if part == "addon":
                data.append([Paragraph(self.label("addon_marker", " / "), self.s_key)] + [""] * 7)
                styles += [("SPAN", (0, len(data) - 1), (-1, len(data) - 1)),
                           ("BACKGROUND", (0, len(data) - 1), (-1, len(data) - 1), PALE)]
            for r in rows:
                verified = fmt_number(r.verified_value, r.decimals)
                data.append([
                    Paragraph(self.bi(r.name), self.s_small),
                    Paragraph(_esc(r.unit), self.s_small_grey),
                    Paragraph(fmt_number(r.reported_value, r.decimals), self.s_num),
                    Paragraph(f"<b>{verified}</b>" if r.verified_value is not None else verified, self.s_num),
                    Paragraph(fmt_number(r.score, 1), self.s_num),
                    Paragraph(fmt_number(r.weight * 100, 1) + "%", self.s_num),
                    Paragraph(fmt_number(r.contribution, 2), self.s_num),
                    Paragraph(self.t("statuses", r.status), self.s_small if r.status == "verified"
                              else ParagraphStyle("st", parent=self.s_small, textColor=WARN)),
                ])
        tbl = Table(data, colWidths=[50 * mm, 20 * mm, 18 * mm, 18 * mm, 15 * mm, 15 * mm, 17 * mm, 21 * mm],
                    repeatRows=1)
        tbl.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), ACCENT), ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE), ("BOX", (0, 0), (-1, -1), 0.6, ACCENT),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f7faf9")]),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ] + styles))
        # header text white: rebuild header paragraphs with a white style
        white = ParagraphStyle("hw", parent=self.s_small, textColor=colors.white)
        for i, c in enumerate(cols):
            txt = self.head(c).replace("#5d6b75", "#d5e6df")
            tbl._cellvalues[0][i] = Paragraph(txt, white)
        return [Paragraph(self.label("indicators", " / "), self.s_h), tbl]

    def spt_table(self) -> list:
        st = self.st
        cols = ["col_kpi", "col_unit", "col_baseline", "col_target", "col_verified", "col_outcome",
                "col_effect"]
        white = ParagraphStyle("hw", parent=self.s_small, textColor=colors.white)
        data = [[Paragraph(self.head(c).replace("#5d6b75", "#d5e6df"), white) for c in cols]]
        met_style = ParagraphStyle("met", parent=self.s_small, textColor=ACCENT)
        miss_style = ParagraphStyle("miss", parent=self.s_small, textColor=WARN)
        for s in st.spts:
            data.append([
                Paragraph(self.bi(s.name), self.s_small), Paragraph(_esc(s.unit), self.s_small_grey),
                Paragraph(fmt_number(s.baseline), self.s_num),
                Paragraph(f"{'≥' if s.comparator == '>=' else '≤'} {fmt_number(s.target)}", self.s_num),
                Paragraph(f"<b>{fmt_number(s.verified_value)}</b>", self.s_num),
                Paragraph(self.t("outcomes", "band" if s.within_band else "met" if s.met else "missed", " / "),
                          met_style if s.met else self.s_small if s.within_band else miss_style),
                Paragraph(fmt_bp(s.effect_bp), self.s_num),
            ])
        bp = self.cat["labels"]["bp"]["zh" if self.lang == "zh" else "en"]
        total = [Paragraph(self.label("margin_change", " / "), self.s_small), "", "", "", "", "",
                 Paragraph(f"<b>{fmt_bp(st.margin.adjustment_bp)}</b>", self.s_num)]
        data.append(total)
        tbl = Table(data, colWidths=[50 * mm, 18 * mm, 20 * mm, 24 * mm, 22 * mm, 22 * mm, 18 * mm],
                    repeatRows=1)
        tbl.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), ACCENT), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LINEBELOW", (0, 1), (-1, -2), 0.25, RULE), ("BOX", (0, 0), (-1, -1), 0.6, ACCENT),
            ("SPAN", (0, -1), (5, -1)), ("BACKGROUND", (0, -1), (-1, -1), PALE),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]))
        out = [Paragraph(self.label("spts", " / "), self.s_h), tbl]
        if st.margin.rule:
            out += [Spacer(1, 3), Paragraph(self.bi(st.margin.rule), self.s_small_grey)]
        out += [Spacer(1, 2), Paragraph(
            f"{self.label('new_margin', ' / ')}: {fmt_number(st.margin.margin_before_bp)} "
            f"{fmt_bp(st.margin.adjustment_bp)} = <b>{fmt_number(st.margin.margin_after_bp)}</b> {bp} · "
            f"{self.label('effective_date', ' / ')} <b>{st.margin.effective_date.isoformat()}</b>",
            self.s_small)]
        return out

    def chart(self) -> list:
        st = self.st

        def xy(points):
            out = []
            for i, p in enumerate(points):
                try:
                    out.append((float(p.period), p.value))
                except ValueError:
                    out.append((float(i), p.value))
            return out

        actual = xy(st.index_history) or [(0.0, st.index.total)]
        path = xy(st.spt_path)
        if path and st.index_history:
            path = [xy([type("P", (), {"period": st.baseline.period, "value": st.baseline.total})])[0]] + path
        w, h = 174 * mm, 62 * mm
        d = Drawing(w, h)
        lp = LinePlot()
        lp.x, lp.y, lp.width, lp.height = 14 * mm, 10 * mm, 110 * mm, 46 * mm
        series = [actual] + ([path] if path else [])
        lp.data = series
        xs = [x for s in series for x, _ in s]
        ys = [y for s in series for _, y in s]
        lp.xValueAxis.valueMin, lp.xValueAxis.valueMax = min(xs) - 0.3, max(xs) + 0.3
        lp.xValueAxis.valueSteps = sorted(set(xs))
        lp.xValueAxis.labelTextFormat = "%d"
        lo = max(0.0, 5 * int(min(ys) / 5) - 5)
        hi = min(110.0, 5 * int(max(ys) / 5) + 5)
        lp.yValueAxis.valueMin, lp.yValueAxis.valueMax, lp.yValueAxis.valueStep = lo, hi, 5
        for ax in (lp.xValueAxis, lp.yValueAxis):
            ax.labels.fontName, ax.labels.fontSize = "Helvetica", 7
            ax.strokeColor = GREY
        lp.yValueAxis.visibleGrid = 1
        lp.yValueAxis.gridStrokeColor = colors.HexColor("#dde5e2")
        lp.yValueAxis.gridStrokeWidth = 0.4
        lp.lines[0].strokeColor, lp.lines[0].strokeWidth = ACCENT, 1.8
        lp.lines[0].symbol = makeMarker("FilledCircle", size=4.5, fillColor=ACCENT, strokeColor=ACCENT)
        if path:
            lp.lines[1].strokeColor, lp.lines[1].strokeWidth = colors.HexColor("#c07a12"), 1.3
            lp.lines[1].strokeDashArray = [4, 2.5]
            lp.lines[1].symbol = makeMarker("Diamond", size=4.5, fillColor=colors.white,
                                            strokeColor=colors.HexColor("#c07a12"))
        d.add(lp)
        # value labels: the index above its points, the SPT path below its own
        x0, x1 = lp.xValueAxis.valueMin, lp.xValueAxis.valueMax
        y0, y1 = lp.yValueAxis.valueMin, lp.yValueAxis.valueMax
        for k, pts in enumerate(series):
            for x, y in pts[1:] if k == 1 else pts:
                px = lp.x + (x - x0) / (x1 - x0) * lp.width
                py = lp.y + (y - y0) / (y1 - y0) * lp.height
                d.add(String(px, py + 5 if k == 0 else py - 10, f"{y:.1f}", textAnchor="middle",
                             fontName="Helvetica-Bold" if k == 0 else "Helvetica", fontSize=6.8,
                             fillColor=ACCENT if k == 0 else colors.HexColor("#c07a12")))
        legend = LineLegend()
        legend.x, legend.y = 130 * mm, 52 * mm
        legend.fontName, legend.fontSize = self.font.name, 7.2
        legend.dx, legend.dy, legend.deltay = 14, 0, 12
        legend.alignment = "right"
        legend.columnMaximum = 4
        names = []
        for key in ("chart_actual", "chart_path"):
            e = self.cat["labels"][key]
            names.append({"zh": e["zh"], "en": e["en"]}.get(self.lang, f"{e['zh']} {e['en']}"))
        legend.colorNamePairs = [(ACCENT, names[0])] + ([(colors.HexColor("#c07a12"), names[1])] if path else [])
        legend.strokeWidth = 1.6
        d.add(legend)
        d.add(String(14 * mm, 58 * mm, "GCPI", fontName="Helvetica", fontSize=7, fillColor=GREY))
        return [KeepTogether([Paragraph(self.label("chart", " / "), self.s_h), d])]

    def notes(self) -> list:
        st = self.st
        out = [Paragraph(self.label("notes", " / "), self.s_h)]
        if not st.notes:
            out += self.paras("labels", "no_notes")
        for i, n in enumerate(st.notes, 1):
            kind = self.t("note_kinds", n.kind, " / ")
            ref = f" · <font name='Courier' size='7'>{_esc(n.indicator)}</font>" if n.indicator else ""
            body = self.bi(type("B", (), {"zh": n.zh, "en": n.en}))
            out.append(Table([[Paragraph(f"{i}.", self.s_small),
                               [Paragraph(f"<font color='#0f5c4d'>{kind}</font>{ref}", self.s_small),
                                Paragraph(body, self.s_small)]]],
                             colWidths=[6 * mm, 168 * mm],
                             style=[("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
        if any(r.status == "missing" for r in st.indicators):
            out += self.paras("sentences", "missing_note", self.s_small_grey)
        return out

    def conclusion(self) -> list:
        st = self.st
        level_lc = {lg: self.cat["levels"][st.assurance_level][lg] for lg in ("en", "zh")}
        level_lc["en"] = level_lc["en"].lower()
        langs = ["zh", "en"] if self.lang == "both" else [self.lang]
        out = [CondPageBreak(60 * mm), Paragraph(self.label("conclusion", " / "), self.s_h)]
        for lg in langs:
            scope = self.cat["sentences"]["scope"][lg].format(
                borrower=getattr(st.borrower, lg), level_lc=level_lc[lg], facility=getattr(st.facility.name, lg),
                period=st.reporting_period.label, methodology=st.methodology.id, loan=st.loan_reference,
                observation_date=st.observation_date.isoformat())
            out += [Paragraph(_esc(scope), self.s_body), Spacer(1, 3)]
        box = [Paragraph(_esc(getattr(st.conclusion, lg)), ParagraphStyle(
            "c", parent=self.s_body, fontSize=9.2, leading=13.2)) for lg in langs]
        out.append(Table([[box]], colWidths=[174 * mm], style=[
            ("BOX", (0, 0), (-1, -1), 0.8, ACCENT), ("BACKGROUND", (0, 0), (-1, -1), PALE),
            ("LEFTPADDING", (0, 0), (-1, -1), 7), ("RIGHTPADDING", (0, 0), (-1, -1), 7),
            ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 7)]))
        return out

    def signature(self) -> list:
        st = self.st
        v, sig = st.verifier, st.signature
        left = [Paragraph(self.label("signatory", " / "), self.s_key), Spacer(1, 14),
                HRFlowable(width="90%", thickness=0.6, color=INK, hAlign="LEFT", spaceAfter=3),
                Paragraph(f"<b>{_esc(v.signatory)}</b>", self.s_body),
                Paragraph(self.bi(v.signatory_title, " / "), self.s_small),
                Paragraph(self.bi(v.name, " / "), self.s_small),
                Spacer(1, 4),
                Paragraph(f"{self.label('place_date', ' / ')}: {self.bi(v.place, ' / ')}, "
                          f"{st.issue_date.isoformat()}", self.s_small)]
        right = [Paragraph(self.label("certificate", " / "), self.s_key),
                 Paragraph(_esc(sig.certificate_subject or "—"), self.s_small),
                 Spacer(1, 3), Paragraph(self.label("fingerprint", " / "), self.s_key),
                 Paragraph(f"<font name='Courier' size='6.4'>{sig.certificate_sha256 or '—'}</font>",
                           self.s_small),
                 Spacer(1, 3), Paragraph(self.label("content_hash", " / "), self.s_key),
                 Paragraph(f"<font name='Courier' size='6.4'>{self.digest}</font>", self.s_small)]
        tbl = Table([[left, right]], colWidths=[80 * mm, 94 * mm])
        tbl.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                                 ("LINEAFTER", (0, 0), (0, 0), 0.4, RULE),
                                 ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 7)]))
        block = [Paragraph(self.label("signature", " / "), self.s_h), tbl, Spacer(1, 5)]
        block += self.paras("sentences", "digital_signature", self.s_small_grey)
        warn = []
        if sig.self_signed:
            warn += self.paras("sentences", "self_signed", self.s_warn)
        if sig.demo_identity:
            warn += self.paras("sentences", "demo_identity", self.s_warn)
        if warn:
            block += [Spacer(1, 4), Table([[warn]], colWidths=[174 * mm], style=[
                ("BOX", (0, 0), (-1, -1), 0.8, WARN), ("BACKGROUND", (0, 0), (-1, -1), WARN_BG),
                ("LEFTPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5)])]
        return [KeepTogether(block)]

    def story(self) -> list:
        return (self.title_block() + self.facts() + self.summary_box() + self.indicator_table()
                + self.spt_table() + self.chart() + self.notes() + self.conclusion() + self.signature())


def _canvas_class(st: VerificationStatement, lang: str, font: CjkFont, digest: str):
    cat = load_catalogue()
    langs = ["zh", "en"] if lang == "both" else [lang]

    class StatementCanvas(rl_canvas.Canvas):
        """Canvas that defers page drawing so the footer can say 'page x of y'."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 (reportlab API)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            n = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(n)
                super().showPage()
            super().save()

        def _footer(self, pages: int) -> None:
            w, _ = A4
            page = self._pageNumber
            self.saveState()
            self.setFillColor(ACCENT)
            self.rect(0, A4[1] - 5 * mm, w, 5 * mm, stroke=0, fill=1)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(18 * mm, 17 * mm, w - 18 * mm, 17 * mm)
            self.setFillColor(GREY)
            label = " / ".join(cat["labels"]["content_hash"][lg] for lg in langs)
            self.setFont(font.name, 6.8)
            self.drawString(18 * mm, 13 * mm, f"{st.statement_id} · {label}:")
            self.setFont("Courier", 6.8)
            self.drawString(18 * mm, 9.5 * mm, f"sha256:{digest}")
            self.setFont(font.name, 7)
            text = " · ".join(cat["labels"]["page"][lg].format(page=page, pages=pages) for lg in langs)
            self.drawRightString(w - 18 * mm, 13 * mm, text)
            self.restoreState()

    return StatementCanvas


def render_pdf(statement: VerificationStatement, *, lang: str = "both", cjk_font: str = "auto",
               invariant: bool = False) -> bytes:
    """Render the statement to PDF bytes (unsigned, no attachment; see :mod:`finance.statement_sign`).

    Parameters
    ----------
    statement : VerificationStatement
        The statement, with its signature block filled in.
    lang : {"both", "zh", "en"}
        Languages printed (default both: Chinese first, English below).
    cjk_font : str
        ``"auto"``, ``"cid"`` or a TrueType font path; see :func:`select_cjk_font`.
    invariant : bool
        Byte-reproducible output (reportlab ``invariant``), for tests.

    Returns
    -------
    bytes
        The PDF.

    Raises
    ------
    InputError
        Unknown ``lang``; a bad explicit font file.
    """
    if lang not in LANGS:
        raise InputError(f"language must be one of {', '.join(LANGS)}", field="lang", value=lang)
    font = select_cjk_font(cjk_font)
    digest = content_sha256(statement)
    buf = io.BytesIO()
    title = f"{load_catalogue()['labels']['title']['en']} {statement.statement_id}"
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=18 * mm - 6, rightMargin=18 * mm - 6, topMargin=14 * mm, bottomMargin=22 * mm,
        title=title, author=statement.verifier.name.en, subject=f"dcsll-content-sha256:{digest}",
        creator="dcsll", producer="dcsll (reportlab)", invariant=1 if invariant else 0,
        lang="zh-CN" if lang == "zh" else "en",
    )
    doc.build(_Builder(statement, lang, font, digest).story(),
              canvasmaker=_canvas_class(statement, lang, font, digest))
    return buf.getvalue()
