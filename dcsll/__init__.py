"""dcsll: the command line of the sustainability-linked loan evaluator for data centres (``dcsll …``).

:func:`dcsll.cli.main` builds the parser from the sub-command modules in :mod:`dcsll.commands` (one module per
command, each with a ``register(subparsers)``) and maps errors to exit codes (2 for bad input). Commands parse
arguments and print; the work is done by :mod:`workflows` (loading from a file or the deal book, scoring,
pricing, recording), which calls the engines (:mod:`index`, :mod:`finance`) and the deal book (:mod:`store`).

Layering
--------
The top layer beside the Streamlit app (DESIGN.md §2): it may import everything below it, and nothing imports
it (not the app, not the engines, not the store); ``lint-imports`` checks this in CI (contracts in
``pyproject.toml``). Keep module-level imports light: ``dcsll --help`` imports every command module.
"""

__version__ = "0.1.0"
