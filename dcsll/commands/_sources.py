"""Where a command's inputs come from: a file (``FILE``) or the deal book (``--deal ID`` / ``--facility ID``).

Not a command module (no ``register``): the helpers the commands share to build a
:class:`workflows.sources.Source`.
"""

from __future__ import annotations

import argparse

BOOK_HELP = ("read the {what} with this id from the deal book ($DCSLL_DATABASE_URL, default the per-user "
             "SQLite file) instead of a file")


def add_deal_args(p: argparse.ArgumentParser) -> None:
    """``DEAL_FILE`` (optional positional) and ``--deal ID``: exactly one of them (checked in :func:`deal_source`)."""
    p.add_argument("deal_file", nargs="?", metavar="DEAL_FILE", help="deal TOML file (see data/deals/)")
    p.add_argument("--deal", metavar="ID", default=None, help=BOOK_HELP.format(what="deal"))


def store_source(**kw):
    """:class:`workflows.StoreSource` on the deal book of ``$DCSLL_DATABASE_URL`` (default the per-user SQLite
    file). Read-only commands do not migrate: a deal book behind the code's migrations is refused with the
    advice to run ``dcsll db upgrade`` (:class:`store.StoreError`, exit code 2)."""
    from store import open_store
    from store.db import default_url, normalise_url
    from workflows import StoreSource

    return StoreSource(open_store(normalise_url(default_url()), migrate=False), **kw)


def deal_source(args: argparse.Namespace, **files):
    """``(deal, source)`` for ``DEAL_FILE`` or ``--deal ID``; ``files`` go to :class:`workflows.FileSource`.

    Raises
    ------
    common.errors.InputError
        Both or neither given.
    """
    from common.errors import InputError
    from workflows import FileSource

    if (args.deal_file is None) == (args.deal is None):
        raise InputError("give a DEAL_FILE or --deal ID (one of them)", field="DEAL_FILE")
    if args.deal is not None:
        source = store_source()
        return source.deal(args.deal), source
    source = FileSource(deal_file=args.deal_file, **files)
    return source.deal(), source
