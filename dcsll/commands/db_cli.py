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
                        "(creates the demo users admin, credit, verifier, operator); only into a new, empty "
                        "deal book (marked as a demo) or one created by seed-demo, any other is refused")
    sd.add_argument("--data", type=Path, default=None,
                    help="data folder (default: the shipped data, common.settings.data_dir())")
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
    im.add_argument("--verified-by", dest="verified_by", default=None, metavar="USER",
                    help="verifier user whose attestation the files' verified figures carry (needed when an admin "
                    "imports verified figures: only a verifier makes a figure verified)")
    us = sub.add_parser("add-user", help="add a user with one or more roles (admin only; on an empty deal book the "
                        "acting user is created as its first admin)")
    us.add_argument("username")
    us.add_argument("--role", dest="roles", action="append", required=True,
                    choices=("credit_officer", "operator", "verifier", "admin"), help="a role (repeat for more)")
    us.add_argument("--facility", dest="facilities", action="append", default=[], metavar="ID",
                    help="facility an operator reports for (repeat for more)")
    us.add_argument("--name", dest="display_name", default=None, help="display name")
    us.add_argument("--as", dest="actor", default=os.environ.get("DCSLL_USER", "admin"),
                    help="acting admin (default $DCSLL_USER or admin)")
    sub.add_parser("verify", help="check the audit hash chain, every issued statement's hash and every verified "
                   "figure against its audit row (exit 0 intact, 1 with the rows named)")
    gr = sub.add_parser("grant-app-role", help="PostgreSQL: give ROLE (an existing login role that owns nothing) "
                        "the app's least privileges; run as the owner after every upgrade")
    gr.add_argument("role")
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
    import sys

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
        if cmd == "verify":
            from store.integrity import verify

            problems = verify(db.make_engine(url))
            for pr in problems:
                print(pr)
            print(f"database {_safe(url)}: " + ("intact" if not problems else f"{len(problems)} problem(s)"))
            return 1 if problems else 0
        if cmd == "grant-app-role":
            from store.pgroles import grant_app_role

            try:
                got = grant_app_role(db.make_engine(url), args.role)
            except ValueError as exc:
                print(f"dcsll db {cmd}: error: {exc}", file=sys.stderr)
                return 2
            print(f"{args.role}: " + "; ".join(f"{k} on {len(v)} tables" for k, v in got.items())
                  + "; no TRUNCATE, no ownership")
            return 0
        from finance.deal_book import deal_validator
        from store import open_store

        st = open_store(url, migrate=(cmd == "seed-demo"), deal_validator=deal_validator())
        if cmd == "import":
            return _import(st, args)
        if cmd == "add-user":
            if st.bootstrap_admin(args.actor):
                print(f"empty deal book: {args.actor} created as its first admin")
            user = st.add_user(args.actor, args.username, args.roles, display_name=args.display_name,
                               facilities=args.facilities)
            print(f"user {user.username} added: {', '.join(sorted(user.roles))}")
            return 0
        if cmd == "export":
            from store.files import export_folder

            counts = export_folder(st, args.dir)
            print(", ".join(f"{v} {k}" for k, v in counts.items()) + f" written to {args.dir}")
            return 0
        if cmd == "seed-demo":
            from common.settings import data_dir
            from store.demo import seed_demo

            rep = seed_demo(st, args.data if args.data is not None else data_dir(), args.actor)
            print(f"seeded {_safe(url)}: {len(rep.facilities)} facilities, {len(rep.deals)} deals, "
                  f"{len(rep.methodologies)} methodologies, {len(rep.inputs)} inputs written; "
                  f"{len(rep.unchanged)} unchanged")
            return 0
    except StoreError as exc:
        print(f"dcsll db {cmd}: error: {exc}", file=sys.stderr)
        return 1
    return 2  # pragma: no cover - argparse enforces the choices


def _import(st, args) -> int:
    """``dcsll db import``: one line per file, the bad files' errors on stderr (exit 2)."""
    import sys

    from store.imports import import_files

    if st.bootstrap_admin(args.actor):
        print(f"empty deal book: {args.actor} created as its first admin")
    done, errors = import_files(st, args.actor, args.files, verified_by=args.verified_by)
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
