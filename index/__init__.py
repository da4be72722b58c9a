"""The GCPI engine: the Full-Lifecycle Green Computing Power Index (CAICT / Envision / Heying Data, 2024).

Pure functions on objects, never on paths (loaders at the edge: :func:`index.models.load_facility`,
:func:`index.methodology.load_methodology`, :func:`index.forecast.load_monthly`, :func:`index.levers.load_levers`).

- inputs: :mod:`index.models` (``Facility``, ``PeriodData``), :mod:`index.methodology` (``Methodology``: indicator
  tree, weights, scoring curves, gates, grade bands), :mod:`index.reference` (grid factors, GWP, benchmarks, read
  from the shipped ``data/`` that :func:`common.settings.data_dir` locates);
- scoring: :mod:`index.metrics` (PUE, WUE, CUE, REF, ERF ... per ISO/IEC 30134 and GB 40879) →
  :mod:`index.engine` (``score`` → :class:`index.result.IndexResult`: total, add-on, grade, per-indicator
  contributions, completeness, methodology id and SHA-256; ``score_frame`` for a DataFrame of many);
- targets: :mod:`index.baseline`, :mod:`index.targets` (SPT paths), :mod:`index.ambition` (BAU, regulation,
  peers), :mod:`index.forecast` and :mod:`index.simulate` (BAU forecasts, Monte Carlo of KPI paths),
  :mod:`index.levers` (operator levers).

Layering
--------
The bottom engine layer (DESIGN.md §2): ``index`` imports only :mod:`common` (errors, TOML, settings;
:mod:`index.errors` and :mod:`index.tomlfile` are re-exports of it), never ``finance``, ``workflows``, ``store``,
the CLI (``dcsll``) or the app; ``lint-imports`` checks this in CI (contracts in ``pyproject.toml``).
Orchestration (load → score → price) is :mod:`workflows`' job. Nothing is imported here, so that
``import index.metrics`` stays light.

Examples
--------
>>> from common.settings import data_dir
>>> from index.engine import score
>>> from index.methodology import load_methodology
>>> from index.models import load_facility
>>> fac = load_facility(data_dir() / "facilities" / "demo-zjk-hyperscale.toml")
>>> [p.label for p in fac.periods]
['2023', '2024', '2025']
>>> score(fac, fac.period("2024"), load_methodology()).grade in {"1A", "2A", "3A", "4A", "5A"}
True
"""
