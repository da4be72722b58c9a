"""``dcsll db``: the deal book's migrations, demo data, export, backup and restore.

Database: ``--url`` or ``$DCSLL_DATABASE_URL`` (default: the SQLite file in the per-user data directory).
SQLAlchemy, Alembic and the store are imported inside :func:`run` so ``dcsll --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("db", help="deal book: upgrade, seed-demo, import, export, backup, restore",
                              description="Manage the deal book database (DCSLL_DATABASE_URL).")
    p.add_argument("--url", help="database URL (default $DCSLL_DATABASE_URL or the per-user SQLite file)")
    sub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = sub.add_parser("upgrade", help="apply database migrations (creates the database if needed)")
    up.add_argument("--revision", default="head", help="target revision (default: head)")
    sub.add_parser("current", help="print the database's migration revision and the latest one")
    sd = sub.add_parser("seed-demo", help="load data/facilities/, data/deals/ and data/methodology/ "
                        "(creates the demo users admin, credit, verifier, operator)")
    sd.add_argument("--data", type=Path, default=Path("data"), help="data folder (default ./data)")
    sd.add_argument("--as", dest="actor", default=os.environ.get("DCSLL_USER", "admin"),
                    help="acting user, an admin (default $DCSLL_USER or admin)")
    im = sub.add_parser("import", help="load facility, deal, methodology, targets-settings, levers, verifier and "
                        "engagement TOML files (recognised by their tables)",
                        description="Load TOML files into the deal book, each checked and saved in one transaction "
                        "(a bad file saves nothing of itself; exit code 2). Facility: [facility]; deal: [loan]; "
                        "methodology; targets settings: deal = ... (its monthly CSV is loaded for the deal's "
                        "facility); levers: [[levers]] (preset named after the file); verifier: [verifier] "
                        "(id = file name; [signing] is never stored); engagement: statement_id and period. "
                        "Importing the same content again changes nothing.")
    im.add_argument("files", nargs="+", type=Path, metavar="FILE")
    im.add_argument("--as", dest="actor", default=os.environ.get("DCSLL_USER", "admin"),
                    help="acting user (default $DCSLL_USER or admin); an admin may import every kind, other "
                    "users the records their role may write")
    ex = sub.add_parser("export", help="write facilities, deals, methodologies, statements and the audit log")
    ex.add_argument("dir", type=Path)
    bk = sub.add_parser("backup", help="copy the SQLite deal book to FILE (safe while the app runs)")
    bk.add_argument("file", type=Path)
    rs = sub.add_parser("restore", help="replace the SQLite deal book with a backup FILE (the current content "
                        "is kept next to it first)")
    rs.add_argument("file", type=Path)
    rs.add_argument("--no-keep", action="store_true", help="do not keep a copy of the current content")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from store import db
    from store.errors import StoreError

    url = db.normalise_url(args.url or db.default_url())
    cmd = args.db_command
    try:
        if cmd == "upgrade":
            rev = db.upgrade(url, args.revision)
            print(f"database {_safe(url)} at revision {rev}")
            return 0
        if cmd == "current":
            cur = db.current_revision(db.make_engine(url))
            print(f"database {_safe(url)}: {cur or '(empty)'}; latest: {db.head_revision()}")
            return 0
        if cmd == "backup":
            from store.backup import backup

            print(f"backed up to {backup(url, args.file)}")
            return 0
        if cmd == "restore":
            from store.backup import restore

            saved = restore(url, args.file, keep_current=not args.no_keep)
            print(f"restored {args.file} into {_safe(url)}" + (f"; previous content kept in {saved}" if saved else ""))
            return 0
        from finance.deal_book import deal_validator
        from store import open_store

        st = open_store(url, migrate=(cmd == "seed-demo"), deal_validator=deal_validator())
        if cmd == "import":
            return _import(st, args)
        if cmd == "export":
            from store.files import export_folder

            counts = export_folder(st, args.dir)
            print(", ".join(f"{v} {k}" for k, v in counts.items()) + f" written to {args.dir}")
            return 0
        if cmd == "seed-demo":
            from store.demo import seed_demo

            rep = seed_demo(st, args.data, args.actor)
            print(f"seeded {_safe(url)}: {len(rep.facilities)} facilities, {len(rep.deals)} deals, "
                  f"{len(rep.methodologies)} methodologies, {len(rep.inputs)} inputs written; "
                  f"{len(rep.unchanged)} unchanged")
            return 0
    except StoreError as exc:
        import sys

        print(f"dcsll db {cmd}: error: {exc}", file=sys.stderr)
        return 1
    return 2  # pragma: no cover - argparse enforces the choices


def _import(st, args) -> int:
    """``dcsll db import``: one line per file, the bad files' errors on stderr (exit 2)."""
    import sys

    from store.imports import import_files

    if st.bootstrap_admin(args.actor):
        print(f"empty deal book: {args.actor} created as its first admin")
    done, errors = import_files(st, args.actor, args.files)
    for d in done:
        print(f"{d.file}: {d.kind} {d.key} {'saved' if d.changed else 'unchanged'}")
    for e in errors:
        print(f"dcsll db import: error: {e}", file=sys.stderr)
    if errors:
        bad = sorted({e.file for e in errors if e.file})
        print(f"dcsll db import: {len(bad)} file(s) not imported: {', '.join(bad)}", file=sys.stderr)
        return 2
    return 0


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
