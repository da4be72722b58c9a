"""Argument types shared by the commands."""

from __future__ import annotations

import argparse
import datetime as dt


def iso_date(text: str) -> dt.date:
    """An ISO date argument (``YYYY-MM-DD``); argparse reports anything else as a usage error (exit 2).

    Raises
    ------
    argparse.ArgumentTypeError
        ``text`` is not an ISO date.
    """
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None
