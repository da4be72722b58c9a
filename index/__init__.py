"""The GCPI engine: the Full-Lifecycle Green Computing Power Index of a data centre, and the targets built on it.

A facility's reporting periods are turned into raw metrics, indicator scores (0–100 on cited curves), pillar
scores, the index and its grade (1A–5A) by a methodology that is data (``data/methodology/gcpi-2024.toml``; white
paper of CAICT, Envision and Heying Data, 2024). Pure functions: objects in, immutable results out.

Entry points
------------
- :func:`index.models.load_facility` → :class:`~index.models.Facility` with its :class:`~index.models.PeriodData`
  (the facility TOML file; bad input raises :class:`~common.errors.InputError` naming file, period, field, unit).
- :func:`index.methodology.load_methodology` → :class:`~index.methodology.Methodology` (default: the shipped file).
- :func:`index.engine.score` → :class:`~index.result.IndexResult` for one facility-period;
  :func:`index.engine.score_frame` scores a DataFrame of many (vectorised).
- :mod:`index.metrics`: PUE, WUE, CUE, REF (renewable share), ERF, scope 1/2 … as numpy functions.
- :mod:`index.reference`: MEE grid emission factors, GWPs, fuel factors, provinces, read from the shipped ``data/``
  that :func:`common.settings.data_dir` locates (source tree or the installed ``dcsll_data`` package).
- Targets: :mod:`index.baseline` (baselines, recalculation), :mod:`index.targets` (SPT paths),
  :mod:`index.ambition` (BAU, regulation and peer checks), :mod:`index.forecast` (statsmodels BAU forecasts),
  :mod:`index.levers` and :mod:`index.simulate` (Monte Carlo target paths scored through the engine).

Layering
--------
The bottom engine layer (DESIGN.md §2): imports only the shared :mod:`common` layer (errors, TOML reading,
settings), never ``finance``, ``workflows``, ``store``, the CLI (``dcsll``) or the app.
``lint-imports`` checks this in CI (contracts in ``pyproject.toml``). Nothing is imported here, so that
``import index.metrics`` stays light.

Examples
--------
>>> from index.engine import score
>>> from index.methodology import load_methodology
>>> from index.models import load_facility
>>> from index.reference import data_dir
>>> fac = load_facility(data_dir() / "facilities" / "demo-zjk-hyperscale.toml")
>>> [p.label for p in fac.periods]
['2023', '2024', '2025']
>>> score(fac, fac.period("2024"), load_methodology()).grade in {"1A", "2A", "3A", "4A", "5A"}
True
"""
