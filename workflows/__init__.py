"""The workflow layer: one thin pipeline over the engines that both the CLI and the app call.

Modelled on pvlib's ``ModelChain``: each step orders calls to pure engine functions (:mod:`index`,
:mod:`finance`) and carries their results; no figures of its own. The CLI parses arguments and prints, the app
draws widgets; both load through a :class:`~workflows.sources.Source` and call the functions below, so the file
form (``dcsll score FILE``) and the deal-book form (``dcsll score --facility ID``) give the same figures.

Sources (:mod:`workflows.sources`)
----------------------------------
``Source``                        protocol: ``facility(id)``, ``deal(id)``, ``methodology()``,
                                  ``monthly(facility_id)``, ``targets_settings(deal_id)``,
                                  ``lever_presets(facility_id=None)``, ``levers(name, facility_id=None)``
                                  (validated levers of a preset), ``verifier(verifier_id=None)``,
                                  ``engagement(deal_id, period)``, ``origin(kind, key)`` (for error messages),
                                  ``pinned(methodology_id, methodology_sha256, reference_sha256)`` (what a deal
                                  pinned: FileSource from the shipped files, StoreSource from the deal book)
``FileSource(data_dir=None, *, deal_file=, facility_file=, methodology_file=, targets_file=, levers_file=,
verifier_file=, engagement_file=)``   the CLI's file form (``FileSource.levers()`` reads ``levers_file``;
                                  lever presets are ``data/targets/*levers*.toml`` by stem)
``StoreSource(store, *, methodology_file=None)``   the deal book (:class:`store.Store`), e.g.
                                  ``StoreSource(open_store(url))``; ``methodologies()``,
                                  ``current_methodology_info()`` (newest version of the default id),
                                  ``book_methodology(id, version)``, ``pinned_info(id, sha256)``,
                                  ``pinned(id, sha256, reference_sha256)`` (a deal's pins, from the book)

Steps (:mod:`workflows.pipeline`)
---------------------------------
``score(facility, methodology, period=None) -> list[IndexResult]``
``facility_of(deal, source) -> Facility``                the deal's facility (inline or by id)
``observation_results(deal, facility, methodology, source=None) -> {period: IndexResult}``   what the deal's
    observations name
``deal_scorer(deal, methodology, source=None) -> scorer(facility, period)``   scores with what the deal pins
    (methodology id / SHA-256, reference bundle; ``source.pinned``: the deal book's stored version for a
    StoreSource, ``index.engine.pinned`` of the shipped files without one), else with ``methodology``
``evaluate_deal(deal, source=None, *, facility=None, methodology=None) -> DealEvaluation``
    ``.schedule(scenario=None) -> finance.schedule.Schedule``,
    ``.valuation(discount_rate_pct=None, scenarios=None) -> finance.valuation.Valuation``,
    ``.run(scenarios) -> finance.deal.DealRun``; ``.results`` the index results used
``load_target_inputs(deal, source) -> TargetInputs``     facility, methodology, targets settings, monthly frame
``targets(deal, source, *, paths=DEFAULTS.targets_paths, seed=DEFAULTS.seed, inputs=None) -> TargetsReport``
    ``.baseline``, ``.plans`` ({"deal", "proposed"}: SptPlan), ``.sim``, ``.bau`` ({plan: {(kpi, year): band with
    that plan's ``spt`` and ``p_meets``}}), ``.checks``, ``.verdicts()``, ``.bau_basis()`` (why the BAU differs
    from ``simulate``'s), ``.forecast_rows()``, ``.to_dict()`` (= ``dcsll targets --json``)
``simulate(deal, source, *, levers=(), paths=DEFAULTS.simulate_paths, seed=DEFAULTS.seed, model=DEFAULTS.model,
inputs=None, levers_origin=None) -> SimulationReport``
    ``.runs`` ({"bau", "levers"}: SimulationRun), ``.bau`` (fitted models), ``.to_dict()`` (= ``dcsll simulate
    --json``)
``simulate_run(deal, facility, monthly, methodology, *, levers=(), paths=, seed=, bau=None, model=,
results=None) -> SimulationRun``    one run (``.sim``, ``.values``, ``.observation_source``, ``.finance``)
``simulated_years(deal) -> list[int]``
``needs_hourly(deal, levers=()) -> bool``  the 24/7 CFE KPIs are simulated hour by hour (SPTs on them, PPA / battery)
``hourly_inputs(facility, source=None) -> index.cfe.paths.HourlyBase``  stored interval shapes (deal book) or flat
``build_statement(deal, source, period, verifier=None, engagement=None, *, facility=None, methodology=None,
today=None) -> finance.statement.VerificationStatement``
``evaluate_deal(..., as_of=None)`` on the deal book with verified records: the recorded, *approved* margins for
    the past, the ratchet for the future (``.on_record``, ``.indicative``, ``.basis()``)
``named(origin)``                 context manager: InputErrors raised inside name ``origin`` as their file

Monitoring loop (:mod:`workflows.monitoring`, issue 12)
--------------------------------------------------------
``issue_statement(store, deal_id, period, *, actor, prepared_by=None, ...) -> IssuedStatement``
    build → sign → save (issued, SHA-256) → record the observation → prepare the margin change(s)
``prepare_changes(store, actor, deal_id, *, as_of)``, ``record_late_certificates(store, actor, as_of)``
``approve(store, actor, change_id)`` / ``reject(store, actor, change_id, reason=)``   (four eyes)
``notice(store, actor, deal_id, observation_date, *, as_of) -> list[IssuedNotice]``
``due(store, as_of, days=None)``, ``deal_history(store, actor, deal_id) -> DealHistory`` (``.to_csv()``),
``facility_history(store, actor, facility_id)``
``amend_deal(store, actor, deal_id, event, *, facility_after=None) -> Amendment``   SLLP recalculation
``margin_changes(store, deal, as_of) -> list[ChangeView]``, ``recorded_observations(store, deal_id)``

Portfolio (:mod:`workflows.portfolio`, issue 12 item 7)
--------------------------------------------------------
``portfolio_of(source_or_store, as_of, *, actor="admin", rules=None, methodology=None) -> PortfolioFrame``
    one row per deal from the record (margin in force from approved changes, last observation, status),
    the forward part (headroom to the next SPT, completeness, P(met) of a stored simulation) vectorised;
    ``load_status_rules(path=None) -> StatusRules``. (``workflows.portfolio`` is the module: its function
    ``portfolio`` is exported as ``portfolio_of`` so the two names never shadow each other.)

Settings (:mod:`workflows.settings`)
------------------------------------
``DEFAULTS``: ``targets_paths`` 5000, ``simulate_paths`` 10000, ``seed`` 0, ``model`` "ets", ``models``,
``bau_alpha`` 0.10, ``paths_range`` (1, 200000), ``discount_rate_pct`` None. The CLI's options and the app's
widgets start from it (nobody reads defaults off argparse).
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names for type checkers and import-linter; at run time see __getattr__
    from workflows.monitoring import (
        Amendment,
        ChangeView,
        DealHistory,
        IssuedNotice,
        IssuedStatement,
        amend_deal,
        approve,
        deal_history,
        due,
        facility_history,
        issue_statement,
        margin_changes,
        notice,
        prepare_changes,
        record_late_certificates,
        record_statement,
        recorded_observations,
        reject,
    )
    from workflows.pipeline import (
        DealEvaluation,
        SimulationReport,
        SimulationRun,
        TargetInputs,
        TargetsReport,
        build_statement,
        deal_scorer,
        evaluate_deal,
        facility_of,
        hourly_inputs,
        load_target_inputs,
        needs_hourly,
        observation_results,
        simulate,
        simulate_run,
        simulated_years,
        targets,
    )
    from workflows.portfolio import PortfolioFrame, StatusRules, load_status_rules
    from workflows.portfolio import portfolio as portfolio_of
    from workflows.scoring import named, score
    from workflows.settings import DEFAULTS, Defaults
    from workflows.sources import FileSource, Source, StoreSource

#: public name -> defining module; loaded on first access (PEP 562) so that ``import workflows.settings``
#: (the CLI parser reads DEFAULTS) does not pull the pipeline's engines, pandas and the deal book into start-up
_SUBMODULES = frozenset({"monitoring", "pipeline", "portfolio", "scoring", "settings", "sources"})
_EXPORTS: dict[str, str] = {
    "Amendment": "workflows.monitoring",
    "ChangeView": "workflows.monitoring",
    "DealHistory": "workflows.monitoring",
    "IssuedNotice": "workflows.monitoring",
    "IssuedStatement": "workflows.monitoring",
    "amend_deal": "workflows.monitoring",
    "approve": "workflows.monitoring",
    "deal_history": "workflows.monitoring",
    "due": "workflows.monitoring",
    "facility_history": "workflows.monitoring",
    "issue_statement": "workflows.monitoring",
    "margin_changes": "workflows.monitoring",
    "notice": "workflows.monitoring",
    "prepare_changes": "workflows.monitoring",
    "record_late_certificates": "workflows.monitoring",
    "record_statement": "workflows.monitoring",
    "recorded_observations": "workflows.monitoring",
    "reject": "workflows.monitoring",
    "DealEvaluation": "workflows.pipeline",
    "SimulationReport": "workflows.pipeline",
    "SimulationRun": "workflows.pipeline",
    "TargetInputs": "workflows.pipeline",
    "TargetsReport": "workflows.pipeline",
    "build_statement": "workflows.pipeline",
    "deal_scorer": "workflows.pipeline",
    "evaluate_deal": "workflows.pipeline",
    "facility_of": "workflows.pipeline",
    "hourly_inputs": "workflows.pipeline",
    "needs_hourly": "workflows.pipeline",
    "load_target_inputs": "workflows.pipeline",
    "named": "workflows.scoring",
    "PortfolioFrame": "workflows.portfolio",
    "StatusRules": "workflows.portfolio",
    "load_status_rules": "workflows.portfolio",
    "portfolio_of": "workflows.portfolio",
    "observation_results": "workflows.pipeline",
    "score": "workflows.scoring",
    "simulate": "workflows.pipeline",
    "simulate_run": "workflows.pipeline",
    "simulated_years": "workflows.pipeline",
    "targets": "workflows.pipeline",
    "DEFAULTS": "workflows.settings",
    "Defaults": "workflows.settings",
    "FileSource": "workflows.sources",
    "Source": "workflows.sources",
    "StoreSource": "workflows.sources",
}

__all__ = [
    "DEFAULTS", "DealEvaluation", "Defaults", "FileSource", "SimulationReport", "SimulationRun", "Source",
    "StoreSource", "TargetInputs", "TargetsReport", "build_statement", "deal_scorer", "evaluate_deal", "facility_of",
    "load_target_inputs", "named", "observation_results", "hourly_inputs", "needs_hourly", "score", "simulate", "simulate_run", "simulated_years",
    "targets",
    "Amendment", "ChangeView", "DealHistory", "IssuedNotice", "IssuedStatement", "amend_deal", "approve",
    "deal_history", "due", "facility_history", "issue_statement", "margin_changes", "notice", "prepare_changes",
    "record_late_certificates", "record_statement", "recorded_observations", "reject",
    "PortfolioFrame", "StatusRules", "load_status_rules", "portfolio_of",
]
#: exported names defined under another name in their module
_ALIASES = {"portfolio_of": "portfolio"}


def __getattr__(name: str):
    """Load a public name of :data:`__all__` from its module on first access (PEP 562)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"workflows.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'workflows' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _ALIASES.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
