"""Reading TOML input files with errors that name the file."""

from __future__ import annotations

from pathlib import Path

from common.errors import InputError
from common.inputfile import decode_text, parse_toml, read_bytes


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
        A TOML syntax error (``"<what> is not valid TOML: …"``), a directory, an empty or oversized file, an
        undecodable encoding, a non-finite or overlong number or nesting too deep
        (:mod:`common.inputfile`), naming the file (and field).
    FileNotFoundError
        If the file does not exist and ``what`` is not given.
    """

    p = Path(path)
    kind = what or "file"
    try:
        data = read_bytes(p, kind)
    except FileNotFoundError as exc:
        if what is None:
            raise
        raise InputError(f"{what} not found", file=str(p)) from exc
    return parse_toml(decode_text(data, str(p), kind)[0], str(p), what)
