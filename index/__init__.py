"""The GCPI engine: the Full-Lifecycle Green Computing Power Index (CAICT / Envision / Heying Data, 2024).

Pure functions on objects, never on paths (loaders at the edge: :func:`index.models.load_facility`,
:func:`index.methodology.load_methodology`, :func:`index.forecast.load_monthly`, :func:`index.levers.load_levers`).

- inputs: :mod:`index.models` (``Facility``, ``PeriodData``), :mod:`index.methodology` (``Methodology``: indicator
  tree, weights, scoring curves, gates, grade bands), :mod:`index.reference` (grid factors, GWP, benchmarks);
- scoring: :mod:`index.metrics` (PUE, WUE, CUE, REF, ERF ... per ISO/IEC 30134 and GB 40879) →
  :mod:`index.engine` (``score`` → :class:`index.result.IndexResult`: total, add-on, grade, per-indicator
  contributions, completeness, methodology id and SHA-256);
- targets: :mod:`index.baseline`, :mod:`index.targets` (SPT paths), :mod:`index.ambition` (BAU, regulation,
  peers), :mod:`index.forecast` and :mod:`index.simulate` (BAU forecasts, Monte Carlo of KPI paths),
  :mod:`index.levers` (operator levers).

``index`` imports only :mod:`common` (errors, TOML, settings; :mod:`index.errors` and :mod:`index.tomlfile` are
re-exports of it). Orchestration (load → score → price) is :mod:`workflows`' job.
"""
