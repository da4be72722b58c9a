"""Units accepted in input files and their conversion to the unit each field expects.

A figure may be given as ``{value = 12.3, unit = "GWh"}``; it is converted to the field's unit
(``kWh`` for ``*_kwh`` fields). A unit of a different dimension is refused. The conversion factors are
definitions (SI prefixes, 万 = 1e4, 亿 = 1e8, 1 m³ of water = 1,000 L = 1 t), not thresholds.
"""

from __future__ import annotations

from index.errors import InputError

#: dimension -> unit -> factor to the dimension's base unit
UNITS: dict[str, dict[str, float]] = {
    "energy": {"kWh": 1.0, "MWh": 1e3, "GWh": 1e6, "TWh": 1e9, "Wh": 1e-3, "万kWh": 1e4, "亿kWh": 1e8},
    "power": {"kW": 1.0, "MW": 1e3, "GW": 1e6, "W": 1e-3},
    "volume_water": {"m3": 1.0, "L": 1e-3, "t": 1.0, "万m3": 1e4, "万t": 1e4},
    "volume_fuel": {"L": 1.0, "m3": 1e3, "kL": 1e3},
    "volume_gas": {"m3": 1.0, "万m3": 1e4},
    "mass": {"kg": 1.0, "t": 1e3, "g": 1e-3},
    "ratio": {"%": 0.01, "fraction": 1.0},
    "compute": {"TFLOPS": 1.0, "PFLOPS": 1e3, "EFLOPS": 1e6, "GFLOPS": 1e-3, "P": 1e3},
    "count": {"racks": 1.0, "standard_racks": 1.0},
    "storage": {"TB": 1.0, "PB": 1e3, "EB": 1e6, "GB": 1e-3},
}

#: field unit -> (dimension, unit name within the dimension)
FIELD_UNIT_DIMENSION: dict[str, tuple[str, str]] = {
    "kWh": ("energy", "kWh"),
    "MWh": ("energy", "MWh"),
    "kW": ("power", "kW"),
    "m3": ("volume_water", "m3"),
    "L": ("volume_fuel", "L"),
    "m3 gas": ("volume_gas", "m3"),
    "kg": ("mass", "kg"),
    "fraction": ("ratio", "fraction"),
    "TFLOPS": ("compute", "TFLOPS"),
    "racks": ("count", "racks"),
    "TB": ("storage", "TB"),
}


def convert(value: float, given_unit: str, field_unit: str, *, field: str | None = None,
            file: str | None = None, row: str | int | None = None) -> float:
    """Convert ``value`` from ``given_unit`` to ``field_unit``.

    Parameters
    ----------
    value : float
        The number as given.
    given_unit : str
        Unit the number is in, e.g. ``"MWh"``, ``"%"``, ``"万kWh"``.
    field_unit : str
        The unit the field expects (a key of :data:`FIELD_UNIT_DIMENSION`).

    Returns
    -------
    float
        The value in ``field_unit``.

    Raises
    ------
    InputError
        If either unit is unknown or the two are of different dimensions.

    Examples
    --------
    >>> convert(1.5, "GWh", "kWh")
    1500000.0
    >>> convert(86, "%", "fraction")
    0.86
    """
    dim, base = FIELD_UNIT_DIMENSION.get(field_unit, (None, None))
    if dim is None:
        raise InputError(f"field unit {field_unit!r} has no conversion table", field=field, file=file, row=row)
    table = UNITS[dim]
    if given_unit not in table:
        raise InputError(
            f"unit {given_unit!r} cannot be converted to {field_unit}; use one of {', '.join(table)}",
            field=field, file=file, row=row, unit=field_unit, value=given_unit)
    return round(value * table[given_unit] / table[base], 12)
