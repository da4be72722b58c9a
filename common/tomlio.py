"""Reading TOML input files with errors that name the file."""

from __future__ import annotations

import tomllib
from pathlib import Path

from common.errors import InputError


def read_toml(path: str | Path, what: str | None = None) -> dict:
    """Parse a TOML file.

    Parameters
    ----------
    path : str or Path
    what : str, optional
        What the file is, for messages (e.g. ``"verifier file"``). When given, a missing file raises
        :class:`InputError` ``"<what> not found"``; when not, ``FileNotFoundError`` propagates (the CLI
        reports it with exit code 2).

    Raises
    ------
    InputError
        A TOML syntax error (``"[<what> is ]not valid TOML: …"``), naming the file.
    FileNotFoundError
        If the file does not exist and ``what`` is not given.
    """
    p = Path(path)
    try:
        with open(p, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError as exc:
        if what is None:
            raise
        raise InputError(f"{what} not found", file=str(p)) from exc
    except tomllib.TOMLDecodeError as exc:
        prefix = f"{what} is not valid TOML" if what else "not valid TOML"
        raise InputError(f"{prefix}: {exc}", file=str(p)) from None
