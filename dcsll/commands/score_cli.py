"""``dcsll score`` and ``dcsll schema``."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys

#: schema name -> "module:attribute" of a callable returning a JSON schema dict
SCHEMAS = {"facility": "index.schema:facility_file_schema"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="score a facility file on the GCPI (every period, or one)",
                       description="Score a facility (TOML file, or --facility ID from the deal book) on the "
                       "Full-Lifecycle Green Computing Power Index.")
    p.add_argument("file", nargs="?", help="facility TOML file (see `dcsll schema facility`)")
    p.add_argument("--facility", metavar="ID", help="score the facility with this id in the deal book "
                   "($DCSLL_DATABASE_URL) instead of a file")
    p.add_argument("--period", help="score only this period label (e.g. 2024)")
    p.add_argument("--methodology", help="methodology TOML (default data/methodology/gcpi-2024.toml)")
    p.add_argument("--json", action="store_true", help="print the IndexResult(s) as JSON")
    p.set_defaults(func=run_score)

    s = sub.add_parser("schema", help="print the JSON schema of an input file")
    s.add_argument("what", choices=sorted(_all_schemas()), help="which file's schema")
    s.set_defaults(func=run_schema)


def _all_schemas() -> dict[str, str]:
    import dcsll.commands as commands

    out = dict(SCHEMAS)
    for mod in pkgutil.iter_modules(commands.__path__):
        if mod.name == __name__.rsplit(".", 1)[-1]:
            continue
        module = importlib.import_module(f"dcsll.commands.{mod.name}")
        out.update(getattr(module, "SCHEMAS", {}))
    return out


def run_schema(args: argparse.Namespace) -> int:
    target = _all_schemas()[args.what]
    mod, attr = target.split(":")
    schema = getattr(importlib.import_module(mod), attr)()
    json.dump(schema, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


def run_score(args: argparse.Namespace) -> int:
    import workflows
    from common.errors import InputError
    from index.report import format_result

    if (args.file is None) == (args.facility is None):
        raise InputError("give a facility FILE or --facility ID (one of them)", field="FILE")
    if args.facility is not None:
        from dcsll.commands._sources import store_source

        source = store_source(methodology_file=args.methodology)
        fac = source.facility(args.facility)
        origin = source.origin("facility", args.facility)
    else:
        source = workflows.FileSource(facility_file=args.file, methodology_file=args.methodology)
        fac = source.facility()
        origin = args.file
    m = source.methodology()
    with workflows.named(origin):  # errors found while scoring name the facility's file or deal-book record
        results = workflows.score(fac, m, args.period)
    if args.json:
        payload = [_json(r) for r in results]
        json.dump(payload[0] if len(payload) == 1 else payload, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        for r in results:
            print(format_result(r, m))
    return 0



def _json(r) -> dict:
    """The IndexResult as JSON (methodology version and SHA-256, reference-bundle SHA-256, ``loan_test_usable``
    and ``proxies`` are its own fields) plus the loan-test flags spelled out: ``period_short``,
    ``proxy_indicators`` (indicators scored from a proxy figure) and ``loan_test_reasons``."""
    d = r.model_dump(mode="json")
    d["period_short"] = "operation_period_short" in r.gates
    d["proxy_indicators"] = [i for i, x in r.indicators.items() if x.status == "proxy"]
    d["loan_test_reasons"] = list(r.loan_test_reasons())
    return d
