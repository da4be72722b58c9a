"""Errors raised on bad input, shared by every layer of dcsll.

Every message names where the problem is (file, row, field) and the unit the field expects,
so that a credit officer, an operator or a verifier can fix the input without reading code.
The CLI turns :class:`InputError` into exit code 2.
"""

from __future__ import annotations


class DcsllError(Exception):
    """Base class of every error dcsll raises on purpose."""


class InputError(DcsllError, ValueError):
    """Bad input: a value out of range, a missing field, an unknown code, an inconsistent file.

    Parameters
    ----------
    message : str
        What is wrong and what is expected, in plain words.
    file : str, optional
        The file the value came from.
    field : str, optional
        Dotted path of the field, e.g. ``periods[2].it_energy_kwh``.
    row : int or str, optional
        Row (1-based for CSV data rows) or period label.
    unit : str, optional
        The unit the field expects, e.g. ``kWh``.
    value : object, optional
        The offending value as given.
    code : str, optional
        What kind of problem, as a code a user interface translates (the app's catalogue
        ``upload.reason.<code>``): pydantic's error type (``missing``, ``float_parsing``, ``greater_than_equal``,
        ...) or a reader's own (``unknown_column``, ``not_a_number``, ...). None: only ``message`` says it.
    params : dict, optional
        Values the code's text refers to (pydantic's ``ctx``: ``ge``, ``le``, ``expected``, ...; a limit and its
        unit).
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None,
                 row: int | str | None = None, unit: str | None = None, value: object = None,
                 code: str | None = None, params: dict | None = None):
        self.code = code
        self.params = dict(params or {})
        self.message = message
        self.file = file
        self.field = field
        self.row = row
        self.unit = unit
        self.value = value
        super().__init__(self.__str__())

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field '{self.field}'")
        if self.unit:
            parts.append(f"unit [{self.unit}]")
        return ", ".join(parts)

    def __str__(self) -> str:
        w = self.where()
        v = f" (got {self.value!r})" if self.value is not None else ""
        return f"{w}: {self.message}{v}" if w else f"{self.message}{v}"

    def as_row(self) -> dict:
        """One row of a failure table (file, row, field, unit, value, reason; code and params for translation)."""
        return {"file": self.file, "row": self.row, "field": self.field, "unit": self.unit,
                "value": None if self.value is None else str(self.value), "reason": self.message,
                "code": self.code, "params": dict(self.params)}


class InputErrors(InputError):
    """Several input errors found in one pass; ``errors`` holds each :class:`InputError`."""

    def __init__(self, errors: list[InputError]):
        self.errors = list(errors)
        first = self.errors[0] if self.errors else InputError("no errors")
        super().__init__(first.message, file=first.file, field=first.field, row=first.row,
                         unit=first.unit, value=first.value, code=first.code, params=first.params)

    def __str__(self) -> str:
        return "\n".join(f"- {InputError.__str__(e)}" for e in self.errors)

    def table(self) -> list[dict]:
        return [e.as_row() for e in self.errors]


def _field(loc) -> tuple[str, int | None]:
    """``("loan", "drawdowns", 1, "date")`` → ``("loan.drawdowns[1].date", 2)`` (row = last index + 1)."""
    out, row = "", None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            row = part + 1
        else:
            out += ("." if out else "") + str(part)
    return out, row


def error_params(e: dict) -> dict:
    """The scalar values of a pydantic error's ``ctx`` (``ge``, ``le``, ``expected``, ``min_length``, ...)."""
    return {k: v for k, v in (e.get("ctx") or {}).items() if isinstance(v, str | int | float) and k != "error"}


def from_validation_error(exc, *, file: str | None = None, units=None, union_tags=None,
                          prefix: str = "") -> InputErrors:
    """Rows of :class:`InputError` from a pydantic ``ValidationError`` (one per failure).

    Parameters
    ----------
    exc : pydantic.ValidationError
    file : str, optional
        Where the data came from (a path, or e.g. ``"deal book: deal X"``).
    units : mapping or callable, optional
        Unit of a field: ``units(dotted_field)`` or ``units[leaf_name]``; None when unknown.
    union_tags : mapping of str to collection of str, optional
        Discriminated unions whose tag pydantic puts in the location, e.g. ``{"ratchet": {"spt", ...}}``:
        ``ratchet.spt.step_down_bp`` is reported as ``ratchet.step_down_bp``; key ``"*"``: tags dropped after any
        location part (e.g. a list of tagged items).
    prefix : str
        Put in front of every field (e.g. ``"verified."``).

    Returns
    -------
    InputErrors
        Field as a dotted path with ``[i]`` for list items, row = 1-based index of the innermost list item,
        message without pydantic's ``"Value error, "``, value the input when it is a scalar. An
        :class:`InputError` raised inside a validator keeps its own message, unit and value.
    """
    tags = {k: set(v) for k, v in (union_tags or {}).items()}
    errs = []
    for e in exc.errors():
        loc = list(e.get("loc", ()))
        loc = [p for i, p in enumerate(loc)
               if not (i and (p in tags.get("*", ()) or isinstance(loc[i - 1], str) and p in tags.get(loc[i - 1], ())))]
        field, row = _field(loc)
        field = prefix + field if field else (prefix.rstrip(".") or None)
        cause = (e.get("ctx") or {}).get("error")
        if isinstance(cause, InputError):
            full = ".".join(x for x in (field, cause.field) if x) or None
            errs.append(InputError(cause.message, file=file, field=full, row=row if cause.row is None else cause.row,
                                   unit=cause.unit, value=cause.value, code=cause.code, params=cause.params))
            continue
        value = e.get("input") if e.get("type") != "missing" else None
        if isinstance(value, dict | list | tuple):
            value = None
        unit = None
        if callable(units):
            unit = units(field or "")
        elif units is not None and field:
            unit = units.get(field.rsplit(".", 1)[-1].split("[")[0])
        errs.append(InputError(str(e.get("msg", "invalid")).removeprefix("Value error, "), file=file, field=field,
                               row=row, unit=unit, value=value, code=e.get("type"), params=error_params(e)))
    return InputErrors(errs)
