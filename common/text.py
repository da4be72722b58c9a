"""Plain-text output for terminals: padding by display width, tables, wrapping and number formats.

Chinese (and other East Asian wide) characters take two terminal cells, so ``str.ljust`` / ``f"{s:<20}"``
misalign columns that hold them. Widths here are display widths from ``wcwidth`` (Unicode East Asian Width,
UAX #11, and zero-width combining marks), so a column of mixed English and Chinese text lines up.

Number formats (DESIGN.md §7, house style): no ``nan`` / ``None`` / unrounded floats in printed text; a
missing value is ``—``, followed by its reason where one is known; money with thousands separators and the
currency; dates as ISO dates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from wcwidth import wcswidth, wcwidth

#: printed for a missing value (followed by the reason where one is known)
MISSING = "—"


def display_width(s: str) -> int:
    """Terminal cells ``s`` takes (wide CJK characters count 2, combining marks 0; control characters 0).

    >>> display_width("PUE 电能利用效率")
    16
    """
    w = wcswidth(s)
    if w >= 0:
        return w
    return sum(max(wcwidth(ch), 0) for ch in s)


def truncate(s: str, width: int) -> str:
    """``s`` cut to at most ``width`` cells, ending in ``…`` when cut (never in the middle of a wide character)."""
    if display_width(s) <= width:
        return s
    out, used = [], 0
    for ch in s:
        w = max(wcwidth(ch), 0)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def pad(s: str, width: int, align: str = "<") -> str:
    """``s`` padded with spaces to ``width`` display cells (``<`` left, ``>`` right, ``^`` centre).

    Text wider than ``width`` is returned whole (columns then widen; see :func:`table`).
    """
    gap = max(width - display_width(s), 0)
    if align == ">":
        return " " * gap + s
    if align == "^":
        return " " * (gap // 2) + s + " " * (gap - gap // 2)
    return s + " " * gap


def table(rows: Sequence[Sequence[str]], header: Sequence[str] | None = None, *, align: str | None = None,
          indent: int = 0, sep: str = "  ", max_width: dict[int, int] | None = None) -> list[str]:
    """Lines of a text table whose columns line up by display width.

    Parameters
    ----------
    rows : sequence of sequences of str
        Cells, already formatted.
    header : sequence of str, optional
    align : str, optional
        One of ``<``, ``>``, ``^`` per column (default all ``<``).
    indent : int
        Spaces before every line.
    max_width : dict of int to int, optional
        Column index → most cells; longer cells are cut with ``…`` (only where the caller accepts it).

    Returns
    -------
    list of str
        The header (if any) and one line per row; trailing spaces removed.
    """
    all_rows = [list(header)] if header is not None else []
    all_rows += [list(r) for r in rows]
    if not all_rows:
        return []
    ncol = max(len(r) for r in all_rows)
    for r in all_rows:
        r += [""] * (ncol - len(r))
    if max_width:
        for r in all_rows:
            for i, w in max_width.items():
                r[i] = truncate(r[i], w)
    widths = [max(display_width(r[i]) for r in all_rows) for i in range(ncol)]
    al = (align or "<" * ncol).ljust(ncol, "<")
    return [(" " * indent + sep.join(pad(c, widths[i], al[i]) for i, c in enumerate(r))).rstrip()
            for r in all_rows]


def wrap(text: str, width: int = 110, indent: int = 0, subsequent: int | None = None) -> list[str]:
    """``text`` wrapped to ``width`` display cells, first line indented ``indent``, the others ``subsequent``
    (default ``indent + 2``); nothing is cut.

    Wide characters are counted as two cells: CJK text (which has no spaces) is broken between characters.
    """
    sub = indent + 2 if subsequent is None else subsequent
    words = text.split(" ")
    lines: list[str] = []
    cur, cur_w = " " * indent, indent
    start = True
    for word in words:
        ww = display_width(word)
        need = ww if start else ww + 1
        if not start and cur_w + need > width:
            lines.append(cur.rstrip())
            cur, cur_w, start = " " * sub, sub, True
            need = ww
        if cur_w + need > width and ww > width - sub:
            # a long unbroken run (CJK): break it by cells
            if not start:
                cur, cur_w = cur + " ", cur_w + 1
            for ch in word:
                w = max(wcwidth(ch), 0)
                if cur_w + w > width:
                    lines.append(cur.rstrip())
                    cur, cur_w = " " * sub, sub
                cur, cur_w = cur + ch, cur_w + w
            start = False
            continue
        cur, cur_w = (cur + word, cur_w + ww) if start else (cur + " " + word, cur_w + ww + 1)
        start = False
    if cur.strip():
        lines.append(cur.rstrip())
    return lines


def _finite(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def fmt_num(v: float | int | None, digits: int = 4, *, missing: str = MISSING) -> str:
    """A number to ``digits`` significant digits with thousands separators; ``missing`` for None / NaN.

    >>> fmt_num(1234567.891), fmt_num(1.18999999), fmt_num(None, missing="— (not reported)")
    ('1,234,568', '1.19', '— (not reported)')
    """
    if not _finite(v):
        return missing
    x = float(v)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    mag = int(math.floor(math.log10(abs(x))))
    dec = max(digits - 1 - mag, 0)
    s = f"{x:,.{dec}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def fmt_money(v: float | None, currency: str, *, decimals: int = 0, missing: str = MISSING) -> str:
    """Money with thousands separators and the currency code: ``"1,234,567 CNY"``; ``missing`` for None / NaN."""
    if not _finite(v):
        return missing
    return f"{float(v):,.{decimals}f} {currency}"


def fmt_pct(v: float | None, decimals: int = 1, *, missing: str = MISSING) -> str:
    """A fraction as a percentage: ``0.2688 → "26.9 %"``; ``missing`` for None / NaN."""
    if not _finite(v):
        return missing
    return f"{float(v) * 100:.{decimals}f} %"


def fmt_date(d: date | datetime | str | None, *, missing: str = MISSING) -> str:
    """A date as ISO ``YYYY-MM-DD`` (a datetime loses its time; a string is cut to its date part)."""
    if d is None:
        return missing
    if isinstance(d, datetime):
        return d.date().isoformat()
    if isinstance(d, date):
        return d.isoformat()
    return str(d)[:10]


def lines_text(lines: Iterable[str]) -> str:
    """Lines joined with newlines, ending in one."""
    return "\n".join(lines) + "\n"
