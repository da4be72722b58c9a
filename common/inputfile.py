"""Reading input files safely: file kind, size, text encoding, spreadsheet extent, number sanity.

Every reader of a user's file (facility, deal and lever TOML, monthly CSV, period tables in CSV or Excel)
goes through here first, so a directory given as a file, an empty or oversized file, a GBK or UTF-16 file,
a workbook that declares a million rows, a 400-digit integer or an ``inf`` gets an :class:`InputError`
naming the file (and the field), never a traceback and never a silent acceptance.

The limits are data (``data/validation/input_limits.toml``, each with its source).

Text encodings: UTF-8 (with or without BOM) and UTF-16/UTF-32 with a BOM are read as such; anything else is
detected with charset-normalizer (GBK/GB18030, which Chinese-locale Excel writes for "CSV", and latin-1 /
cp1252 are read). A file whose encoding cannot be told is refused, asking for UTF-8.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tomllib
import zipfile
from functools import cache
from pathlib import Path

from common.errors import InputError, InputErrors
from common.settings import data_dir

#: encodings charset-normalizer chooses among for a file that is neither UTF-8 nor BOM-marked UTF-16/32: the
#: "ANSI" code pages Excel and Notepad write in the locales dcsll's users work in (GBK is tested first by byte
#: structure, :func:`_looks_gbk`). Restricting the candidates keeps a short Western file from being read as a
#: Central-European code page (è as č).
CANDIDATE_ENCODINGS = ("cp1252", "latin_1", "gb18030", "big5", "shift_jis", "euc_kr", "cp1251")
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


@cache
def limits() -> dict[str, float]:
    """Input limits by ``"<table>.<key>"`` (``data/validation/input_limits.toml``)."""

    with open(data_dir() / "validation" / "input_limits.toml", "rb") as f:
        raw = tomllib.load(f)
    return {f"{k}.{kk}": vv["value"] for k, v in raw.items() for kk, vv in v.items()}


def read_bytes(path: str | Path, what: str = "file") -> bytes:
    """The bytes of an input file, after checking it is a regular, non-empty file within the size limit.

    Parameters
    ----------
    path : str or Path
    what : str
        What the file is, for messages (``"deal file"``).

    Raises
    ------
    FileNotFoundError
        If nothing exists at ``path`` (callers that document it let it through; the CLI exits 2).
    InputError
        A directory, not a regular file, empty, larger than ``file.max_bytes``, or unreadable.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{what} is a directory, not a file", file=str(p))
    if not p.exists():
        raise FileNotFoundError(2, f"{what} not found", str(p))
    if not p.is_file():
        raise InputError(f"{what} is not a regular file", file=str(p))
    size = p.stat().st_size
    check_size(size, str(p), what)
    try:
        return p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", file=str(p)) from None


def check_size(size: int, name: str, what: str = "file") -> None:
    """Refuse an empty file or one above ``file.max_bytes`` [bytes].

    Raises
    ------
    InputError
    """
    if size == 0:
        raise InputError(f"{what} is empty", file=name, unit="bytes", value=0)
    cap = int(limits()["file.max_bytes"])
    if size > cap:
        raise InputError(f"{what} is {size:,} bytes, above the limit of {cap:,} bytes", file=name, unit="bytes",
                         value=size)


