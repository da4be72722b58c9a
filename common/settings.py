"""Where dcsll finds its files, and the environment variables that move them.

==========================  =============================================================================
``DCSLL_DATA``              shipped reference data folder (default: ``data/`` beside the packages, or the
                            installed package ``dcsll_data`` after a non-editable ``pip install .``)
``DCSLL_HOME``              per-user folder (demo signing identity, default SQLite deal book); default
                            :func:`platformdirs.user_data_dir` ``("dcsll")``; the demo signer's certificate
                            is :func:`demo_signer_cert` (``dcsll paths`` prints both)
``DCSLL_DATABASE_URL``      the deal book (any SQLAlchemy URL); default ``sqlite:///<home>/dcsll.sqlite``
                            (see :mod:`store.db`)
==========================  =============================================================================
"""

from __future__ import annotations

import importlib.util
import os
from functools import cache
from pathlib import Path

#: repository / installation root (the folder holding ``data/`` in a source checkout; site-packages when installed)
ROOT = Path(__file__).resolve().parent.parent
DATA_ENV = "DCSLL_DATA"
HOME_ENV = "DCSLL_HOME"
DATABASE_ENV = "DCSLL_DATABASE_URL"
#: the package ``data/`` is installed as by a non-editable install (``package-dir`` in ``pyproject.toml``)
DATA_PACKAGE = "dcsll_data"
#: folders every data directory has; they tell the source tree's ``data/`` from an unrelated folder of that name
_DATA_MARKERS = ("methodology", "reference")


def _is_data_dir(path: Path) -> bool:
    return all((path / m).is_dir() for m in _DATA_MARKERS)


def data_dir() -> Path:
    """The shipped data directory: methodology, reference tables, sample facilities and deals.

    Looked up in this order: ``$DCSLL_DATA``; ``data/`` beside the packages when it holds ``methodology/`` and
    ``reference/`` (source checkout, editable install); the installed package ``dcsll_data`` (non-editable install, where
    ``pyproject.toml`` installs ``data/`` under that name).

    Returns
    -------
    Path
        The folder holding ``methodology/``, ``reference/``, ``facilities/``, ``deals/`` … (not checked to exist
        when it comes from ``$DCSLL_DATA``).

    Raises
    ------
    FileNotFoundError
        If neither the source tree's ``data/`` nor an installed ``dcsll_data`` is found.
    """
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    return _shipped_data_dir()


@cache
def _shipped_data_dir() -> Path:
    beside = ROOT / "data"
    if _is_data_dir(beside):
        return beside
    spec = importlib.util.find_spec(DATA_PACKAGE)  # a namespace package: data/ has no __init__.py
    for location in (spec.submodule_search_locations or []) if spec else []:
        if _is_data_dir(Path(location)):
            return Path(location)
    raise FileNotFoundError(
        f"dcsll's data folder: neither {beside} nor an installed package '{DATA_PACKAGE}' holds "
        f"{' and '.join(m + '/' for m in _DATA_MARKERS)}; "
        f"reinstall dcsll (pip install .) or set {DATA_ENV}"
    )


def dcsll_home() -> Path:
    """Per-user data folder: ``$DCSLL_HOME`` or platformdirs' user data dir for ``dcsll``."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env)

    # common stays standard-library-only at import time: data_dir() must work (and explain a missing data
    # package) even without site-packages (tests/test_packaging.py runs it with ``python -S``)
    import platformdirs  # noqa: PLC0415

    return Path(platformdirs.user_data_dir("dcsll", appauthor=False))


#: folder (under :func:`dcsll_home`) and file names of the self-signed demo signing identity
DEMO_SIGNER_DIR = "demo-signer"
DEMO_SIGNER_CERT = "demo-signer.cert.pem"


def demo_signer_cert(home: Path | None = None) -> Path:
    """The demo signer's certificate, the ``--trust`` file for statements it signed: one rule everywhere.

    ``<home>/demo-signer/demo-signer.cert.pem`` where ``<home>`` is ``home``, else :func:`dcsll_home`
    (``$DCSLL_HOME`` when set, else platformdirs' per-user data folder, ``~/.local/share/dcsll`` on Linux).
    ``dcsll paths`` prints it.
    """
    return (home or dcsll_home()) / DEMO_SIGNER_DIR / DEMO_SIGNER_CERT
