"""``dcsll paths``: where dcsll reads and writes its files (data folder, home, deal book, demo signer)."""

from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "paths", help="print dcsll's folders: data, home, deal book, demo signer certificate",
        description="Print where dcsll finds its files. <home> is $DCSLL_HOME when set, else the per-user data "
        "folder (platformdirs; ~/.local/share/dcsll on Linux); the demo signer's certificate, the --trust file "
        "of statements it signed, is <home>/demo-signer/demo-signer.cert.pem.")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--demo-cert", action="store_true",
                   help="print only the demo signer's certificate path (for verify-statement --trust)")
    g.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_paths)


def _paths() -> dict[str, str]:
    import os

    from common.settings import DATABASE_ENV, HOME_ENV, data_dir, dcsll_home, demo_signer_cert
    from store.db import default_url

    home = dcsll_home()
    return {"data": str(data_dir()),
            "home": str(home), "home_from": f"${HOME_ENV}" if os.environ.get(HOME_ENV) else "per-user data folder",
            "database_url": default_url(),
            "database_from": f"${DATABASE_ENV}" if os.environ.get(DATABASE_ENV) else "default: dcsll.sqlite in the home folder",
            "demo_signer_cert": str(demo_signer_cert())}


def run_paths(args: argparse.Namespace) -> int:
    """Print the paths (one per line, or only the demo certificate, or JSON)."""
    p = _paths()
    if args.demo_cert:
        print(p["demo_signer_cert"])
    elif args.json:
        print(json.dumps(p, indent=1, ensure_ascii=False))
    else:
        print(f"data folder       {p['data']}")
        print(f"home              {p['home']}  (from {p['home_from']})")
        print(f"deal book         {p['database_url']}  (from {p['database_from']})")
        print(f"demo signer cert  {p['demo_signer_cert']}  (the --trust file of demo-signed statements)")
    return 0
