"""Render a :class:`~finance.notice.MarginChangeNotice` as a bilingual PDF (reportlab platypus).

One A4 page: title and notice id, the deal facts, a summary box (old margin, change, new margin, effective date),
the reason in both languages, the SPT outcomes, the verification statement id and SHA-256, and the approvals
(prepared by / approved by). The CJK font handling is the verification statement's
(:func:`finance.statement_pdf.select_cjk_font`: an embedded TrueType font when installed, else reportlab's
``STSong-Light`` CID font with a printed note). ``invariant=True`` makes the bytes reproducible
(reportlab ``rl_config.invariant``).
"""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import HRFlowable

from finance.monitoring_changes import kpi_name
from finance.notice import MarginChangeNotice
from finance.statement_pdf import (
    ACCENT,
    GREY,
    INK,
    LANGS,
    PALE,
    RULE,
    WARN,
    _esc,
    fmt_bp,
    fmt_number,
    select_cjk_font,
)
from index.errors import InputError

#: Fixed wording of the notice, Chinese and English.
LABELS: dict[str, dict[str, str]] = {
    "title": {"zh": "利差调整通知", "en": "Margin-change notice"},
    "subtitle": {"zh": "可持续发展挂钩贷款 · 致贷款运营部 / 核心业务系统",
                 "en": "Sustainability-linked loan · to loan operations / core banking system"},
    "notice_id": {"zh": "通知编号", "en": "Notice id"},
    "issue_date": {"zh": "出具日期", "en": "Issue date"},
    "deal": {"zh": "交易", "en": "Deal"},
    "borrower": {"zh": "借款人", "en": "Borrower"},
    "facility": {"zh": "数据中心", "en": "Facility"},
    "loan": {"zh": "币种 / 基准利率", "en": "Currency / base rate"},
    "observation_date": {"zh": "观察日", "en": "Observation date"},
    "certificate": {"zh": "合规证书 应交付 / 实际交付", "en": "Compliance certificate due / delivered"},
    "not_delivered": {"zh": "未交付", "en": "not delivered"},
    "statement": {"zh": "核证声明", "en": "Verification statement"},
    "statement_hash": {"zh": "核证声明 SHA-256", "en": "Statement SHA-256"},
    "none": {"zh": "无", "en": "none"},
    "days_late": {"zh": "逾期{days}天", "en": "{days} days late"},
    "summary": {"zh": "利差调整", "en": "Margin change"},
    "old_margin": {"zh": "原利差", "en": "Old margin"},
    "change": {"zh": "调整", "en": "Change"},
    "new_margin": {"zh": "新利差", "en": "New margin"},
    "effective_date": {"zh": "生效日", "en": "Effective date"},
    "over_base": {"zh": "基准利率加点", "en": "over the base rate"},
    "ratchet_total": {"zh": "挂钩调整合计", "en": "total ratchet adjustment"},
    "reason": {"zh": "调整原因", "en": "Reason"},
    "kind_result": {"zh": "核证结果", "en": "verified SPT outcomes"},
    "kind_reporting_failure": {"zh": "合规证书逾期：全部目标视为未达成", "en": "late certificate: all SPTs missed"},
    "kind_cure": {"zh": "逾期证书交付后按核证结果调整", "en": "late certificate delivered: verified outcomes apply"},
    "spts": {"zh": "可持续发展绩效目标", "en": "SPT outcomes"},
    "col_kpi": {"zh": "指标", "en": "KPI"},
    "col_value": {"zh": "核证值", "en": "Verified"},
    "col_spt": {"zh": "目标", "en": "SPT"},
    "col_outcome": {"zh": "结果", "en": "Outcome"},
    "col_effect": {"zh": "影响 (bp)", "en": "Effect (bp)"},
    "met": {"zh": "达成", "en": "met"},
    "band": {"zh": "容差内", "en": "within band"},
    "missed": {"zh": "未达成", "en": "missed"},
    "scored": {"zh": "评分", "en": "scored"},
    "no_spts": {"zh": "未交付合规证书，全部目标视为未达成。",
                "en": "No compliance certificate delivered: every SPT counts as missed."},
    "approvals": {"zh": "审批", "en": "Approvals"},
    "prepared_by": {"zh": "经办", "en": "Prepared by"},
    "approved_by": {"zh": "审批", "en": "Approved by"},
    "prepared_on": {"zh": "经办日期", "en": "Prepared on"},
    "approved_on": {"zh": "审批日期", "en": "Approved on"},
    "bp": {"zh": "基点", "en": "bp"},
    "font_fallback": {"zh": "本文件中文字体未嵌入（STSong-Light），阅读器可能需要安装字体包。",
                      "en": "The Chinese font is not embedded (STSong-Light); a reader may ask for a font pack."},
    "page": {"zh": "第{page}页", "en": "page {page}"},
}


