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
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None,
                 row: int | str | None = None, unit: str | None = None, value: object = None):
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
        """One row of a failure table (file, row, field, unit, value, reason) for the app."""
        return {"file": self.file, "row": self.row, "field": self.field, "unit": self.unit,
                "value": None if self.value is None else str(self.value), "reason": self.message}


class InputErrors(InputError):
    """Several input errors found in one pass; ``errors`` holds each :class:`InputError`."""

    def __init__(self, errors: list[InputError]):
        self.errors = list(errors)
        first = self.errors[0] if self.errors else InputError("no errors")
        super().__init__(first.message, file=first.file, field=first.field, row=first.row,
                         unit=first.unit, value=first.value)

    def __str__(self) -> str:
        return "\n".join(f"- {InputError.__str__(e)}" for e in self.errors)

    def table(self) -> list[dict]:
        return [e.as_row() for e in self.errors]
