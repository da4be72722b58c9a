"""Where dcsll finds its files, and the environment variables that move them.

==========================  =============================================================================
``DCSLL_DATA``              shipped reference data folder (default: ``data/`` beside the packages)
``DCSLL_HOME``              per-user folder (demo signing identity, default SQLite deal book); default
                            :func:`platformdirs.user_data_dir` ``("dcsll")``
``DCSLL_DATABASE_URL``      the deal book (any SQLAlchemy URL); default ``sqlite:///<home>/dcsll.sqlite``
                            (see :mod:`store.db`)
==========================  =============================================================================
"""

from __future__ import annotations

import os
from pathlib import Path

#: repository / installation root (the folder holding ``data/``)
ROOT = Path(__file__).resolve().parent.parent
DATA_ENV = "DCSLL_DATA"
HOME_ENV = "DCSLL_HOME"
DATABASE_ENV = "DCSLL_DATABASE_URL"


def data_dir() -> Path:
    """The shipped data directory (``$DCSLL_DATA`` overrides)."""
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else ROOT / "data"


def dcsll_home() -> Path:
    """Per-user data folder: ``$DCSLL_HOME`` or platformdirs' user data dir for ``dcsll``."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("dcsll", appauthor=False))