#: width of the notice id column in the header [pt]
ID_WIDTH = 62 * mm
#: no-break space: keeps a figure and its unit ("−4 bp") on one line (reportlab never breaks at U+00A0)
NBSP = "\u00a0"


def _wrap_id(text: str, font: str, size: float, width: float) -> str:
    """An id as escaped Paragraph text broken after its hyphens where a line would exceed ``width`` [pt]
    (reportlab otherwise cuts a long id with no space anywhere, mid-word)."""
    lines, cur = [], ""
    for part in [p + "-" for p in text.split("-")[:-1]] + [text.split("-")[-1]]:
        if cur and stringWidth(cur + part, font, size) > width:
            lines.append(cur)
            cur = part
        else:
            cur += part
    lines.append(cur)
    return "<br/>".join(_esc(x) for x in lines)


def _keep_units(text: str) -> str:
    """``text`` with a no-break space before each ``bp`` unit."""
    return text.replace(" bp", NBSP + "bp")


class _Builder:
    def __init__(self, n: MarginChangeNotice, lang: str, font):
        self.n, self.lang, self.font = n, lang, font
        f = font.name
        self.s_title_zh = ParagraphStyle("tz", fontName=f, fontSize=19, leading=24, textColor=INK)
        self.s_title_en = ParagraphStyle("te", fontName="Helvetica-Bold", fontSize=15, leading=19, textColor=INK)
        self.s_sub = ParagraphStyle("sub", fontName=f, fontSize=8.5, leading=11.5, textColor=GREY)
        self.s_h = ParagraphStyle("h", fontName=f, fontSize=11.5, leading=15, textColor=ACCENT, spaceBefore=9,
                                  spaceAfter=4)
        self.s_body = ParagraphStyle("b", fontName=f, fontSize=8.6, leading=12, textColor=INK)
        # Chinese prose: line breaks between Chinese characters, never inside a date, id or number
        self.s_body_zh = ParagraphStyle("bz", parent=self.s_body, wordWrap="CJK")
        self.s_small = ParagraphStyle("s", fontName=f, fontSize=7.6, leading=10, textColor=INK)
        self.s_grey = ParagraphStyle("g", parent=self.s_small, textColor=GREY)
        self.s_num = ParagraphStyle("n", parent=self.s_small, alignment=TA_RIGHT)
        self.s_key = ParagraphStyle("k", fontName=f, fontSize=7.6, leading=9.8, textColor=GREY)
        self.s_big = ParagraphStyle("big", fontName=f, fontSize=17, leading=21, textColor=INK)
        self.s_mono = ParagraphStyle("m", parent=self.s_small, fontName="Courier", fontSize=6.8)

    def kpi(self, kpi: str) -> str:
        """A KPI by name (:func:`finance.monitoring_changes.kpi_name`) in the notice's language; both names in
        a bilingual notice."""
        zh, en = _esc(kpi_name(kpi, "zh")), _esc(kpi_name(kpi, "en"))
        return {"zh": zh, "en": en}.get(self.lang, f"{zh}<br/>{en}")

    def label(self, key: str, sep: str = " / ") -> str:
        e = LABELS[key]
        zh, en = _esc(e["zh"]), _esc(e["en"])
        return {"zh": zh, "en": en}.get(self.lang, f"{zh}{sep}{en}")

    def story(self) -> list:
        n = self.n
        out = []
        titles = []
        if self.lang in ("zh", "both"):
            titles.append(Paragraph(_esc(LABELS["title"]["zh"]), self.s_title_zh))
        if self.lang in ("en", "both"):
            titles.append(Paragraph(_esc(LABELS["title"]["en"]), self.s_title_en))
        titles += [Spacer(1, 2), Paragraph(self.label("subtitle", "<br/>"), self.s_sub)]
        ident = [Paragraph(self.label("notice_id"), self.s_key),
                 Paragraph(f"<b>{_wrap_id(n.notice_id, 'Helvetica-Bold', 7.4, ID_WIDTH - 6)}</b>",
                           ParagraphStyle("id", parent=self.s_small, fontName="Helvetica", fontSize=7.4)),
                 Spacer(1, 2), Paragraph(self.label("issue_date"), self.s_key),
                 Paragraph(n.issue_date.isoformat(), self.s_body)]
        top = Table([[titles, ident]], colWidths=[112 * mm, ID_WIDTH])
        top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        out += [top, HRFlowable(width="100%", thickness=1.6, color=ACCENT, spaceBefore=4, spaceAfter=6)]
        if not self.font.embedded:
            out += [Paragraph(self.label("font_fallback", "<br/>"), self.s_grey), Spacer(1, 4)]

        cert = (f"{n.certificate_due.isoformat()} / "
                + (n.certificate_delivered.isoformat() if n.certificate_delivered else self.label("not_delivered")))
        late = (n.certificate_delivered - n.certificate_due).days if n.certificate_delivered else 0
        if late > 0:
            d = LABELS["days_late"]
            zh, en = d["zh"].format(days=late), d["en"].format(days=late)
            cert += f" ({ {'zh': zh, 'en': en}.get(self.lang, f'{zh} / {en}') })"
        rows = [
            ("deal", f"{_esc(n.deal_id)}<br/>{_esc(n.deal_name)}" if n.deal_name else _esc(n.deal_id)),
            ("borrower", _esc(n.borrower) or "—"), ("facility", _esc(n.facility_id or "—")),
            ("loan", f"{_esc(n.currency)} · {_esc(n.base_rate)}"),
            ("observation_date", n.observation_date.isoformat()), ("certificate", cert),
            ("statement", _esc(n.statement_id) if n.statement_id else self.label("none")),
            ("statement_hash", f"<font name='Courier' size='6.8'>{n.statement_sha256}</font>"
             if n.statement_sha256 else self.label("none")),
        ]
        facts = Table([[Paragraph(self.label(k), self.s_key), Paragraph(v, self.s_small)] for k, v in rows],
                      colWidths=[44 * mm, 130 * mm])
        facts.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -2), 0.3, RULE),
                                   ("TOPPADDING", (0, 0), (-1, -1), 2.2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 2)]))
        out += [facts, Spacer(1, 6)]

        bp = _esc(LABELS["bp"]["zh" if self.lang == "zh" else "en"])

        def cell(key, big, small="", colour=INK):
            return [Paragraph(self.label(key), self.s_key), Spacer(1, 2),
                    Paragraph(big, ParagraphStyle("bg", parent=self.s_big, textColor=colour)),
                    Paragraph(small, self.s_grey)]

        colour = WARN if n.change_bp > 0 else ACCENT if n.change_bp < 0 else INK
        summary = Table([[
            cell("old_margin", f"{fmt_number(n.old_margin_bp)} {bp}", self.label("over_base")),
            cell("change", f"{fmt_bp(n.change_bp)} {bp}",
                 f"{self.label('ratchet_total')}: {fmt_bp(n.ratchet_adjustment_bp)} {bp}", colour),
            cell("new_margin", f"<b>{fmt_number(n.new_margin_bp)}</b> {bp}", self.label("over_base")),
            cell("effective_date", f"<b>{n.effective_date.isoformat()}</b>", self.label(f"kind_{n.kind}", "<br/>")),
        ]], colWidths=[40 * mm, 46 * mm, 40 * mm, 48 * mm])
        summary.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, -1), PALE), ("BOX", (0, 0), (-1, -1), 1.0, ACCENT),
            ("LINEAFTER", (0, 0), (-2, -1), 0.4, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ("LEFTPADDING", (0, 0), (-1, -1), 6)]))
        out += [Paragraph(self.label("summary"), self.s_h), summary]

        out.append(Paragraph(self.label("reason"), self.s_h))
        if self.lang in ("zh", "both"):
            out.append(Paragraph(_esc(_keep_units(n.reason_zh)), self.s_body_zh))
        if self.lang == "both":
            out.append(Spacer(1, 3))
        if self.lang in ("en", "both"):
            out.append(Paragraph(_esc(_keep_units(n.reason_en)), self.s_body))

        out.append(Paragraph(self.label("spts"), self.s_h))
        if n.spts:
            white = ParagraphStyle("w", parent=self.s_small, textColor=colors.white)
            head = [Paragraph(self.label(c, "<br/>"), white)
                    for c in ("col_kpi", "col_value", "col_spt", "col_outcome", "col_effect")]
            data = [head]
            for s in n.spts:
                cmp = "" if s.spt is None else ("≥ " if s.direction == "higher" else "≤ ")
                style = ParagraphStyle("o", parent=self.s_small,
                                       textColor=ACCENT if s.outcome == "met" else WARN if s.outcome == "missed"
                                       else INK)
                data.append([Paragraph(self.kpi(s.kpi), self.s_small),
                             Paragraph(fmt_number(s.value), self.s_num),
                             Paragraph(cmp + fmt_number(s.spt), self.s_num),
                             Paragraph(self.label(s.outcome), style),
                             Paragraph(fmt_bp(s.effect_bp), self.s_num)])
            tbl = Table(data, colWidths=[50 * mm, 30 * mm, 30 * mm, 34 * mm, 30 * mm], repeatRows=1)
            tbl.setStyle(TableStyle([
                ("BACKGROUND", (0, 0), (-1, 0), ACCENT), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE), ("BOX", (0, 0), (-1, -1), 0.6, ACCENT),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5)]))
            out.append(tbl)
        else:
            out.append(Paragraph(self.label("no_spts", "<br/>"), self.s_small))

        out.append(Paragraph(self.label("approvals"), self.s_h))
        rows = [("prepared_by", _esc(n.prepared_by)), ("prepared_on", n.prepared_on),
                ("approved_by", ", ".join(_esc(a) for a in n.approved_by)), ("approved_on", n.approved_on)]
        appr = Table([[Paragraph(self.label(k), self.s_key), Paragraph(str(v), self.s_body)]
                      for k, v in rows if v is not None], colWidths=[44 * mm, 130 * mm])
        appr.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.6, RULE), ("LINEBELOW", (0, 0), (-1, -2), 0.3, RULE),
                                  ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 4),
                                  ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
        out.append(appr)
        return out


