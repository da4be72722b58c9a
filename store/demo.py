"""The demo deal book: demo users plus everything in ``data/`` (used by ``dcsll db seed-demo`` and the app).

Demo users (username, roles, display name) are in :data:`DEMO_USERS`; the operator reports for every
demo facility. Seeding is idempotent: unchanged records are left alone and write no audit rows.
"""

from __future__ import annotations

from pathlib import Path

from store.errors import PermissionDenied

#: demo users of ``seed-demo`` and of the app's local sign-in: (username, roles, display name)
DEMO_USERS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("admin", ("admin",), "Demo administrator"),
    ("credit", ("credit_officer",), "Demo credit officer"),
    ("verifier", ("verifier",), "Demo verifier"),
    ("operator", ("operator",), "Demo operator (all demo facilities)"),
)


def user_exists(store, username: str) -> bool:
    """True if ``username`` is an active user of the deal book."""
    try:
        store.user(username)
        return True
    except PermissionDenied:
        return False


def seed_demo(store, data_dir: str | Path, actor: str = "admin"):
    """Create the demo users and import ``data_dir`` into ``store``: facilities, deals, methodologies, then the
    deal-book inputs (:func:`import_inputs`: targets settings and the monthly CSV they name, lever presets, the
    ``[verifier]`` table of verifier files, engagements).

    Parameters
    ----------
    store : store.Store
        An open deal book (migrated).
    data_dir : path
        Folder with ``facilities/``, ``deals/``, ``methodology/``, ``targets/``, ``statements/`` and
        ``monthly/`` (the project's ``data/``).
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
    from store.files import import_folder

    store.bootstrap_admin(actor)
    for name, roles, display in DEMO_USERS:
        if not user_exists(store, name):
            store.add_user(actor, name, roles, display_name=display)
    rep = import_folder(store, actor, Path(data_dir))
    for fid in store.facility_ids():
        if fid not in store.user("operator").facilities:
            store.assign_facility(actor, "operator", fid)
    for imp in import_inputs(store, actor, Path(data_dir)):
        (rep.inputs if imp.changed else rep.unchanged).append(f"{imp.kind}:{imp.key}")
    return rep


#: folders of ``data/`` holding deal-book inputs (the other files there are the engines' reference data)
INPUT_FOLDERS = ("targets", "statements")
INPUT_KINDS = ("targets", "levers", "verifier", "engagement")


def input_files(data_dir: Path) -> list[Path]:
    """The deal-book input files of a data folder: targets settings, lever presets, verifier identities and
    engagements (recognised by their tables, :func:`store.imports.classify`)."""
    from index.errors import InputError
    from store.imports import classify, read_document

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
    from index.errors import InputErrors
    from store.imports import import_files

    done, errors = import_files(store, actor, input_files(data_dir))
    if errors:
        raise InputErrors(errors)
    return done