def decode_text(data: bytes, name: str, what: str = "file") -> tuple[str, str]:
    """Decode a text file: BOM, then strict UTF-8, then charset-normalizer's best guess.

    Returns
    -------
    text : str
        Without a BOM.
    encoding : str
        The encoding used (e.g. ``utf-8``, ``utf-16``, ``gb18030``, ``cp1252``).

    Raises
    ------
    InputError
        Binary data (NUL bytes without a UTF-16/32 BOM) or an encoding that cannot be told.
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc).lstrip("\ufeff"), enc.removesuffix("-sig")
            except UnicodeDecodeError as exc:
                raise InputError(f"{what} starts with a {enc} byte-order mark but is not valid {enc} "
                                 f"(byte {exc.start}); save it as UTF-8", file=name) from None
    if b"\x00" in data:
        raise InputError(f"{what} is binary (NUL bytes), not text; save it as UTF-8 text (CSV or TOML)", file=name)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _looks_gbk(data):
        return data.decode("gb18030"), "gb18030"
    from charset_normalizer import from_bytes  # noqa: PLC0415 - heavy; the shared layer reads every TOML file, only table reads need it

    best = from_bytes(data, cp_isolation=list(CANDIDATE_ENCODINGS)).best()
    if best is None:
        raise InputError(f"{what} is not UTF-8 and its text encoding cannot be told; save it as UTF-8", file=name)
    enc = best.encoding
    if enc in ("gb2312", "gbk", "hz"):  # GB18030 is the superset Windows writes under the name GBK
        enc = "gb18030"
    try:
        return data.decode(enc), enc
    except (UnicodeDecodeError, LookupError):
        raise InputError(f"{what} is not UTF-8 and does not decode as {enc}; save it as UTF-8", file=name) from None


def _looks_gbk(data: bytes) -> bool:
    """True when every non-ASCII byte pairs up as GBK and at least 90 % of the pairs lie in the GB 2312 area.

    Chinese-locale Excel and Notepad write "ANSI" as GBK (code page 936). A mostly-ASCII file with a few
    Chinese names is too short for a statistical detector (charset-normalizer takes it for a Central-European
    code page), so the byte structure decides first: GB 2312 characters are two bytes 0xA1-0xF7, 0xA1-0xFE;
    GBK adds lead bytes 0x81-0xFE with trail bytes 0x40-0xFE. Latin-1 text fails the test (an accented letter
    is one byte followed by ASCII). GB18030 (the superset) decodes what passes.
    """
    i, n, pairs, gb2312 = 0, len(data), 0, 0
    while i < n:
        b = data[i]
        if b < 0x80:
            i += 1
            continue
        if not (0x81 <= b <= 0xFE and i + 1 < n and 0x40 <= data[i + 1] <= 0xFE and data[i + 1] != 0x7F):
            return False
        pairs += 1
        gb2312 += 0xA1 <= b <= 0xF7 and data[i + 1] >= 0xA1
        i += 2
    return pairs > 0 and gb2312 >= 0.9 * pairs


def read_text(path: str | Path, what: str = "file") -> str:
    """:func:`read_bytes` then :func:`decode_text` (the text without BOM)."""
    return decode_text(read_bytes(path, what), str(path), what)[0]


def check_tree(data, *, file: str | None = None, prefix: str = "") -> None:
    """Refuse numbers a float cannot hold and nesting beyond the limit, anywhere in a parsed document.

    Checks every value of a TOML/JSON-like tree (dicts, lists): floats must be finite (``inf``, ``nan``
    are refused), integers at most ``toml.max_int_digits`` digits (``10**400`` overflows a float), nesting
    at most ``toml.max_depth`` levels.

    Raises
    ------
    InputErrors
        Every offending value, each naming its dotted field (``periods[2].it_energy_kwh``).
    """
    lim = limits()
    max_depth, max_digits = int(lim["toml.max_depth"]), int(lim["toml.max_int_digits"])
    errs: list[InputError] = []
    stack = [(data, prefix, 0)]
    while stack and len(errs) < 50:
        node, path, depth = stack.pop()
        if depth > max_depth:
            errs.append(InputError(f"nested more than {max_depth} levels deep", file=file, field=path or None))
            continue
        if isinstance(node, dict):
            for k, v in node.items():
                stack.append((v, f"{path}.{k}" if path else str(k), depth + 1))
        elif isinstance(node, list | tuple):
            for i, v in enumerate(node):
                stack.append((v, f"{path}[{i}]", depth + 1))
        elif isinstance(node, bool):
            continue
        elif isinstance(node, int):
            if abs(node) >= 10 ** max_digits:
                errs.append(InputError(f"number has {len(str(abs(node)))} digits, more than {max_digits}: "
                                       "no quantity needs it (a float cannot hold it)", file=file,
                                       field=path or None, row=_row(path)))
        elif isinstance(node, float) and not math.isfinite(node):
            errs.append(InputError("must be a finite number", file=file, field=path or None, row=_row(path),
                                   value=node))
    if errs:
        raise InputErrors(sorted(errs, key=lambda e: e.field or ""))


def _row(path: str) -> int | None:
    m = re.search(r"\[(\d+)\][^\[]*$", path)
    return int(m.group(1)) + 1 if m else None


def parse_toml(text: str, name: str, what: str | None = None) -> dict:
    """Parse TOML text, then :func:`check_tree`.

    Raises
    ------
    InputError
        Syntax error, nesting too deep for the parser, an integer too long to parse, or a
        :func:`check_tree` failure.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{what} is not valid TOML: {exc}" if what else f"not valid TOML: {exc}", file=name) from None
    except RecursionError:
        raise InputError("nested too deeply to read (not valid TOML for dcsll)", file=name) from None
    except ValueError as exc:  # e.g. an integer longer than Python's int-from-string limit
        raise InputError(f"holds a value that cannot be read: {exc}", file=name) from None
    check_tree(doc, file=name)
    return doc


# --- spreadsheets -------------------------------------------------------------------------------------------

