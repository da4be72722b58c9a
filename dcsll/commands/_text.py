"""Printing helpers of the commands: a line buffer that wraps by display width (:mod:`common.text`)."""

from __future__ import annotations

import shutil
import sys

from common.text import fmt_date, fmt_money, fmt_num, fmt_pct, table, wrap

__all__ = ["TextOut", "fmt_date", "fmt_money", "fmt_num", "fmt_pct", "table", "width", "wrap"]


def width() -> int:
    """Text width: the terminal's columns (at least 80), 110 when not a terminal (pipes, tests)."""
    if sys.stdout.isatty():
        return max(shutil.get_terminal_size((110, 24)).columns, 80)
    return 110


class TextOut:
    """Collects output lines; :meth:`wrap` breaks long texts (evidence, notes) over lines instead of cutting."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.width = width()

    def line(self, s: str = "") -> None:
        self.lines.append(s)

    def wrap(self, s: str, indent: int = 0, subsequent: int | None = None) -> None:
        self.lines += wrap(s, self.width, indent, subsequent)

    def table(self, rows, header=None, **kw) -> None:
        self.lines += table(rows, header, **kw)

    def flush(self) -> None:
        print("\n".join(self.lines))
        self.lines = []
