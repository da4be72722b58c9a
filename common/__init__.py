"""Shared layer of dcsll, imported by every other package and importing none of them.

- :mod:`common.errors` — :class:`~common.errors.InputError` (one failure naming file, row, field, unit and
  value), :class:`~common.errors.InputErrors` (several) and :func:`~common.errors.from_validation_error`, the one
  adapter from a pydantic ``ValidationError`` to rows of that table;
- :mod:`common.tomlio` — :func:`~common.tomlio.read_toml`, TOML files with errors that name the file;
- :mod:`common.settings` — where things are (shipped ``data/``, the per-user home) and the environment
  variables that move them.
"""