_CELL_REF = re.compile(rb'<(?:\w+:)?(?:c|dimension)\b[^>]*?\b(?:r|ref)="(?:[A-Z]{1,3}\d{1,7}:)?([A-Z]{1,3})(\d{1,7})"')


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def check_xlsx(data: bytes, name: str) -> None:
    """Check a workbook before any parser reads a cell.

    The zip's total uncompressed size and compression ratio (zip bomb), then each worksheet's declared
    ``<dimension>`` and every cell reference, streamed from the zip without building cells, against
    ``xlsx.max_rows`` and ``xlsx.max_columns``. A 5 kB workbook with one cell at XFD1048576 is refused here.

    Raises
    ------
    InputError
        Not an xlsx (zip) file, or a limit exceeded (naming the sheet, the cell and the limit).
    """
    lim = limits()
    check_size(len(data), name, "workbook")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise InputError("not an Excel .xlsx workbook (not a zip file); save as .xlsx or CSV", file=name) from None
    total = sum(i.file_size for i in infos)
    cap = int(lim["xlsx.max_uncompressed_bytes"])
    if total > cap:
        raise InputError(f"workbook unpacks to {total:,} bytes, above the limit of {cap:,} bytes", file=name,
                         unit="bytes", value=total)
    ratio = total / max(len(data), 1)
    if ratio > lim["xlsx.max_compression_ratio"]:
        raise InputError(f"workbook unpacks to {ratio:.0f}x its size, above {lim['xlsx.max_compression_ratio']:g}x "
                         "(a zip bomb?)", file=name, value=round(ratio))
    sheets = [i for i in infos if re.match(r"xl/worksheets/[^/]+\.xml$", i.filename)]
    if not sheets:
        raise InputError("workbook has no worksheet", file=name)
    max_r, max_c = int(lim["xlsx.max_rows"]), int(lim["xlsx.max_columns"])
    for info in sheets:
        sheet = info.filename.rsplit("/", 1)[-1].removesuffix(".xml")
        with zf.open(info) as fh:
            tail = b""
            while chunk := fh.read(1 << 16):
                buf = tail + chunk
                for m in _CELL_REF.finditer(buf):
                    col, row = _col_index(m.group(1)), int(m.group(2))
                    if row > max_r or col > max_c:
                        cell = (m.group(1) + m.group(2)).decode()
                        raise InputError(f"sheet {sheet} reaches cell {cell} (row {row:,}, column {col:,}); the "
                                         f"limit is {max_r:,} rows and {max_c:,} columns", file=name, field=sheet,
                                         value=cell)
                tail = buf[-256:]


def read_xlsx(data: bytes, name: str):
    """The first sheet of a workbook as a DataFrame of cell values (header row = column names).

    :func:`check_xlsx` first; then openpyxl in read-only mode. Cells keep their type (text stays text:
    ``"N/A"`` is not turned into a missing value).

    Raises
    ------
    InputError
    """
    import pandas as pd  # noqa: PLC0415 - heavy; the shared layer reads every TOML file, only table reads need it
    from openpyxl import load_workbook  # noqa: PLC0415 - heavy; the shared layer reads every TOML file, only table reads need it

    check_xlsx(data, name)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
    except Exception as exc:  # openpyxl raises many types for damaged workbooks
        raise InputError(f"cannot read the workbook: {type(exc).__name__}: {exc}", file=name) from None
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError("the first sheet is empty", file=name)
    head = ["" if h is None else str(h).strip() for h in rows[0]]
    while head and head[-1] == "":
        head.pop()
    return pd.DataFrame([r[:len(head)] + [None] * (len(head) - len(r)) for r in rows[1:]], columns=head,
                        dtype=object)


def read_csv_text(data: bytes, name: str):
    """A CSV upload as a DataFrame of text cells (encoding detected, :func:`decode_text`).

    Every cell stays text: an empty cell is ``""`` and ``"N/A"`` stays ``"N/A"`` (the caller decides; nothing
    is silently turned into a missing value). Rows and columns are checked against ``csv.max_rows`` and
    ``csv.max_columns``.

    Raises
    ------
    InputError
    """
    import pandas as pd  # noqa: PLC0415 - heavy; the shared layer reads every TOML file, only table reads need it

    check_size(len(data), name, "table")
    text = decode_text(data, name, "table")[0]
    lim = limits()
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputError(f"cannot read the CSV: {exc}", file=name) from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise InputError("the table has no header row", file=name)
    if len(rows) - 1 > lim["csv.max_rows"]:
        raise InputError(f"{len(rows) - 1:,} rows, above the limit of {int(lim['csv.max_rows']):,}", file=name)
    head = [h.strip() for h in rows[0]]
    if len(head) > lim["csv.max_columns"]:
        raise InputError(f"{len(head):,} columns, above the limit of {int(lim['csv.max_columns']):,}", file=name)
    errs = []
    for i, r in enumerate(rows[1:]):
        if len(r) > len(head) and any(c.strip() for c in r[len(head):]):
            errs.append(InputError(f"{len(r)} cells but {len(head)} column headers", file=name, row=i + 2))
    if errs:
        raise InputErrors(errs)
    return pd.DataFrame([(r + [""] * len(head))[:len(head)] for r in rows[1:]], columns=head, dtype=object)
