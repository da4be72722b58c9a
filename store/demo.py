"""The demo deal book: demo users plus everything in ``data/`` (used by ``dcsll db seed-demo`` and the app).

Demo users (username, roles, display name) are in :data:`DEMO_USERS`; the operator reports for every
demo facility. Seeding is idempotent: unchanged records are left alone and write no audit rows.

Demo data go only into a deal book **created as a demo**: :func:`seed_demo` first writes the demo mark
(:data:`DEMO_MARK`) as the *first* row of the append-only audit log of an empty deal book, and refuses
(:class:`NotADemoDealBook`) a deal book whose first audit row is anything else. The audit log cannot be updated
or deleted (database triggers), so a production deal book can never be turned into a demo one, nor a demo one
lose its mark; no schema change is needed.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from common.settings import data_dir as shipped_data_dir
from index.errors import InputError, InputErrors
from store.errors import PermissionDenied, StoreError
from store.files import import_folder
from store.imports import classify, import_files, read_document
from store.schema import AuditRow, DealRow, FacilityRow, MethodologyRow, User

#: the audit row (action, entity, entity key) that marks a deal book created as a demo: its first audit row
DEMO_MARK: tuple[str, str, str] = ("deal_book.create", "deal_book", "demo")


class NotADemoDealBook(StoreError):
    """Demo users and deals refused: the deal book was not created as a demo (nothing was written)."""

#: demo users of ``seed-demo`` and of the app's local sign-in: (username, roles, display name)
DEMO_USERS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("admin", ("admin",), "Demo administrator"),
    ("credit", ("credit_officer",), "Demo credit officer"),
    ("verifier", ("verifier",), "Demo verifier"),
    ("operator", ("operator",), "Demo operator (all demo facilities)"),
    # a second credit officer, so that the maker-checker rule (issue 12: the preparer may not approve) can be
    # walked through in the demo app: one officer prepares a margin change, the other approves it
    ("credit2", ("credit_officer",), "Second demo credit officer (checker)"),
)


def user_exists(store, username: str) -> bool:
    """True if ``username`` is an active user of the deal book."""
    try:
        store.user(username)
        return True
    except PermissionDenied:
        return False


def _first_audit_row(s):


    return s.scalars(select(AuditRow).order_by(AuditRow.id).limit(1)).first()


def _is_mark(row) -> bool:
    return row is not None and (row.action, row.entity, row.entity_key) == DEMO_MARK


def created_as_demo(store) -> bool:
    """True if ``store`` was created as a demo deal book (its first audit row is :data:`DEMO_MARK`)."""
    with store._read() as s:
        return _is_mark(_first_audit_row(s))


def claim_demo(store, actor: str = "admin") -> bool:
    """Make sure demo data may go into ``store``: mark an empty deal book as a demo, accept a demo one.

    Empty means no audit row, user, facility, deal or methodology; the mark is then written as the first
    audit row (actor ``actor``), in one transaction with that check.

    Returns
    -------
    bool
        True if the mark was written now (a new demo deal book), False if it was there already.

    Raises
    ------
    NotADemoDealBook
        The deal book holds records and its first audit row is not the demo mark (a production deal book,
        or one seeded by a dcsll older than the mark): nothing is written.
    """

    with store._write() as s:
        first = _first_audit_row(s)
        if _is_mark(first):
            return False
        held = {what: s.scalar(select(func.count()).select_from(table))
                for what, table in (("audit rows", AuditRow), ("users", User), ("facilities", FacilityRow),
                                    ("deals", DealRow), ("methodologies", MethodologyRow))}
        if first is None and not any(held.values()):
            action, entity, key = DEMO_MARK
            store._audit(s, actor, action, entity, key, None,
                         {"created_as": "demo", "demo_users": [u for u, _, _ in DEMO_USERS]})
            return True
    url = store.engine.url.render_as_string(hide_password=True)
    holds = ", ".join(f"{n} {what}" for what, n in held.items() if n)
    first_row = (f"; its first audit row is {first.action} {first.entity} {first.entity_key!r} by "
                 f"{first.actor!r} at {first.at:%Y-%m-%d %H:%M}" if first is not None else "")
    raise NotADemoDealBook(
        f"the deal book {url} was not created as a demo deal book ({holds}{first_row}): demo users (among them "
        "'admin', who has no password in the app's demo sign-in) and demo deals go only into a new, empty deal "
        "book. Point DCSLL_DATABASE_URL (or `dcsll db --url`) at a new database for the demo; if this is an "
        "old demo file, move it away (keep it with `dcsll db backup` first if you need it)")


def seed_demo(store, data_dir: str | Path | None = None, actor: str = "admin"):
    """Create the demo users and import ``data_dir`` into ``store``: facilities, deals, methodologies, then the
    deal-book inputs (:func:`import_inputs`: targets settings and the monthly CSV they name, lever presets, the
    ``[verifier]`` table of verifier files, engagements).

    Only into a deal book created as a demo (:func:`claim_demo`: an empty one is marked first).

    Parameters
    ----------
    store : store.Store
        An open deal book (migrated).
    data_dir : path, optional
        Folder with ``facilities/``, ``deals/``, ``methodology/``, ``targets/``, ``statements/`` and
        ``monthly/``; default the shipped data (:func:`common.settings.data_dir`).
    actor : str
        Acting admin; created as the first admin of an empty deal book.

    Returns
    -------
    store.files.ImportReport

    Raises
    ------
    index.errors.InputErrors
        A bad file in ``data_dir`` (nothing of that kind is written).
    store.errors.PermissionDenied
        ``actor`` is not an admin of a deal book that already has users.
    """

    claim_demo(store, actor)
    store.bootstrap_admin(actor)
    for name, roles, display in DEMO_USERS:
        if not user_exists(store, name):
            store.add_user(actor, name, roles, display_name=display)
    data_dir = Path(data_dir) if data_dir is not None else shipped_data_dir()
    rep = import_folder(store, actor, data_dir, verified_by="verifier")  # the demo verifier attests
    for fid in store.facility_ids():
        if fid not in store.user("operator").facilities:
            store.assign_facility(actor, "operator", fid)
    for imp in import_inputs(store, actor, data_dir):
        (rep.inputs if imp.changed else rep.unchanged).append(f"{imp.kind}:{imp.key}")
    return rep


#: folders of ``data/`` holding deal-book inputs (the other files there are the engines' reference data)
INPUT_FOLDERS = ("targets", "statements")
INPUT_KINDS = ("targets", "levers", "verifier", "engagement")


def input_files(data_dir: Path) -> list[Path]:
    """The deal-book input files of a data folder: targets settings, lever presets, verifier identities and
    engagements (recognised by their tables, :func:`store.imports.classify`)."""

    out = []
    for sub in INPUT_FOLDERS:
        for p in sorted((Path(data_dir) / sub).glob("*.toml")):
            try:
                kind = classify(read_document(p)[1], file=str(p))
            except InputError:
                continue   # trajectories, recalculation rules, the statement catalogue: reference data
            if kind in INPUT_KINDS:
                out.append(p)
    return out


def import_inputs(store, actor: str, data_dir: Path):
    """Import :func:`input_files` of ``data_dir`` (targets settings with their monthly CSV, levers, verifier,
    engagements) as ``actor``.

    Raises
    ------
    index.errors.InputErrors
        Every bad file (the good ones are saved, each in its own transaction).
    """

    done, errors = import_files(store, actor, input_files(data_dir))
    if errors:
        raise InputErrors(errors)
    return done
