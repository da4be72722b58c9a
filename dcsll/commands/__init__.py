"""CLI sub-commands, one module each.

A module here defines ``register(subparsers)`` which adds its parser(s) with ``set_defaults(func=run)``;
``run(args) -> int`` does the work. Keep module-level imports light (argparse, pathlib): heavy packages
(pandas, statsmodels, reportlab, QuantLib, SQLAlchemy) are imported inside ``run`` so ``dcsll --help``
starts fast. Modules are discovered automatically by :mod:`dcsll.cli`.
"""