def render_notice_pdf(notice: MarginChangeNotice, lang: str = "both", *, cjk_font: str = "auto",
                      invariant: bool = False) -> bytes:
    """Render a margin-change notice to PDF bytes.

    Parameters
    ----------
    notice : MarginChangeNotice
    lang : {"both", "zh", "en"}
        Languages printed (default both: Chinese first, English below).
    cjk_font : str
        ``"auto"``, ``"cid"`` or a TrueType font path (:func:`finance.statement_pdf.select_cjk_font`).
    invariant : bool
        Byte-reproducible output (reportlab ``invariant``: no creation date, fixed document id), for tests.

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
    langs = ["zh", "en"] if lang == "both" else [lang]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=18 * mm - 6, rightMargin=18 * mm - 6, topMargin=14 * mm, bottomMargin=20 * mm,
        title=f"Margin-change notice {notice.notice_id}", author=notice.prepared_by,
        subject=f"{notice.deal_id} {notice.observation_date.isoformat()} {notice.kind}", creator="dcsll",
        producer="dcsll (reportlab)", invariant=1 if invariant else 0, lang="zh-CN" if lang == "zh" else "en")

    def footer(canvas, doc_):
        w, _ = A4
        canvas.saveState()
        canvas.setFillColor(ACCENT)
        canvas.rect(0, A4[1] - 5 * mm, w, 5 * mm, stroke=0, fill=1)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(18 * mm, 15 * mm, w - 18 * mm, 15 * mm)
        canvas.setFillColor(GREY)
        canvas.setFont(font.name, 7)
        canvas.drawString(18 * mm, 11 * mm, notice.notice_id)
        page = doc_.page
        canvas.drawRightString(w - 18 * mm, 11 * mm, " · ".join(LABELS["page"][lg].format(page=page) for lg in langs))
        canvas.restoreState()

    doc.build(_Builder(notice, lang, font).story(), onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
